"""What a plan is: the result types (:class:`WorkloadPlan` and its steps), the limits that
keep every output bounded, the JSON document, and the report data of ``kpolicy plan``
(:class:`PlanEntry`, :class:`PlanReport`) that the writers in ``kpolicy/report/plan_*.py`` read.

Imports nothing else of the planner, so a writer that imports this module pulls in no
controller and no command."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from kpolicy.model import ObjectRef
from kpolicy.versions import DEFAULT_VERSION

PLAN_FORMAT_VERSION: Final = 1
DEFAULT_KUBERNETES_VERSION: Final = DEFAULT_VERSION
DEFAULT_CLUSTER_DOMAIN: Final = "cluster.local"
# Without --nodes a DaemonSet is planned over this many notional nodes that accept it.
HYPOTHETICAL_NODE_COUNT: Final = 3
# A safety net against pathological inputs; a real plan ends long before.
MAX_STEPS: Final = 5000

TIME_MODEL: Final = (
    "one step is one controller sync; Pods created in a step are Running, Ready and Available "
    "at the start of the next step (minReadySeconds taken as 0); deleted Pods vanish at once "
    "and the controller sees its own changes at once; feature gates take their defaults for "
    "the selected Kubernetes version unless overridden"
)

ChangeKind = Literal["rollout", "scale", "rollout+scale", "create", "delete", "none"]

ROLLING_UPDATE: Final = "RollingUpdate"
RECREATE: Final = "Recreate"
ON_DELETE: Final = "OnDelete"
ORDERED_READY: Final = "OrderedReady"
PARALLEL: Final = "Parallel"

_DNS_LABEL_MAX: Final = 63


# StatefulSet Pods are simulated one by one; above this many the plan gives no steps.
MAX_SIMULATED_PODS: Final = 10_000
# Each sync of a StatefulSet or DaemonSet visits every Pod or node: the syncs of one plan visit
# at most this many in all, so that 100,000 nodes cost what a few hundred do (the plan then
# stops early and says so).
MAX_SIMULATED_VISITS: Final = 500_000
# A plan keeps this many steps at each end of a longer list and counts the ones between, so
# that no output (JSON included) grows with the number of steps.
STEPS_SHOWN_EACH_END: Final = 20
# A plan keeps at most this many Pod names in a list (update order, DNS names, the Pods of one
# step) and this many nodes, and counts the others.
MAX_SHOWN_NAMES: Final = 20
MAX_SHOWN_NODES: Final = 50
# A plan keeps at most this many of the findings by which the API server rejects the workload.
MAX_SHOWN_REJECTIONS: Final = 5


@dataclass(frozen=True, slots=True)
class Strategy:
    """The update strategy with every int-or-percent resolved to a number of Pods."""

    type: str | None
    max_surge: int | None = None
    max_unavailable: int | None = None
    partition: int | None = None
    pod_management_policy: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "maxSurge": self.max_surge,
            "maxUnavailable": self.max_unavailable,
            "partition": self.partition,
            "podManagementPolicy": self.pod_management_policy,
        }


@dataclass(frozen=True, slots=True)
class Bounds:
    """The controller's limits during an update: at most ``max_pods`` Pods exist and at least
    ``min_available`` are available (a DaemonSet counts over the nodes it runs on)."""

    max_pods: int
    min_available: int

    def to_json(self) -> dict[str, int]:
        return {"maxPods": self.max_pods, "minAvailable": self.min_available}


@dataclass(frozen=True, slots=True)
class ReplicaSetStep:
    """A Deployment step: replicas of the new ReplicaSet and of each old one (oldest first)."""

    new: int
    old: tuple[int, ...]
    available: int

    @property
    def old_count(self) -> int:
        return sum(self.old)

    @property
    def total(self) -> int:
        return self.new + self.old_count

    def to_json(self) -> dict[str, Any]:
        return {"new": self.new, "old": list(self.old)}


class _OldCount:
    """``old_count`` and ``total`` of a step or start whose ``old`` is one number of Pods."""

    __slots__ = ()
    new: int
    old: int

    @property
    def old_count(self) -> int:
        return self.old

    @property
    def total(self) -> int:
        return self.new + self.old


@dataclass(frozen=True, slots=True)
class StatefulSetStep(_OldCount):
    """A StatefulSet step: the Pods created and deleted in one sync, in the controller's order.

    ``new``/``old`` count the Pods at the update and the current revision after the step.
    """

    create: tuple[str, ...]
    delete: tuple[str, ...]
    new: int
    old: int
    available: int
    create_omitted: int = 0  # Pods created in this step beyond the MAX_SHOWN_NAMES listed
    delete_omitted: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.create:
            out["create"] = list(self.create)
        if self.create_omitted:
            out["createOmitted"] = self.create_omitted
        if self.delete:
            out["delete"] = list(self.delete)
        if self.delete_omitted:
            out["deleteOmitted"] = self.delete_omitted
        return out


@dataclass(frozen=True, slots=True)
class DaemonSetStep(_OldCount):
    """A DaemonSet step: how many nodes run a new and an old Pod (which nodes is not fixed)."""

    new: int
    old: int
    available: int

    def to_json(self) -> dict[str, Any]:
        return {"new": self.new, "old": self.old}


Step = ReplicaSetStep | StatefulSetStep | DaemonSetStep


@dataclass(frozen=True, slots=True)
class LivePodState:
    """A StatefulSet or DaemonSet Pod at the start of a live plan (a DaemonSet Pod with its
    node)."""

    name: str
    revision: str | None
    ready: bool
    node: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "revision": self.revision, "ready": self.ready}
        if self.node is not None:
            out["node"] = self.node
        return out


@dataclass(frozen=True, slots=True)
class StatefulSetStart(_OldCount):
    """The live StatefulSet a plan starts from: its Pods (the first MAX_SHOWN_NAMES), how many
    are at the update revision (``new``) and at others (``old``), and how many are ready."""

    new: int
    old: int
    available: int
    pods: tuple[LivePodState, ...] = ()
    pods_omitted: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "new": self.new,
            "old": self.old,
            "pods": [pod.to_json() for pod in self.pods],
        }
        if self.pods_omitted:
            out["podsOmitted"] = self.pods_omitted
        return out


@dataclass(frozen=True, slots=True)
class DaemonSetStart(StatefulSetStart):
    """The live DaemonSet a plan starts from: its Pods with node, revision (the
    ``controller-revision-hash``) and readiness, how many nodes run a Pod at the update
    revision (``new``) and at another (``old``), and how many Pods are ready."""


@dataclass(frozen=True, slots=True)
class PodDNS:
    """The DNS identity of a Pod; ``name``/``ordinal`` are None for generated Pod names."""

    name: str | None
    ordinal: int | None
    hostname: str | None
    subdomain: str | None
    fqdn: str | None
    updated: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ordinal": self.ordinal,
            "hostname": self.hostname,
            "subdomain": self.subdomain,
            "fqdn": self.fqdn,
            "updated": self.updated,
        }


@dataclass(frozen=True, slots=True)
class NodePlacement:
    """Whether the DaemonSet runs a Pod on a node, and why not when it does not."""

    name: str
    runs: bool
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "runs": self.runs}
        if not self.runs:
            out["reason"] = self.reason or ""
        return out


@dataclass(frozen=True, slots=True)
class DNSNames:
    """What :func:`pod_dns_names` finds: the Pods' names, the Service domain and why not."""

    pods: tuple[PodDNS, ...] = ()
    service_domain: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejection:
    """A lint finding by which the API server refuses the workload as written (a rule with
    ``rejects`` in rules/<id>.yaml): the plan then has no steps."""

    rule: str
    message: str
    file: str
    line: int
    column: int

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }

    def describe(self) -> str:
        return f"{self.message} [{self.rule} at {self.file}:{self.line}:{self.column}]"


@dataclass(frozen=True, slots=True)
class Stall:
    """Where a rollout stops for good, and why: ``after`` steps (0: before the first)."""

    after: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"after": self.after, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Backend:
    """A workload behind a Service: its ready Pods and its share of the ready endpoints."""

    object: ObjectRef
    ready: int
    share: float

    def to_json(self) -> dict[str, Any]:
        return {"object": self.object.to_json(), "ready": self.ready, "share": self.share}

    def describe(self) -> str:
        name = self.object.name or "?"
        return f"{name} {self.ready} Pod{'' if self.ready == 1 else 's'} {round(self.share * 100)}%"


@dataclass(frozen=True, slots=True)
class ServiceShares:
    object: ObjectRef
    backends: tuple[Backend, ...]
    steps: tuple[tuple[Backend, ...], ...] = ()
    steps_omitted: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "object": self.object.to_json(),
            "backends": [b.to_json() for b in self.backends],
            "steps": [[b.to_json() for b in step] for step in self.steps],
        }
        if self.steps_omitted:
            out["stepsOmitted"] = self.steps_omitted
        return out

    def describe(self, backends: Sequence[Backend] | None = None) -> str:
        shown = self.backends if backends is None else backends
        return f"Service {self.object.name}: " + ", ".join(b.describe() for b in shown)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A revision of a workload as ``kubectl rollout history`` lists it: a Deployment's
    ReplicaSet (``replica_set`` None for one the plan creates) or a ControllerRevision."""

    revision: int | None
    replica_set: str | None
    change_cause: str | None
    images: tuple[str, ...]
    replicas: int

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "replicaSet": self.replica_set,
            "changeCause": self.change_cause,
            "images": list(self.images),
            "replicas": self.replicas,
        }


@dataclass(frozen=True, slots=True)
class RollbackTo:
    """``kubectl rollout undo``: the revision whose template comes back, its ReplicaSet, and
    the revision number it gets."""

    revision: int
    replica_set: str
    new_revision: int

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "replicaSet": self.replica_set,
            "newRevision": self.new_revision,
        }


Progress = Literal["complete", "stuck", "paused"]


@dataclass(frozen=True, slots=True)
class WorkloadPlan:
    """The plan of one workload; :meth:`to_json` gives the JSON shape of ``plan.schema.json``.

    ``changed_fields`` (JSON pointers) is kept for the text formats; the JSON lists the same
    pointers in a note.
    """

    object: ObjectRef
    change: ChangeKind
    replicas: int
    strategy: Strategy
    bounds: Bounds
    steps: tuple[Step, ...] = ()
    update_order: tuple[str, ...] = ()
    pods: tuple[PodDNS, ...] = ()
    service_domain: str | None = None
    nodes: tuple[NodePlacement, ...] = ()
    rejected: str | None = None
    # the lint findings by which the API server refuses the workload itself (the first
    # MAX_SHOWN_REJECTIONS; ``rejected`` then says the first); empty when ``rejected`` is an
    # update the API server refuses (an immutable field changed)
    rejections: tuple[Rejection, ...] = ()
    rejections_omitted: int = 0
    stalled: Stall | None = None  # the rollout stops for good after some step
    notes: tuple[str, ...] = ()
    changed_fields: tuple[str, ...] = ()
    # what the lists above leave out, so that no plan grows with the input: the steps between
    # the first and the last STEPS_SHOWN_EACH_END (the gap follows steps[:steps_omitted_after]),
    # names of the update order after the first ones, DNS names between the first and the
    # last two, nodes after the first MAX_SHOWN_NODES
    steps_omitted: int = 0
    steps_omitted_after: int = 0
    update_order_omitted: int = 0
    pods_omitted: int = 0
    pods_omitted_after: int = 0
    nodes_omitted: int = 0
    nodes_running: int | None = None  # DaemonSet with --nodes: how many of all run the daemon
    # planned from the live state (--live): the state the plan starts from, how it ends
    # ("stuck": it stops short of the spec, and why), the revision it ends on, the rollback
    # (--undo) and the revisions kept afterwards
    start: Step | StatefulSetStart | None = None  # DaemonSetStart is a StatefulSetStart
    progress: Progress | None = None
    stuck_reason: str | None = None
    revision: int | None = None
    rollback_to: RollbackTo | None = None
    history: tuple[HistoryEntry, ...] = ()
    # the ready Pods once the last step's Pods are ready (those that ever are); not in JSON:
    # the traffic shares of the Services end with it
    ready_at_end: int | None = None

    @property
    def step_count(self) -> int:
        return len(self.steps) + self.steps_omitted

    @property
    def node_count(self) -> int:
        return len(self.nodes) + self.nodes_omitted

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "object": self.object.to_json(),
            "change": self.change,
            "replicas": self.replicas,
            "strategy": self.strategy.to_json(),
            "bounds": self.bounds.to_json(),
            "steps": [step.to_json() for step in self.steps],
            "updateOrder": list(self.update_order),
            "pods": [pod.to_json() for pod in self.pods],
            "serviceDomain": self.service_domain,
            "nodes": [node.to_json() for node in self.nodes],
            "rejected": self.rejected,
            "rejections": [rejection.to_json() for rejection in self.rejections],
            "stalled": self.stalled.to_json() if self.stalled is not None else None,
            "notes": list(self.notes),
        }
        if self.start is not None:
            out["start"] = self.start.to_json()
            out["progress"] = self.progress
            out["stuckReason"] = self.stuck_reason
            out["revision"] = self.revision
            out["rollbackTo"] = self.rollback_to.to_json() if self.rollback_to else None
            out["history"] = [entry.to_json() for entry in self.history]
        omitted: dict[str, Any] = {}
        if self.steps_omitted:
            omitted["steps"] = {"after": self.steps_omitted_after, "count": self.steps_omitted}
        if self.update_order_omitted:
            omitted["updateOrder"] = {
                "after": len(self.update_order),
                "count": self.update_order_omitted,
            }
        if self.pods_omitted:
            omitted["pods"] = {"after": self.pods_omitted_after, "count": self.pods_omitted}
        if self.nodes_omitted:
            omitted["nodes"] = {
                "after": len(self.nodes),
                "count": self.nodes_omitted,
                "running": self.nodes_running,
            }
        if self.rejections_omitted:
            omitted["rejections"] = {
                "after": len(self.rejections),
                "count": self.rejections_omitted,
            }
        if omitted:
            out["omitted"] = omitted
        return out


def plan_document(
    plans: Iterable[WorkloadPlan],
    *,
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
) -> dict[str, Any]:
    """The whole ``--format json`` document for a list of plans."""
    listed = list(plans)
    return {
        "version": PLAN_FORMAT_VERSION,
        "clusterDomain": cluster_domain,
        "kubernetesVersion": kubernetes_version,
        "summary": plan_summary(listed),
        "workloads": [plan.to_json() for plan in listed],
    }


def plan_summary(plans: Sequence[WorkloadPlan]) -> dict[str, int]:
    """How many workloads are planned, how many the API server rejects (the object or the
    update), how many rollouts stall, and how many planned from the live state are stuck."""
    return {
        "workloads": len(plans),
        "rejected": sum(1 for plan in plans if plan.rejected is not None),
        "stalled": sum(1 for plan in plans if plan.stalled is not None),
        "stuck": sum(1 for plan in plans if plan.progress == "stuck"),
    }


# --------------------------------------------------------------------------------------------
# What `kpolicy plan` reports: the plans with what the formats show beside them

Mode = Literal["update", "diff", "live"]


@dataclass(frozen=True)
class PlanEntry:
    """One workload's plan and what the formats need beside the JSON shape."""

    plan: WorkloadPlan
    source: str | None  # "file:line" of the planned object (for a deletion: the old one)
    old_source: str | None = None  # "file:line" of the previous version, in diff mode
    # Pods (new, old) before the first step, all available
    start: tuple[int, int] = (0, 0)
    # StatefulSet without a previous version: the Pods created in each sync of its creation
    creation: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class PlanReport:
    entries: tuple[PlanEntry, ...]
    kubernetes_version: str
    cluster_domain: str
    mode: Mode
    compared_with: str | None = None  # "--from examples" or "git HEAD~1 (commit ...)"
    files: int = 0
    # what diff mode compares with, for JSON: {"from": [paths]} or {"git": REV, "commits":
    # [{"repository": top of the working tree, "commit": full name}]}
    comparison: dict[str, Any] | None = None
    live: tuple[str, ...] = ()  # --live: the paths of the live state
    # every Service that selects planned workloads, with their traffic shares
    services: tuple[ServiceShares, ...] = ()
    # the kinds outside the three controllers (empty, and absent from the JSON, when none)
    rollouts: tuple[RolloutPlan, ...] = ()
    cron_jobs: tuple[CronPlan, ...] = ()
    not_planned: tuple[NotPlanned, ...] = ()

    @property
    def others(self) -> str:
        """The Rollouts, CronJobs and objects not planned beside the workloads, for the title:
        ``1 Rollout, 2 CronJobs, 1 not planned``; empty when there are none."""
        parts = []
        for count, noun in ((len(self.rollouts), "Rollout"), (len(self.cron_jobs), "CronJob")):
            if count:
                parts.append(f"{count} {noun}{'' if count == 1 else 's'}")
        if self.not_planned:
            parts.append(f"{len(self.not_planned)} not planned")
        return ", ".join(parts)

    @property
    def title(self) -> str:
        """The heading every format starts with: ``kpolicy plan: 3 workloads``, and how many
        of them the API server rejects and how many stall: ``(1 rejected by the API server,
        1 stalls)``."""
        count = len(self.entries)
        text = f"kpolicy plan: {count} workload{'' if count == 1 else 's'}"
        if self.others:
            text += f", {self.others}"
        summary = plan_summary([entry.plan for entry in self.entries])
        parts = []
        if summary["rejected"]:
            parts.append(f"{summary['rejected']} rejected by the API server")
        # a Rollout is refused by its controller, a CronJob by the API server: counted apart
        refused = sum(1 for plan in self.rollouts if plan.rejected) + sum(
            1 for cron in self.cron_jobs if cron.rejected
        )
        if refused:
            parts.append(f"{refused} {'more ' if summary['rejected'] else ''}rejected")
        if summary["stalled"]:
            parts.append(f"{summary['stalled']} stall{'s' if summary['stalled'] == 1 else ''}")
        if summary["stuck"]:
            parts.append(f"{summary['stuck']} stuck")
        return f"{text} ({', '.join(parts)})" if parts else text

    def context(self, separator: str = ", ", show: Callable[[str], str] = str) -> str:
        """What the plan assumes: Kubernetes version, cluster domain and, in diff mode (after
        ``separator``), what it compares with; ``show`` formats the domain and the comparison
        (code spans in Markdown)."""
        # the version is normalized ("1.37"): nothing in it needs formatting
        text = f"Kubernetes {self.kubernetes_version}, cluster domain {show(self.cluster_domain)}"
        if self.compared_with:
            text += f"{separator}compared with {show(self.compared_with)}"
        return text

    def document(self) -> dict[str, Any]:
        """The ``--format json`` document (``schemas/plan.schema.json``)."""
        plans = []
        for entry in self.entries:
            note = creation_note(entry)
            plan = entry.plan
            if note is not None:
                plan = replace(plan, notes=(*plan.notes, note))
            plans.append(plan)
        document = plan_document(
            plans, cluster_domain=self.cluster_domain, kubernetes_version=self.kubernetes_version
        )
        if self.comparison is not None:
            workloads = document.pop("workloads")
            document["comparedWith"] = self.comparison
            document["workloads"] = workloads
        if self.rollouts:
            document["rollouts"] = [plan.to_json() for plan in self.rollouts]
        if self.cron_jobs:
            document["cronJobs"] = [plan.to_json() for plan in self.cron_jobs]
        if self.not_planned:
            document["notPlanned"] = [item.to_json() for item in self.not_planned]
        if self.mode == "live":
            document["live"] = list(self.live)
            document["services"] = [service.to_json() for service in self.services]
        return document


def creation_note(entry: PlanEntry) -> str | None:
    """The StatefulSet creation order as a sentence (JSON carries it in ``notes``)."""
    if not entry.creation:
        return None
    names = [name for step in entry.creation for name in step]
    listed = _short_list(names)
    if len(entry.creation) == 1 and len(names) > 1:
        return f"on creation all Pods are created at once (Parallel): {listed}"
    return (
        "on creation Pods are created one at a time, each once the one before is Running "
        f"and Ready (OrderedReady): {listed}"
    )


def _short_list(names: Sequence[str], limit: int = 8) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[: limit - 2]) + f", ... ({len(names) - limit + 1} more), {names[-1]}"


# --------------------------------------------------------------------------------------------
# Plans of the kinds outside the three controllers above (kpolicy/plan/custom.py, cron.py): an
# Argo Rollout's canary steps, a CronJob's next run times, and the pod-template kinds that are
# not planned with why. A DeploymentConfig or configured kind planned as a Deployment is a
# WorkloadPlan.


@dataclass(frozen=True, slots=True)
class CanaryStep:
    """One canary step and the replica counts the controller aims for while it is current."""

    index: int  # 0-based position in spec.strategy.canary.steps; len(steps) for the end
    action: str  # "setWeight 20", "pause (until promoted)", "pause 30s", "promoted", ...
    weight: int  # the canary weight in force (the last setWeight at or before the step)
    canary: int  # desired replicas of the new ReplicaSet
    stable: int  # desired replicas of the stable ReplicaSet

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "action": self.action,
            "weight": self.weight,
            "canary": self.canary,
            "stable": self.stable,
        }


@dataclass(frozen=True, slots=True)
class RolloutPlan:
    """An Argo Rollout's canary steps (empty when ``rejected``)."""

    object: ObjectRef
    source: str | None
    replicas: int
    traffic_routing: bool
    steps: tuple[CanaryStep, ...] = ()
    rejected: str | None = None
    rejections: tuple[Rejection, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.object.to_json(),
            "replicas": self.replicas,
            "trafficRouting": self.traffic_routing,
            "steps": [step.to_json() for step in self.steps],
            "rejected": self.rejected,
            "rejections": [rejection.to_json() for rejection in self.rejections],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class CronPlan:
    """A CronJob's next run times after ``now`` (ISO 8601 with the offset of ``time_zone``);
    none when it is suspended or rejected."""

    object: ObjectRef
    source: str | None
    schedule: str
    time_zone: str  # the IANA name the times are in
    zone_from: Literal["timeZone", "schedule", "assumed"]  # "assumed": UTC for the controller's
    now: str
    runs: tuple[str, ...] = ()
    suspended: bool = False
    rejected: str | None = None
    rejections: tuple[Rejection, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "object": self.object.to_json(),
            "schedule": self.schedule,
            "timeZone": self.time_zone,
            "timeZoneFrom": self.zone_from,
            "now": self.now,
            "suspended": self.suspended,
            "runs": list(self.runs),
            "rejected": self.rejected,
            "rejections": [rejection.to_json() for rejection in self.rejections],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class NotPlanned:
    """A pod-template kind that ``kpolicy plan`` does not plan, and why."""

    object: ObjectRef
    source: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"object": self.object.to_json(), "reason": self.reason}
