"""Jobs and CronJobs: what ``pkg/apis/batch/validation`` rejects in them.

A Job's spec and a CronJob's ``spec.jobTemplate.spec`` go through the same ``validateJobSpec``;
the CronJob is rejected as a whole when its job template is wrong (``ValidateJobTemplateSpec``
from ``validateCronJobSpec``). Defaulting differs: ``SetDefaults_Job`` (pkg/apis/batch/v1)
runs on Job objects only, so a Job with neither ``completions`` nor ``parallelism`` gets both
set to 1, while a CronJob's job template is validated as written.

Fields behind a feature gate that is off are dropped by the Job strategy before validation
(``dropDisabledFields`` in pkg/registry/batch/job/strategy.go); the checks of such a field run
only when its gate is on for the selected version (``kpolicy.features``).

Wrongly typed values are the schema rules' finding and are skipped here. Findings about a field
that is left out are not made on kustomize patches, which are fragments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from kpolicy.checks import RuleContext, check, few
from kpolicy.checks.podspec import is_builtin, quoted_detail
from kpolicy.checks.schema_rules import is_patch
from kpolicy.features import gate_enabled
from kpolicy.k8s.intstr import atoi
from kpolicy.k8s.selector import Selector
from kpolicy.k8s.validation import is_dns1123_subdomain, is_qualified_name
from kpolicy.lazyre import lazy_compile
from kpolicy.model import KObject, Path, Problem
from kpolicy.versions import minor
from kpolicy.workload import get, int_value, mapping, sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

REJECTS: Final = "the API server rejects this"

# constants of pkg/apis/batch/validation/validation.go
_MAX_PARALLELISM_INDEXED: Final = 100_000  # maxParallelismForIndexedJob
_MAX_FAILED_INDEXES: Final = 100_000  # maxFailedIndexesForIndexedJob
_COMPLETIONS_SOFT_LIMIT: Final = 100_000  # completionsSoftLimit
_PARALLELISM_HIGH_COMPLETIONS: Final = 10_000  # parallelismLimitForHighCompletions
_MAX_FAILED_HIGH_COMPLETIONS: Final = 10_000  # maxFailedIndexesLimitForHighCompletions
_MAX_POD_FAILURE_RULES: Final = 20  # maxPodFailurePolicyRules
_MAX_EXIT_CODES: Final = 255  # maxPodFailurePolicyOnExitCodesValues
_MAX_CONDITION_PATTERNS: Final = 20  # maxPodFailurePolicyOnPodConditionsPatterns
_MAX_MANAGED_BY: Final = 63  # maxManagedByLength
_MAX_SUCCEEDED_INDEXES: Final = 64 * 1024  # maxJobSuccessPolicySucceededIndexesLimit
_MAX_SUCCESS_RULES: Final = 20  # maxSuccessPolicyRule

_POD_FAILURE_ACTIONS: Final = ("Count", "FailIndex", "FailJob", "Ignore")
_EXIT_CODE_OPERATORS: Final = ("In", "NotIn")
_CONDITION_STATUSES: Final = ("False", "True", "Unknown")
_REPLACEMENT_POLICIES: Final = ("Failed", "TerminatingOrFailed")
_CONCURRENCY_POLICIES: Final = ("Allow", "Forbid", "Replace")

# kubernetes/kubernetes#116252: from Kubernetes 1.29 a new CronJob whose schedule contains TZ
# (a TZ= or CRON_TZ= prefix) is rejected; before, it was accepted with a warning
_TZ_IN_SCHEDULE_REJECTED_FROM: Final = 29

# the labels generateSelector (pkg/registry/batch/job/strategy.go) gives a Job's pod template
_JOB_NAME_LABELS: Final = ("job-name", "batch.kubernetes.io/job-name")
_CONTROLLER_UID_LABELS: Final = ("controller-uid", "batch.kubernetes.io/controller-uid")
# stands for the UID the API server gives the new Job: no label value can equal it
_NEW_UID: Final = "\x00uid"
_GENERATED_NAME: Final = "\x00name"  # the name of a Job written with generateName only


def job_spec(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    """The spec of a built-in Job, or the job template spec of a built-in CronJob."""
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    if kind not in ("Job", "CronJob") or not is_builtin(obj):
        return None
    path: Path = ("spec",) if kind == "Job" else ("spec", "jobTemplate", "spec")
    spec = get(obj.data, *path)
    if not isinstance(spec, dict):
        return None
    return path, spec


def _int(spec: Mapping[str, Any], key: str) -> int | None:
    return int_value(spec.get(key))


def _indexed(spec: Mapping[str, Any]) -> bool:
    return spec.get("completionMode") == "Indexed"


def _completions(obj: KObject, spec: Mapping[str, Any]) -> int | None:
    """completions after defaulting: SetDefaults_Job sets 1 when neither completions nor
    parallelism is written (Job objects only, not a CronJob's job template)."""
    if spec.get("completions") is None and spec.get("parallelism") is None and obj.kind == "Job":
        return 1
    return _int(spec, "completions")


class _Patch:
    """Whether the object is a kustomize patch, asked only when a finding depends on it."""

    def __init__(self, obj: KObject, ctx: RuleContext) -> None:
        self._obj, self._ctx = obj, ctx
        self._answer: bool | None = None

    def __call__(self) -> bool:
        if self._answer is None:
            self._answer = is_patch(self._obj, self._ctx)
        return self._answer


# ---------------------------------------------------------------------------------------------
# job-spec-invalid


# follows validateJobSpec (pkg/apis/batch/validation): completionMode, the Indexed bounds,
# backoffLimitPerIndex and maxFailedIndexes, podReplacementPolicy (validatePodReplacementPolicy)
# and managedBy; negative counts are value-negative's findings
@check("job-spec-invalid")
def job_spec_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = job_spec(obj)
    if found is None:
        return
    path, spec = found
    patch = _Patch(obj, ctx)
    mode = spec.get("completionMode")
    if isinstance(mode, str) and mode not in ("NonIndexed", "Indexed"):
        yield Problem(
            (*path, "completionMode"),
            f"completionMode {mode!r} is not supported; {REJECTS}: use 'NonIndexed' or 'Indexed'",
        )
    per_index = _int(spec, "backoffLimitPerIndex")
    max_failed = _int(spec, "maxFailedIndexes")
    if _indexed(spec):
        yield from _indexed_problems(obj, path, spec, patch)
    elif mode in (None, "NonIndexed"):
        for name, value in (("backoffLimitPerIndex", per_index), ("maxFailedIndexes", max_failed)):
            if value is not None:
                yield Problem(
                    (*path, name),
                    f"{name} {value} requires completionMode 'Indexed' (the completion mode is "
                    f"{mode or 'NonIndexed, the default'}); {REJECTS}",
                )
    if max_failed is not None and spec.get("backoffLimitPerIndex") is None and not patch():
        yield Problem(
            (*path, "maxFailedIndexes"),
            f"maxFailedIndexes {max_failed} is set without backoffLimitPerIndex; {REJECTS}: "
            "backoffLimitPerIndex is required when maxFailedIndexes is specified",
        )
    yield from _replacement_policy_problems(path, spec, ctx)
    yield from _managed_by_problems(path, spec, ctx)


def _indexed_problems(
    obj: KObject, path: Path, spec: Mapping[str, Any], patch: Callable[[], bool]
) -> Iterator[Problem]:
    parallelism = _int(spec, "parallelism")
    completions = _int(spec, "completions")
    max_failed = _int(spec, "maxFailedIndexes")
    if spec.get("completions") is None and _completions(obj, spec) is None and not patch():
        why = (
            "parallelism is set, so completions is not defaulted"
            if obj.kind == "Job"
            else "a CronJob's job template is not defaulted"
        )
        yield Problem(
            (*path, "completions"),
            f"completionMode 'Indexed' needs completions ({why}); {REJECTS}: completions is "
            "required when the completion mode is Indexed",
        )
    if parallelism is not None and parallelism > _MAX_PARALLELISM_INDEXED:
        yield Problem(
            (*path, "parallelism"),
            f"parallelism {parallelism} is above {_MAX_PARALLELISM_INDEXED}, the most an Indexed "
            f"Job may have; {REJECTS}",
        )
    if max_failed is not None:
        if completions is not None and max_failed > completions:
            yield Problem(
                (*path, "maxFailedIndexes"),
                f"maxFailedIndexes {max_failed} is greater than completions {completions}; "
                f"{REJECTS}",
            )
        if max_failed > _MAX_FAILED_INDEXES:
            yield Problem(
                (*path, "maxFailedIndexes"),
                f"maxFailedIndexes {max_failed} is above {_MAX_FAILED_INDEXES}; {REJECTS}",
            )
    if (
        completions is not None
        and completions > _COMPLETIONS_SOFT_LIMIT
        and spec.get("backoffLimitPerIndex") is not None
    ):
        high = (
            f"with completions {completions} (above {_COMPLETIONS_SOFT_LIMIT}) and "
            "backoffLimitPerIndex"
        )
        if spec.get("maxFailedIndexes") is None and not patch():
            yield Problem(
                (*path, "maxFailedIndexes"),
                f"maxFailedIndexes must be set {high}; {REJECTS}",
            )
        if parallelism is not None and parallelism > _PARALLELISM_HIGH_COMPLETIONS:
            yield Problem(
                (*path, "parallelism"),
                f"parallelism {parallelism} must be at most {_PARALLELISM_HIGH_COMPLETIONS} {high}; "
                f"{REJECTS}",
            )
        if max_failed is not None and max_failed > _MAX_FAILED_HIGH_COMPLETIONS:
            yield Problem(
                (*path, "maxFailedIndexes"),
                f"maxFailedIndexes {max_failed} must be at most {_MAX_FAILED_HIGH_COMPLETIONS} "
                f"{high}; {REJECTS}",
            )


# validatePodReplacementPolicy
def _replacement_policy_problems(
    path: Path, spec: Mapping[str, Any], ctx: RuleContext
) -> Iterator[Problem]:
    policy = spec.get("podReplacementPolicy")
    if not isinstance(policy, str):
        return
    if not gate_enabled("JobPodReplacementPolicy", ctx.kubernetes_version, ctx.feature_gates):
        return
    if spec.get("podFailurePolicy") is not None:
        if policy != "Failed":
            yield Problem(
                (*path, "podReplacementPolicy"),
                f"podReplacementPolicy {policy!r} is not supported together with a "
                f"podFailurePolicy; {REJECTS}: use 'Failed'",
            )
    elif policy not in _REPLACEMENT_POLICIES:
        yield Problem(
            (*path, "podReplacementPolicy"),
            f"podReplacementPolicy {policy!r} is not supported; {REJECTS}: use 'Failed' or "
            "'TerminatingOrFailed'",
        )


# k8s.io/apimachinery/pkg/util/validation: httpPathFmt, used by IsDomainPrefixedPath
_HTTP_PATH: Final = lazy_compile(r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+")


# IsDomainPrefixedPath (k8s.io/apimachinery/pkg/util/validation) and maxManagedByLength
def _managed_by_problems(
    path: Path, spec: Mapping[str, Any], ctx: RuleContext
) -> Iterator[Problem]:
    value = spec.get("managedBy")
    if not isinstance(value, str):
        return
    if not gate_enabled("JobManagedBy", ctx.kubernetes_version, ctx.feature_gates):
        return
    where = (*path, "managedBy")
    host, slash, rest = value.partition("/")
    if not value:
        detail = "it must not be empty"
    elif not slash or not host or not rest:
        detail = "it must be a domain-prefixed path such as 'example.com/controller'"
    elif is_dns1123_subdomain(host):
        detail = f"its domain {host!r} is not a DNS-1123 subdomain"
    elif _HTTP_PATH.fullmatch(rest) is None:
        detail = f"its path {rest!r} has characters a URL path does not allow"
    elif len(value.encode("utf-8", "surrogatepass")) > _MAX_MANAGED_BY:
        detail = f"it is longer than {_MAX_MANAGED_BY} characters"
    else:
        return
    yield Problem(where, f"managedBy {value!r} is not valid; {REJECTS}: {detail}")


# ---------------------------------------------------------------------------------------------
# job-pod-failure-policy-invalid


def _container_names(spec: Mapping[str, Any]) -> set[str]:
    names: set[str] = set()
    pod = mapping(get(spec, "template", "spec"))
    for group in ("containers", "initContainers"):
        for container in sequence(pod.get(group)):
            name = mapping(container).get("name")
            if isinstance(name, str):
                names.add(name)
    return names


# follows validatePodFailurePolicy, validatePodFailurePolicyRule,
# validatePodFailurePolicyRuleOnExitCodes and validatePodFailurePolicyRuleOnPodConditions; the
# restartPolicy a pod failure policy needs (Never) is restart-policy-invalid's finding
@check("job-pod-failure-policy-invalid")
def job_pod_failure_policy_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = job_spec(obj)
    if found is None:
        return
    path, spec = found
    policy = spec.get("podFailurePolicy")
    if not isinstance(policy, dict):
        return
    rules = policy.get("rules")
    if not isinstance(rules, list):
        return
    base = (*path, "podFailurePolicy", "rules")
    if len(rules) > _MAX_POD_FAILURE_RULES:
        yield Problem(
            base,
            f"podFailurePolicy has {len(rules)} rules; {REJECTS}: at most {_MAX_POD_FAILURE_RULES}",
            anchor="key",
        )
    patch = _Patch(obj, ctx)
    names = _container_names(spec)
    for i, rule in enumerate(rules):
        if isinstance(rule, dict):
            yield from _pod_failure_rule_problems((*base, i), rule, spec, names, patch)


def _pod_failure_rule_problems(
    where: Path,
    rule: Mapping[str, Any],
    spec: Mapping[str, Any],
    names: set[str],
    patch: Callable[[], bool],
) -> Iterator[Problem]:
    action = rule.get("action")
    if action is None or action == "":
        if not patch():
            yield Problem(
                (*where, "action"),
                f"podFailurePolicy.rules[{where[-1]}] has no action; {REJECTS}: use "
                + ", ".join(repr(a) for a in _POD_FAILURE_ACTIONS),
            )
    elif action == "FailIndex":
        if spec.get("backoffLimitPerIndex") is None and not patch():
            yield Problem(
                (*where, "action"),
                f"action 'FailIndex' needs backoffLimitPerIndex to be set; {REJECTS}",
            )
    elif isinstance(action, str) and action not in _POD_FAILURE_ACTIONS:
        yield Problem(
            (*where, "action"),
            f"action {action!r} is not supported; {REJECTS}: use "
            + ", ".join(repr(a) for a in _POD_FAILURE_ACTIONS),
        )
    exit_codes = rule.get("onExitCodes")
    conditions = rule.get("onPodConditions")
    has_conditions = isinstance(conditions, list) and len(conditions) > 0
    if isinstance(exit_codes, dict):
        yield from _exit_code_problems((*where, "onExitCodes"), exit_codes, names, patch)
    if has_conditions:
        assert isinstance(conditions, list)
        yield from _condition_problems((*where, "onPodConditions"), conditions)
    if exit_codes is not None and has_conditions:
        yield Problem(
            where,
            f"podFailurePolicy.rules[{where[-1]}] sets both onExitCodes and onPodConditions; "
            f"{REJECTS}: a rule has one of them",
        )
    elif exit_codes is None and not has_conditions and not patch():
        yield Problem(
            where,
            f"podFailurePolicy.rules[{where[-1]}] sets neither onExitCodes nor "
            f"onPodConditions; {REJECTS}: a rule needs one of them",
        )


def _exit_code_problems(
    where: Path, requirement: Mapping[str, Any], names: set[str], patch: Callable[[], bool]
) -> Iterator[Problem]:
    operator = requirement.get("operator")
    if operator is None or operator == "":
        if not patch():
            yield Problem(
                (*where, "operator"),
                f"onExitCodes has no operator; {REJECTS}: use 'In' or 'NotIn'",
            )
    elif isinstance(operator, str) and operator not in _EXIT_CODE_OPERATORS:
        yield Problem(
            (*where, "operator"),
            f"onExitCodes operator {operator!r} is not supported; {REJECTS}: use 'In' or 'NotIn'",
        )
    container = requirement.get("containerName")
    if isinstance(container, str) and container not in names:
        known = few([repr(n) for n in sorted(names)]) or "none"
        yield Problem(
            (*where, "containerName"),
            f"onExitCodes containerName {container!r} is not a container or init container of "
            f"the pod template ({known}); {REJECTS}",
        )
    values = requirement.get("values")
    if values is None or values == []:
        if not patch():
            yield Problem(
                (*where, "values"),
                f"onExitCodes has no values; {REJECTS}: at least one exit code is required",
                anchor="key",
            )
        return
    if not isinstance(values, list):
        return
    if len(values) > _MAX_EXIT_CODES:
        yield Problem(
            (*where, "values"),
            f"onExitCodes has {len(values)} values; {REJECTS}: at most {_MAX_EXIT_CODES}",
            anchor="key",
        )
    seen: set[int] = set()
    previous: int | None = None
    ordered = True
    for j, raw in enumerate(values):
        value = int_value(raw)
        if value is None:
            continue
        if operator == "In" and value == 0:
            yield Problem(
                (*where, "values", j),
                f"exit code 0 is not allowed with operator 'In'; {REJECTS}",
            )
        if value in seen:
            yield Problem((*where, "values", j), f"exit code {value} is listed twice; {REJECTS}")
        seen.add(value)
        if previous is not None and previous > value:
            ordered = False
        previous = value
    if not ordered:
        yield Problem(
            (*where, "values"),
            f"onExitCodes values {few([str(v) for v in values])} are not in ascending order; "
            f"{REJECTS}",
            anchor="key",
        )


def _condition_problems(where: Path, patterns: list[Any]) -> Iterator[Problem]:
    if len(patterns) > _MAX_CONDITION_PATTERNS:
        yield Problem(
            where,
            f"onPodConditions has {len(patterns)} patterns; {REJECTS}: at most "
            f"{_MAX_CONDITION_PATTERNS}",
            anchor="key",
        )
    for j, pattern in enumerate(patterns):
        if not isinstance(pattern, dict):
            continue
        kind = pattern.get("type")
        if isinstance(kind, str):
            for message in is_qualified_name(kind)[:1]:
                yield Problem(
                    (*where, j, "type"),
                    f"pod condition type {kind!r} is not a qualified name; {REJECTS}: "
                    f"{quoted_detail(kind, message)}",
                )
        # an empty status is defaulted to True (SetDefaults_PodFailurePolicyOnPodConditionsPattern)
        status = pattern.get("status")
        if isinstance(status, str) and status and status not in _CONDITION_STATUSES:
            yield Problem(
                (*where, j, "status"),
                f"pod condition status {status!r} is not supported; {REJECTS}: use 'True', "
                "'False' or 'Unknown'",
            )


# ---------------------------------------------------------------------------------------------
# job-success-policy-invalid


# follows validateIndexesFormat and parseIndexInterval
def indexes_error(indexes: str, completions: int) -> tuple[int, str | None]:
    """(how many indexes ``indexes`` lists, the parse error or None)."""
    if not indexes:
        return 0, None
    total = 0
    last: int | None = None
    for interval in indexes.split(","):
        limits = interval.split("-")
        if len(limits) > 2:
            return 0, (f"the fragment {interval!r} has more than two parts separated by '-'")
        bounds: list[int] = []
        for limit in limits:
            number = atoi(limit)  # strconv.Atoi: past int64 an error, as a syntax error
            if number is None:
                return 0, f"{limit!r} is not an integer"
            if number >= completions:
                return 0, f"index {limit!r} is not below completions {completions}"
            bounds.append(number)
        low, high = bounds[0], bounds[-1]
        if len(bounds) == 2 and low >= high:
            return 0, f"the interval {interval!r} does not increase"
        if last is not None and last >= low:
            return 0, f"indexes must increase, but {low} follows {last}"
        total += high - low + 1
        last = high
    return total, None


# follows validateJobSpec (successPolicy requires Indexed), validateSuccessPolicy and
# validateSuccessPolicyRule
@check("job-success-policy-invalid")
def job_success_policy_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = job_spec(obj)
    if found is None:
        return
    path, spec = found
    policy = spec.get("successPolicy")
    if not isinstance(policy, dict):
        return
    if not gate_enabled("JobSuccessPolicy", ctx.kubernetes_version, ctx.feature_gates):
        return
    where = (*path, "successPolicy")
    if not _indexed(spec):
        mode = spec.get("completionMode")
        yield Problem(
            where,
            f"successPolicy requires completionMode 'Indexed' (the completion mode is "
            f"{mode if isinstance(mode, str) else 'NonIndexed, the default'}); {REJECTS}",
            anchor="key",
        )
        return
    rules = policy.get("rules")
    if rules is None or rules == []:
        if not is_patch(obj, ctx):
            yield Problem(
                (*where, "rules"),
                f"successPolicy has no rules; {REJECTS}: at least one rule is required",
                anchor="key",
            )
        return
    if not isinstance(rules, list):
        return
    if len(rules) > _MAX_SUCCESS_RULES:
        yield Problem(
            (*where, "rules"),
            f"successPolicy has {len(rules)} rules; {REJECTS}: at most {_MAX_SUCCESS_RULES}",
            anchor="key",
        )
    completions = _completions(obj, spec)
    for i, rule in enumerate(rules):
        if isinstance(rule, dict):
            yield from _success_rule_problems((*where, "rules", i), rule, completions)


def _success_rule_problems(
    where: Path, rule: Mapping[str, Any], completions: int | None
) -> Iterator[Problem]:
    indexes = rule.get("succeededIndexes")
    count = int_value(rule.get("succeededCount"))
    if indexes is None and rule.get("succeededCount") is None:
        yield Problem(
            where,
            f"successPolicy.rules[{where[-1]}] sets neither succeededCount nor "
            f"succeededIndexes; {REJECTS}: a rule needs at least one of them",
        )
        return
    if completions is None:
        return  # without completions the API server cannot judge the rule (and rejects the Job)
    total: int | None = None
    if isinstance(indexes, str):
        if len(indexes) > _MAX_SUCCEEDED_INDEXES:
            yield Problem(
                (*where, "succeededIndexes"),
                f"succeededIndexes is {len(indexes)} characters long; {REJECTS}: at most "
                f"{_MAX_SUCCEEDED_INDEXES}",
            )
        total, error = indexes_error(indexes, completions)
        if error is not None:
            total = 0
            yield Problem(
                (*where, "succeededIndexes"),
                f"succeededIndexes {indexes!r} is not a valid list of indexes; {REJECTS}: {error}",
            )
    if count is None:
        return
    if count < 0:
        yield Problem(
            (*where, "succeededCount"),
            f"succeededCount {count} is negative; {REJECTS}",
        )
    if count > completions:
        yield Problem(
            (*where, "succeededCount"),
            f"succeededCount {count} is greater than completions {completions}; {REJECTS}",
        )
    if total is not None and count > total:
        yield Problem(
            (*where, "succeededCount"),
            f"succeededCount {count} is greater than the {total} indexes succeededIndexes "
            f"lists; {REJECTS}",
        )


# ---------------------------------------------------------------------------------------------
# job-selector-invalid


# follows validateGeneratedSelector and ValidateJobSpec (a Job's selector, checked on create
# after generateSelector in pkg/registry/batch/job/strategy.go has added the job-name and
# controller-uid labels), and ValidateJobTemplateSpec (a CronJob's job template: selector and
# manualSelector are not allowed)
@check("job-selector-invalid")
def job_selector_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    found = job_spec(obj)
    if found is None:
        return
    path, spec = found
    if obj.kind == "CronJob":
        if spec.get("selector") is not None:
            yield Problem(
                (*path, "selector"),
                f"a CronJob's job template sets a selector; {REJECTS}: the selector of each "
                "Job is generated, remove jobTemplate.spec.selector",
                anchor="key",
            )
        if spec.get("manualSelector") is True:
            yield Problem(
                (*path, "manualSelector"),
                f"a CronJob's job template sets manualSelector: true; {REJECTS}: remove it",
            )
        return
    if spec.get("manualSelector") is True:
        if spec.get("selector") is None and not is_patch(obj, ctx):
            yield Problem(
                (*path, "manualSelector"),
                f"manualSelector is true but the Job has no selector; {REJECTS}: spec.selector "
                "is required when you choose the selector yourself",
            )
        return
    yield from _generated_selector_problems(obj, path, spec)


def _generated_selector_problems(
    obj: KObject, path: Path, spec: Mapping[str, Any]
) -> Iterator[Problem]:
    name = obj.name
    labels_path = (*path, "template", "metadata", "labels")
    labels = get(obj.data, *labels_path)
    if isinstance(labels, dict):
        for key in _CONTROLLER_UID_LABELS:
            if key in labels:
                yield Problem(
                    (*labels_path, key),
                    f"template label {key}={labels[key]!r} would not be the new Job's UID; "
                    f"{REJECTS} when the Job is created: the API server sets this label itself "
                    "(remove it, or set manualSelector: true)",
                    anchor="key",
                )
        for key in _JOB_NAME_LABELS:
            value = labels.get(key)
            if name and key in labels and value != name:
                yield Problem(
                    (*labels_path, key),
                    f"template label {key}={value!r} differs from the Job's name {name!r}; "
                    f"{REJECTS}: it must be the Job's name (remove it and the API server sets it)",
                    anchor="key",
                )
    raw = spec.get("selector")
    if raw is None:
        return
    selector = Selector.from_label_selector(raw)
    if selector is None:
        return  # an invalid selector is labels-invalid's finding
    # the labels validateGeneratedSelector matches the selector against
    expected = {key: name or _GENERATED_NAME for key in _JOB_NAME_LABELS} | {
        key: _NEW_UID for key in _CONTROLLER_UID_LABELS
    }
    if selector.matches(expected):
        return
    yield Problem(
        (*path, "selector"),
        f"the Job sets selector {selector} but not manualSelector: true; {REJECTS} when the Job "
        "is created (`selector` not auto-generated): remove spec.selector and let the API server "
        "generate it, or set manualSelector: true",
        anchor="key",
    )


# ---------------------------------------------------------------------------------------------
# cronjob-schedule-invalid


def _tz_in_schedule_rejected(ctx: RuleContext) -> bool:
    return minor(ctx.kubernetes_version) >= _TZ_IN_SCHEDULE_REJECTED_FROM


# follows validateCronJobSpec: validateScheduleFormat (cron.ParseStandard of robfig/cron/v3,
# and the TZ check of a new CronJob) and validateTimeZone
@check("cronjob-schedule-invalid")
def cronjob_schedule_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if obj.kind != "CronJob" or not is_builtin(obj):
        return
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return
    schedule = spec.get("schedule")
    if schedule == "" and not is_patch(obj, ctx):
        yield Problem(("spec", "schedule"), f"schedule is empty; {REJECTS}: it is required")
    if isinstance(schedule, str) and schedule:
        # a schedule to parse only: the cron parser and the time zone list are imported by
        # each worker process that reads one (a CronJob without a written schedule or zone
        # imports neither)
        from kpolicy.k8s.cron import CronError, parse_standard
        from kpolicy.k8s.timezone import known_time_zones

        try:
            parse_standard(schedule, known_time_zones())
        except CronError as exc:
            yield Problem(
                ("spec", "schedule"),
                f"schedule {schedule!r} is not a valid cron schedule; {REJECTS}: {exc}",
            )
        if "TZ" in schedule and _tz_in_schedule_rejected(ctx):
            yield Problem(
                ("spec", "schedule"),
                f"schedule {schedule!r} names a time zone (TZ or CRON_TZ); {REJECTS} for a new "
                "CronJob from Kubernetes 1.29: set spec.timeZone instead",
            )
    zone = spec.get("timeZone")
    if isinstance(zone, str):
        from kpolicy.k8s.timezone import validate_time_zone

        reason = validate_time_zone(zone)
        if reason is not None:
            yield Problem(
                ("spec", "timeZone"),
                f"timeZone {zone!r} is not an IANA time zone name; {REJECTS}: {reason}",
            )


# ---------------------------------------------------------------------------------------------
# cronjob-spec-invalid


# follows validateConcurrencyPolicy (an empty value is defaulted to Allow by
# SetDefaults_CronJob)
@check("cronjob-spec-invalid")
def cronjob_spec_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if obj.kind != "CronJob" or not is_builtin(obj):
        return
    policy = get(obj.data, "spec", "concurrencyPolicy")
    if isinstance(policy, str) and policy and policy not in _CONCURRENCY_POLICIES:
        yield Problem(
            ("spec", "concurrencyPolicy"),
            f"concurrencyPolicy {policy!r} is not supported; {REJECTS}: use 'Allow', 'Forbid' or "
            "'Replace'",
        )
