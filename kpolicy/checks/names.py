"""Names, labels and API versions: what ``ValidateObjectMeta`` and the name functions of each
kind reject, group versions that do not serve a kind, and ReplicaSets that no Deployment
manages. (The versions that a release no longer serves, or serves for the last releases, are in
kpolicy/checks/apiversions.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from kpolicy.checks import RuleContext, check
from kpolicy.checks.podspec import (
    is_builtin,
    quoted_detail,
    rejection,
    statefulset_template_validated,
    template_rejects,
)
from kpolicy.engine import Positioned, positioned
from kpolicy.fix import set_value
from kpolicy.k8s.apis import unserved
from kpolicy.k8s.validation import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    known_valid,
    passes,
    validate_label_selector,
)
from kpolicy.model import Anchor, KObject, Path, Problem
from kpolicy.workload import (
    LABEL_SELECTOR_KINDS,
    get,
    int_value,
    mapping,
    pod_spec,
    pod_template,
    sequence,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

# what a check returns when a cheap test tells that it has nothing to say
_NOTHING: Final[tuple[Problem, ...]] = ()

# ---------------------------------------------------------------------------------------------
# labels-invalid

_SELECTOR_KINDS: Final = LABEL_SELECTOR_KINDS


def _type_error(message: str) -> bool:
    # a wrong type makes the request undecodable: the schema rules' finding
    return any(
        marker in message
        for marker in ("must be a string, not", "must be a mapping, not", "must be a list, not")
    )


# follows k8s.io/apimachinery/pkg/apis/meta/v1/validation.ValidateLabels (ValidateLabelName =
# IsQualifiedName for keys, IsValidLabelValue for values); ``obj``: the object a value's fix
# edits (None: no fix, as in a run that shows none)
def _label_map_problems(
    labels: object,
    path: Path,
    what: str,
    how: str,
    rejects: bool | None = None,
    obj: KObject | None = None,
) -> Iterator[Problem]:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        if not isinstance(key, str):
            continue
        for message in is_qualified_name(key):
            yield Problem(
                (*path, key),
                f"{what} key {key!r} is not a qualified name; {how}: {quoted_detail(key, message)}",
                anchor="key",
                rejects=rejects,
            )
        if value is None:
            continue  # null decodes to the empty string, a valid value
        if not isinstance(value, str):
            continue
        messages = is_valid_label_value(value)
        if not messages:
            continue
        entry = (*path, key)
        repaired = None if obj is None else _repaired_value(value)
        for message in messages:
            yield Problem(
                entry,
                f"{what} {key}={value!r} has an invalid value; {how}: "
                f"{quoted_detail(value, message)}",
                anchor="value",
                rejects=rejects,
                fix=None
                if obj is None or repaired is None
                else set_value(
                    obj,
                    entry,
                    repaired,
                    f"Change the value to {repaired!r} (unsafe: selectors elsewhere that name "
                    f"{value!r} must change too)",
                    "unsafe",
                ),
            )


_qualified_name_passes: Final = passes(is_qualified_name)
_label_value_passes: Final = passes(is_valid_label_value)
# the keys and values already told valid (a set look-up, no call, for the usual label)
_VALID_KEYS: Final = known_valid(is_qualified_name)
_VALID_VALUES: Final = known_valid(is_valid_label_value)


def _labels_pass(labels: object) -> bool:
    """Whether :func:`_label_map_problems` has nothing to say of ``labels`` (the usual case),
    told without its generator: no mapping, or every key and string value valid."""
    if labels.__class__ is not dict:
        return not isinstance(labels, dict)
    valid_keys = _VALID_KEYS
    valid_values = _VALID_VALUES
    for key, value in labels.items():
        if key not in valid_keys:
            if not isinstance(key, str):
                continue
            if not _qualified_name_passes(key):
                return False
        if value.__class__ is str:
            if value not in valid_values and not _label_value_passes(value):
                return False
        elif isinstance(value, str) and not _label_value_passes(value):
            return False
    return True


def _repaired_value(value: str) -> str | None:
    """A label value that is only too long (cut to 63 characters) or only starts or ends with
    a character other than a letter or digit, a space included (dropped), made valid; None for
    anything else (a space or a colon inside: no single way to repair it)."""
    repaired = value.strip(" ")[:63].strip("-_. ")
    if any(not (c.isascii() and (c.isalnum() or c in "-_.")) for c in repaired):
        return None
    if not repaired or repaired == value or is_valid_label_value(repaired):
        return None
    return repaired


# follows ValidateObjectMeta (labels), ValidatePodTemplateSpec and
# ValidatePodTemplateSpecForStatefulSet (template labels), ValidatePodSpec (nodeSelector),
# ValidateService (selector), and ValidateLabelSelector for the workloads' spec.selector
# (k8s.io/apimachinery/pkg/apis/meta/v1/validation, AllowInvalidLabelValueInSelector: false)
@check("labels-invalid")
def labels_invalid(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    if _labels_pass(_labels_of(obj.data)) and (not is_builtin(obj) or _builtin_labels_pass(obj)):
        return _NOTHING  # every label map valid (the usual case): no generator
    return _labels_invalid(obj, ctx)


def _builtin_labels_pass(obj: KObject) -> bool:
    """Whether :func:`_labels_invalid` has nothing to say of a built-in kind past its own
    labels, told without its generator and messages: each label map it judges passes
    (:func:`_labels_pass`) and the selector is one :func:`_selector_passes` tells valid."""
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    data = obj.data
    if kind == "CronJob" and not _labels_pass(
        get(data, "spec", "jobTemplate", "metadata", "labels")
    ):
        return False
    found = pod_template(obj)
    if found is not None and kind != "Pod" and not _labels_pass(_labels_of(found[1])):
        return False
    spec = pod_spec(obj)
    if spec is not None:
        node_selector = spec[1].get("nodeSelector")
        if isinstance(node_selector, dict) and node_selector and not _labels_pass(node_selector):
            return False
    spec_field = data.get("spec")
    if spec_field.__class__ is not dict:
        return not isinstance(spec_field, dict)  # no selector (a dict subclass: the walk's)
    if kind == "Service" and not _labels_pass(spec_field.get("selector")):
        return False
    if kind in _SELECTOR_KINDS:
        selector = spec_field.get("selector")
        if isinstance(selector, dict) and not _selector_passes(selector):
            return False
    return True


def _labels_of(data: object) -> object:
    """``get(data, "metadata", "labels")``, read without its call for plain dicts."""
    meta = data.get("metadata") if data.__class__ is dict else get(data, "metadata")
    return meta.get("labels") if meta.__class__ is dict else get(meta, "labels")


def _selector_passes(selector: dict[str, Any]) -> bool:
    """Whether ``validate_label_selector`` finds nothing in ``selector``, told for the usual
    one only: no matchExpressions, and matchLabels absent or a dict of valid string pairs
    (False for anything else, which the walk judges)."""
    if selector.__class__ is not dict or selector.get("matchExpressions") is not None:
        return False
    match_labels = selector.get("matchLabels")
    if match_labels is None:
        return True
    if match_labels.__class__ is not dict:
        return False
    valid_keys = _VALID_KEYS
    valid_values = _VALID_VALUES
    for key, value in match_labels.items():
        if not (
            key.__class__ is str
            and value.__class__ is str
            and (key in valid_keys or _qualified_name_passes(key))
            and (value in valid_values or _label_value_passes(value))
        ):
            return False
    return True


def _labels_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    rejects = "the API server rejects this"
    fixed = obj if ctx.fixes else None  # the object the fixes edit, when the run shows them
    labels = get(obj.data, "metadata", "labels")
    if not _labels_pass(labels):
        yield from _label_map_problems(labels, ("metadata", "labels"), "label", rejects, obj=fixed)
    if not is_builtin(obj):
        return
    kind = obj.kind
    if kind == "CronJob":
        yield from _label_map_problems(
            get(obj.data, "spec", "jobTemplate", "metadata", "labels"),
            ("spec", "jobTemplate", "metadata", "labels"),
            "label",
            "the API server rejects every Job the CronJob creates",
            rejects=False,  # the CronJob itself is accepted
            obj=fixed,
        )
    found = pod_template(obj)
    if found is not None and kind != "Pod":
        template_path, template = found
        template_labels = get(template, "metadata", "labels")
        if not _labels_pass(template_labels):
            yield from _label_map_problems(
                template_labels,
                (*template_path, "metadata", "labels"),
                "template label",
                rejects,
                obj=fixed,
            )
    spec = pod_spec(obj)
    # only a non-empty mapping can have findings: how the API server refuses them is asked then
    if (
        spec is not None
        and isinstance(spec[1].get("nodeSelector"), dict)
        and spec[1]["nodeSelector"]
    ):
        spec_path, pod = spec
        yield from _label_map_problems(
            pod.get("nodeSelector"),
            (*spec_path, "nodeSelector"),
            "nodeSelector",
            rejection(obj, ctx),
            rejects=template_rejects(obj, ctx),
            obj=fixed,
        )
    if kind == "Service":
        selector = get(obj.data, "spec", "selector")
        if not _labels_pass(selector):
            yield from _label_map_problems(
                selector, ("spec", "selector"), "selector", rejects, obj=fixed
            )
    if kind in _SELECTOR_KINDS:
        selector = get(obj.data, "spec", "selector")
        if isinstance(selector, dict):
            for relative, message in validate_label_selector(selector):
                if _type_error(message):
                    continue
                if relative[:1] == ("matchExpressions",) and _operator_not_string(
                    selector, relative
                ):
                    continue
                anchor: Anchor = "auto"
                if relative[:1] == ("matchLabels",):
                    anchor = "key" if message.startswith("label key") else "value"
                yield Problem(
                    ("spec", "selector", *relative),
                    f"spec.selector is invalid; {rejects}: {message}",
                    anchor=anchor,
                )


def _operator_not_string(selector: Mapping[str, Any], relative: tuple[str | int, ...]) -> bool:
    if len(relative) < 3 or relative[2] != "operator":
        return False
    operator = get(selector, *relative)
    return operator is not None and not isinstance(operator, str)


# ---------------------------------------------------------------------------------------------
# name-invalid

NameCheck = Callable[[object], list[str]]

# The name function each built-in kind passes to ValidateObjectMeta:
# pkg/apis/core/validation (ValidatePodName, ValidateReplicationControllerName, ValidateServiceName,
# ValidateNamespaceName, ValidateConfigMapName, ValidateSecretName, ValidateServiceAccountName,
# ValidateEndpointsName, ValidateLimitRangeName, ValidateResourceQuotaName, ValidateNodeName),
# pkg/apis/apps/validation (ValidateDeploymentName, ValidateReplicaSetName, ValidateDaemonSetName,
# ValidateStatefulSetName, a DNS label since Kubernetes 1.27) and pkg/apis/batch/validation
# (ValidateJob and ValidateCronJobCreate use ValidateReplicationControllerName).
_NAME_CHECKS: Final[Mapping[str, tuple[NameCheck, str]]] = {
    "Pod": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "ReplicationController": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "Service": (is_dns1035_label, "a DNS-1035 label"),
    "Namespace": (is_dns1123_label, "a DNS-1123 label"),
    "ConfigMap": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "Secret": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "ServiceAccount": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "Endpoints": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "LimitRange": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "ResourceQuota": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "Node": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "Deployment": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "ReplicaSet": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "DaemonSet": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "StatefulSet": (is_dns1123_label, "a DNS-1123 label"),
    "Job": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
    "CronJob": (is_dns1123_subdomain, "a DNS-1123 subdomain"),
}

_NAME_PASSES: Final = {kind: passes(check_fn) for kind, (check_fn, _) in _NAME_CHECKS.items()}

# ValidateCronJobCreate: the controller appends an 11-character "-<timestamp>" to name each Job,
# and a Job name must fit a 63-character label value.
_CRONJOB_NAME_MAX: Final = 52
# Job names become the value of the batch.kubernetes.io/job-name and job-name labels of the
# template (generateSelector in pkg/registry/batch/job/strategy.go), which ValidateLabels limits.
_LABEL_VALUE_MAX: Final = 63


def _mask_trailing_dash(name: str) -> str:
    # k8s.io/apimachinery/pkg/api/validation.maskTrailingDash (a generateName prefix may end in
    # '-'); it replaces the last two characters by "a"
    if name.endswith("-"):
        return name[:-2] + "a" if len(name) >= 2 else "a"
    return name


def _name_errors(check_fn: NameCheck, value: str, prefix: bool) -> list[str]:
    return check_fn(_mask_trailing_dash(value) if prefix else value)


# follows k8s.io/apimachinery/pkg/api/validation.ValidateObjectMetaAccessor (name and
# generateName with the kind's name function), ValidateCronJobCreate and ValidateJob
# (pkg/apis/batch/validation), and ValidatePodSpec's hostname and subdomain checks
@check("name-invalid")
def name_invalid(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    if kind not in _NAME_CHECKS or not is_builtin(obj):
        return _NOTHING
    meta = obj.data.get("metadata")
    if (
        meta.__class__ is dict
        and _NAME_PASSES[kind](meta.get("name"))
        and not meta.get("generateName")
        and kind not in _BATCH_KINDS
        and not _hostname_set(obj)
    ):
        return _NOTHING  # a valid name (the usual case)
    return _name_invalid(obj, ctx)


# the kinds whose names _batch_name_problems judges further
_BATCH_KINDS: Final = frozenset({"CronJob", "Job"})
_NAME_INVALID: Final = "name-invalid"
# what name_invalid_findings returns for an object it has nothing to say of (an exhausted
# iterator, shared: nothing is ever read from it)
_NO_FINDINGS: Final[Iterator[Positioned]] = iter(())
_NAME_PATH: Final[Path] = ("metadata", "name")


@positioned(name_invalid)
def name_invalid_findings(obj: KObject, ctx: RuleContext) -> Iterator[Positioned]:
    """The findings of :func:`name_invalid` as the engine runs them: the usual object (a plain
    name, no generateName, no batch kind, no hostname) answered without a generator, and its
    finding, when the name is not valid, made without a Problem; any other object's problems
    as :func:`_name_invalid` makes them (none has related locations)."""
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    if kind not in _NAME_CHECKS or not is_builtin(obj):
        return _NO_FINDINGS
    meta = obj.data.get("metadata")
    if meta.__class__ is dict and kind not in _BATCH_KINDS and not meta.get("generateName"):
        name = meta.get("name")
        if name.__class__ is str and name and not _hostname_set(obj):
            if _NAME_PASSES[kind](name):
                return _NO_FINDINGS  # a valid name (the usual case)
            return iter(
                [
                    (_NAME_INVALID, _NAME_PATH, message, "auto", None, None, None)
                    for message in _name_messages(kind, name)
                ]
            )
    return _as_positioned(name_invalid(obj, ctx))


def _as_positioned(problems: Iterable[Problem]) -> Iterator[Positioned]:
    for problem in problems:
        yield (
            problem.rule or _NAME_INVALID,
            problem.path,
            problem.message,
            problem.anchor,
            None,
            problem.fix,
            problem.rejects,
        )


def _hostname_set(obj: KObject) -> bool:
    """Whether the pod spec sets a hostname or subdomain (:func:`_hostname_problems`)."""
    found = pod_spec(obj)
    if found is None:
        return False
    spec = found[1]
    return bool(spec.get("hostname") or spec.get("subdomain"))


def _name_invalid(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    kind = obj.ref.kind or ""  # obj.kind without the property's call
    check_fn, shape = _NAME_CHECKS[kind]
    metadata = obj.data.get("metadata")
    meta = mapping(metadata)
    name = meta.get("name")
    generate = meta.get("generateName")
    rejects = "the API server rejects this"
    if isinstance(generate, str) and generate:
        for message in _name_errors(check_fn, generate, prefix=True):
            yield Problem(
                ("metadata", "generateName"),
                f"generateName {generate!r} is not a valid prefix of {shape} ({kind} names); "
                f"{rejects}: "
                f"{quoted_detail(_mask_trailing_dash(generate), message)}",
            )
    if name is None or name == "":
        if metadata is not None and not isinstance(metadata, dict):
            return  # a wrongly typed metadata is the schema rules' finding
        if not (isinstance(generate, str) and generate):
            yield Problem(
                ("metadata", "name"),
                f"{kind} has no metadata.name (and no generateName); {rejects}: name or "
                "generateName is required",
            )
    elif isinstance(name, str):
        for message in _name_messages(kind, name):
            yield Problem(("metadata", "name"), message)
        if kind in _BATCH_KINDS:
            yield from _batch_name_problems(obj, name)
    if _hostname_set(obj):
        yield from _hostname_problems(obj, ctx)


# (kind, name) → the messages of name-invalid about that name, made once for each pair a run
# sees (the same wrong name recurs across objects); bounded as the validation memo is
_NAME_MESSAGES: dict[tuple[str, str], tuple[str, ...]] = {}
_MEMO_LIMIT: Final = 4096
_MEMO_LONGEST: Final = 253  # no longer name is valid: rare, and not kept


def _name_messages(kind: str, name: str) -> tuple[str, ...]:
    """What name-invalid says of ``name`` as the name of a ``kind`` (one of ``_NAME_CHECKS``)."""
    key = (kind, name)
    found = _NAME_MESSAGES.get(key)
    if found is None:
        found = _name_messages_of(kind, name)
        if name.__class__ is str and len(name) <= _MEMO_LONGEST:
            if len(_NAME_MESSAGES) >= _MEMO_LIMIT:
                _NAME_MESSAGES.clear()
            _NAME_MESSAGES[key] = found
    return found


def _name_messages_of(kind: str, name: str) -> tuple[str, ...]:
    check_fn, shape = _NAME_CHECKS[kind]
    return tuple(
        f"{kind} name {name!r} is not {shape}; the API server rejects this: "
        f"{quoted_detail(name, message)}"
        for message in _name_errors(check_fn, name, prefix=False)
    )


def _batch_name_problems(obj: KObject, name: str) -> Iterator[Problem]:
    length = len(name.encode("utf-8", "surrogatepass"))
    if obj.kind == "CronJob" and length > _CRONJOB_NAME_MAX:
        yield Problem(
            ("metadata", "name"),
            f"CronJob name {name!r} is {length} characters long; the API server rejects this: "
            f"at most {_CRONJOB_NAME_MAX}, so that the Jobs' names (with an 11-character "
            "suffix) stay within 63",
        )
    if obj.kind != "Job":
        return
    if get(obj.data, "spec", "manualSelector") is not True and length > _LABEL_VALUE_MAX:
        yield Problem(
            ("metadata", "name"),
            f"Job name {name!r} is {length} characters long; the API server rejects this: the "
            f"name becomes the value of the job-name labels of its Pods, at most "
            f"{_LABEL_VALUE_MAX} characters",
        )
    completions = int_value(get(obj.data, "spec", "completions"))
    if get(obj.data, "spec", "completionMode") == "Indexed" and completions and completions > 0:
        hostname = f"{name}-{completions - 1}"
        for message in is_dns1123_label(hostname):
            yield Problem(
                ("metadata", "name"),
                f"the last Pod of Indexed Job {name!r} gets hostname {hostname!r}, which is not "
                f"a DNS-1123 label; the API server rejects this: "
                f"{quoted_detail(hostname, message)}",
            )


# ValidatePodSpec: hostname and subdomain must be DNS-1123 labels. The StatefulSet controller
# overwrites both in every Pod (initIdentity: the Pod's name and the serviceName), so before 1.34
# a StatefulSet's template values reach no Pod; from 1.34 ValidateStatefulSetSpec validates the
# template on create (ValidatePodTemplateSpec) and rejects the StatefulSet.
def _hostname_problems(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if obj.kind == "StatefulSet" and not statefulset_template_validated(ctx):
        return
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    for field in ("hostname", "subdomain"):
        value = spec.get(field)
        if not isinstance(value, str) or not value:
            continue
        # the controller sets hostname to the Pod's name and subdomain to the serviceName
        useless = (
            f" (the controller sets every Pod's {field} itself, so the template's is not needed)"
            if obj.kind == "StatefulSet"
            else ""
        )
        for message in is_dns1123_label(value):
            yield Problem(
                (*spec_path, field),
                f"{field} {value!r} is not a DNS-1123 label; {rejection(obj, ctx)}: "
                f"{quoted_detail(value, message)}{useless}",
            )


# ---------------------------------------------------------------------------------------------
# api-version-mismatch


# kubectl maps apiVersion and kind to a resource through the API server's discovery (the
# RESTMapper of k8s.io/client-go/restmapper); a group version that does not serve the kind
# fails with 'no matches for kind "Deployment" in version "v1"', and a request sent anyway to
# the kind's path under that group version is answered 404. The groups and kinds the API server
# serves are listed in kpolicy.k8s.apis.
@check("api-version-mismatch")
def api_version_mismatch(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    api_version = obj.data.get("apiVersion")
    served = unserved(api_version, obj.ref.kind or "")  # obj.kind without the property's call
    if served is None:
        return _NOTHING  # nearly every object: no generator
    return _mismatch(obj, api_version, served)


def _mismatch(obj: KObject, api_version: object, served: tuple[str, ...]) -> Iterator[Problem]:
    use = " or ".join(served)
    yield Problem(
        ("apiVersion",),
        f"apiVersion {api_version} does not serve kind {obj.kind}; the API server rejects this "
        f'(kubectl: no matches for kind "{obj.kind}" in version "{api_version}"): '
        f"use apiVersion {use}",
    )


# ---------------------------------------------------------------------------------------------
# bare-replica-set


# The deployment controller adopts and owns its ReplicaSets (controller ownerReference to the
# Deployment, pkg/controller/deployment); a ReplicaSet without one is managed by nobody.
@check("bare-replica-set")
def bare_replica_set(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    if obj.kind not in ("ReplicaSet", "ReplicationController") or not is_builtin(obj):
        return
    for owner in sequence(get(obj.data, "metadata", "ownerReferences")):
        if not isinstance(owner, dict):
            continue
        if owner.get("kind") == "Deployment" or owner.get("controller") is True:
            return
    name = obj.name or "<unnamed>"
    if obj.kind == "ReplicaSet":
        message = (
            f"ReplicaSet {name} is not owned by a Deployment: changing its template does not "
            "replace running Pods, and there is no rollout history to roll back to"
        )
    else:
        message = (
            f"ReplicationController {name} is the legacy replica controller: it has no rolling "
            "update or rollback of its own; a Deployment does both"
        )
    yield Problem(("kind",), message)
