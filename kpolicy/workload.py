"""The one Kubernetes model of kpolicy: typed readers over a manifest that every check and the
planner use.

* Integers and int-or-string values as the API server decodes them (:func:`int_value`,
  :func:`int32_value`, :func:`int_or_string`).
* The pod-template kinds (:data:`WORKLOAD_KINDS`, a registry saying where each kind keeps its
  template, selector, replicas and update strategy) and the workload view over one object
  (:class:`Workload`: selector, template and its labels, replicas, strategy, rollingUpdate,
  partition, podManagementPolicy, pod spec, containers).
* Services: :func:`cluster_ip` and :func:`is_headless` as the API server defines them, and the
  governing-Service lookup (:func:`governing_service`) with the applied-together model.
* Label maps (:func:`str_map`, :func:`label_map`).

Manifests are user input: every accessor tolerates a wrong type anywhere and answers as if the
field were absent, so that rules stay simple and the schema rules report the wrong type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence

from kpolicy.k8s.podtemplates import PodTemplateKind, layout_of
from kpolicy.k8s.selector import Selector
from kpolicy.model import KObject, Path
from kpolicy.repo import Relation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final, TypeVar

    from kpolicy.index import Index

INT32_MAX: Final = 2**31 - 1


# ---------------------------------------------------------------------------------------------
# Integers as the API server decodes them
#
# kubectl (and every client built on sigs.k8s.io/yaml) turns YAML into JSON before sending it:
# yamlToJSON unmarshals a plain scalar such as 3.0 or 1e3 into a float64 and json.Marshal writes
# an integral float64 without a fraction ("3", "1000"), so the API server receives an integer.
# The server decodes JSON into the typed struct (sigs.k8s.io/json, encoding/json semantics): a
# number with a fraction (3.5) or a string ("3") for an int32 field fails with an
# UnmarshalTypeError and the object is rejected. Booleans are never numbers.


def int_value(value: object) -> int | None:
    """An integer field's value as the API server decodes it: an int, or an integral finite
    float (``3.0``, ``1e3``); None for anything else (bools, ``3.5``, ``"3"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def int32_value(value: object) -> int | None:
    """:func:`int_value` within the int32 range of fields such as replicas and partition."""
    number = int_value(value)
    if number is None or not -(2**31) <= number <= INT32_MAX:
        return None
    return number


def int_or_string(value: object) -> int | str | None:
    """An IntOrString as decoded (intstr.IntOrString.UnmarshalJSON): a JSON string stays a
    string, an integral number within int32 (IntVal) is an int; anything else is None."""
    if isinstance(value, str):
        return value
    return int32_value(value)


# ---------------------------------------------------------------------------------------------
# The pod-template kinds


def _kind(
    group: str, kind: str, template: Path = ("spec", "template"), **kw: Any
) -> PodTemplateKind:
    kw.setdefault("selector", ("spec", "selector"))
    kw.setdefault("replicas", ("spec", "replicas"))
    kw.setdefault("long_running", True)
    kw.setdefault("validated", True)
    return PodTemplateKind(group=group, kind=kind, template=template, **kw)


#: the built-in pod-template kinds, by kind: where each keeps its template, selector, replicas
#: and update strategy (a PodTemplateKind, the type of kpolicy.k8s.podtemplates, where the
#: custom kinds are: an Argo Rollout, a DeploymentConfig, a configured ``podTemplates:`` entry;
#: :func:`workload_layout` answers for both)
WORKLOAD_KINDS: Final[Mapping[str, PodTemplateKind]] = {
    k.kind: k
    for k in (
        _kind("apps", "Deployment", strategy=("spec", "strategy"), planned=True),
        _kind("apps", "StatefulSet", strategy=("spec", "updateStrategy"), planned=True),
        _kind(
            "apps", "DaemonSet", replicas=None, strategy=("spec", "updateStrategy"), planned=True
        ),
        _kind("apps", "ReplicaSet"),
        _kind("", "ReplicationController", selector_map=True),
        _kind("batch", "Job", replicas=None, long_running=False),
        _kind(
            "batch",
            "CronJob",
            ("spec", "jobTemplate", "spec", "template"),
            selector=None,
            replicas=None,
            long_running=False,
        ),
    )
}

#: the kinds ``kpolicy plan`` simulates (their rollout, Pod names and DNS names)
PLANNED_KINDS: Final = frozenset(k.kind for k in WORKLOAD_KINDS.values() if k.planned)
#: the kinds whose controller keeps its Pods running (restartPolicy Always: ValidatePodTemplateSpec-
#: ForReplicaSet, ValidateDaemonSetSpec, ValidateStatefulSetSpec, ValidatePodTemplateSpecForRC)
LONG_RUNNING_KINDS: Final = frozenset(k.kind for k in WORKLOAD_KINDS.values() if k.long_running)
#: the kinds with a spec.selector that is a LabelSelector
LABEL_SELECTOR_KINDS: Final = frozenset(
    k.kind for k in WORKLOAD_KINDS.values() if k.selector is not None and not k.selector_map
)
#: the kinds whose controller keeps the Pods its LabelSelector matches running, so that two of
#: them may claim each other's Pods (ClaimObject, pkg/controller/controller_ref_manager.go)
SELECTOR_CONTROLLER_KINDS: Final = LONG_RUNNING_KINDS & LABEL_SELECTOR_KINDS
#: the kinds with a pod spec: every pod-template kind, and Pod itself
POD_SPEC_KINDS: Final = frozenset(WORKLOAD_KINDS) | {"Pod"}


def workload_layout(obj: KObject | Mapping[str, Any]) -> PodTemplateKind | None:
    """Where ``obj`` keeps its pod template, selector, replicas and strategy: a built-in
    workload kind, else a custom pod-template kind (a KObject only), else None."""
    data = obj.data if isinstance(obj, KObject) else obj
    kind = data.get("kind") if isinstance(data, Mapping) else None
    found = WORKLOAD_KINDS.get(kind) if isinstance(kind, str) else None
    if found is None and isinstance(obj, KObject):
        found = layout_of(obj)
    return found


def get(data: object, *path: str | int) -> Any:
    """The value at ``path``, or None when any step is missing or of the wrong type."""
    current: Any = data
    for step in path:
        if step.__class__ is str:
            # a missing key and a null value both answer None, at the end or at the next step
            if not isinstance(current, dict):
                return None
            current = current.get(step)
        elif isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
            current = current[step]
        elif not isinstance(current, dict) or step not in current:
            return None
        else:
            current = current[step]
    return current


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def spec_of(obj: KObject) -> dict[str, Any] | None:
    """The object's ``spec`` when it is a mapping, else None."""
    spec = obj.data.get("spec")
    return spec if isinstance(spec, dict) else None


def describe_value(value: object, limit: int | None = None) -> str:
    """A value for a message about what is in the wrong place: ``null``, ``the boolean true``,
    ``the number 3``, ``the string 'x'`` (its first ``limit`` characters), ``a list``,
    ``a mapping``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the string {value[:limit]!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def str_map(value: object) -> dict[str, str]:
    """A labels-like map with the entries that are string → string (or scalar)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, str):
            out[k] = v
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, int | float) or v is None:
            out[k] = "" if v is None else str(v)
    return out


def template_path(obj: KObject) -> Path | None:
    """Path of the pod template (metadata + spec) of a workload; ``()`` for a Pod."""
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    found = WORKLOAD_KINDS.get(kind)
    if found is not None:
        return found.template
    if kind == "Pod":
        return ()
    layout = layout_of(obj)
    return None if layout is None else layout.template


def runs_pods(obj: KObject) -> bool:
    """Whether Pods run from the object's template: a pod-spec kind, or a custom pod-template
    kind other than PodTemplate (which only holds a template for others to use)."""
    if obj.kind in POD_SPEC_KINDS:
        return True
    layout = layout_of(obj)
    return layout is not None and layout.runs_pods


def custom_layout(obj: KObject) -> PodTemplateKind | None:
    """The layout of a pod-template kind outside the built-in workload API (Argo Rollout,
    OpenShift DeploymentConfig, PodTemplate, a configured kind), else None."""
    if obj.ref.kind in POD_SPEC_KINDS:  # obj.kind without the property's call
        return None
    return layout_of(obj)


# The object whose checks run now (Engine.run), with what was worked out of it that every rule
# asks for (its pod template and pod spec): the checks read their object, never change it, so
# the answers hold until the next object; any other object is worked out each time.
_checking: tuple[KObject, dict[str, Any]] | None = None
_TEMPLATE: Final = "template"
_SPEC: Final = "spec"
_UNKNOWN: Final = object()
if TYPE_CHECKING:
    T = TypeVar("T")


def checking(obj: KObject | None) -> None:
    """Remember what is worked out of ``obj`` while its checks run; None: forget it. What is
    worked out of ``obj`` already is kept: a caller that reads more of the object around its
    checks (the annotations of its pod template, :func:`kpolicy.lint.run._check_locally`)
    shares it with them (see :func:`checked_now`)."""
    global _checking
    if obj is None:
        _checking = None
    elif _checking is None or _checking[0] is not obj:
        _checking = (obj, {})


def checked_now() -> KObject | None:
    """The object whose worked-out answers are remembered now (:func:`checking`), if any."""
    current = _checking
    return None if current is None else current[0]


def worked_out(obj: KObject, key: str, work: Callable[[KObject], T]) -> T:
    """``work(obj)``, once for all the checks of the object being checked (see checking);
    ``key`` names what is worked out (a module's own prefix first, so that uses never collide).
    ``work`` reads the object alone: its answer holds while the object's checks run."""
    current = _checking
    if current is None or current[0] is not obj:
        return work(obj)
    found = current[1].get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = current[1][key] = work(obj)
    return found  # type: ignore[no-any-return]


def pod_template(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    # worked_out(obj, _TEMPLATE, _pod_template), without its call: every check asks
    current = _checking
    if current is None or current[0] is not obj:
        return _pod_template(obj)
    found = current[1].get(_TEMPLATE, _UNKNOWN)
    if found is _UNKNOWN:
        found = current[1][_TEMPLATE] = _pod_template(obj)
    return found  # type: ignore[no-any-return]


def _pod_template(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    path = template_path(obj)
    if path is None:
        return None
    value = get(obj.data, *path) if path else obj.data
    if not isinstance(value, dict):
        return None
    return path, value


def pod_spec(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    # worked_out(obj, _SPEC, _pod_spec), without its call: every check asks
    current = _checking
    if current is None or current[0] is not obj:
        return _pod_spec(obj)
    found = current[1].get(_SPEC, _UNKNOWN)
    if found is _UNKNOWN:
        found = current[1][_SPEC] = _pod_spec(obj)
    return found  # type: ignore[no-any-return]


def _pod_spec(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    found = pod_template(obj)
    if found is None:
        return None
    path, template = found
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return None
    return (*path, "spec"), spec


def template_labels(obj: KObject) -> dict[str, str]:
    found = pod_template(obj)
    if found is None:
        return {}
    return str_map(get(found[1], "metadata", "labels"))


def containers(
    spec_path: Path,
    spec: Mapping[str, Any],
    *,
    init: bool = True,
    ephemeral: bool = False,
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each container mapping with its path; init and ephemeral containers on request."""
    for group in _CONTAINER_GROUPS[bool(init), bool(ephemeral)]:
        found = spec.get(group)
        if isinstance(found, list):
            for i, container in enumerate(found):
                if isinstance(container, dict):
                    yield (*spec_path, group, i), container


def pod_containers(
    obj: KObject, *, init: bool = True, ephemeral: bool = False
) -> list[tuple[Path, dict[str, Any]]]:
    """:func:`containers` of the object's pod spec (:func:`pod_spec`) as a list (empty without
    one), worked out once for all the checks of the object being checked: read it, never
    change it."""
    current = _checking
    if current is None or current[0] is not obj:
        return _container_list(obj, bool(init), bool(ephemeral))
    # worked_out(obj, _CONTAINERS_KEY[key], ...), without its call; the usual asks (containers
    # and init containers, and the ephemeral ones too) named without making their key
    if init is True and ephemeral is False:
        name = _WITH_INIT
    elif init is True and ephemeral is True:
        name = _EVERY
    else:
        name = _CONTAINERS_KEY[bool(init), bool(ephemeral)]
    found = current[1].get(name, _UNKNOWN)
    if found is _UNKNOWN:
        found = current[1][name] = _container_list(obj, bool(init), bool(ephemeral))
    return found  # type: ignore[no-any-return]


def _container_list(obj: KObject, init: bool, ephemeral: bool) -> list[tuple[Path, dict[str, Any]]]:
    """``list(containers(...))`` of the pod spec, made without the generator."""
    found = pod_spec(obj)
    if found is None:
        return []
    spec_path, spec = found
    listed: list[tuple[Path, dict[str, Any]]] = []
    for group in _CONTAINER_GROUPS[init, ephemeral]:
        items = spec.get(group)
        if isinstance(items, list):
            for i, container in enumerate(items):
                if isinstance(container, dict):
                    listed.append(((*spec_path, group, i), container))
    return listed


_CONTAINERS_KEY: Final[Mapping[tuple[bool, bool], str]] = {
    flags: f"containers:{flags[0]:d}{flags[1]:d}"
    for flags in ((False, False), (True, False), (False, True), (True, True))
}
_WITH_INIT: Final = _CONTAINERS_KEY[True, False]
_EVERY: Final = _CONTAINERS_KEY[True, True]


# (init, ephemeral) → the fields of the containers asked for, in that order
_CONTAINER_GROUPS: Final[Mapping[tuple[bool, bool], tuple[str, ...]]] = {
    (False, False): ("containers",),
    (True, False): ("containers", "initContainers"),
    (False, True): ("containers", "ephemeralContainers"),
    (True, True): ("containers", "initContainers", "ephemeralContainers"),
}


def label_map(value: object) -> dict[str, str]:
    """A label map's string → string entries only (what the planner matches selectors on)."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


# ---------------------------------------------------------------------------------------------
# The workload view

ROLLING_UPDATE: Final = "RollingUpdate"
DEFAULT_REPLICAS: Final = 1  # SetDefaults_Deployment / _StatefulSet / _ReplicaSet


class Workload:
    """One object of a pod-template kind, read through :data:`WORKLOAD_KINDS`."""

    __slots__ = ("data", "kind")

    def __init__(self, kind: PodTemplateKind, data: Mapping[str, Any]) -> None:
        self.kind = kind
        self.data = data

    @classmethod
    def of(cls, obj: KObject | Mapping[str, Any]) -> Workload | None:
        """The view of ``obj`` (a KObject or a manifest), or None when it is not a workload:
        a built-in pod-template kind, or (for a KObject) a custom one."""
        data = obj.data if isinstance(obj, KObject) else obj
        found = workload_layout(obj)
        if found is None or not isinstance(data, Mapping):
            return None
        return cls(found, data)

    @property
    def spec(self) -> dict[str, Any]:
        return mapping(self.data.get("spec"))

    @property
    def selector(self) -> Any:
        """The raw selector (a LabelSelector, or a label map for ReplicationController)."""
        return get(self.data, *self.kind.selector) if self.kind.selector else None

    @property
    def template(self) -> dict[str, Any] | None:
        value = get(self.data, *self.kind.template)
        return value if isinstance(value, dict) else None

    @property
    def template_labels(self) -> dict[str, str]:
        return str_map(get(self.template, "metadata", "labels"))

    @property
    def pod_spec(self) -> dict[str, Any] | None:
        value = get(self.template, "spec")
        return value if isinstance(value, dict) else None

    def containers(self, *, init: bool = True) -> Iterator[tuple[Path, dict[str, Any]]]:
        spec = self.pod_spec
        if spec is not None:
            yield from containers((*self.kind.template, "spec"), spec, init=init)

    def all_containers(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Containers, init and ephemeral containers."""
        spec = self.pod_spec
        if spec is not None:
            yield from containers((*self.kind.template, "spec"), spec, ephemeral=True)

    @property
    def replicas(self) -> int | None:
        """The replica count as stored: the default 1 when absent (or null), None when the kind
        has no replica count or the value is not an integer the API server decodes."""
        if self.kind.replicas is None:
            return None
        value = get(self.data, *self.kind.replicas)
        return DEFAULT_REPLICAS if value is None else int32_value(value)

    @property
    def strategy(self) -> dict[str, Any] | None:
        value = get(self.data, *self.kind.strategy) if self.kind.strategy else None
        return value if isinstance(value, dict) else None

    @property
    def strategy_type(self) -> str | None:
        """The update strategy type after defaulting (empty or absent: RollingUpdate), None
        when it is not a string or the kind has no strategy."""
        if self.kind.strategy is None:
            return None
        value = get(self.strategy, "type")
        if value is None or value == "":
            return ROLLING_UPDATE
        return value if isinstance(value, str) else None

    @property
    def rolling_update(self) -> dict[str, Any] | None:
        """The rollingUpdate mapping, when the strategy is RollingUpdate."""
        if self.strategy_type != ROLLING_UPDATE:
            return None
        value = get(self.strategy, "rollingUpdate")
        return value if isinstance(value, dict) else None

    @property
    def partition(self) -> int | None:
        """A StatefulSet's rollingUpdate.partition as decoded (None when absent or invalid)."""
        return int32_value(get(self.rolling_update, "partition"))

    @property
    def start_ordinal(self) -> int:
        """spec.ordinals.start, 0 when absent or not a non-negative integer."""
        start = int_value(get(self.data, "spec", "ordinals", "start"))
        return start if start is not None and start >= 0 else 0

    @property
    def pod_management_policy(self) -> str:
        """spec.podManagementPolicy after defaulting (OrderedReady)."""
        value = get(self.data, "spec", "podManagementPolicy")
        return value if isinstance(value, str) and value else "OrderedReady"


# ---------------------------------------------------------------------------------------------
# Services


def cluster_ip(service: Mapping[str, Any]) -> tuple[object, Path]:
    """spec.clusterIP as the API server stores it, with its path: when clusterIP is unset the
    registry fills it from clusterIPs[0] (normalizeClusterIPs,
    pkg/registry/core/service/storage/storage.go; ValidateService then requires the two to
    agree)."""
    spec = mapping(service.get("spec"))
    value = spec.get("clusterIP")
    if value in (None, ""):
        ips = sequence(spec.get("clusterIPs"))
        if ips:
            return ips[0], ("spec", "clusterIPs", 0)
    return value, ("spec", "clusterIP")


def is_headless(service: Mapping[str, Any]) -> bool:
    """A headless Service: clusterIP (or clusterIPs[0] when clusterIP is unset) is ``None``
    (core.ClusterIPNone; the endpoints controllers publish Pod hostnames only for these)."""
    return cluster_ip(service)[0] == "None"


def governing_service(
    obj: KObject, name: str, index: Index, labels: Mapping[str, str]
) -> tuple[KObject, str] | None:
    """The Service ``name`` in ``obj``'s namespace that governs its Pods' DNS names, and a note
    for a message when the run holds several of that name: the nearest one (Index.nearest:
    the same file, folder, kustomize build or chart, then plain files of other folders, which
    a user may apply with it); of several equally near, the one that serves Pods labelled
    ``labels`` best (headless and selecting them, else headless, else the first). A Service of
    another kustomize build or chart is never applied with it: None."""
    named = index.all_named("Service", obj.namespace, name)
    candidates = index.nearest(obj, named)
    if not candidates:
        return None
    if len(named) == 1:
        return candidates[0], ""
    relation_to = index.relations_from(obj)
    nearest = relation_to(candidates[0])
    tied = [s for s in candidates if relation_to(s) is nearest]

    def rank(service: KObject) -> int:
        if not is_headless(service.data) or get(service.data, "spec", "type") == "ExternalName":
            return 2
        selector = index.memo(
            ("service-selector", id(service)),
            lambda: Selector.from_map(get(service.data, "spec", "selector")),
        )
        return 0 if selector is not None and selector.matches(labels) else 1

    chosen = min(tied, key=rank)  # the first of the best, in input order
    where = {
        Relation.SAME_FILE: "in this file",
        Relation.SAME_FOLDER: "in this folder",
        Relation.SAME_BUILD: "in the same kustomize build",
        Relation.SAME_CHART: "in the same chart",
        Relation.OTHER_FOLDERS: "in another folder",
    }.get(nearest, "")
    note = (
        f" (judged against the Service {where}, {chosen.source.display}, one of "
        f"{len(named)} named {name!r})"
    )
    return chosen, note


def services_for(obj: KObject, names: Sequence[str], index: Index) -> list[dict[str, Any]]:
    """The manifests of the Services that govern ``obj``'s Pods for each of ``names`` (the
    planner's view of :func:`governing_service`)."""
    labels = template_labels(obj)
    out: list[dict[str, Any]] = []
    for name in names:
        found = governing_service(obj, name, index, labels)
        if found is not None:
            out.append(found[0].data)
    return out
