"""The live state of a cluster, as ``kubectl get deploy,rs,sts,ds,controllerrevisions,pods,svc
-A -o yaml`` prints it: each workload with the ReplicaSets, ControllerRevisions and Pods it
controls.

Ownership follows the garbage collector's and the controllers' own reading: an object belongs
to the owner named by its ``ownerReferences`` entry with ``controller: true``
(``metav1.GetControllerOf``), matched by uid when both sides carry one, else by kind and name in
the same namespace. Revisions come from ``deployment.kubernetes.io/revision`` (ReplicaSets),
``ControllerRevision.revision``, and the Pods' ``controller-revision-hash`` and
``pod-template-hash`` labels. Nothing here raises on a malformed object: what cannot be read is
left out, and a live object without status or with a missing owner is a one-line warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from kpolicy.workload import PLANNED_KINDS, int_value

__all__ = [
    "CHANGE_CAUSE_ANNOTATION",
    "CONTROLLER_REVISION_HASH",
    "DESIRED_REPLICAS_ANNOTATION",
    "MAX_REPLICAS_ANNOTATION",
    "POD_TEMPLATE_HASH",
    "REVISION_ANNOTATION",
    "LivePod",
    "LiveReplicaSet",
    "LiveRevision",
    "LiveState",
    "LiveWorkload",
    "images_of",
    "live_state",
    "template_matches",
]

REVISION_ANNOTATION: Final = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS_ANNOTATION: Final = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION: Final = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE_ANNOTATION: Final = "kubernetes.io/change-cause"
CONTROLLER_REVISION_HASH: Final = "controller-revision-hash"
POD_TEMPLATE_HASH: Final = "pod-template-hash"
POD_INDEX_LABEL: Final = "apps.kubernetes.io/pod-index"

# which kind may control which: anything else named as a controller is not ours to follow
_CONTROLLED_BY: Final = {
    "ReplicaSet": ("Deployment",),
    "ControllerRevision": ("StatefulSet", "DaemonSet"),
    "Pod": ("ReplicaSet", "StatefulSet", "DaemonSet"),
}
_ORDINAL: Final = re.compile(r"-(0|[1-9][0-9]{0,8})$")

Key = tuple[str, str, str]  # kind, namespace, name


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _label_int(value: object) -> int | None:
    """A label's decimal value (the pod-index label), else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


def _count(value: object) -> int:
    number = int_value(value)
    return number if number is not None and number >= 0 else 0


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(obj.get("metadata"))


def _labels(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(_metadata(obj).get("labels"))


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(_metadata(obj).get("annotations"))


def images_of(template: object) -> tuple[str, ...]:
    """The images of a Pod template's containers (init containers first), as written."""
    spec = _mapping(_mapping(template).get("spec"))
    images: list[str] = []
    for group in ("initContainers", "containers"):
        containers = spec.get(group)
        if isinstance(containers, list):
            for container in containers:
                image = _string(_mapping(container).get("image"))
                if image is not None:
                    images.append(image)
    return tuple(images)


# follows podutil.IsPodReady (pkg/api/v1/pod/util.go): the Ready condition is True
def _pod_ready(pod: Mapping[str, Any]) -> bool:
    status = _mapping(pod.get("status"))
    if status.get("phase") not in (None, "Running"):
        return False
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        return False
    return any(
        _mapping(c).get("type") == "Ready" and _mapping(c).get("status") == "True"
        for c in conditions
    )


def _pod_reason(pod: Mapping[str, Any]) -> str | None:
    """Why a Pod is not ready, as ``kubectl get pods`` shows it (a container's waiting reason,
    else the phase)."""
    status = _mapping(pod.get("status"))
    for group in ("initContainerStatuses", "containerStatuses"):
        statuses = status.get(group)
        if isinstance(statuses, list):
            for item in statuses:
                state = _mapping(_mapping(item).get("state"))
                for condition in ("waiting", "terminated"):
                    reason = _string(_mapping(state.get(condition)).get("reason"))
                    if reason is not None:
                        return reason
    return _string(status.get("phase"))


@dataclass(frozen=True, slots=True)
class LivePod:
    """A live Pod: its revision hash (``controller-revision-hash``, else ``pod-template-hash``),
    node, readiness and, for a StatefulSet Pod, its ordinal."""

    name: str
    revision_hash: str | None
    node: str | None
    ready: bool
    ordinal: int | None = None
    reason: str | None = None  # why it is not ready, when it is not

    def describe(self) -> str:
        return f"{self.name} ({self.reason})" if not self.ready and self.reason else self.name


@dataclass(frozen=True, slots=True)
class LiveReplicaSet:
    """A live ReplicaSet of a Deployment."""

    name: str
    revision: int | None
    template: Mapping[str, Any]
    replicas: int  # spec.replicas
    status_replicas: int
    available: int
    desired_replicas: int | None
    max_replicas: int | None
    change_cause: str | None
    pod_template_hash: str | None
    created: str  # metadata.creationTimestamp, for the controller's tie-breaks
    pods: tuple[LivePod, ...] = ()
    has_status: bool = True

    @property
    def unavailable(self) -> int:
        """Pods that exist and are not available (``status.replicas - availableReplicas``)."""
        return max(self.status_replicas - self.available, 0)

    @property
    def images(self) -> tuple[str, ...]:
        return images_of(self.template)

    def unavailable_pods(self) -> tuple[LivePod, ...]:
        return tuple(pod for pod in self.pods if not pod.ready)


@dataclass(frozen=True, slots=True)
class LiveRevision:
    """A live ControllerRevision of a StatefulSet or DaemonSet."""

    name: str
    revision: int
    template: Mapping[str, Any]  # data.spec.template
    change_cause: str | None
    # its controller-revision-hash label: a DaemonSet's Pods carry this hash, a StatefulSet's
    # the revision's name
    hash: str | None = None

    @property
    def images(self) -> tuple[str, ...]:
        return images_of(self.template)


@dataclass(frozen=True, slots=True)
class LiveWorkload:
    """A live Deployment, StatefulSet or DaemonSet and what it controls."""

    object: Mapping[str, Any]
    replica_sets: tuple[LiveReplicaSet, ...] = ()  # by revision, then creation, oldest first
    revisions: tuple[LiveRevision, ...] = ()  # by revision, oldest first
    pods: tuple[LivePod, ...] = ()  # Pods it controls directly (StatefulSet, DaemonSet)

    @property
    def kind(self) -> str:
        kind = self.object.get("kind")
        return kind if isinstance(kind, str) else ""

    @property
    def name(self) -> str:
        return _string(_metadata(self.object).get("name")) or ""

    @property
    def namespace(self) -> str:
        return _string(_metadata(self.object).get("namespace")) or "default"

    @property
    def status(self) -> Mapping[str, Any]:
        return _mapping(self.object.get("status"))

    @property
    def has_status(self) -> bool:
        return isinstance(self.object.get("status"), dict)

    def revision_named(self, name: str | None) -> LiveRevision | None:
        return next((r for r in self.revisions if r.name == name), None)


@dataclass(frozen=True, slots=True)
class LiveState:
    """Everything ``--live`` read: the workloads by (kind, namespace, name), the Services, and
    one warning per object that could not be placed."""

    workloads: Mapping[Key, LiveWorkload] = field(default_factory=dict)
    services: tuple[Mapping[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()

    def get(self, kind: str, namespace: str, name: str) -> LiveWorkload | None:
        return self.workloads.get((kind, namespace, name))


def _key(obj: Mapping[str, Any]) -> Key | None:
    kind = _string(obj.get("kind"))
    name = _string(_metadata(obj).get("name"))
    if kind is None or name is None:
        return None
    return kind, _string(_metadata(obj).get("namespace")) or "default", name


# follows metav1.GetControllerOf: the owner reference with controller: true
def _controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    references = _metadata(obj).get("ownerReferences")
    if not isinstance(references, list):
        return None
    for reference in references:
        if isinstance(reference, dict) and reference.get("controller") is True:
            return reference
    return None


# a daemon Pod not yet scheduled has no nodeName: the DaemonSet controller pins it to its node
# with a required node affinity on the field metadata.name (ReplaceDaemonSetPodNodeNameNodeAffinity,
# pkg/controller/daemon/util)
def _affinity_node(obj: Mapping[str, Any]) -> str | None:
    affinity = _mapping(_mapping(_mapping(obj.get("spec")).get("affinity")).get("nodeAffinity"))
    required = _mapping(affinity.get("requiredDuringSchedulingIgnoredDuringExecution"))
    terms = required.get("nodeSelectorTerms")
    if not isinstance(terms, list):
        return None
    for term in terms:
        fields = _mapping(term).get("matchFields")
        if not isinstance(fields, list):
            continue
        for requirement in fields:
            item = _mapping(requirement)
            values = item.get("values")
            if (
                item.get("key") == "metadata.name"
                and item.get("operator") == "In"
                and isinstance(values, list)
                and len(values) == 1
            ):
                return _string(values[0])
    return None


def _pod(obj: Mapping[str, Any], stateful: bool) -> LivePod:
    name = _string(_metadata(obj).get("name")) or ""
    labels = _labels(obj)
    revision = _string(labels.get(CONTROLLER_REVISION_HASH)) or _string(
        labels.get(POD_TEMPLATE_HASH)
    )
    ordinal: int | None = None
    if stateful:
        # getOrdinal (stateful_set_utils.go) parses the name's last "-N"; the pod-index label
        # carries the same number on recent releases
        index = _label_int(labels.get(POD_INDEX_LABEL))
        match = _ORDINAL.search(name)
        ordinal = index if index is not None else (int(match.group(1)) if match else None)
    ready = _pod_ready(obj)
    return LivePod(
        name=name,
        revision_hash=revision,
        node=_string(_mapping(obj.get("spec")).get("nodeName")) or _affinity_node(obj),
        ready=ready,
        ordinal=ordinal,
        reason=None if ready else _pod_reason(obj),
    )


_DIGITS: Final = re.compile(r"[0-9]{1,18}")


def _revision_number(value: object) -> int | None:
    """An annotation's number (annotations are strings: ``"3"``) or an integer field."""
    if isinstance(value, str):
        return int(value) if _DIGITS.fullmatch(value) else None
    number = int_value(value)
    return number if number is not None and number >= 0 else None


def _replica_set(obj: Mapping[str, Any], pods: Sequence[LivePod]) -> LiveReplicaSet:
    annotations = _annotations(obj)
    spec = _mapping(obj.get("spec"))
    status = obj.get("status")
    status_map = _mapping(status)
    # SetDefaults_ReplicaSet: replicas defaults to 1
    replicas = int_value(spec.get("replicas"))
    return LiveReplicaSet(
        name=_string(_metadata(obj).get("name")) or "",
        revision=_revision_number(annotations.get(REVISION_ANNOTATION)),
        template=_mapping(spec.get("template")),
        replicas=replicas if replicas is not None and replicas >= 0 else 1,
        status_replicas=_count(status_map.get("replicas")),
        available=_count(status_map.get("availableReplicas")),
        desired_replicas=_revision_number(annotations.get(DESIRED_REPLICAS_ANNOTATION)),
        max_replicas=_revision_number(annotations.get(MAX_REPLICAS_ANNOTATION)),
        change_cause=_string(annotations.get(CHANGE_CAUSE_ANNOTATION)),
        pod_template_hash=_string(_labels(obj).get(POD_TEMPLATE_HASH)),
        created=_string(_metadata(obj).get("creationTimestamp")) or "",
        pods=tuple(sorted(pods, key=lambda p: p.name)),
        has_status=isinstance(status, dict),
    )


def _controller_revision(obj: Mapping[str, Any]) -> LiveRevision:
    data = _mapping(obj.get("data"))
    return LiveRevision(
        name=_string(_metadata(obj).get("name")) or "",
        revision=_revision_number(obj.get("revision")) or 0,
        template=_mapping(_mapping(data.get("spec")).get("template")),
        change_cause=_string(_annotations(obj).get(CHANGE_CAUSE_ANNOTATION)),
        hash=_string(_labels(obj).get(CONTROLLER_REVISION_HASH)),
    )


def _describe(key: Key) -> str:
    return f"{key[0]} {key[1]}/{key[2]}"


class _Owners:
    """The objects that may own others, by uid and by (kind, namespace, name)."""

    def __init__(self, objects: Iterable[Mapping[str, Any]]) -> None:
        self.by_uid: dict[str, Key] = {}
        self.keys: set[Key] = set()
        for obj in objects:
            key = _key(obj)
            if key is None:
                continue
            self.keys.add(key)
            uid = _string(_metadata(obj).get("uid"))
            if uid is not None:
                self.by_uid[uid] = key

    def owner(self, obj: Mapping[str, Any], key: Key) -> tuple[Key | None, Key | None]:
        """(the owner found, the owner named but absent) for an object's controller
        reference; (None, None) when it names no controller of a kind we follow."""
        reference = _controller_of(obj)
        if reference is None:
            return None, None
        kind = _string(reference.get("kind"))
        name = _string(reference.get("name"))
        if kind not in _CONTROLLED_BY.get(key[0], ()) or name is None:
            return None, None
        wanted: Key = (kind, key[1], name)
        uid = _string(reference.get("uid"))
        if uid is not None and uid in self.by_uid:
            found = self.by_uid[uid]
            return (found, None) if found == wanted else (None, wanted)
        if wanted in self.keys and uid is None:
            return wanted, None
        if wanted in self.keys:
            # named by a uid the live object does not carry (a dump without uids) or a new
            # object of the same name: the same kind and name is taken as the owner only when
            # the live owner has no uid either
            return (wanted, None) if wanted not in self.by_uid.values() else (None, wanted)
        return None, wanted


def live_state(objects: Iterable[Mapping[str, Any]]) -> LiveState:
    """Group live objects (plain dicts, ``kind: List`` already flattened) by their owners."""
    workloads: dict[Key, Mapping[str, Any]] = {}
    replica_sets: dict[Key, Mapping[str, Any]] = {}
    others: list[tuple[Key, Mapping[str, Any]]] = []
    services: list[Mapping[str, Any]] = []
    warnings: list[str] = []
    listed: list[Mapping[str, Any]] = []
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        key = _key(obj)
        if key is None:
            continue
        if key[0] in PLANNED_KINDS:
            if key in workloads:
                warnings.append(f"live {_describe(key)} is given twice; the first is used")
                continue
            workloads[key] = obj
            listed.append(obj)
        elif key[0] == "ReplicaSet":
            if key not in replica_sets:
                replica_sets[key] = obj
                listed.append(obj)
        elif key[0] in ("ControllerRevision", "Pod"):
            others.append((key, obj))
        elif key[0] == "Service":
            services.append(obj)
    owners = _Owners(listed)

    def owner_of(key: Key, obj: Mapping[str, Any]) -> Key | None:
        found, missing = owners.owner(obj, key)
        if missing is not None:
            warnings.append(
                f"live {_describe(key)}: its controller {_describe(missing)} is not in the "
                "live state; it is left out"
            )
        return found

    pods_of: dict[Key, list[LivePod]] = {}
    revisions_of: dict[Key, list[LiveRevision]] = {}
    for key, obj in others:
        owner = owner_of(key, obj)
        if owner is None:
            continue
        if key[0] == "Pod":
            pods_of.setdefault(owner, []).append(_pod(obj, owner[0] == "StatefulSet"))
        else:
            revisions_of.setdefault(owner, []).append(_controller_revision(obj))
    sets_of: dict[Key, list[LiveReplicaSet]] = {}
    for key, obj in replica_sets.items():
        owner = owner_of(key, obj)
        if owner is None:
            continue
        replica_set = _replica_set(obj, pods_of.get(key, []))
        if not replica_set.has_status:
            warnings.append(
                f"live {_describe(key)} has no status: its Pods are taken as all available"
            )
            replica_set = _with_full_status(replica_set)
        sets_of.setdefault(owner, []).append(replica_set)

    result: dict[Key, LiveWorkload] = {}
    for key, obj in workloads.items():
        if not isinstance(obj.get("status"), dict):
            warnings.append(
                f"live {_describe(key)} has no status: planned from the objects it controls"
            )
        # ReplicaSetsByRevision: by revision, then by creation time and name
        sets = sorted(
            sets_of.get(key, []),
            key=lambda rs: (rs.revision if rs.revision is not None else -1, rs.created, rs.name),
        )
        revisions = sorted(revisions_of.get(key, []), key=lambda r: (r.revision, r.name))
        pods = sorted(
            pods_of.get(key, []),
            key=lambda p: (p.ordinal if p.ordinal is not None else -1, p.name),
        )
        result[key] = LiveWorkload(obj, tuple(sets), tuple(revisions), tuple(pods))
    return LiveState(result, tuple(services), tuple(warnings))


def _with_full_status(rs: LiveReplicaSet) -> LiveReplicaSet:
    return replace(rs, status_replicas=rs.replicas, available=rs.replicas, has_status=False)


# --------------------------------------------------------------------------------------------
# Templates: a manifest against what the API server stored


def _without_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    """A ReplicaSet's template without the ``pod-template-hash`` label the controller adds
    (deploymentutil.EqualIgnoreHash)."""
    copy = dict(template)
    metadata = dict(_mapping(copy.get("metadata")))
    labels = {k: v for k, v in _mapping(metadata.get("labels")).items() if k != POD_TEMPLATE_HASH}
    if labels:
        metadata["labels"] = labels
    else:
        metadata.pop("labels", None)
    copy["metadata"] = metadata
    return copy


def _subset(wanted: object, stored: object) -> bool:
    if isinstance(wanted, dict):
        if not isinstance(stored, dict):
            return not any(v not in (None, {}, []) for v in wanted.values())
        return all(
            value is None or value == {} or value == [] or _subset(value, stored.get(key))
            for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(wanted)
            and all(_subset(a, b) for a, b in zip(wanted, stored, strict=True))
        )
    if wanted is None:
        return stored is None
    # the API server stores quantities and ports as given; "80" and 80 differ there too
    return type(wanted) is type(stored) and wanted == stored


def template_matches(manifest: object, stored: object) -> bool:
    """Whether a Pod template as written (a manifest, or another stored template) is the one
    the API server stored (a ReplicaSet's, a ControllerRevision's or a live workload's).

    Stored templates carry the defaults the API server filled in (``imagePullPolicy``,
    ``terminationMessagePath``, ...), which a manifest leaves out: every field the manifest
    sets must be stored with the same value, and what it leaves out is taken as defaulted, as
    ``kubectl apply`` leaves it. The ``pod-template-hash`` label is ignored, as
    ``deploymentutil.EqualIgnoreHash`` ignores it; a label the manifest lacks but the stored
    template has is a difference (labels are never defaulted).
    """
    wanted = _without_hash(_mapping(manifest))
    have = _without_hash(_mapping(stored))
    if dict(_mapping(_mapping(wanted.get("metadata")).get("labels"))) != dict(
        _mapping(_mapping(have.get("metadata")).get("labels"))
    ):
        return False
    return _subset(wanted, have)
