"""The defaults the API server fills into apps/v1 workload specs.

Follows ``pkg/apis/apps/v1/defaults.go``. Rules and planners reason about the object as it
will be stored, so they start from :func:`apps_v1_defaults` rather than from the raw manifest.

Subtle cases worth knowing (all follow from the Go code):

* Deployment: each of ``maxSurge``/``maxUnavailable`` is defaulted on its own, so a
  ``rollingUpdate`` with only ``maxSurge: 0`` gets ``maxUnavailable: 25%`` (which floors to 0
  for fewer than 4 replicas; the controller then allows 1 unavailable pod), and one with only
  ``maxUnavailable: 0`` gets ``maxSurge: 25%``. ``Recreate`` deployments get no
  ``rollingUpdate``.
* DaemonSet: a ``rollingUpdate`` with only ``maxSurge`` keeps ``maxUnavailable`` defaulted to 1,
  and validation then rejects the object ("may not be set when maxUnavailable is non-zero"):
  surge needs an explicit ``maxUnavailable: 0``.
* StatefulSet: ``rollingUpdate`` is only created when ``updateStrategy.type`` was empty; an
  explicit ``type: RollingUpdate`` without a ``rollingUpdate`` block stays without one (the
  controller then uses partition 0 and one pod at a time). ``maxUnavailable`` is defaulted to 1
  only with the MaxUnavailableStatefulSet feature gate (alpha in 1.24, beta and on by default
  since 1.35). ``persistentVolumeClaimRetentionPolicy`` is defaulted to Retain/Retain
  (StatefulSetAutoDeletePVC, on by default since 1.27, GA in 1.32).
* ``minReadySeconds`` is not defaulted by the API server; it is the Go zero value 0, which we
  fill in so that consumers need not special-case it.

A field with the wrong type (``replicas: "3"``, ``strategy: []``) is treated as absent and
gets its default: validation rules report the wrong type on the raw manifest.
"""

from __future__ import annotations

from collections.abc import Mapping

from kpolicy.workload import int_or_string, int_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

__all__ = [
    "DEFAULT_PROGRESS_DEADLINE_SECONDS",
    "DEFAULT_REPLICAS",
    "DEFAULT_REVISION_HISTORY_LIMIT",
    "apps_v1_defaults",
]

DEFAULT_REPLICAS: Final = 1
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS: Final = 600
DEFAULT_MIN_READY_SECONDS: Final = 0

ROLLING_UPDATE: Final = "RollingUpdate"
ORDERED_READY: Final = "OrderedReady"
RETAIN: Final = "Retain"


def _plain(value: Any) -> Any:
    """A deep copy made of plain dicts and lists (any Mapping, e.g. ruamel's, becomes a dict)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or value.__class__ in (str, int, float, bool):
        return value  # what copy.copy gives for these: the value itself
    import copy  # for anything else: copy is 0.7 ms of a one-file start-up

    return copy.copy(value)


def _default_int(spec: dict[str, Any], key: str, default: int) -> None:
    number = int_value(spec.get(key))
    spec[key] = default if number is None else number


def _default_int_or_string(block: dict[str, Any], key: str, default: int | str) -> None:
    value = int_or_string(block.get(key))
    block[key] = default if value is None else value


def _sub_mapping(parent: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The child mapping at ``key`` as a fresh dict, or None when absent or wrong-typed."""
    value = parent.get(key)
    if isinstance(value, Mapping):
        child = dict(value)
        parent[key] = child
        return child
    return None


def _ensure_mapping(parent: dict[str, Any], key: str) -> dict[str, Any]:
    child = _sub_mapping(parent, key)
    if child is None:
        child = {}
        parent[key] = child
    return child


def _strategy_type(block: dict[str, Any]) -> str:
    # an empty (or wrong-typed, hence absent) type becomes RollingUpdate
    value = block.get("type")
    if not isinstance(value, str) or not value:
        block["type"] = ROLLING_UPDATE
    result: str = block["type"]
    return result


# follows k8s.io/kubernetes/pkg/apis/apps/v1.SetDefaults_Deployment
def _deployment(spec: dict[str, Any]) -> None:
    _default_int(spec, "replicas", DEFAULT_REPLICAS)
    strategy = _ensure_mapping(spec, "strategy")
    if _strategy_type(strategy) == ROLLING_UPDATE:
        rolling_update = _ensure_mapping(strategy, "rollingUpdate")
        _default_int_or_string(rolling_update, "maxUnavailable", "25%")
        _default_int_or_string(rolling_update, "maxSurge", "25%")
    _default_int(spec, "revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    _default_int(spec, "progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
    _default_int(spec, "minReadySeconds", DEFAULT_MIN_READY_SECONDS)


# follows k8s.io/kubernetes/pkg/apis/apps/v1.SetDefaults_DaemonSet
def _daemonset(spec: dict[str, Any]) -> None:
    strategy = _ensure_mapping(spec, "updateStrategy")
    if _strategy_type(strategy) == ROLLING_UPDATE:
        rolling_update = _ensure_mapping(strategy, "rollingUpdate")
        _default_int_or_string(rolling_update, "maxUnavailable", 1)
        _default_int_or_string(rolling_update, "maxSurge", 0)
    _default_int(spec, "revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    _default_int(spec, "minReadySeconds", DEFAULT_MIN_READY_SECONDS)


# follows k8s.io/kubernetes/pkg/apis/apps/v1.SetDefaults_StatefulSet
def _statefulset(spec: dict[str, Any], max_unavailable_statefulset: bool) -> None:
    policy = spec.get("podManagementPolicy")
    if not isinstance(policy, str) or not policy:
        spec["podManagementPolicy"] = ORDERED_READY
    strategy = _ensure_mapping(spec, "updateStrategy")
    strategy_type = strategy.get("type")
    if not isinstance(strategy_type, str) or not strategy_type:
        strategy["type"] = ROLLING_UPDATE
        _ensure_mapping(strategy, "rollingUpdate")
    rolling_update = _sub_mapping(strategy, "rollingUpdate")
    if rolling_update is None:
        strategy.pop("rollingUpdate", None)  # absent, or wrong-typed and so treated as absent
    elif strategy["type"] == ROLLING_UPDATE:
        _default_int(rolling_update, "partition", 0)
        if max_unavailable_statefulset:
            _default_int_or_string(rolling_update, "maxUnavailable", 1)
    retention = _ensure_mapping(spec, "persistentVolumeClaimRetentionPolicy")
    for key in ("whenDeleted", "whenScaled"):
        value = retention.get(key)
        if not isinstance(value, str) or not value:
            retention[key] = RETAIN
    _default_int(spec, "replicas", DEFAULT_REPLICAS)
    _default_int(spec, "revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    _default_int(spec, "minReadySeconds", DEFAULT_MIN_READY_SECONDS)


# follows k8s.io/kubernetes/pkg/apis/apps/v1.SetDefaults_ReplicaSet
def _replicaset(spec: dict[str, Any]) -> None:
    _default_int(spec, "replicas", DEFAULT_REPLICAS)
    _default_int(spec, "minReadySeconds", DEFAULT_MIN_READY_SECONDS)


def apps_v1_defaults(
    kind: str, spec: object, *, max_unavailable_statefulset: bool = True, shared: bool = False
) -> dict[str, Any]:
    """A new dict: a deep copy of ``spec`` with the apps/v1 defaults of ``kind`` filled in.

    With ``shared``, only what defaulting changes is copied (the spec and the strategy
    mappings) and everything else (the pod template) is the caller's own objects: for readers
    that do not modify the result, at a fraction of the cost.

    ``kind`` is Deployment, DaemonSet, StatefulSet or ReplicaSet; any other kind gets a plain
    copy. ``spec`` is never modified; a non-mapping ``spec`` is treated as ``{}``.
    ``max_unavailable_statefulset`` says whether the MaxUnavailableStatefulSet feature gate is
    on (the default since Kubernetes 1.35).

    Filled in: ``replicas`` 1; Deployment ``strategy`` RollingUpdate with 25%/25%,
    ``progressDeadlineSeconds`` 600; DaemonSet ``updateStrategy`` RollingUpdate with
    maxUnavailable 1 and maxSurge 0; StatefulSet ``podManagementPolicy`` OrderedReady,
    ``updateStrategy`` RollingUpdate with partition 0 (and maxUnavailable 1 under the gate),
    ``persistentVolumeClaimRetentionPolicy`` Retain/Retain; ``revisionHistoryLimit`` 10;
    ``minReadySeconds`` 0.
    """
    result: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        result = dict(spec) if shared else _plain(spec)
    if kind == "Deployment":
        _deployment(result)
    elif kind == "DaemonSet":
        _daemonset(result)
    elif kind == "StatefulSet":
        _statefulset(result, max_unavailable_statefulset)
    elif kind == "ReplicaSet":
        _replicaset(result)
    return result
