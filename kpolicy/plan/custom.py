"""Plans of pod templates in custom resources: an Argo Rollout's canary steps, and an OpenShift
DeploymentConfig or a configured pod-template kind planned as a Deployment. Pure functions over
manifests; ``kpolicy plan`` (kpolicy/plan/command.py) shows them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

from kpolicy.k8s.podtemplates import DEPLOYMENT_CONFIG, ROLLOUT, PodTemplateKind
from kpolicy.model import KObject
from kpolicy.plan.data import CanaryStep, NotPlanned, Rejection, RolloutPlan
from kpolicy.workload import custom_layout, get, int_value, mapping, sequence


def canary_replicas(replicas: int, weight: int, traffic_routing: bool) -> tuple[int, int]:
    """(canary, stable) desired replica counts at ``weight`` percent.

    Follows DesiredReplicaCountsForCanary (argo-rollouts utils/replicaset/canary.go): both
    counts round up, so that neither side drops to zero while the weight is strictly between
    0 and 100; with traffic routing the stable side stays fully scaled until the end.
    """
    canary = math.ceil(replicas * weight / 100)
    stable = replicas if traffic_routing else math.ceil(replicas * (1 - weight / 100))
    return canary, stable


def _step_action(step: dict[str, Any]) -> str:
    if step.get("setWeight") is not None:
        return f"setWeight {step['setWeight']}"
    pause = step.get("pause")
    if pause is not None:
        duration = mapping(pause).get("duration")
        if duration is None:
            return _PAUSE_UNTIL_PROMOTED
        if isinstance(duration, str | int) and not isinstance(duration, bool):
            return f"pause {duration}"
        return "pause (duration unreadable)"
    for name in step:
        return str(name)
    return "empty step"


def canary_steps(obj: KObject) -> tuple[list[CanaryStep] | None, str]:
    """The canary steps of an Argo Rollout with their desired replica counts, then the end
    state (100%); or (None, why not) when it is no canary Rollout or its replicas or weights
    are unreadable.

    The weight in force at a step is the last setWeight at or before it, 0 before the first
    (GetCurrentSetWeight); after the last step the weight is 100 and the stable ReplicaSet is
    scaled down. ``spec.replicas`` defaults to 1 (defaults.GetReplicasOrDefault).
    """
    if custom_layout(obj) is not ROLLOUT:
        return None, "not a Rollout"
    strategy = mapping(get(obj.data, "spec", "strategy"))
    canary = strategy.get("canary")
    if not isinstance(canary, dict):
        if isinstance(strategy.get("blueGreen"), dict):
            return None, (
                "a blueGreen Rollout brings up the whole new ReplicaSet beside the active one "
                "and switches activeService to it at promotion: there are no canary steps"
            )
        return None, "spec.strategy has neither canary nor blueGreen"
    raw = get(obj.data, "spec", "replicas")
    replicas = 1 if raw is None else int_value(raw)
    if replicas is None or replicas < 0:
        return None, f"spec.replicas {raw!r} is not a whole number of at least 0"
    routing = canary.get("trafficRouting") is not None
    weight = 0
    out = []
    steps = sequence(canary.get("steps"))
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            return None, f"canary step {index} is not a mapping"
        value = step.get("setWeight")
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                # rollout-step-invalid: the controller refuses the Rollout
                return None, f"canary step {index}: setWeight {value!r} is not 0 to 100"
            weight = value
        new, stable = canary_replicas(replicas, weight, routing)
        out.append(CanaryStep(index, _step_action(step), weight, new, stable))
    out.append(CanaryStep(len(steps), "promoted", 100, replicas, 0))
    return out, ""


def rollout_plan(
    obj: KObject, source: str | None, rejections: Sequence[Rejection] = ()
) -> RolloutPlan | NotPlanned:
    """The plan of an Argo Rollout, or why it is not planned."""
    steps, why = canary_steps(obj)
    if steps is None:
        return NotPlanned(obj.ref, source, why)
    replicas = steps[-1].canary
    routing = get(obj.data, "spec", "strategy", "canary", "trafficRouting") is not None
    if rejections:
        return RolloutPlan(
            obj.ref, source, replicas, routing, (), rejections[0].describe(), tuple(rejections)
        )
    notes = [
        "replica counts as Argo Rollouts sets them at each step (DesiredReplicaCountsForCanary)"
    ]
    if any(step.action == _PAUSE_UNTIL_PROMOTED for step in steps):
        notes.append("a pause without a duration waits until the Rollout is promoted")
    if routing:
        notes.append(
            "traffic routing: the stable ReplicaSet keeps every replica until the end; the "
            "weight is the share of traffic the mesh or ingress sends to the canary"
        )
    else:
        notes.append(
            "no traffic routing: the weight is approximated by the share of Pods, both sides "
            "rounded up (so their sum may exceed spec.replicas)"
        )
    if any(step.action in _UNMODELLED for step in steps):
        notes.append(
            "setCanaryScale, experiment and analysis steps are listed but their own effects "
            "are not planned"
        )
    return RolloutPlan(obj.ref, source, replicas, routing, tuple(steps), notes=tuple(notes))


_PAUSE_UNTIL_PROMOTED: Final = "pause (until promoted)"
_UNMODELLED: Final = frozenset({"setCanaryScale", "experiment", "analysis"})


# --- planned as a Deployment ------------------------------------------------------------------

_DEFAULT_PERCENT: Final = "25%"


def as_deployment(obj: KObject) -> tuple[dict[str, Any] | None, str]:
    """A Deployment with the object's template, replicas and (for a DeploymentConfig) rolling
    parameters, for the Deployment planner; or (None, why it is not planned).

    A DeploymentConfig's Rolling strategy is a rolling update of ReplicationControllers with
    rollingParams.maxSurge and maxUnavailable, each 25% by default (openshift/api apps/v1
    defaults), Recreate scales the old one down first; a Custom strategy runs the user's own
    deployer Pod, which nothing can plan. A configured kind is planned when its template and
    replicas are known.
    """
    layout: PodTemplateKind | None = custom_layout(obj)
    if layout is None or not layout.runs_pods or layout is ROLLOUT:
        return None, "not a kind planned as a Deployment"
    template = get(obj.data, *layout.template)
    if not isinstance(template, dict):
        where = ".".join(str(part) for part in layout.template)
        return None, f"not planned: no pod template ({where})"
    if layout.replicas is None:
        return None, "not planned: the replica count's field is not configured"
    raw = get(obj.data, *layout.replicas)
    # DeploymentConfigSpec.replicas is a plain int32 that SetDefaults_DeploymentConfigSpec
    # leaves alone (openshift/api apps/v1): unset is 0
    replicas = 0 if raw is None and layout is DEPLOYMENT_CONFIG else int_value(raw)
    if replicas is None:
        return None, "not planned: the replica count is missing or not a whole number"
    strategy: dict[str, Any] = {"type": "RollingUpdate"}
    if layout is DEPLOYMENT_CONFIG:
        kind = get(obj.data, "spec", "strategy", "type")
        if kind in (None, "Rolling"):
            params = mapping(get(obj.data, "spec", "strategy", "rollingParams"))
            strategy = {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": params.get("maxSurge", _DEFAULT_PERCENT),
                    "maxUnavailable": params.get("maxUnavailable", _DEFAULT_PERCENT),
                },
            }
        elif kind == "Recreate":
            strategy = {"type": "Recreate"}
        elif kind == "Custom":
            return None, "not planned: strategy 'Custom' runs a custom deployer"
        else:
            return None, f"not planned: strategy type {kind!r} is not Rolling, Recreate or Custom"
    # SetDefaults_DeploymentConfigSpec: an empty selector is the template's labels
    labels = mapping(get(obj.data, "spec", "selector")) if layout is DEPLOYMENT_CONFIG else {}
    labels = labels or mapping(get(template, "metadata", "labels"))
    metadata = {"name": obj.name}
    if obj.ref.namespace:
        metadata["namespace"] = obj.ref.namespace
    return (
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata,
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": dict(labels)},
                "strategy": strategy,
                "template": template,
            },
        },
        "",
    )


def planned_as_deployment_note(obj: KObject) -> str:
    """What a plan of a kind planned as a Deployment assumes."""
    if custom_layout(obj) is DEPLOYMENT_CONFIG:
        unset = ""
        if get(obj.data, "spec", "replicas") is None:
            # DeploymentConfigSpec.Replicas: a plain int32 that no default sets
            unset = "; spec.replicas is unset, which is 0 for a DeploymentConfig"
        return _deployment_config_note(obj) + unset
    return (
        f"{obj.kind} is a configured pod-template kind (podTemplates:), planned as a "
        "Deployment with the default RollingUpdate (25% surge, 25% unavailable): what its own "
        "controller does is not known to kpolicy"
    )


def _deployment_config_note(obj: KObject) -> str:
    if get(obj.data, "spec", "strategy", "type") == "Recreate":
        return (
            "planned as a Deployment with strategy Recreate: the OpenShift deployer Pod "
            "scales the old ReplicationController to 0, then the new one up; lifecycle "
            "hooks (pre, mid, post) are not planned"
        )
    return (
        "planned as a Deployment with the DeploymentConfig's rollingParams (maxSurge and "
        "maxUnavailable, 25% each by default): the OpenShift deployer Pod scales "
        "ReplicationControllers within the same bounds, its steps may be ordered "
        "differently; lifecycle hooks are not planned"
    )
