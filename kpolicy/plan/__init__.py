"""Rollout plans and Pod DNS names, worked out the way the apps controllers do it.

Pure functions: a manifest goes in as a plain ``dict`` (possibly malformed), a frozen
:class:`WorkloadPlan` comes out. A field of the wrong type never raises: it is treated as absent
and the plan carries a note that says so. What every plan of a run shares (Kubernetes version,
feature gates, cluster domain, nodes, Services) is one :class:`PlanContext`.

The model of time (:data:`TIME_MODEL`): one step is one controller sync. Pods created in a step
are Running, Ready and Available at the start of the next step (``minReadySeconds`` is taken as
0); deleted Pods vanish at once; the controller sees its own creations and deletions at once, as
in the controllers' unit tests. Feature gates take their defaults for the chosen Kubernetes
version unless overridden. ``steps`` are the states after each sync that changes a Pod count;
the starting state is not a step.

Which controller function each part follows is named in a comment above it; the code is written
from the facts of those functions, not copied.

Modules: ``data`` (result types, limits, the report data of ``kpolicy plan``), ``context``
(:class:`PlanContext`, feature gates), ``_fields`` (the planner's tolerant field readers),
``_steps`` (step log and sync loop), ``changes`` (change classification, update rejections),
``dns`` (Services and Pod DNS names), ``deployment``, ``statefulset``, ``daemonset`` (one per
controller), ``dispatch`` (:func:`plan_for`) and ``command`` (``kpolicy plan``: reads inputs,
not imported here). Only ``command`` reaches ``kpolicy.report`` (through its registry).
"""

from __future__ import annotations

from kpolicy.plan.changes import classify_change
from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext, feature_gate_enabled
from kpolicy.plan.daemonset import daemonset_plan
from kpolicy.plan.data import (
    DEFAULT_CLUSTER_DOMAIN,
    DEFAULT_KUBERNETES_VERSION,
    HYPOTHETICAL_NODE_COUNT,
    MAX_SHOWN_NAMES,
    MAX_SHOWN_NODES,
    MAX_SHOWN_REJECTIONS,
    MAX_SIMULATED_PODS,
    MAX_SIMULATED_VISITS,
    MAX_STEPS,
    PLAN_FORMAT_VERSION,
    STEPS_SHOWN_EACH_END,
    TIME_MODEL,
    Bounds,
    ChangeKind,
    DaemonSetStep,
    DNSNames,
    NodePlacement,
    PlanEntry,
    PlanReport,
    PodDNS,
    Rejection,
    ReplicaSetStep,
    Stall,
    StatefulSetStep,
    Step,
    Strategy,
    WorkloadPlan,
    plan_document,
    plan_summary,
)
from kpolicy.plan.deployment import (
    ReplicaSetState,
    deployment_max_surge,
    deployment_max_unavailable,
    deployment_plan,
    deployment_scale,
    new_rs_new_replicas,
)
from kpolicy.plan.dispatch import plan_for
from kpolicy.plan.dns import pod_dns_names
from kpolicy.plan.statefulset import statefulset_plan

__all__ = [
    "DEFAULT_CLUSTER_DOMAIN",
    "DEFAULT_CONTEXT",
    "DEFAULT_KUBERNETES_VERSION",
    "HYPOTHETICAL_NODE_COUNT",
    "MAX_SHOWN_NAMES",
    "MAX_SHOWN_NODES",
    "MAX_SHOWN_REJECTIONS",
    "MAX_SIMULATED_PODS",
    "MAX_SIMULATED_VISITS",
    "MAX_STEPS",
    "PLAN_FORMAT_VERSION",
    "STEPS_SHOWN_EACH_END",
    "TIME_MODEL",
    "Bounds",
    "ChangeKind",
    "DNSNames",
    "DaemonSetStep",
    "NodePlacement",
    "PlanContext",
    "PlanEntry",
    "PlanReport",
    "PodDNS",
    "Rejection",
    "ReplicaSetState",
    "ReplicaSetStep",
    "Stall",
    "StatefulSetStep",
    "Step",
    "Strategy",
    "WorkloadPlan",
    "classify_change",
    "daemonset_plan",
    "deployment_max_surge",
    "deployment_max_unavailable",
    "deployment_plan",
    "deployment_scale",
    "feature_gate_enabled",
    "new_rs_new_replicas",
    "plan_document",
    "plan_for",
    "plan_summary",
    "pod_dns_names",
    "statefulset_plan",
]
