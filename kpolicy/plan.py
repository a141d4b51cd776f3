"""Rollout plans and Pod DNS names, worked out the way the apps controllers do it.

Pure functions: a manifest goes in as a plain ``dict`` (possibly malformed), a frozen
:class:`WorkloadPlan` comes out. A field of the wrong type never raises: it is treated as absent
and the plan carries a note that says so.

The model of time (:data:`TIME_MODEL`): one step is one controller sync. Pods created in a step
are Running, Ready and Available at the start of the next step (``minReadySeconds`` is taken as
0); deleted Pods vanish at once; the controller sees its own creations and deletions at once, as
in the controllers' unit tests. Feature gates take their defaults for the chosen Kubernetes
version unless overridden. ``steps`` are the states after each sync that changes a Pod count;
the starting state is not a step.

Which controller function each part follows is named in a comment above it; the code is written
from the facts of those functions, not copied.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from kpolicy.features import gate_enabled
from kpolicy.k8s import intstr
from kpolicy.k8s.defaults import apps_v1_defaults
from kpolicy.k8s.scheduling import (
    HostPort,
    daemon_placement,
    daemon_pod_tolerations,
    host_ports,
    host_ports_conflict,
)
from kpolicy.k8s.selector import Selector
from kpolicy.k8s.validation import is_dns1123_label
from kpolicy.model import ObjectRef, to_pointer
from kpolicy.versions import DEFAULT_VERSION
from kpolicy.workload import (
    WORKLOAD_KINDS,
    Workload,
    describe_value,
    int_value,
    is_headless,
    label_map,
)

__all__ = [
    "DEFAULT_CLUSTER_DOMAIN",
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
_INT32_MAX: Final = 2**31 - 1
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


# --------------------------------------------------------------------------------------------
# Result types


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


@dataclass(frozen=True, slots=True)
class StatefulSetStep:
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

    @property
    def old_count(self) -> int:
        return self.old

    @property
    def total(self) -> int:
        return self.new + self.old

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
class DaemonSetStep:
    """A DaemonSet step: how many nodes run a new and an old Pod (which nodes is not fixed)."""

    new: int
    old: int
    available: int

    @property
    def old_count(self) -> int:
        return self.old

    @property
    def total(self) -> int:
        return self.new + self.old

    def to_json(self) -> dict[str, Any]:
        return {"new": self.new, "old": self.old}


Step = ReplicaSetStep | StatefulSetStep | DaemonSetStep


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


class _StepLog:
    """The steps of a plan as they are recorded: the first and the last STEPS_SHOWN_EACH_END
    are kept, the ones between only counted."""

    __slots__ = ("head", "tail", "total")

    def __init__(self) -> None:
        self.head: list[Step] = []
        self.tail: deque[Step] = deque(maxlen=STEPS_SHOWN_EACH_END)
        self.total = 0

    def append(self, step: Step) -> None:
        self.total += 1
        if len(self.head) < STEPS_SHOWN_EACH_END:
            self.head.append(step)
        else:
            self.tail.append(step)

    def fields(self) -> dict[str, Any]:
        """The ``steps``, ``steps_omitted`` and ``steps_omitted_after`` of a WorkloadPlan."""
        omitted = self.total - len(self.head) - len(self.tail)
        return {
            "steps": (*self.head, *self.tail),
            "steps_omitted": omitted,
            "steps_omitted_after": len(self.head) if omitted else 0,
        }


def _shown_names(names: Iterable[str], count: int) -> tuple[tuple[str, ...], int]:
    """The first MAX_SHOWN_NAMES of ``count`` names (an iterator is not read further), and
    how many are left out."""
    return tuple(itertools.islice(names, MAX_SHOWN_NAMES)), max(count - MAX_SHOWN_NAMES, 0)


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
    update), and how many rollouts stall."""
    return {
        "workloads": len(plans),
        "rejected": sum(1 for plan in plans if plan.rejected is not None),
        "stalled": sum(1 for plan in plans if plan.stalled is not None),
    }


# --------------------------------------------------------------------------------------------
# Tolerant reading of manifests


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + step
    return out or "the object"


class _Fields:
    """Reads a manifest; a value of the wrong type counts as absent and leaves a note."""

    def __init__(self, root: object, notes: list[str]) -> None:
        self._root: Any = root if isinstance(root, dict) else {}
        self._notes = notes
        self._noted: set[str] = set()
        if root is not None and not isinstance(root, dict):
            self.note((), f"{describe_value(root)} is not an object; treated as empty")

    def note(self, path: Sequence[str | int], message: str) -> None:
        key = _dotted(path)
        if key in self._noted:
            return
        self._noted.add(key)
        self._notes.append(message)

    def raw(self, *path: str) -> Any:
        current: Any = self._root
        for index, step in enumerate(path):
            if not isinstance(current, dict):
                where = path[:index]
                self.note(
                    where,
                    f"{_dotted(where)} is {describe_value(current)}, not a mapping; "
                    "treated as absent",
                )
                return None
            if step not in current:
                return None
            current = current[step]
        return current

    def mapping(self, *path: str) -> dict[str, Any]:
        value = self.raw(*path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.note(
                path,
                f"{_dotted(path)} is {describe_value(value)}, not a mapping; treated as absent",
            )
            return {}
        return value

    def optional_mapping(self, *path: str) -> dict[str, Any] | None:
        value = self.raw(*path)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.note(
                path,
                f"{_dotted(path)} is {describe_value(value)}, not a mapping; treated as absent",
            )
            return None
        return value

    def string(self, *path: str) -> str | None:
        value = self.raw(*path)
        if value is None:
            return None
        if not isinstance(value, str):
            self.note(
                path, f"{_dotted(path)} is {describe_value(value)}, not a string; treated as absent"
            )
            return None
        return value

    def integer(self, *path: str, minimum: int = 0, default_text: str = "") -> int | None:
        value = self.raw(*path)
        if value is None:
            return None
        number = int_value(value)
        suffix = f" ({default_text})" if default_text else ""
        if number is None:
            self.note(
                path,
                f"{_dotted(path)} is {describe_value(value)}, not an integer; treated "
                f"as absent{suffix}",
            )
            return None
        if number < minimum:
            self.note(
                path,
                f"{_dotted(path)} is {number}, below {minimum}, which the API server "
                f"rejects; treated as absent{suffix}",
            )
            return None
        if number > _INT32_MAX:
            self.note(
                path,
                f"{_dotted(path)} is {number}, more than an int32 holds, which the "
                f"API server rejects; treated as absent{suffix}",
            )
            return None
        return number

    def int_or_percent(self, *path: str, default_text: str = "") -> int | str | None:
        """An int-or-percent value the API server accepts, or None (with a note otherwise)."""
        value = self.raw(*path)
        if value is None:
            return None
        suffix = f" ({default_text})" if default_text else ""
        errors = intstr.validate_int_or_percent(value)
        if errors:
            self.note(path, f"{_dotted(path)}: {errors[0]}; treated as absent{suffix}")
            return None
        number = int_value(value)
        if number is not None:
            return number
        assert isinstance(value, str)
        try:
            intstr.scaled_value(value, 1, True)
        except ValueError:
            # the API server's pattern accepts any digits, but the controllers' strconv.Atoi
            # fails on a percentage past int64 and the sync stops with an error
            self.note(
                path,
                f"{_dotted(path)} {value!r} is too large for the controller to "
                f"resolve (its sync fails); treated as absent{suffix}",
            )
            return None
        return value


def _pods(count: int) -> str:
    return f"{count} Pod" if count == 1 else f"{count} Pods"


def _object_ref(obj: Mapping[str, Any]) -> ObjectRef:
    metadata = obj.get("metadata")
    meta: Mapping[str, Any] = metadata if isinstance(metadata, dict) else {}

    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None

    return ObjectRef(
        api_version=text(obj.get("apiVersion")),
        kind=text(obj.get("kind")),
        namespace=text(meta.get("namespace")),
        name=text(meta.get("name")),
    )


def _namespace(obj: Mapping[str, Any]) -> str:
    namespace = _object_ref(obj).namespace
    return namespace if namespace else "default"


def _name(obj: Mapping[str, Any]) -> str:
    return _object_ref(obj).name or ""


def _parse_version(text: object) -> tuple[int, int] | None:
    if not isinstance(text, str):
        return None
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?", text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


# --------------------------------------------------------------------------------------------
# Feature gates


def feature_gate_enabled(
    name: str,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    feature_gates: Mapping[str, bool] | None = None,
) -> bool:
    """Whether a feature gate is on: the explicit setting, else its default for the version
    (the shared table in :mod:`kpolicy.features`). An unreadable version counts as
    :data:`DEFAULT_KUBERNETES_VERSION`."""
    parsed = _parse_version(kubernetes_version)
    version = f"{parsed[0]}.{parsed[1]}" if parsed else DEFAULT_KUBERNETES_VERSION
    return gate_enabled(name, version, feature_gates)


def _gate_note(
    name: str, kubernetes_version: str, feature_gates: Mapping[str, bool] | None, enabled: bool
) -> str:
    if feature_gates is not None and name in feature_gates:
        return f"the {name} feature gate is {'on' if enabled else 'off'} (--feature-gates)"
    return (
        f"the {name} feature gate is {'on' if enabled else 'off'} by default in "
        f"Kubernetes {kubernetes_version}"
    )


# --------------------------------------------------------------------------------------------
# Change classification

# Server-managed fields that differ between a live dump and a manifest but change nothing.
_IGNORED_METADATA: Final = frozenset(
    {"resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"}
)
_LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"

# follows ValidateStatefulSetUpdate (pkg/apis/apps/validation/validation.go): these spec fields
# are copied from the old object before the rest of the spec must compare equal. Newer releases
# also accept revisionHistoryLimit (the API server's own message names it).
_STATEFULSET_MUTABLE: Final = frozenset(
    {
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "revisionHistoryLimit",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    }
)


def _strip_nulls(value: object) -> object:
    """Drop null members: Go decodes ``field: null`` as the absent field."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _semantic(value: object) -> object:
    """A value normalised for apimachinery's ``equality.Semantic.DeepEqual``: null members are
    absent, and an empty list or map equals an absent one."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            normal = _semantic(item)
            if normal is None or normal == [] or normal == {}:
                continue
            out[key] = normal
        return out
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _diff(old: object, new: object, path: tuple[str | int, ...], out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                out.append(to_pointer((*path, str(key))))
            else:
                _diff(old[key], new[key], (*path, str(key)), out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, (*path, index), out)
        return
    if type(old) is not type(new) or old != new:
        out.append(to_pointer(path))


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = _strip_nulls(dict(obj))
    assert isinstance(cleaned, dict)
    cleaned.pop("status", None)
    metadata = cleaned.get("metadata")
    if isinstance(metadata, dict):
        metadata = {k: v for k, v in metadata.items() if k not in _IGNORED_METADATA}
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
            annotations = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
            if annotations:
                metadata["annotations"] = annotations
            else:
                metadata.pop("annotations")
        cleaned["metadata"] = metadata
    return cleaned


def _spec(obj: Mapping[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _pod_spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    template = _spec(obj).get("template")
    spec = template.get("spec") if isinstance(template, dict) else None
    return spec if isinstance(spec, dict) else {}


def _template(obj: Mapping[str, Any]) -> object:
    return _semantic(_spec(obj).get("template"))


def _replicas_of(obj: Mapping[str, Any]) -> int:
    # SetDefaults_Deployment / SetDefaults_StatefulSet: replicas defaults to 1
    number = int_value(_spec(obj).get("replicas"))
    return number if number is not None and number >= 0 else 1


def classify_change(
    new: Mapping[str, Any] | None, old: Mapping[str, Any] | None
) -> tuple[ChangeKind, list[str], str | None]:
    """What an update from ``old`` to ``new`` does to the Pods, the changed JSON pointers, and
    the reason the API server refuses the update (None when it accepts it).

    ``rollout``: the Pod template changed; ``scale``: only the number (or, for a StatefulSet,
    the ordinals) of Pods changed; both: ``rollout+scale``; no object before or after:
    ``create``/``delete``; anything else is ``none``.
    """
    if new is None and old is None:
        return "none", [], None
    if old is None:
        return "create", [], None
    if new is None:
        return "delete", [], None
    new_obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    old_obj: Mapping[str, Any] = old if isinstance(old, dict) else {}
    changed: list[str] = []
    _diff(_comparable(old_obj), _comparable(new_obj), (), changed)
    kind = new_obj.get("kind") if isinstance(new_obj.get("kind"), str) else old_obj.get("kind")

    template_changed = _template(new_obj) != _template(old_obj)
    scaled = False
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        scaled = _replicas_of(new_obj) != _replicas_of(old_obj)
    if kind == "StatefulSet":
        scaled = scaled or _start_ordinal_raw(new_obj) != _start_ordinal_raw(old_obj)

    change: ChangeKind
    if template_changed and scaled:
        change = "rollout+scale"
    elif template_changed:
        change = "rollout"
    elif scaled:
        change = "scale"
    else:
        change = "none"
    return change, changed, _rejection(kind, new_obj, old_obj)


def _start_ordinal_raw(obj: Mapping[str, Any]) -> int:
    return Workload(WORKLOAD_KINDS["StatefulSet"], obj).start_ordinal


# follows ValidateStatefulSetUpdate (pkg/apis/apps/validation/validation.go) and, for the
# selector of a Deployment or DaemonSet, the ValidateUpdate of deploymentStrategy and
# daemonSetStrategy (pkg/registry/apps/*/strategy.go), which make spec.selector immutable in
# apps/v1
def _rejection(kind: object, new: Mapping[str, Any], old: Mapping[str, Any]) -> str | None:
    if kind == "StatefulSet":
        # the API server compares the stored (defaulted) specs
        new_spec = _semantic(apps_v1_defaults("StatefulSet", _spec(new)))
        old_spec = _semantic(apps_v1_defaults("StatefulSet", _spec(old)))
        assert isinstance(new_spec, dict) and isinstance(old_spec, dict)
        for spec in (new_spec, old_spec):
            if spec.get("serviceName") == "":  # the zero value of a string
                del spec["serviceName"]
        offending = sorted(
            key
            for key in set(new_spec) | set(old_spec)
            if key not in _STATEFULSET_MUTABLE and new_spec.get(key) != old_spec.get(key)
        )
        if offending:
            fields = ", ".join(f"spec.{key}" for key in offending)
            return (
                f"{fields} changed: the API server forbids updates to StatefulSet spec fields "
                "other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, "
                "persistentVolumeClaimRetentionPolicy and minReadySeconds; delete and re-create "
                "the StatefulSet (with --cascade=orphan to keep its Pods)"
            )
        return None
    if kind in ("Deployment", "DaemonSet", "ReplicaSet"):
        new_selector = _semantic(_spec(new).get("selector"))
        old_selector = _semantic(_spec(old).get("selector"))
        if new_selector != old_selector:
            return (
                f"spec.selector changed: the selector of a {kind} is immutable in apps/v1; "
                f"delete and re-create the {kind}"
            )
    return None


def _refusal(rejections: Sequence[Rejection]) -> str | None:
    """``rejected`` of a workload the API server refuses as written: its first finding."""
    if not rejections:
        return None
    text = rejections[0].describe()
    more = len(rejections) - 1
    if more:
        text += f" (and {more} more finding{'' if more == 1 else 's'} the API server rejects)"
    return text


def _rejected_note(kind: str, rejections: Sequence[Rejection]) -> str:
    if rejections:
        return (
            f"the API server rejects this {kind or 'object'} as written, so no Pod is "
            "created or changed"
        )
    return "the API server refuses this update, so nothing changes"


def _rejection_fields(rejections: Sequence[Rejection]) -> dict[str, Any]:
    shown = tuple(rejections[:MAX_SHOWN_REJECTIONS])
    return {"rejections": shown, "rejections_omitted": len(rejections) - len(shown)}


# --------------------------------------------------------------------------------------------
# Pod DNS


def _service_key(service: Mapping[str, Any]) -> tuple[str, str] | None:
    if service.get("kind") not in (None, "Service"):
        return None
    metadata = service.get("metadata")
    if not isinstance(metadata, dict):
        return None
    name = metadata.get("name")
    namespace = metadata.get("namespace")
    if not isinstance(name, str):
        return None
    return (namespace if isinstance(namespace, str) and namespace else "default"), name


def _find_service(
    services: Sequence[object], namespace: str, name: str
) -> Mapping[str, Any] | None:
    for service in services:
        if isinstance(service, dict) and _service_key(service) == (namespace, name):
            return service
    return None


def _governing_service(
    services: Sequence[object],
    namespace: str,
    name: str,
    pod_labels: Mapping[str, str],
    cluster_domain: str,
    notes: list[str],
) -> tuple[str | None, bool]:
    """The Service domain of ``name`` and whether the Pods get per-Pod DNS records from it.

    Per-Pod records (``<hostname>.<subdomain>.<ns>.svc.<domain>``) come from the endpoints of a
    headless Service (clusterIP None) named like the subdomain, in the Pods' namespace, whose
    selector matches the Pods (endpointutil.ShouldSetHostname).
    """
    service = _find_service(services, namespace, name)
    if service is None:
        notes.append(
            f"no Service {name!r} in namespace {namespace!r} among the inputs: the Pods get "
            "hostnames but no per-Pod DNS names"
        )
        return None, False
    domain = f"{name}.{namespace}.svc.{cluster_domain}"
    spec = service.get("spec")
    service_spec: Mapping[str, Any] = spec if isinstance(spec, dict) else {}
    if not is_headless(service):
        notes.append(
            f"Service {name!r} is not headless (clusterIP is not None): its name resolves to "
            "the Service, not to single Pods, so the Pods get no per-Pod DNS names"
        )
        return domain, False
    selector = Selector.from_map(service_spec.get("selector"))
    if selector is None:
        notes.append(f"Service {name!r} has an invalid selector: no per-Pod DNS names")
        return domain, False
    if selector.selects_nothing:
        notes.append(
            f"Service {name!r} has no selector, so no endpoints are published for the Pods "
            "and they get no per-Pod DNS names"
        )
        return domain, False
    if not selector.matches(pod_labels):
        notes.append(
            f"the selector of Service {name!r} ({selector}) does not match the Pod labels: "
            "no per-Pod DNS names"
        )
        return domain, False
    return domain, True


def _template_labels(template: Mapping[str, Any]) -> dict[str, str]:
    metadata = template.get("metadata")
    return label_map(metadata.get("labels")) if isinstance(metadata, dict) else {}


# follows endpointutil.ShouldSetHostname (pkg/controller/util/endpoint/controller_utils.go): an
# endpoint of a Service carries the Pod's hostname, which cluster DNS serves as
# <hostname>.<subdomain>.<namespace>.svc.<domain>, only when the Pod's subdomain names that
# Service in the Pod's namespace; the Service must select the Pod and be headless
def pod_dns_names(
    template: object,
    *,
    namespace: str = "default",
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    services: Sequence[object] = (),
) -> DNSNames:
    """DNS names of the Pods of a Deployment or DaemonSet template.

    Their Pod names are generated, so there is one entry for all replicas, and only when the
    template sets ``hostname``: then every replica has that same hostname, and with a
    ``subdomain`` backed by a headless Service they all share one FQDN.
    """
    if not isinstance(template, dict):
        return DNSNames()
    spec = template.get("spec")
    pod_spec: Mapping[str, Any] = spec if isinstance(spec, dict) else {}
    hostname = pod_spec.get("hostname")
    subdomain = pod_spec.get("subdomain")
    hostname = hostname if isinstance(hostname, str) and hostname else None
    subdomain = subdomain if isinstance(subdomain, str) and subdomain else None
    notes: list[str] = []
    if hostname is None and subdomain is None:
        return DNSNames()
    for field_name, value in (("hostname", hostname), ("subdomain", subdomain)):
        if value is not None and is_dns1123_label(value):
            notes.append(
                f"spec.template.spec.{field_name} {value!r} is not a DNS label; the "
                "API server rejects the Pods"
            )
    if hostname is None:
        notes.append(
            f"the template sets subdomain {subdomain!r} without a hostname: each Pod's "
            "hostname is its generated name, so the names cannot be known in advance"
        )
        return DNSNames((), None, tuple(notes))
    fqdn: str | None = None
    domain: str | None = None
    if subdomain is not None:
        domain, records = _governing_service(
            services, namespace, subdomain, _template_labels(template), cluster_domain, notes
        )
        if records:
            fqdn = f"{hostname}.{subdomain}.{namespace}.svc.{cluster_domain}"
    notes.append(
        f"every replica gets the same hostname {hostname!r}"
        + (f" and the same FQDN {fqdn}" if fqdn else "")
        + ": the name does not tell the replicas apart"
    )
    pod = PodDNS(None, None, hostname, subdomain, fqdn, True)
    return DNSNames((pod,), domain, tuple(notes))


def _stored_template(
    template: object, old: Mapping[str, Any] | None, rejected: str | None
) -> object:
    """The Pod template the running Pods keep: the old one when the API server refuses the
    update (it keeps the stored object)."""
    if rejected is not None and old is not None:
        return _spec(old).get("template")
    return template


# --------------------------------------------------------------------------------------------
# Deployment


@dataclass(frozen=True, slots=True)
class ReplicaSetState:
    """A ReplicaSet as the Deployment controller sees it.

    ``available`` is ``status.availableReplicas``; ``desired_replicas``/``max_replicas`` are
    the ``deployment.kubernetes.io/desired-replicas`` and ``max-replicas`` annotations.
    """

    replicas: int
    available: int = 0
    desired_replicas: int | None = None
    max_replicas: int | None = None


@dataclass(slots=True)
class _ReplicaSet:
    """The mutable working copy of a ReplicaSet during a simulation."""

    replicas: int
    available: int = 0
    desired_replicas: int | None = None
    max_replicas: int | None = None


@dataclass(frozen=True, slots=True)
class _DeploymentSpec:
    replicas: int
    rolling: bool
    max_surge: object  # int-or-percent, defaulted
    max_unavailable: object


# follows deploymentutil.MaxSurge (pkg/controller/deployment/util/deployment_util.go)
def deployment_max_surge(
    replicas: int, max_surge: object, max_unavailable: object, *, rolling: bool = True
) -> int:
    """The resolved maxSurge of a Deployment; 0 for Recreate. None values take 25%."""
    if not rolling:
        return 0
    return intstr.resolve_fenceposts(max_surge, max_unavailable, replicas)[0]


# follows deploymentutil.MaxUnavailable
def deployment_max_unavailable(
    replicas: int, max_surge: object, max_unavailable: object, *, rolling: bool = True
) -> int:
    """The resolved maxUnavailable: 0 for Recreate or 0 replicas, never above ``replicas``."""
    if not rolling or replicas == 0:
        return 0
    unavailable = intstr.resolve_fenceposts(max_surge, max_unavailable, replicas)[1]
    return min(unavailable, replicas)


# follows deploymentutil.NewRSNewReplicas
def new_rs_new_replicas(
    replicas: int,
    max_surge: object,
    all_replicas: Iterable[int],
    new_rs_replicas: int,
    *,
    rolling: bool = True,
) -> int:
    """How many replicas the new ReplicaSet should have now.

    ``all_replicas`` are the spec replicas of every ReplicaSet, the new one included.
    Recreate goes straight to ``replicas``.
    """
    if not rolling:
        return replicas
    surge = intstr.scaled_value(
        intstr.DEPLOYMENT_MAX_SURGE_DEFAULT if max_surge is None else max_surge, replicas, True
    )
    current = sum(all_replicas)
    max_total = replicas + surge
    if current >= max_total:
        return new_rs_replicas
    scale_up = min(max_total - current, replicas - new_rs_replicas)
    return new_rs_replicas + scale_up


def _round_half_away(value: float) -> int:
    # Go's math.Round, as integer.RoundToInt32 uses it
    whole = math.trunc(value)
    if abs(value - whole) >= 0.5:
        whole += int(math.copysign(1, value))
    return int(whole)


# follows deploymentutil.getReplicaSetFraction
def _replica_set_fraction(
    rs: _ReplicaSet, replicas: int, max_surge: int, status_replicas: int
) -> int:
    if replicas == 0:
        return -rs.replicas
    deployment_max = replicas + max_surge
    before = rs.max_replicas
    if before is None or before == 0:
        before = status_replicas
        if before == 0:
            return 0
    new_size = float(rs.replicas * deployment_max) / float(before)
    return _round_half_away(new_size) - rs.replicas


# follows deploymentutil.GetProportion
def _proportion(
    rs: _ReplicaSet, replicas: int, max_surge: int, status_replicas: int, to_add: int, added: int
) -> int:
    if rs.replicas == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, replicas, max_surge, status_replicas)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def _set_replicas(rs: _ReplicaSet, size: int, replicas: int, max_surge: int) -> bool:
    """scaleReplicaSet: set the size and the replicas annotations; True when the size changed."""
    changed = rs.replicas != size
    rs.replicas = size
    rs.desired_replicas = replicas
    rs.max_replicas = replicas + max_surge
    return changed


def deployment_scale(
    replicas: int,
    max_surge: int,
    new: ReplicaSetState | None,
    old: Sequence[ReplicaSetState],
    *,
    rolling: bool = True,
) -> tuple[int | None, tuple[int, ...]]:
    """The sizes the controller gives the ReplicaSets after the Deployment's ``replicas``
    changed: ``(new size or None, old sizes)``. ``old`` is oldest first; ``max_surge`` is the
    resolved maxSurge of the new spec."""
    working_new = (
        None
        if new is None
        else _ReplicaSet(new.replicas, new.available, new.desired_replicas, new.max_replicas)
    )
    working_old = [
        _ReplicaSet(rs.replicas, rs.available, rs.desired_replicas, rs.max_replicas) for rs in old
    ]
    _scale_replica_sets(replicas, max_surge, working_new, working_old, rolling=rolling)
    return (
        None if working_new is None else working_new.replicas,
        tuple(rs.replicas for rs in working_old),
    )


# follows DeploymentController.scale (pkg/controller/deployment/sync.go), with
# deploymentutil.FindActiveOrLatest, IsSaturated and the proportional scaling of
# ReplicaSetsBySizeNewer / ReplicaSetsBySizeOlder
def _scale_replica_sets(
    replicas: int,
    max_surge: int,
    new: _ReplicaSet | None,
    old: Sequence[_ReplicaSet],
    *,
    rolling: bool = True,
) -> bool:
    sets: list[_ReplicaSet] = list(old) + ([new] if new is not None else [])
    order = {id(rs): index for index, rs in enumerate(sets)}  # index = creation order
    status_replicas = sum(rs.replicas for rs in sets)
    active = [rs for rs in sets if rs.replicas > 0]
    # FindActiveOrLatest
    chosen: _ReplicaSet | None = None
    if sets:
        if len(active) == 1:
            chosen = active[0]
        elif not active:
            chosen = new if new is not None else sets[len(old) - 1]
    if chosen is not None:
        if chosen.replicas == replicas:
            return False
        return _set_replicas(chosen, replicas, replicas, max_surge)
    # IsSaturated: the new ReplicaSet alone carries the whole Deployment
    if (
        new is not None
        and new.replicas == replicas
        and new.desired_replicas == replicas
        and new.available == replicas
    ):
        changed = False
        for rs in old:
            if rs.replicas > 0:
                changed = _set_replicas(rs, 0, replicas, max_surge) or changed
        return changed
    if not rolling:
        return False
    allowed = replicas + max_surge if replicas > 0 else 0
    to_add = allowed - sum(rs.replicas for rs in active)
    if to_add > 0:
        active.sort(key=lambda rs: (-rs.replicas, -order[id(rs)]))
    elif to_add < 0:
        active.sort(key=lambda rs: (-rs.replicas, order[id(rs)]))
    sizes: list[int] = []
    added = 0
    for rs in active:
        if to_add != 0:
            proportion = _proportion(rs, replicas, max_surge, status_replicas, to_add, added)
            sizes.append(rs.replicas + proportion)
            added += proportion
        else:
            sizes.append(rs.replicas)
    changed = False
    for index, rs in enumerate(active):
        size = sizes[index]
        if index == 0 and to_add != 0:
            size = max(size + to_add - added, 0)
        changed = _set_replicas(rs, size, replicas, max_surge) or changed
    return changed


class _DeploymentSimulation:
    """The Deployment controller's syncs over ReplicaSet counts (deployment_controller.go)."""

    def __init__(
        self, spec: _DeploymentSpec, paused: bool, old: list[_ReplicaSet], new: _ReplicaSet | None
    ) -> None:
        self.spec = spec
        self.paused = paused
        self.old = old
        self.new = new
        self.surge = deployment_max_surge(
            spec.replicas, spec.max_surge, spec.max_unavailable, rolling=spec.rolling
        )
        self.unavailable = deployment_max_unavailable(
            spec.replicas, spec.max_surge, spec.max_unavailable, rolling=spec.rolling
        )

    def sets(self) -> list[_ReplicaSet]:
        return self.old + ([self.new] if self.new is not None else [])

    def _scale(self, rs: _ReplicaSet, size: int) -> bool:
        # scaleReplicaSetAndRecordEvent: nothing to do when the size is already right
        if rs.replicas == size:
            return False
        return _set_replicas(rs, size, self.spec.replicas, self.surge)

    # follows DeploymentController.isScalingEvent
    def _is_scaling_event(self) -> bool:
        return any(
            rs.replicas > 0
            and rs.desired_replicas is not None
            and rs.desired_replicas != self.spec.replicas
            for rs in self.sets()
        )

    # follows DeploymentController.syncDeployment: paused or scaling → sync, else the strategy
    def sync(self) -> None:
        for rs in self.sets():
            rs.available = rs.replicas  # created last step: available now; deleted: gone
        if self.paused or self._is_scaling_event():
            _scale_replica_sets(
                self.spec.replicas, self.surge, self.new, self.old, rolling=self.spec.rolling
            )
            return
        if self.spec.rolling:
            self._rollout_rolling()
        else:
            self._rollout_recreate()

    # follows DeploymentController.getNewReplicaSet: a new ReplicaSet starts at NewRSNewReplicas
    def _create_new(self) -> _ReplicaSet:
        new = _ReplicaSet(0, 0)
        new.replicas = new_rs_new_replicas(
            self.spec.replicas,
            self.spec.max_surge,
            [rs.replicas for rs in self.old],
            0,
            rolling=self.spec.rolling,
        )
        new.desired_replicas = self.spec.replicas
        new.max_replicas = self.spec.replicas + self.surge
        self.new = new
        return new

    # follows DeploymentController.rolloutRolling
    def _rollout_rolling(self) -> None:
        new = self.new if self.new is not None else self._create_new()
        if self._reconcile_new_replica_set(new):
            return
        self._reconcile_old_replica_sets(new)

    # follows DeploymentController.reconcileNewReplicaSet
    def _reconcile_new_replica_set(self, new: _ReplicaSet) -> bool:
        replicas = self.spec.replicas
        if new.replicas == replicas:
            return False
        if new.replicas > replicas:
            return self._scale(new, replicas)
        count = new_rs_new_replicas(
            replicas, self.spec.max_surge, [rs.replicas for rs in self.sets()], new.replicas
        )
        return self._scale(new, count)

    # follows DeploymentController.reconcileOldReplicaSets
    def _reconcile_old_replica_sets(self, new: _ReplicaSet) -> bool:
        active_old = [rs for rs in self.old if rs.replicas > 0]
        if sum(rs.replicas for rs in active_old) == 0:
            return False
        all_pods = sum(rs.replicas for rs in self.sets())
        min_available = self.spec.replicas - self.unavailable
        new_unavailable = new.replicas - new.available
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        cleaned = self._cleanup_unhealthy_replicas(active_old, max_scaled_down)
        scaled = self._scale_down_old_replica_sets_for_rolling_update(
            [*active_old, new], active_old
        )
        return cleaned + scaled > 0

    # follows DeploymentController.cleanupUnhealthyReplicas (old sets oldest first)
    def _cleanup_unhealthy_replicas(self, old: list[_ReplicaSet], limit: int) -> int:
        total = 0
        for rs in old:
            if total >= limit:
                break
            if rs.replicas == 0 or rs.replicas == rs.available:
                continue
            count = min(limit - total, rs.replicas - rs.available)
            self._scale(rs, rs.replicas - count)
            total += count
        return total

    # follows DeploymentController.scaleDownOldReplicaSetsForRollingUpdate
    def _scale_down_old_replica_sets_for_rolling_update(
        self, all_sets: list[_ReplicaSet], old: list[_ReplicaSet]
    ) -> int:
        min_available = self.spec.replicas - self.unavailable
        available = sum(rs.available for rs in all_sets)
        if available <= min_available:
            return 0
        wanted = available - min_available
        total = 0
        for rs in old:
            if total >= wanted:
                break
            if rs.replicas == 0:
                continue
            count = min(rs.replicas, wanted - total)
            self._scale(rs, rs.replicas - count)
            total += count
        return total

    # follows DeploymentController.rolloutRecreate with scaleDownOldReplicaSetsForRecreate and
    # scaleUpNewReplicaSetForRecreate; the old Pods are gone at once in this model, so
    # oldPodsRunning never holds the new ReplicaSet back
    def _rollout_recreate(self) -> None:
        scaled_down = False
        for rs in self.old:
            if rs.replicas > 0:
                scaled_down = self._scale(rs, 0) or scaled_down
        if scaled_down:
            return
        new = self.new if self.new is not None else self._create_new()
        self._scale(new, self.spec.replicas)

    def state(self) -> tuple[object, ...]:
        sets = tuple((rs.replicas, rs.desired_replicas, rs.max_replicas) for rs in self.sets())
        return (*sets, self.new is None)


def _run(
    sync: Callable[[], None],
    state: Callable[[], object],
    counts: Callable[[], object],
    record: Callable[[], None],
    notes: list[str],
    visits: int = 1,
) -> None:
    """Sync until a sync changes nothing; record a step whenever the Pod counts changed.

    ``visits``: how many Pods or nodes one sync visits; the syncs stop early rather than
    visit more than MAX_SIMULATED_VISITS in all.
    """
    previous_state = state()
    previous_counts = counts()
    allowed = min(MAX_STEPS, max(MAX_SIMULATED_VISITS // max(visits, 1), 1))
    for _ in range(allowed):
        sync()
        current_state = state()
        if current_state == previous_state:
            return
        current_counts = counts()
        if current_counts != previous_counts:
            record()
            previous_counts = current_counts
        previous_state = current_state
    if allowed < MAX_STEPS:
        notes.append(
            f"the plan stops after {allowed} controller syncs: each visits {visits} "
            f"Pods or nodes, and kpolicy simulates {MAX_SIMULATED_VISITS:,} visits at "
            "most"
        )
    else:
        notes.append(f"the plan stops after {MAX_STEPS} controller syncs")


def _deployment_parts(fields: _Fields) -> tuple[_DeploymentSpec, bool]:
    """The spec the controller sees: wrong or invalid values dropped (each with a note), then
    the apps/v1 defaults filled in (SetDefaults_Deployment)."""
    spec = dict(fields.mapping("spec"))
    spec["replicas"] = fields.integer("spec", "replicas", default_text="1 replica")
    strategy = dict(fields.mapping("spec", "strategy"))
    strategy_type = fields.string("spec", "strategy", "type")
    if strategy_type not in (None, "", ROLLING_UPDATE, RECREATE):
        fields.note(
            ("spec", "strategy", "type"),
            f"spec.strategy.type {strategy_type!r} is not RollingUpdate or Recreate, "
            "which the API server rejects; planned as RollingUpdate",
        )
        strategy_type = None
    strategy["type"] = strategy_type
    if strategy_type == RECREATE:
        if fields.raw("spec", "strategy", "rollingUpdate") is not None:
            fields.note(
                ("spec", "strategy", "rollingUpdate"),
                "spec.strategy.rollingUpdate is set with type Recreate, which the API "
                "server rejects; it is ignored",
            )
        strategy.pop("rollingUpdate", None)
    else:
        rolling_update = dict(fields.mapping("spec", "strategy", "rollingUpdate"))
        for name in ("maxSurge", "maxUnavailable"):
            rolling_update[name] = fields.int_or_percent(
                "spec", "strategy", "rollingUpdate", name, default_text="25%"
            )
        strategy["rollingUpdate"] = rolling_update
    spec["strategy"] = strategy
    spec["minReadySeconds"] = fields.integer("spec", "minReadySeconds")
    defaulted = apps_v1_defaults("Deployment", spec)

    rolling = defaulted["strategy"]["type"] != RECREATE
    replicas: int = defaulted["replicas"]
    max_surge: object = None
    max_unavailable: object = None
    if rolling:
        max_surge = defaulted["strategy"]["rollingUpdate"]["maxSurge"]
        max_unavailable = defaulted["strategy"]["rollingUpdate"]["maxUnavailable"]
        # ValidateRollingUpdateDeployment
        if _is_zero(max_surge) and _is_zero(max_unavailable):
            fields.note(
                ("spec", "strategy", "rollingUpdate"),
                "maxSurge and maxUnavailable are both 0, which the API server rejects; "
                "the controller would let 1 Pod be unavailable",
            )
        for error in intstr.is_not_more_than_100_percent(max_unavailable):
            fields.note(
                ("spec", "strategy", "rollingUpdate", "maxUnavailable"),
                f"spec.strategy.rollingUpdate.maxUnavailable: {error}",
            )
    paused = fields.raw("spec", "paused") is True
    return _DeploymentSpec(replicas, rolling, max_surge, max_unavailable), paused


def _is_zero(value: object) -> bool:
    return value == 0 or intstr.percent_value(value) == 0


def _closing_notes(
    fields: Any,
    changed_fields: Sequence[str],
    template: Any,
    old_obj: Mapping[str, Any] | None,
    rejected: str | None,
    obj: Mapping[str, Any],
    cluster_domain: str,
    services: Any,
    notes: list[str],
) -> DNSNames:
    """The notes every Deployment and DaemonSet plan ends with, and the Pods' DNS names
    (those of the stored template: the old one when the API server refuses the update)."""
    min_ready = fields.integer("spec", "minReadySeconds")
    if min_ready:
        notes.append(
            f"minReadySeconds {min_ready}: each step also waits that long for new Pods "
            "to count as available"
        )
    if changed_fields:
        notes.append("changed: " + ", ".join(changed_fields))
    dns = pod_dns_names(
        _stored_template(template, old_obj, rejected),
        namespace=_namespace(obj),
        cluster_domain=cluster_domain,
        services=services,
    )
    notes.extend(dns.notes)
    return dns


def deployment_plan(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    *,
    diff: bool = False,
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    services: Sequence[object] = (),
    rejections: Sequence[Rejection] = (),
) -> WorkloadPlan:
    """The rollout plan of a Deployment.

    Without ``old`` (and without ``diff``) the plan is a Pod template update from one fully
    available old ReplicaSet of ``replicas`` Pods. With ``old`` the change between the two
    manifests is planned; ``diff=True`` with ``old=None`` plans the creation of the object.
    ``rejections``: the findings by which the API server refuses ``new`` as written; the plan
    then has no steps.
    """
    notes: list[str] = []
    obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    fields = _Fields(new, notes)
    spec, paused = _deployment_parts(fields)
    template = fields.optional_mapping("spec", "template")

    change: ChangeKind
    changed_fields: list[str] = []
    rejected: str | None = None
    old_obj: Mapping[str, Any] | None = old if isinstance(old, dict) else None
    if old_obj is not None:
        change, changed_fields, rejected = classify_change(obj, old_obj)
    elif diff:
        change = "create"
    else:
        change = "rollout"
        if not rejections:
            notes.append(
                "no previous version given: planned as a Pod template update from a fully "
                f"available old ReplicaSet of {_pods(spec.replicas)}"
            )
    rejected = _refusal(rejections) or rejected

    surge = deployment_max_surge(
        spec.replicas, spec.max_surge, spec.max_unavailable, rolling=spec.rolling
    )
    unavailable = deployment_max_unavailable(
        spec.replicas, spec.max_surge, spec.max_unavailable, rolling=spec.rolling
    )
    if spec.rolling:
        strategy = Strategy(ROLLING_UPDATE, surge, unavailable)
        bounds = Bounds(spec.replicas + surge, spec.replicas - unavailable)
    else:
        strategy = Strategy(RECREATE)
        bounds = Bounds(spec.replicas, 0)
        if spec.replicas > 0:
            notes.append(
                "Recreate deletes every old Pod before it creates a new one: "
                "nothing is available in between"
            )

    # the starting ReplicaSets, oldest first
    old_sets: list[_ReplicaSet] = []
    new_set: _ReplicaSet | None = None
    if old_obj is not None:
        old_spec, _ = _deployment_parts(_Fields(old_obj, []))
        old_surge = deployment_max_surge(
            old_spec.replicas,
            old_spec.max_surge,
            old_spec.max_unavailable,
            rolling=old_spec.rolling,
        )
        current = _ReplicaSet(
            old_spec.replicas, old_spec.replicas, old_spec.replicas, old_spec.replicas + old_surge
        )
        if change in ("rollout", "rollout+scale"):
            old_sets.append(current)
        else:
            new_set = current
    elif not diff:
        old_sets.append(
            _ReplicaSet(spec.replicas, spec.replicas, spec.replicas, spec.replicas + surge)
        )

    steps = _StepLog()
    if rejected is not None:
        notes.append(_rejected_note("Deployment", rejections))
    else:
        if paused:
            notes.append(
                "the Deployment is paused: the controller only scales existing "
                "ReplicaSets, and the rollout starts when it is resumed"
            )
        simulation = _DeploymentSimulation(spec, paused, old_sets, new_set)
        starts: list[int] = []

        def sync() -> None:
            starts[:] = [rs.replicas for rs in simulation.sets()]
            simulation.sync()

        def counts() -> tuple[int, tuple[int, ...]]:
            new_count = simulation.new.replicas if simulation.new is not None else 0
            return new_count, tuple(rs.replicas for rs in simulation.old)

        def record() -> None:
            # a ReplicaSet removes unavailable Pods first; Pods it created this step are not
            # available yet
            available = sum(
                min(before, rs.replicas)
                for before, rs in zip(starts, simulation.sets(), strict=False)
            )
            new_count, old_counts = counts()
            steps.append(ReplicaSetStep(new_count, old_counts, available))

        _run(sync, simulation.state, counts, record, notes)
    dns = _closing_notes(
        fields, changed_fields, template, old_obj, rejected, obj, cluster_domain, services, notes
    )
    return WorkloadPlan(
        object=_object_ref(obj),
        change=change,
        replicas=spec.replicas,
        strategy=strategy,
        bounds=bounds,
        **steps.fields(),
        pods=dns.pods,
        service_domain=dns.service_domain,
        rejected=rejected,
        **_rejection_fields(rejections),
        notes=tuple(notes),
        changed_fields=tuple(changed_fields),
    )


# --------------------------------------------------------------------------------------------
# StatefulSet

_CURRENT: Final = "current"
_UPDATE: Final = "update"


@dataclass(frozen=True, slots=True)
class _StatefulSetSpec:
    name: str
    replicas: int
    start: int
    strategy_type: str  # RollingUpdate or OnDelete
    partition: int
    policy: str  # OrderedReady or Parallel
    max_unavailable_gate: bool
    max_unavailable: int  # resolved (1 when the gate is off)
    template_changed: bool


class _StatefulSetSimulation:
    """The StatefulSet controller's syncs over Pods by ordinal (stateful_set_control.go)."""

    def __init__(self, spec: _StatefulSetSpec, pods: dict[int, str]) -> None:
        self.spec = spec
        self.pods = pods
        self.created: list[int] = []
        self.deleted: list[int] = []
        self.update_order: list[int] = []
        self.available: set[int] = set()

    def _revision_for_new_pod(self, ordinal: int) -> str:
        # follows newVersionedStatefulSetPod (stateful_set_utils.go): below start + partition a
        # recreated Pod keeps the current revision
        spec = self.spec
        if not spec.template_changed:
            return _UPDATE
        if spec.strategy_type == ROLLING_UPDATE and ordinal < spec.start + spec.partition:
            return _CURRENT
        return _UPDATE

    def _create(self, ordinal: int) -> None:
        self.pods[ordinal] = self._revision_for_new_pod(ordinal)
        self.created.append(ordinal)

    def _delete(self, ordinal: int, *, for_update: bool = False) -> None:
        del self.pods[ordinal]
        self.deleted.append(ordinal)
        if for_update:
            self.update_order.append(ordinal)

    def _healthy(self, ordinal: int) -> bool:
        return ordinal in self.pods and ordinal in self.available

    # follows defaultStatefulSetControl.updateStatefulSet with processReplica, processCondemned
    # and runForAll (monotonic for OrderedReady, burst for Parallel)
    def sync(self) -> None:
        spec = self.spec
        self.created = []
        self.deleted = []
        self.available = set(self.pods)
        ordinals = range(spec.start, spec.start + spec.replicas)
        condemned = sorted((o for o in self.pods if o not in ordinals), reverse=True)
        monotonic = spec.policy != PARALLEL
        for ordinal in ordinals:
            if ordinal not in self.pods:
                self._create(ordinal)
                if monotonic:
                    return
            if monotonic and not self._healthy(ordinal):
                return
        for ordinal in condemned:
            self._delete(ordinal)
            if monotonic:
                return
        if spec.strategy_type == ON_DELETE:
            return
        if spec.max_unavailable_gate:
            self._update_after_invariant_established()
        else:
            self._rolling_update_one_at_a_time()

    # follows the end of updateStatefulSet when MaxUnavailableStatefulSet is off: from the
    # highest index down to the partition (an index counts from ordinals.start), delete the first
    # Pod not at the update revision, or wait for an unhealthy one
    def _rolling_update_one_at_a_time(self) -> None:
        spec = self.spec
        for index in range(spec.replicas - 1, spec.partition - 1, -1):
            ordinal = spec.start + index
            if self.pods.get(ordinal) != _UPDATE:
                self._delete(ordinal, for_update=True)
                return
            if not self._healthy(ordinal):
                return

    # follows updateStatefulSetAfterInvariantEstablished: with maxUnavailable budget, delete
    # Pods not at the update revision from the highest index down to the partition
    def _update_after_invariant_established(self) -> None:
        spec = self.spec
        indexes = range(spec.replicas)
        unavailable = sum(1 for index in indexes if not self._healthy(spec.start + index))
        if unavailable >= spec.max_unavailable:
            return
        budget = spec.max_unavailable - unavailable
        for index in range(spec.replicas - 1, spec.partition - 1, -1):
            if budget <= 0:
                break
            ordinal = spec.start + index
            if ordinal in self.pods and self.pods[ordinal] != _UPDATE:
                self._delete(ordinal, for_update=True)
                budget -= 1

    def state(self) -> tuple[tuple[int, str], ...]:
        return tuple(sorted(self.pods.items()))


def _statefulset_parts(
    fields: _Fields, max_unavailable_gate: bool
) -> tuple[int, int, str, int | None, str, object]:
    """replicas, start ordinal, update strategy type, partition, pod management policy and the
    unresolved maxUnavailable: wrong or invalid values dropped (each with a note), then the
    apps/v1 defaults filled in (SetDefaults_StatefulSet)."""
    spec = dict(fields.mapping("spec"))
    spec["replicas"] = fields.integer("spec", "replicas", default_text="1 replica")
    policy = fields.string("spec", "podManagementPolicy")
    if policy not in (None, "", ORDERED_READY, PARALLEL):
        fields.note(
            ("spec", "podManagementPolicy"),
            f"spec.podManagementPolicy {policy!r} is not OrderedReady or Parallel, which "
            "the API server rejects; planned as OrderedReady",
        )
        policy = None
    spec["podManagementPolicy"] = policy
    strategy = dict(fields.mapping("spec", "updateStrategy"))
    strategy_type = fields.string("spec", "updateStrategy", "type")
    if strategy_type not in (None, "", ROLLING_UPDATE, ON_DELETE):
        fields.note(
            ("spec", "updateStrategy", "type"),
            f"spec.updateStrategy.type {strategy_type!r} is not RollingUpdate or "
            "OnDelete, which the API server rejects; planned as RollingUpdate",
        )
        strategy_type = None
    strategy["type"] = strategy_type
    raw_rolling_update = fields.optional_mapping("spec", "updateStrategy", "rollingUpdate")
    if raw_rolling_update is None:
        strategy.pop("rollingUpdate", None)
    elif strategy_type == ON_DELETE:
        fields.note(
            ("spec", "updateStrategy", "rollingUpdate"),
            "spec.updateStrategy.rollingUpdate is set with type OnDelete, which the API "
            "server rejects; it is ignored",
        )
        strategy.pop("rollingUpdate", None)
    else:
        rolling_update = dict(raw_rolling_update)
        rolling_update["partition"] = fields.integer(
            "spec", "updateStrategy", "rollingUpdate", "partition", default_text="0"
        )
        max_unavailable = fields.int_or_percent(
            "spec", "updateStrategy", "rollingUpdate", "maxUnavailable", default_text="1"
        )
        if max_unavailable is not None and _is_zero(max_unavailable):
            fields.note(
                ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
                "spec.updateStrategy.rollingUpdate.maxUnavailable is 0, which the API "
                "server rejects; planned as 1",
            )
            max_unavailable = None
        rolling_update["maxUnavailable"] = max_unavailable
        strategy["rollingUpdate"] = rolling_update
    spec["updateStrategy"] = strategy
    spec["minReadySeconds"] = fields.integer("spec", "minReadySeconds")
    defaulted = apps_v1_defaults(
        "StatefulSet", spec, max_unavailable_statefulset=max_unavailable_gate
    )

    start = fields.integer("spec", "ordinals", "start", default_text="0")
    strategy_type = defaulted["updateStrategy"]["type"]
    partition: int | None = None
    raw_max_unavailable: object = None
    if strategy_type == ROLLING_UPDATE:
        # without a rollingUpdate block the controller updates from partition 0
        rolling = defaulted["updateStrategy"].get("rollingUpdate") or {}
        partition = rolling.get("partition", 0)
        raw_max_unavailable = rolling.get("maxUnavailable")
    return (
        defaulted["replicas"],
        start or 0,
        strategy_type,
        partition,
        defaulted["podManagementPolicy"],
        raw_max_unavailable,
    )


def statefulset_plan(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    *,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    feature_gates: Mapping[str, bool] | None = None,
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    services: Sequence[object] = (),
    diff: bool = False,
    rejections: Sequence[Rejection] = (),
) -> WorkloadPlan:
    """The creation, scaling and update order of a StatefulSet, and its Pods' DNS names.

    Without ``old`` (and without ``diff``) the plan is a Pod template update from ``replicas``
    available Pods at the current revision. ``services`` are the Service objects to look the
    governing Service up in (same namespace, named like ``spec.serviceName``).
    """
    notes: list[str] = []
    obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    fields = _Fields(new, notes)
    if _parse_version(kubernetes_version) is None:
        notes.append(
            f"Kubernetes version {kubernetes_version!r} is not X.Y; planned for "
            f"{DEFAULT_KUBERNETES_VERSION}"
        )
        kubernetes_version = DEFAULT_KUBERNETES_VERSION
    name = _name(obj)
    namespace = _namespace(obj)

    change: ChangeKind
    changed_fields: list[str] = []
    rejected: str | None = None
    old_obj: Mapping[str, Any] | None = old if isinstance(old, dict) else None
    gate = feature_gate_enabled("MaxUnavailableStatefulSet", kubernetes_version, feature_gates)
    replicas, start, strategy_type, partition, policy, raw_max_unavailable = _statefulset_parts(
        fields, gate
    )
    if old_obj is not None:
        change, changed_fields, rejected = classify_change(obj, old_obj)
    elif diff:
        change = "create"
    else:
        change = "rollout"
        if not rejections:
            notes.append(
                "no previous version given: planned as a Pod template update from "
                f"{_pods(replicas)} at the current revision, all available"
            )
    rejected = _refusal(rejections) or rejected
    if start and not feature_gate_enabled(
        "StatefulSetStartOrdinal", kubernetes_version, feature_gates
    ):
        notes.append(
            f"spec.ordinals.start {start} is ignored: "
            + _gate_note("StatefulSetStartOrdinal", kubernetes_version, feature_gates, False)
        )
        start = 0
    template_changed = change in ("rollout", "rollout+scale")

    # follows getStatefulSetMaxUnavailable, honoured only behind MaxUnavailableStatefulSet
    max_unavailable: int | None = None
    if strategy_type == ROLLING_UPDATE:
        try:
            resolved = intstr.statefulset_max_unavailable(raw_max_unavailable, replicas)
        except ValueError:
            resolved = 1
        max_unavailable = resolved if gate else 1
        gate_note = _gate_note("MaxUnavailableStatefulSet", kubernetes_version, feature_gates, gate)
        if not gate and resolved != 1:
            notes.append(
                f"maxUnavailable {raw_max_unavailable!r} is ignored and Pods are "
                f"replaced one at a time: {gate_note}"
            )
        elif template_changed:
            notes.append(gate_note)

    # the starting Pods: ordinal -> revision
    pods: dict[int, str] = {}
    if old_obj is not None:
        old_replicas, old_start, *_ = _statefulset_parts(_Fields(old_obj, []), gate)
        if not feature_gate_enabled("StatefulSetStartOrdinal", kubernetes_version, feature_gates):
            old_start = 0
        revision = _CURRENT if template_changed else _UPDATE
        if old_replicas <= MAX_SIMULATED_PODS:
            pods = {ordinal: revision for ordinal in range(old_start, old_start + old_replicas)}
    elif not diff and replicas <= MAX_SIMULATED_PODS:
        pods = {ordinal: _CURRENT for ordinal in range(start, start + replicas)}

    def pod_name(ordinal: int) -> str:
        return f"{name}-{ordinal}"

    spec = _StatefulSetSpec(
        name=name,
        replicas=replicas,
        start=start,
        strategy_type=strategy_type,
        partition=partition or 0,
        policy=policy,
        max_unavailable_gate=gate,
        max_unavailable=max_unavailable or 1,
        template_changed=template_changed,
    )
    simulation = _StatefulSetSimulation(spec, pods)
    steps = _StepLog()
    if rejected is not None:
        notes.append(_rejected_note("StatefulSet", rejections))
    elif replicas > MAX_SIMULATED_PODS or len(pods) > MAX_SIMULATED_PODS:
        notes.append(f"more than {MAX_SIMULATED_PODS} Pods: no step-by-step plan")
    else:

        def record() -> None:
            create, create_omitted = _shown_names(
                (pod_name(o) for o in simulation.created), len(simulation.created)
            )
            delete, delete_omitted = _shown_names(
                (pod_name(o) for o in simulation.deleted), len(simulation.deleted)
            )
            steps.append(
                StatefulSetStep(
                    create=create,
                    delete=delete,
                    new=sum(1 for rev in simulation.pods.values() if rev == _UPDATE),
                    old=sum(1 for rev in simulation.pods.values() if rev == _CURRENT),
                    available=sum(1 for o in simulation.pods if o in simulation.available),
                    create_omitted=create_omitted,
                    delete_omitted=delete_omitted,
                )
            )

        _run(
            simulation.sync,
            simulation.state,
            simulation.state,
            record,
            notes,
            visits=max(len(pods), replicas),
        )

    if strategy_type == ON_DELETE:
        strategy = Strategy(ON_DELETE, None, None, None, policy)
        bounds = Bounds(replicas, replicas)
        if template_changed:
            notes.append(
                "OnDelete: the controller replaces no Pod by itself; each Pod gets the "
                "new template when you delete it"
            )
    else:
        strategy = Strategy(ROLLING_UPDATE, None, max_unavailable, partition, policy)
        bounds = Bounds(replicas, max(replicas - (max_unavailable or 1), 0))
        if template_changed and partition is not None and partition >= replicas > 0:
            notes.append(
                f"partition {partition} is not below replicas {replicas}: no Pod is updated"
            )
        elif template_changed and partition:
            held = [pod_name(o) for o in range(start, start + min(partition, replicas, 20))]
            listed = ", ".join(held) + (", ..." if partition > len(held) else "")
            notes.append(
                f"partition {partition} holds back {listed}"
                + (f" (the partition counts from ordinals.start {start})" if start else "")
            )
    min_ready = fields.integer("spec", "minReadySeconds")
    if min_ready:
        notes.append(
            f"minReadySeconds {min_ready}: each step also waits that long for new Pods "
            "to count as available"
        )
    if changed_fields:
        notes.append("changed: " + ", ".join(changed_fields))

    # follows initIdentity (stateful_set_utils.go): hostname = Pod name, subdomain =
    # spec.serviceName
    dns_fields = fields
    if rejected is not None and old_obj is not None:
        # the API server keeps the stored object, so the Pods keep its identity
        dns_fields = _Fields(old_obj, [])
        notes.append("the DNS names are those of the previous version, which stays in place")
    service_name = dns_fields.string("spec", "serviceName")
    template = dns_fields.optional_mapping("spec", "template")
    domain: str | None = None
    records = False
    if service_name:
        domain, records = _governing_service(
            services,
            namespace,
            service_name,
            _template_labels(template or {}),
            cluster_domain,
            notes,
        )
    else:
        notes.append(
            "spec.serviceName is not set: the Pods get hostnames but no subdomain and "
            "no per-Pod DNS names"
        )
    dns_pods: list[PodDNS] = []
    too_long: list[str] = []
    ordinals = sorted(simulation.pods)
    # the first and the last two Pods, as the formats show them
    head = MAX_SHOWN_NAMES - 2
    shown = ordinals if len(ordinals) <= MAX_SHOWN_NAMES else [*ordinals[:head], *ordinals[-2:]]
    for ordinal in shown:
        hostname = pod_name(ordinal)
        fqdn: str | None = None
        if len(hostname) > _DNS_LABEL_MAX:
            too_long.append(hostname)
        elif records and service_name:
            fqdn = f"{hostname}.{service_name}.{namespace}.svc.{cluster_domain}"
        dns_pods.append(
            PodDNS(
                hostname,
                ordinal,
                hostname,
                service_name or None,
                fqdn,
                simulation.pods[ordinal] == _UPDATE,
            )
        )
    if too_long:
        notes.append(
            f"Pod name {too_long[0]!r} is longer than 63 characters: it is not a valid "
            "hostname, so the API server rejects such Pods"
        )
    update_order, update_order_omitted = _shown_names(
        (pod_name(o) for o in simulation.update_order), len(simulation.update_order)
    )
    return WorkloadPlan(
        object=_object_ref(obj),
        change=change,
        replicas=replicas,
        strategy=strategy,
        bounds=bounds,
        **steps.fields(),
        update_order=update_order,
        update_order_omitted=update_order_omitted,
        pods=tuple(dns_pods),
        pods_omitted=len(ordinals) - len(shown),
        pods_omitted_after=head if len(ordinals) > len(shown) else 0,
        service_domain=domain,
        rejected=rejected,
        **_rejection_fields(rejections),
        notes=tuple(notes),
        changed_fields=tuple(changed_fields),
    )


# --------------------------------------------------------------------------------------------
# DaemonSet


@dataclass(slots=True)
class _NodePods:
    old: bool = False
    new: bool = False


class _DaemonSetSimulation:
    """The DaemonSet controller's syncs over nodes (daemon_controller.go, update.go)."""

    def __init__(
        self,
        should_run: list[bool],
        should_continue: list[bool],
        pods: list[_NodePods],
        rolling: bool,
        max_surge: int,
        max_unavailable: int,
        port_blocked: bool = False,
    ) -> None:
        self.should_run = should_run
        # the new Pod asks for a host port the old one holds: while both are on a node, the
        # scheduler's NodePorts filter leaves the new one Pending, never available
        self.port_blocked = port_blocked
        self.should_continue = should_continue
        self.pods = pods
        self.rolling = rolling
        self.surge = max_surge
        self.unavailable = max_unavailable
        self.available_old: set[int] = set()
        self.available_new: set[int] = set()

    # follows DaemonSetsController.updateDaemonSet: manage, then rollingUpdate (the controller
    # observes its own writes at once, as in its unit tests, so its expectations are met in the
    # same sync)
    def sync(self) -> None:
        self.available_old = {i for i, p in enumerate(self.pods) if p.old}
        self.available_new = {
            i for i, p in enumerate(self.pods) if p.new and not (self.port_blocked and p.old)
        }
        self._manage()
        if self.rolling:
            self._rolling_update()

    # follows DaemonSetsController.manage and podsShouldBeOnNode
    def _manage(self) -> None:
        surge = self.surge > 0
        for index, node in enumerate(self.pods):
            exists = node.old or node.new
            if self.should_run[index] and not exists:
                node.new = True
            elif self.should_continue[index]:
                if node.old and node.new:
                    if not surge:
                        # more than one Pod without surge: all but the oldest (the old one) go
                        node.new = False
                    elif index in self.available_new:
                        node.old = False
            elif exists:
                node.old = False
                node.new = False

    # follows DaemonSetsController.rollingUpdate
    def _rolling_update(self) -> None:
        nodes = [i for i, p in enumerate(self.pods) if p.old or p.new or self.should_run[i]]
        if self.surge == 0:
            self._rolling_update_unavailable(nodes)
        else:
            self._rolling_update_surge(nodes)

    def _rolling_update_unavailable(self, nodes: list[int]) -> None:
        unavailable = 0
        replacements: list[int] = []
        candidates: list[int] = []
        for index in nodes:
            node = self.pods[index]
            if node.old == node.new:
                unavailable += 1
            elif node.new:
                if index not in self.available_new:
                    unavailable += 1
            elif index not in self.available_old:
                replacements.append(index)
                unavailable += 1
            elif unavailable < self.unavailable:
                candidates.append(index)
        remaining = min(max(self.unavailable - unavailable, 0), len(candidates))
        for index in replacements + candidates[:remaining]:
            self.pods[index].old = False

    def _rolling_update_surge(self, nodes: list[int]) -> None:
        surged = 0
        available = 0
        allowed: list[int] = []
        candidates: list[int] = []
        to_delete: list[int] = []
        not_run_to_delete: list[int] = []
        for index in nodes:
            node = self.pods[index]
            if node.old:
                available += int(index in self.available_old)
            elif node.new:
                available += int(index in self.available_new)
            if not node.old:
                continue
            if not node.new:
                if index not in self.available_old:
                    if self.should_run[index]:
                        allowed.append(index)
                    else:
                        to_delete.append(index)
                elif not self.should_run[index]:
                    not_run_to_delete.append(index)
                elif surged < self.surge:
                    candidates.append(index)
            elif index not in self.available_new:
                surged += 1
            else:
                to_delete.append(index)
        # with surge a node that no longer fits gives up its Pod only while enough others are
        # available
        deletable = min(max(available - sum(self.should_run), 0), len(not_run_to_delete))
        to_delete += not_run_to_delete[:deletable]
        remaining = min(max(self.surge - surged, 0), len(candidates))
        for index in to_delete:
            self.pods[index].old = False
        for index in allowed + candidates[:remaining]:
            self.pods[index].new = True

    def state(self) -> tuple[tuple[bool, bool], ...]:
        return tuple((p.old, p.new) for p in self.pods)


# follows DaemonSetsController.rollingUpdate (pkg/controller/daemon/update.go), surge branch: a
# node whose old Pod is available gets a new Pod while fewer than maxSurge new Pods are not yet
# available, and the old Pod is deleted only once the new one on its node is available. A new
# Pod that asks for a host port the old Pod holds stays Pending (the scheduler's NodePorts
# filter), so it never becomes available, counts against maxSurge for good, and the update
# goes no further.
def _port_stall_reason(blocking: Sequence[HostPort], waiting: int, surge: int) -> str:
    ports = ", ".join(port.describe() for port in blocking[:MAX_SHOWN_REJECTIONS])
    if len(blocking) > MAX_SHOWN_REJECTIONS:
        ports += f" and {len(blocking) - MAX_SHOWN_REJECTIONS} more"
    noun = "host port" if len(blocking) == 1 else "host ports"
    nodes = "node" if waiting == 1 else "nodes"
    return (
        f"maxSurge {surge} starts a new Pod beside the old one on {waiting} {nodes}, but "
        f"the new Pod asks for {noun} {ports} that the old one holds: the scheduler cannot "
        "place it (NodePorts), the controller deletes an old Pod only once its replacement "
        "is available, and no more new Pods start (daemonset-surge-with-host-port; set "
        "maxSurge: 0 and maxUnavailable: 1 to replace Pods in place)"
    )


def _tolerations(pod_spec: Mapping[str, Any]) -> list[dict[str, object]] | None:
    try:
        return daemon_pod_tolerations(pod_spec)
    except (TypeError, ValueError, AttributeError, KeyError):
        return None  # each placement then works them out, and says what fails


def _placement(
    node: Mapping[str, Any],
    pod_spec: Mapping[str, Any],
    tolerations: list[dict[str, object]] | None = None,
) -> tuple[bool, bool, str]:
    """(should run, should continue running, reason) of a daemon Pod on a node."""
    try:
        placement = daemon_placement(node, pod_spec, tolerations)
    except (TypeError, ValueError, AttributeError, KeyError) as error:  # hostile node objects
        return False, False, f"the node could not be read: {error}"
    return placement.should_run, placement.should_continue_running, placement.reason


def _node_name(node: object, index: int) -> str:
    if isinstance(node, dict):
        metadata = node.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            return str(metadata["name"])
    return f"<node {index + 1}>"


def _daemonset_parts(fields: _Fields) -> tuple[str, object, object]:
    """update strategy type, maxSurge and maxUnavailable: wrong or invalid values dropped (each
    with a note), then the apps/v1 defaults filled in (SetDefaults_DaemonSet)."""
    spec = dict(fields.mapping("spec"))
    strategy = dict(fields.mapping("spec", "updateStrategy"))
    strategy_type = fields.string("spec", "updateStrategy", "type")
    if strategy_type not in (None, "", ROLLING_UPDATE, ON_DELETE):
        fields.note(
            ("spec", "updateStrategy", "type"),
            f"spec.updateStrategy.type {strategy_type!r} is not RollingUpdate or "
            "OnDelete, which the API server rejects; planned as RollingUpdate",
        )
        strategy_type = None
    strategy["type"] = strategy_type
    if strategy_type == ON_DELETE:
        strategy.pop("rollingUpdate", None)
    else:
        rolling_update = dict(fields.mapping("spec", "updateStrategy", "rollingUpdate"))
        rolling_update["maxSurge"] = fields.int_or_percent(
            "spec", "updateStrategy", "rollingUpdate", "maxSurge", default_text="0"
        )
        rolling_update["maxUnavailable"] = fields.int_or_percent(
            "spec", "updateStrategy", "rollingUpdate", "maxUnavailable", default_text="1"
        )
        strategy["rollingUpdate"] = rolling_update
    spec["updateStrategy"] = strategy
    defaulted = apps_v1_defaults("DaemonSet", spec)
    strategy_type = defaulted["updateStrategy"]["type"]
    max_surge: object = None
    max_unavailable: object = None
    if strategy_type == ROLLING_UPDATE:
        max_surge = defaulted["updateStrategy"]["rollingUpdate"]["maxSurge"]
        max_unavailable = defaulted["updateStrategy"]["rollingUpdate"]["maxUnavailable"]
        # ValidateRollingUpdateDaemonSet: exactly one of the two must be non-zero; an unset
        # maxUnavailable defaults to 1, so surge needs an explicit maxUnavailable: 0
        if not _is_zero(max_surge) and not _is_zero(max_unavailable):
            fields.note(
                ("spec", "updateStrategy", "rollingUpdate"),
                f"maxSurge {max_surge!r} with maxUnavailable {max_unavailable!r} (1 when "
                "unset): the API server rejects both non-zero; set maxUnavailable: 0 "
                "to surge",
            )
        elif _is_zero(max_surge) and _is_zero(max_unavailable):
            fields.note(
                ("spec", "updateStrategy", "rollingUpdate"),
                "maxSurge and maxUnavailable are both 0, which the API server rejects; "
                "the controller would let 1 Pod be unavailable",
            )
    return strategy_type, max_surge, max_unavailable


def daemonset_plan(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    *,
    nodes: Sequence[object] | None = None,
    diff: bool = False,
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    services: Sequence[object] = (),
    rejections: Sequence[Rejection] = (),
) -> WorkloadPlan:
    """Which nodes run the daemon and how many nodes run a new or an old Pod at each step.

    Without ``nodes`` the plan assumes :data:`HYPOTHETICAL_NODE_COUNT` nodes that all accept
    the Pods (and says so in a note); ``nodes`` lists no placement then. A surge rollout whose
    new Pod asks for a host port the old Pod holds stalls (``stalled``).
    """
    notes: list[str] = []
    obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    fields = _Fields(new, notes)
    strategy_type, raw_surge, raw_unavailable = _daemonset_parts(fields)
    template = fields.optional_mapping("spec", "template") or {}
    pod_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    assert isinstance(pod_spec, dict)

    change: ChangeKind
    changed_fields: list[str] = []
    rejected: str | None = None
    old_obj: Mapping[str, Any] | None = old if isinstance(old, dict) else None
    if old_obj is not None:
        change, changed_fields, rejected = classify_change(obj, old_obj)
    elif diff:
        change = "create"
    else:
        change = "rollout"
        if not rejections:
            notes.append(
                "no previous version given: planned as a Pod template update from an "
                "old Pod on every node that runs the daemon"
            )
    rejected = _refusal(rejections) or rejected

    placements: list[NodePlacement] = []
    should_run: list[bool] = []
    should_continue: list[bool] = []
    old_runs: list[bool] = []
    if nodes is None:
        should_run = [True] * HYPOTHETICAL_NODE_COUNT
        should_continue = list(should_run)
        old_runs = list(should_run)
        notes.append(
            f"no nodes given (--nodes): planned over {HYPOTHETICAL_NODE_COUNT} "
            "hypothetical nodes that all accept the Pods"
        )
    else:
        old_template = _spec(old_obj).get("template") if old_obj is not None else None
        old_pod_spec: Mapping[str, Any] = {}
        if isinstance(old_template, dict) and isinstance(old_template.get("spec"), dict):
            old_pod_spec = old_template["spec"]
        # the same for every node: worked out once, not per node
        tolerations = _tolerations(pod_spec)
        old_tolerations = _tolerations(old_pod_spec) if old_obj is not None else None
        for index, node in enumerate(nodes):
            # only the first MAX_SHOWN_NODES placements are kept (and named); the rest counted
            shown = index < MAX_SHOWN_NODES
            if not isinstance(node, dict):
                if shown:
                    placements.append(
                        NodePlacement(_node_name(node, index), False, "not a Node object")
                    )
                should_run.append(False)
                should_continue.append(False)
                old_runs.append(False)
                continue
            runs, stays, reason = _placement(node, pod_spec, tolerations)
            if shown:
                placements.append(
                    NodePlacement(_node_name(node, index), runs, None if runs else reason)
                )
            should_run.append(runs)
            should_continue.append(stays)
            old_runs.append(
                _placement(node, old_pod_spec, old_tolerations)[0] if old_obj is not None else runs
            )
    desired = sum(should_run)

    rolling = strategy_type == ROLLING_UPDATE
    surge = unavailable = 0
    if rolling:
        try:
            surge, unavailable = intstr.daemonset_surge_and_unavailable(
                raw_surge, raw_unavailable, desired
            )
        except ValueError:
            surge, unavailable = 0, 1 if desired else 0
        strategy = Strategy(ROLLING_UPDATE, surge, unavailable)
        bounds = Bounds(desired + surge, max(desired - unavailable, 0))
    else:
        strategy = Strategy(ON_DELETE)
        bounds = Bounds(desired, desired)

    template_changed = change in ("rollout", "rollout+scale")
    # the host ports the new Pods ask for that the old ones hold (with no previous version,
    # the old template's are taken to be the same): a surge Pod cannot be placed beside an
    # old one on the same node
    blocking: list[HostPort] = []
    if rolling and surge > 0 and template_changed:
        old_ports = host_ports(_pod_spec_of(old_obj)) if old_obj is not None else None
        new_ports = host_ports(pod_spec)
        blocking = host_ports_conflict(new_ports, new_ports if old_ports is None else old_ports)
    start: list[_NodePods] = []
    for index, runs in enumerate(should_run):
        if old_obj is not None:
            running = old_runs[index]
            start.append(
                _NodePods(old=running and template_changed, new=running and not template_changed)
            )
        else:
            start.append(_NodePods(old=runs and not diff))
    simulation = _DaemonSetSimulation(
        should_run, should_continue, start, rolling, surge, unavailable, port_blocked=bool(blocking)
    )
    steps = _StepLog()
    stalled: Stall | None = None
    if rejected is not None:
        notes.append(_rejected_note("DaemonSet", rejections))
    else:
        before: list[tuple[bool, bool]] = []

        def sync() -> None:
            before[:] = [(p.old, p.new) for p in simulation.pods]
            simulation.sync()

        def counts() -> tuple[int, int]:
            return (
                sum(1 for p in simulation.pods if p.new),
                sum(1 for p in simulation.pods if p.old),
            )

        def record() -> None:
            available = sum(
                int(was_old and node.old)
                + int(was_new and node.new and not (blocking and node.old))
                for (was_old, was_new), node in zip(before, simulation.pods, strict=True)
            )
            new_count, old_count = counts()
            steps.append(DaemonSetStep(new_count, old_count, available))

        _run(sync, simulation.state, counts, record, notes, visits=len(should_run))
        waiting = sum(1 for node in simulation.pods if node.old and node.new)
        if blocking and waiting:
            stalled = Stall(steps.total, _port_stall_reason(blocking, waiting, surge))
        if not rolling and template_changed:
            notes.append(
                "OnDelete: the controller replaces no Pod by itself; a node gets the "
                "new template when you delete its Pod"
            )
    dns = _closing_notes(
        fields, changed_fields, template, old_obj, rejected, obj, cluster_domain, services, notes
    )
    return WorkloadPlan(
        object=_object_ref(obj),
        change=change,
        replicas=desired,
        strategy=strategy,
        bounds=bounds,
        **steps.fields(),
        pods=dns.pods,
        service_domain=dns.service_domain,
        nodes=tuple(placements),
        nodes_omitted=len(should_run) - len(placements) if nodes is not None else 0,
        nodes_running=desired if nodes is not None else None,
        rejected=rejected,
        **_rejection_fields(rejections),
        stalled=stalled,
        notes=tuple(notes),
        changed_fields=tuple(changed_fields),
    )


# --------------------------------------------------------------------------------------------
# Dispatch


def plan_for(
    obj: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None = None,
    *,
    diff: bool = False,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
    feature_gates: Mapping[str, bool] | None = None,
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    services: Sequence[object] = (),
    nodes: Sequence[object] | None = None,
    rejections: Sequence[Rejection] = (),
) -> WorkloadPlan | None:
    """The plan of a Deployment, StatefulSet or DaemonSet; None for any other kind.

    ``obj=None`` with an ``old`` object plans its deletion (``diff`` is implied).
    ``rejections``: the lint findings by which the API server refuses ``obj`` as written.
    """
    target = obj if isinstance(obj, dict) else None
    previous = old if isinstance(old, dict) else None
    if target is None:
        if previous is None:
            return None
        plan = plan_for(
            previous,
            None,
            diff=True,
            kubernetes_version=kubernetes_version,
            feature_gates=feature_gates,
            cluster_domain=cluster_domain,
            services=services,
            nodes=nodes,
        )
        if plan is None:
            return None
        return _as_deletion(plan)
    kind = target.get("kind")
    if kind == "Deployment":
        return deployment_plan(
            target,
            previous,
            diff=diff,
            cluster_domain=cluster_domain,
            services=services,
            rejections=rejections,
        )
    if kind == "StatefulSet":
        return statefulset_plan(
            target,
            previous,
            diff=diff,
            kubernetes_version=kubernetes_version,
            feature_gates=feature_gates,
            cluster_domain=cluster_domain,
            services=services,
            rejections=rejections,
        )
    if kind == "DaemonSet":
        return daemonset_plan(
            target,
            previous,
            nodes=nodes,
            diff=diff,
            cluster_domain=cluster_domain,
            services=services,
            rejections=rejections,
        )
    return None


def _as_deletion(plan: WorkloadPlan) -> WorkloadPlan:
    kind = plan.object.kind or "object"
    return WorkloadPlan(
        object=plan.object,
        change="delete",
        replicas=plan.replicas,
        strategy=plan.strategy,
        bounds=Bounds(plan.replicas, 0),
        nodes=plan.nodes,
        notes=(
            f"deleting the {kind} deletes its Pods through the garbage collector; no "
            "controller steps",
        ),
    )
