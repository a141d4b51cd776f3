"""Update strategies, rolling-update parameters, revision history and rollout settings.

Every rule here judges the object as the API server sees it after the apps/v1 defaulting of
``pkg/apis/apps/v1/defaults.go`` (SetDefaults_Deployment, SetDefaults_DaemonSet,
SetDefaults_StatefulSet): an absent ``strategy.type`` is RollingUpdate, an absent Deployment
``maxSurge``/``maxUnavailable`` is 25%, an absent DaemonSet ``maxUnavailable`` is 1 and
``maxSurge`` 0, an absent ``progressDeadlineSeconds`` is 600. Defaulting is specific to apps/v1,
so the rules that depend on it only look at apps/v1 objects (older group versions are no longer
served, which ``api-version-removed`` reports).

A field of the wrong type (a mapping where a number belongs, a boolean ``maxSurge``) makes the
request undecodable; that is the schema rules' finding, so these rules skip the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from kpolicy.checks import RuleContext, check
from kpolicy.checks.podspec import is_builtin
from kpolicy.features import gate_enabled
from kpolicy.fix import delete_key, set_value
from kpolicy.k8s.defaults import DEFAULT_PROGRESS_DEADLINE_SECONDS, apps_v1_defaults
from kpolicy.k8s.intstr import (
    atoi,
    atoi_text,
    daemonset_surge_and_unavailable,
    digits_int,
    is_not_more_than_100_percent,
    may_fit_int64,
    percent_value,
    resolve_fenceposts,
    statefulset_max_unavailable,
    validate_int_or_percent,
)
from kpolicy.model import Fix, KObject, Path, Problem
from kpolicy.records import record
from kpolicy.workload import (
    WORKLOAD_KINDS,
    get,
    int32_value,
    int_or_string,
    pod_spec,
    spec_of,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

APPS_V1: Final = "apps/v1"
ROLLING_UPDATE: Final = "RollingUpdate"
RECREATE: Final = "Recreate"
ON_DELETE: Final = "OnDelete"

# kind -> the strategy types the API server accepts (where the strategy is: WORKLOAD_KINDS)
_STRATEGY_TYPES: Final = {
    "Deployment": (RECREATE, ROLLING_UPDATE),
    "DaemonSet": (ROLLING_UPDATE, ON_DELETE),
    "StatefulSet": (ROLLING_UPDATE, ON_DELETE),
}


def _strategy_field(kind: str) -> str | None:
    """The spec field holding the update strategy of a kind with a rollout (``strategy`` or
    ``updateStrategy``), None for other kinds."""
    found = WORKLOAD_KINDS.get(kind)
    if kind not in _STRATEGY_TYPES or found is None or found.strategy is None:
        return None
    return str(found.strategy[-1])


# MaxUnavailableStatefulSet: alpha (off) from 1.24 to 1.34, beta (on) from 1.35.
_MAX_UNAVAILABLE_STATEFULSET_GATE: Final = "MaxUnavailableStatefulSet"


# ---------------------------------------------------------------------------------------------
# reading the object after defaulting


def _is_apps_v1(obj: KObject) -> bool:
    return obj.data.get("apiVersion") == APPS_V1


# follows apps/validation.getIntOrPercentValue: a valid percentage gives its number, anything
# else IntOrString.IntValue (an int as is, a string through strconv.Atoi, 0 when that fails)
def _go_int_or_percent_value(value: int | str) -> int:
    if isinstance(value, int):
        return value
    percent = percent_value(value)
    if percent is not None:
        return percent
    number = atoi(value)
    return 0 if number is None else number


def _show(value: int | str) -> str:
    return repr(value) if isinstance(value, str) else str(value)


@record(frozen=True)
class _Strategy:
    field: str  # "strategy" or "updateStrategy"
    type: str  # after defaulting: "" becomes RollingUpdate
    rolling_update: object  # the written rollingUpdate value (None when absent or null)


def _strategy(obj: KObject) -> _Strategy | None:
    """The update strategy after defaulting, or None when it is wrongly typed."""
    field_name = _strategy_field(obj.ref.kind or "")  # obj.kind without the property's call
    spec = spec_of(obj)
    if field_name is None or spec is None:
        return None
    raw = spec.get(field_name)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return None
    written = raw.get("type")
    if written is not None and not isinstance(written, str):
        return None
    effective = written or ROLLING_UPDATE
    return _Strategy(field_name, effective, raw.get("rollingUpdate"))


@record(frozen=True)
class RollingParam:
    """One of maxSurge / maxUnavailable after defaulting."""

    name: str
    path: Path
    value: int | str
    written: bool

    @property
    def shown(self) -> str:
        return _show(self.value)

    @property
    def errors(self) -> list[str]:
        """What ValidatePositiveIntOrPercent rejects in a written value."""
        return validate_int_or_percent(self.value) if self.written else []


@record(frozen=True)
class RollingUpdateParams:
    """The rolling-update parameters the API server validates and the controller reads."""

    kind: str
    path: Path
    params: dict[str, RollingParam]

    @property
    def well_formed(self) -> bool:
        return all(not p.errors for p in self.params.values())


def rolling_update_params(obj: KObject, ctx: RuleContext) -> RollingUpdateParams | None:
    """The rollingUpdate of an apps/v1 RollingUpdate workload after defaulting, else None.

    Computed once per object and run (three rules ask).

    None also when the API server would not validate the parameters: another strategy type,
    a wrongly typed field, a StatefulSet whose explicit RollingUpdate type keeps a nil
    ``rollingUpdate``. A StatefulSet's ``maxUnavailable`` is left out when the
    MaxUnavailableStatefulSet gate is off: dropStatefulSetDisabledFields
    (pkg/registry/apps/statefulset/strategy.go) clears it on create before validation.
    """
    return ctx.index.memo(
        ("rolling_update_params", id(obj)), lambda: _rolling_update_params(obj, ctx)
    )


def _rolling_update_params(obj: KObject, ctx: RuleContext) -> RollingUpdateParams | None:
    spec = spec_of(obj)
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    field_name = _strategy_field(kind)
    if (
        spec is not None
        and field_name is not None
        and spec.get(field_name) is None
        and _is_apps_v1(obj)
    ):
        # no strategy written (most workloads): the parameters are the kind's defaults, the
        # same for every such object (read, never changed)
        gate = max_unavailable_statefulset_enabled(ctx)
        key = kind, gate
        found = _DEFAULTED.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = _DEFAULTED[key] = _worked_out_params(obj, ctx)
        return found  # type: ignore[return-value]
    return _worked_out_params(obj, ctx)


# (kind, MaxUnavailableStatefulSet) → the parameters of an apps/v1 object of that kind whose
# spec has no strategy: a pure function of the two (tests/test_check_fast_paths.py)
_DEFAULTED: dict[tuple[str, bool], RollingUpdateParams | None] = {}
_UNKNOWN: Final = object()


def _worked_out_params(obj: KObject, ctx: RuleContext) -> RollingUpdateParams | None:
    spec = spec_of(obj)
    strategy = _strategy(obj)
    if spec is None or strategy is None or not _is_apps_v1(obj):
        return None
    written_ru = strategy.rolling_update
    if written_ru is not None and not isinstance(written_ru, dict):
        return None
    gate = max_unavailable_statefulset_enabled(ctx)
    # the defaulted strategy depends on the written strategy alone (and the gate): the rest of
    # the spec is left out of the defaulting (tests/test_check_fast_paths.py)
    alone = {strategy.field: spec[strategy.field]} if strategy.field in spec else {}
    defaulted = apps_v1_defaults(obj.kind, alone, max_unavailable_statefulset=gate, shared=True)
    defaulted_strategy = defaulted.get(strategy.field)
    if not isinstance(defaulted_strategy, dict) or defaulted_strategy.get("type") != ROLLING_UPDATE:
        return None
    defaulted_ru = defaulted_strategy.get("rollingUpdate")
    if not isinstance(defaulted_ru, dict):
        return None
    path: Path = ("spec", strategy.field, "rollingUpdate")
    if obj.kind == "StatefulSet":
        names: tuple[str, ...] = ("maxUnavailable",) if gate else ()
    else:
        names = ("maxUnavailable", "maxSurge")
    params: dict[str, RollingParam] = {}
    for name in names:
        raw = (written_ru or {}).get(name)
        value = defaulted_ru.get(name) if raw is None else int_or_string(raw)
        if not isinstance(value, int | str) or isinstance(value, bool):
            return None  # a wrongly typed value: the schema rules' finding
        params[name] = RollingParam(name, (*path, name), value, written=raw is not None)
    return RollingUpdateParams(obj.kind, path, params)


def max_unavailable_statefulset_enabled(ctx: RuleContext) -> bool:
    """Whether the MaxUnavailableStatefulSet gate is on for the selected Kubernetes version."""
    return gate_enabled(
        _MAX_UNAVAILABLE_STATEFULSET_GATE, ctx.kubernetes_version, ctx.feature_gates
    )


def _int_field(spec: Mapping[str, Any], name: str, default: int | None) -> int | None:
    """An int32 field after defaulting; None when absent without default or wrongly typed."""
    raw = spec.get(name)
    if raw is None:
        return default
    return int32_value(raw)


# ---------------------------------------------------------------------------------------------
# rolling-update-invalid


def _format_problems(param: RollingParam, *, at_most_100: bool = True) -> Iterator[Problem]:
    value = param.value
    if not param.written:
        return
    if isinstance(value, str):
        if percent_value(value) is None:
            hint = "digits followed by '%', such as '25%'"
            if atoi_text(value):
                # (a number past int64 as written: int() refuses more than 4,300 digits)
                number = digits_int(value) if may_fit_int64(value) else value
                hint += f", or the integer {number} without quotes"
            yield Problem(
                param.path,
                f"{param.name} {value!r} is not a valid percentage; the API server rejects "
                f"this: a string must be {hint}",
            )
    elif value < 0:
        yield Problem(
            param.path,
            f"{param.name} {value} is negative; the API server rejects this: it must be 0 or more",
        )
    if at_most_100 and is_not_more_than_100_percent(value):
        yield Problem(
            param.path,
            f"{param.name} {value!r} is more than 100%; the API server rejects this: "
            "a share of the pods cannot exceed all of them",
        )


# ValidateDeploymentStrategy -> ValidateRollingUpdateDeployment,
# ValidateDaemonSetUpdateStrategy -> ValidateRollingUpdateDaemonSet,
# ValidateStatefulSetSpec -> validateRollingUpdateStatefulSet (pkg/apis/apps/validation), each
# with ValidatePositiveIntOrPercent and IsNotMoreThan100Percent
@check("rolling-update-invalid")
def rolling_update_invalid(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    rolling = rolling_update_params(obj, ctx)
    if rolling is None:
        return ()
    for param in rolling.params.values():
        if param.written:
            return _rolling_update_invalid(obj, ctx, rolling)
    return ()  # the kind's defaults, which the API server accepts (tests/test_check_fast_paths)


def _rolling_update_invalid(
    obj: KObject, ctx: RuleContext, rolling: RollingUpdateParams
) -> Iterator[Problem]:
    unavailable = rolling.params.get("maxUnavailable")
    surge = rolling.params.get("maxSurge")
    if obj.kind == "Deployment" and unavailable and surge:
        yield from _format_problems(unavailable)
        # only maxUnavailable is bounded by 100% for a Deployment; a surge above 100% is fine
        yield from _format_problems(surge, at_most_100=False)
        if rolling.well_formed and (
            _go_int_or_percent_value(unavailable.value) == 0
            and _go_int_or_percent_value(surge.value) == 0
        ):
            yield Problem(
                unavailable.path,
                f"maxUnavailable {unavailable.shown} and maxSurge {surge.shown} are both 0, so "
                "no pod could ever be replaced; the API server rejects this: maxUnavailable "
                "cannot be 0 while maxSurge is 0",
            )
    elif obj.kind == "DaemonSet" and unavailable and surge:
        yield from _format_problems(unavailable)
        yield from _format_problems(surge)
        if not rolling.well_formed:
            return  # a malformed value reads as 0 below; its own finding is enough
        has_unavailable = _go_int_or_percent_value(unavailable.value) != 0
        has_surge = _go_int_or_percent_value(surge.value) != 0
        if has_unavailable and has_surge:
            if unavailable.written:
                detail = f"maxUnavailable is {unavailable.shown}"
            else:
                detail = f"maxUnavailable is not set and defaults to {unavailable.shown}"
            yield Problem(
                surge.path,
                f"maxSurge {surge.shown} is set while {detail}; the API server rejects this: "
                "a DaemonSet may surge only with maxUnavailable 0",
                fix=set_value(
                    obj,
                    unavailable.path,
                    0,
                    "Set maxUnavailable: 0 (a DaemonSet surges only with maxUnavailable 0)",
                    before="maxSurge",
                )
                if ctx.fixes
                else None,
            )
        elif not has_unavailable and not has_surge:
            surge_detail = surge.shown if surge.written else f"{surge.shown} (the default)"
            yield Problem(
                unavailable.path,
                f"maxUnavailable {unavailable.shown} and maxSurge {surge_detail} are both 0, "
                "so no daemon pod could ever be replaced; the API server rejects this: "
                "exactly one of them must be non-zero",
            )
    elif obj.kind == "StatefulSet" and unavailable:
        yield from _format_problems(unavailable)
        if not unavailable.errors and _go_int_or_percent_value(unavailable.value) == 0:
            yield Problem(
                unavailable.path,
                f"maxUnavailable {unavailable.shown} would let no pod be taken down for the "
                "update; the API server rejects this: maxUnavailable cannot be 0",
            )


# ---------------------------------------------------------------------------------------------
# strategy-invalid


# ValidateDeploymentStrategy, ValidateDaemonSetUpdateStrategy and the updateStrategy switch of
# ValidateStatefulSetSpec (pkg/apis/apps/validation)
@check("strategy-invalid")
def strategy_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if not _is_apps_v1(obj):
        return
    strategy = _strategy(obj)
    if strategy is None:
        return
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    field_name, allowed = strategy.field, _STRATEGY_TYPES[kind]
    if strategy.type not in allowed:
        near = [name for name in allowed if name.lower() == strategy.type.lower()]
        hint = f" (the values are case-sensitive: {near[0]})" if near else ""
        yield Problem(
            ("spec", strategy.field, "type"),
            f"{field_name}.type {strategy.type!r} is not a {obj.kind} strategy; the API server "
            f"rejects this: it must be {allowed[0]} or {allowed[1]}{hint}",
        )
        return
    # a rollingUpdate mapping (even {}) decodes to a non-nil pointer, which Recreate forbids;
    # null decodes to nil and is accepted
    if (
        kind == "Deployment"
        and strategy.type == RECREATE
        and isinstance(strategy.rolling_update, dict)
    ):
        yield Problem(
            ("spec", strategy.field, "rollingUpdate"),
            "strategy.rollingUpdate is set while strategy.type is Recreate; the API server "
            "rejects this: rollingUpdate is only allowed with type RollingUpdate",
            anchor="key",
        )


# ---------------------------------------------------------------------------------------------
# rollout-takes-all-down


def rolling_update_accepted(rolling: RollingUpdateParams) -> bool:
    """True when rolling-update-invalid has nothing to say about these parameters."""
    if not rolling.well_formed:
        return False
    bounded = ("maxUnavailable",) if rolling.kind == "Deployment" else tuple(rolling.params)
    if any(is_not_more_than_100_percent(rolling.params[name].value) for name in bounded):
        return False
    values = {name: _go_int_or_percent_value(p.value) for name, p in rolling.params.items()}
    if rolling.kind == "Deployment":
        return not (values["maxUnavailable"] == 0 and values["maxSurge"] == 0)
    if rolling.kind == "DaemonSet":
        return (values["maxUnavailable"] != 0) != (values["maxSurge"] != 0)
    return values.get("maxUnavailable", 1) != 0


def eligible_node_count(obj: KObject, ctx: RuleContext) -> int | None:
    """How many ``--nodes`` Nodes run this DaemonSet's pod (desiredNumberScheduled), or None."""
    if ctx.nodes is None:
        return None
    found = pod_spec(obj)
    if found is None:
        return None
    _, spec = found
    # with --nodes only: kpolicy.k8s.scheduling is not imported at start-up
    from kpolicy.k8s.scheduling import daemon_pod_tolerations, daemon_should_run

    tolerations = daemon_pod_tolerations(spec)  # the same on every node
    return sum(1 for node in ctx.nodes if daemon_should_run(node.data, spec, tolerations)[0])


@check("rollout-takes-all-down")
def rollout_takes_all_down(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    rolling = rolling_update_params(obj, ctx)
    spec = spec_of(obj)
    if rolling is None or spec is None:
        return
    unavailable = rolling.params.get("maxUnavailable")
    if unavailable is None or not unavailable.written:
        return  # the defaults (25%, 1) never take more than one of several pods down
    if not rolling_update_accepted(rolling):
        return
    if obj.kind == "Deployment":
        yield from _deployment_all_down(obj, rolling, unavailable, spec)
    elif obj.kind == "StatefulSet":
        yield from _statefulset_all_down(obj, rolling, unavailable, spec)
    elif obj.kind == "DaemonSet":
        yield from _daemonset_all_down(obj, ctx, rolling, unavailable)


def _one_down(obj: KObject, unavailable: RollingParam) -> Fix | None:
    return set_value(
        obj,
        unavailable.path,
        1,
        "Set maxUnavailable: 1 (unsafe: a rollout then replaces one pod at a time, more slowly)",
        "unsafe",
    )


# follows deployment/util.MaxUnavailable: ResolveFenceposts, then clamped to the replica count
def _deployment_all_down(
    obj: KObject, rolling: RollingUpdateParams, unavailable: RollingParam, spec: Mapping[str, Any]
) -> Iterator[Problem]:
    replicas = _int_field(spec, "replicas", 1)
    if replicas is None or replicas <= 1:
        return
    try:
        _, resolved = resolve_fenceposts(
            rolling.params["maxSurge"].value, unavailable.value, replicas
        )
    except ValueError:
        return
    if min(resolved, replicas) == replicas:
        yield Problem(
            unavailable.path,
            f"maxUnavailable {unavailable.shown} lets a rollout take all {replicas} replicas of "
            f"the Deployment down at once{_resolution(unavailable, replicas, resolved, 'down')}",
            fix=_one_down(obj, unavailable),
        )


# follows statefulset.getStatefulSetMaxUnavailable as used by
# updateStatefulSetAfterInvariantEstablished: pods from the highest ordinal down to the
# partition are deleted, up to maxUnavailable at a time
def _statefulset_all_down(
    obj: KObject, rolling: RollingUpdateParams, unavailable: RollingParam, spec: Mapping[str, Any]
) -> Iterator[Problem]:
    replicas = _int_field(spec, "replicas", 1)
    if replicas is None or replicas <= 1:
        return
    partition = _int_field(mapping_at(spec, "updateStrategy", "rollingUpdate"), "partition", 0)
    if partition is None or partition > 0:
        return  # pods below the partition are never touched
    try:
        resolved = statefulset_max_unavailable(unavailable.value, replicas)
    except ValueError:
        return
    if resolved >= replicas:
        yield Problem(
            unavailable.path,
            f"maxUnavailable {unavailable.shown} lets an update take all {replicas} pods of "
            f"the StatefulSet down at once{_resolution(unavailable, replicas, resolved, 'down')}",
            fix=_one_down(obj, unavailable),
        )


# follows daemon/util.UnavailableCount and SurgeCount with the fallback of
# DaemonSetsController.updatedDesiredNodeCounts; the pod count is the number of nodes
def _daemonset_all_down(
    obj: KObject, ctx: RuleContext, rolling: RollingUpdateParams, unavailable: RollingParam
) -> Iterator[Problem]:
    nodes = eligible_node_count(obj, ctx)
    if nodes is None:
        # without --nodes the node count is unknown; only 100% reaches every count
        if percent_value(unavailable.value) == 100:
            yield Problem(
                unavailable.path,
                f"maxUnavailable {unavailable.shown} lets an update take the daemon pod down "
                "on every node at once",
                fix=_one_down(obj, unavailable) if ctx.fixes else None,
            )
        return
    if nodes <= 1:
        return
    try:
        _, resolved = daemonset_surge_and_unavailable(
            rolling.params["maxSurge"].value, unavailable.value, nodes
        )
    except ValueError:
        return
    if resolved >= nodes:
        yield Problem(
            unavailable.path,
            f"maxUnavailable {unavailable.shown} lets an update take the daemon pod down on all "
            f"{nodes} nodes that run it at once{_resolution(unavailable, nodes, resolved, 'up')}",
            fix=_one_down(obj, unavailable) if ctx.fixes else None,
        )


def _resolution(unavailable: RollingParam, total: int, resolved: int, rounding: str) -> str:
    """How the value came to cover every pod, as a parenthesis ("" when it says so itself)."""
    if isinstance(unavailable.value, str):
        return f" ({unavailable.value} of {total} rounds {rounding} to {resolved})"
    if unavailable.value > total:
        return f" ({unavailable.value} is more than {total})"
    return ""


def mapping_at(data: object, *path: str) -> dict[str, Any]:
    value = get(data, *path)
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------------------------------------
# progress-deadline-too-short, revision-history-limit-zero, deployment-paused, value-negative


# ValidateDeploymentSpec: a set progressDeadlineSeconds must be greater than minReadySeconds,
# and SetDefaults_Deployment always sets it (600)
@check("progress-deadline-too-short")
def progress_deadline_too_short(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    spec = spec_of(obj)
    if spec is None or not _is_apps_v1(obj):
        return
    deadline = _int_field(spec, "progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
    min_ready = _int_field(spec, "minReadySeconds", 0)
    if deadline is None or min_ready is None or deadline < 0 or min_ready < 0:
        return  # wrong types are the schema rules' finding, negatives value-negative's
    if deadline > min_ready:
        return
    if spec.get("progressDeadlineSeconds") is None:
        yield Problem(
            ("spec", "minReadySeconds"),
            f"minReadySeconds {min_ready} is not less than progressDeadlineSeconds, which "
            f"defaults to {deadline}; the API server rejects this: a rollout would time out "
            "before any new pod could count as available",
        )
        return
    yield Problem(
        ("spec", "progressDeadlineSeconds"),
        f"progressDeadlineSeconds {deadline} is not greater than minReadySeconds {min_ready}"
        f"{' (the default)' if spec.get('minReadySeconds') is None else ''}; "
        "the API server rejects this: a rollout would time out before any new pod could count "
        "as available",
    )


# SetDefaults_Deployment, SetDefaults_DaemonSet, SetDefaults_StatefulSet (pkg/apis/apps/v1)
_DEFAULT_HISTORY: Final = 10
_HISTORY_KEPT: Final = {
    "Deployment": "old ReplicaSet",
    "DaemonSet": "old ControllerRevision",
    "StatefulSet": "old ControllerRevision",
}


@check("revision-history-limit-zero")
def revision_history_limit_zero(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    spec = spec_of(obj)
    if spec is None or obj.ref.kind not in _HISTORY_KEPT:  # obj.kind without its call
        return
    if int32_value(spec.get("revisionHistoryLimit")) != 0:
        return
    yield Problem(
        ("spec", "revisionHistoryLimit"),
        f"revisionHistoryLimit 0 keeps no {_HISTORY_KEPT[obj.kind]} once a rollout completes, "
        f"so kubectl rollout undo has nothing to return to",
        # the pods are untouched: only how many old revisions the controller keeps
        fix=set_value(
            obj,
            ("spec", "revisionHistoryLimit"),
            _DEFAULT_HISTORY,
            f"Set revisionHistoryLimit: {_DEFAULT_HISTORY} (the default)",
        )
        if ctx.fixes
        else None,
    )


@check("deployment-paused")
def deployment_paused(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    spec = spec_of(obj)
    if spec is None or spec.get("paused") is not True:
        return
    yield Problem(
        ("spec", "paused"),
        "the Deployment is paused: changes to its pod template are not rolled out until it "
        "is resumed (kubectl rollout resume)",
    )


# kind -> the int32 spec fields that ValidateNonnegativeField checks:
# ValidateDeploymentSpec, ValidateStatefulSetSpec, ValidateDaemonSetSpec, ValidateReplicaSetSpec
# (pkg/apis/apps/validation), ValidateReplicationControllerSpec (pkg/apis/core/validation). A
# StatefulSet's revisionHistoryLimit is statefulset-revision-history-negative's (a warning).
_NON_NEGATIVE: Final = {
    "Deployment": (
        "replicas",
        "minReadySeconds",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
    ),
    "StatefulSet": ("replicas", "minReadySeconds"),
    "DaemonSet": ("minReadySeconds", "revisionHistoryLimit"),
    "ReplicaSet": ("replicas", "minReadySeconds"),
    "ReplicationController": ("replicas", "minReadySeconds"),
}
# validateJobSpec (pkg/apis/batch/validation), for a Job's spec and a CronJob's
# jobTemplate.spec (ValidateJobTemplateSpec)
_JOB_NON_NEGATIVE: Final = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
)
# validateCronJobSpec
_CRONJOB_NON_NEGATIVE: Final = (
    "startingDeadlineSeconds",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
)


# The defaults the API server gives a field left out: SetDefaults_Deployment,
# SetDefaults_StatefulSet, SetDefaults_DaemonSet, SetDefaults_ReplicaSet (pkg/apis/apps/v1),
# SetDefaults_ReplicationController (pkg/apis/core/v1), SetDefaults_Job and SetDefaults_CronJob
# (pkg/apis/batch/v1). A field with no default (activeDeadlineSeconds: no deadline) or one that
# depends on others (completions) gets no fix.
_DEFAULTS: Final[dict[tuple[str, str], int]] = {
    **{(kind, "replicas"): 1 for kind in _NON_NEGATIVE},
    **{(kind, "minReadySeconds"): 0 for kind in _NON_NEGATIVE},
    ("Deployment", "revisionHistoryLimit"): 10,
    ("DaemonSet", "revisionHistoryLimit"): 10,
    ("Deployment", "progressDeadlineSeconds"): DEFAULT_PROGRESS_DEADLINE_SECONDS,
    ("Job", "parallelism"): 1,
    ("Job", "backoffLimit"): 6,
    ("CronJob", "parallelism"): 1,
    ("CronJob", "backoffLimit"): 6,
    ("CronJob", "successfulJobsHistoryLimit"): 3,
    ("CronJob", "failedJobsHistoryLimit"): 1,
}


def _negative_fields(obj: KObject) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """(the path of a spec, the names of its fields that must not be negative)."""
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    if kind in _NON_NEGATIVE:
        yield ("spec",), _NON_NEGATIVE[kind]
    elif kind == "Job" and is_builtin(obj):
        yield ("spec",), _JOB_NON_NEGATIVE
    elif kind == "CronJob" and is_builtin(obj):
        yield ("spec",), _CRONJOB_NON_NEGATIVE
        yield ("spec", "jobTemplate", "spec"), _JOB_NON_NEGATIVE


@check("value-negative")
def value_negative(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    for spec_path, fields in _negative_fields(obj):
        spec = get(obj.data, *spec_path)
        if not isinstance(spec, dict):
            continue
        for name in fields:
            raw = spec.get(name)
            if raw is None or (raw.__class__ is int and raw >= 0):
                continue  # absent, or a non-negative number (the usual case)
            value = int32_value(raw)
            if value is not None and value < 0:
                default = _DEFAULTS.get((obj.kind, name))
                yield Problem(
                    (*spec_path, name),
                    f"{name} {value} is negative; the API server rejects this: it must be 0 or "
                    "more",
                    # the object is rejected as written: removing the field only makes it valid
                    fix=None
                    if default is None or not ctx.fixes
                    else delete_key(
                        obj,
                        (*spec_path, name),
                        f"Remove {name} (the default {default} applies)",
                    ),
                )
