"""The pod template: what ``ValidatePodTemplateSpec`` / ``ValidatePodSpec`` and the workload
validations reject in it, and what the controllers make of it.

Rules here look at the pod spec of every pod-spec kind (Deployment, StatefulSet, DaemonSet,
ReplicaSet, ReplicationController, Job, CronJob, Pod) of the built-in API groups; a custom
resource that happens to be called ``StatefulSet`` (``apps.kruise.io``) has its own validation.

A StatefulSet is special: before Kubernetes 1.34, ``ValidateStatefulSetSpec``
(pkg/apis/apps/validation) validated only the template's labels, annotations, ``restartPolicy``
and ``activeDeadlineSeconds``, not its pod spec; the StatefulSet was accepted, and then every
Pod the controller created from the template was rejected. From 1.34 (kubernetes/kubernetes
#131790) the pod spec is validated when the StatefulSet is created, and the StatefulSet itself
is rejected. Findings about a StatefulSet's pod spec say which, for the selected version
(:func:`rejection`).

Wrongly typed fields make the request undecodable; that is the schema rules' finding, so the
checks skip them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from kpolicy.checks import RuleContext, check, few
from kpolicy.checks.schema_rules import is_patch
from kpolicy.features import gate_enabled, gate_reason
from kpolicy.k8s.apis import REMOVED, SERVED, group_of, home_groups
from kpolicy.k8s.podtemplates import DEPLOYMENT_CONFIG
from kpolicy.k8s.validation import (
    is_dns1123_label,
    is_env_var_name,
    is_qualified_name,
    is_strict_env_var_name,
    is_valid_label_value,
    is_valid_port_name,
    known_valid,
    passes,
)
from kpolicy.lazyre import lazy_compile
from kpolicy.model import Anchor, KObject, Path, Problem, Related
from kpolicy.records import replace
from kpolicy.versions import minor
from kpolicy.workload import (
    LONG_RUNNING_KINDS,
    custom_layout,
    get,
    int_value,
    mapping,
    pod_containers,
    pod_spec,
    sequence,
    worked_out,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

# Kinds whose pod template must restart Always: LONG_RUNNING_KINDS (kpolicy.workload).
JOB_KINDS: Final = frozenset({"Job", "CronJob"})

_MAX_INT32: Final = 2**31 - 1
# what a check returns when a cheap test tells that it has nothing to say
_NOTHING: Final[tuple[Problem, ...]] = ()


def api_group(obj: KObject) -> str | None:
    """The API group of ``apiVersion`` (``""`` for ``v1``), or None when it is not a string."""
    api_version = obj.data.get("apiVersion")
    if not isinstance(api_version, str):
        return None
    return group_of(api_version)


# the groups of each built-in kind, with those that served it in releases before the ones
# kpolicy supports (extensions/v1beta1 Deployment): such objects are judged as the kind they were
# written for, and api-version-removed says that the version is gone
_BUILTIN_GROUPS: Final[Mapping[str, frozenset[str]]] = {
    kind: home_groups(kind) | {group_of(v) for v, k in REMOVED if k == kind}
    for kind in {*SERVED, *(k for _, k in REMOVED)}
}


def is_builtin(obj: KObject) -> bool:
    """True when the object is the built-in kind of that name, not a look-alike CRD."""
    # obj.ref.kind or "": obj.kind without the property's call (the checks here read it so
    # where they run on every object)
    groups = _BUILTIN_GROUPS.get(obj.ref.kind or "")
    if groups is None:
        return False
    api_version = obj.data.get("apiVersion")  # as api_group, without its call
    # group_of(api_version), without its call
    return isinstance(api_version, str) and api_version.rpartition("/")[0] in groups


# kubernetes/kubernetes#131790 (Kubernetes 1.34): ValidateStatefulSetSpec validates the pod
# template with ValidatePodTemplateSpec on create, with a volume for each volumeClaimTemplate
# added (volumesToAddForTemplates). Before, it checked only the template's labels, annotations,
# restartPolicy and activeDeadlineSeconds.
STATEFULSET_TEMPLATE_VALIDATED_FROM: Final = 34


def statefulset_template_validated(ctx: RuleContext) -> bool:
    """Whether the API server validates a StatefulSet's pod spec when it is created."""
    return minor(ctx.kubernetes_version) >= STATEFULSET_TEMPLATE_VALIDATED_FROM


def rejection(obj: KObject, ctx: RuleContext) -> str:
    """How the API server's refusal reaches the user, for a finding inside the pod spec."""
    layout = custom_layout(obj)
    if layout is not None:
        return layout.refused()
    if obj.ref.kind == "StatefulSet" and not statefulset_template_validated(ctx):
        return (
            f"Kubernetes {ctx.kubernetes_version} accepts the StatefulSet but rejects every Pod "
            "created from it (from 1.34 it rejects the StatefulSet)"
        )
    return "the API server rejects this"


def template_rejects(obj: KObject, ctx: RuleContext) -> bool:
    """Whether the API server's refusal of something in the pod spec refuses the object itself
    (False: a StatefulSet before 1.34, which is accepted while its Pods are refused)."""
    layout = custom_layout(obj)
    if layout is not None:
        return layout.validated
    return not (obj.ref.kind == "StatefulSet" and not statefulset_template_validated(ctx))


def accepted_unless_template_rejected(
    problems: Iterator[Problem], obj: KObject, ctx: RuleContext
) -> Iterator[Problem]:
    """``problems`` about the pod spec, marked as not refusing the object when the API server
    accepts it (:func:`template_rejects`): the plan then plans it, as the controller would."""
    if template_rejects(obj, ctx):
        return problems  # as they are (the common case): no generator around them
    return _accepted(problems)


def _accepted(problems: Iterable[Problem]) -> Iterator[Problem]:
    for problem in problems:
        yield replace(problem, rejects=False) if problem.rejects is None else problem


def quoted_detail(value: object, message: str) -> str:
    """A validation message without the leading quoted value it repeats."""
    prefix = f"{value!r} "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _spec(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    """The pod spec the rules here judge: of a built-in kind or a custom pod-template kind
    (worked out once for all the checks of the object being checked)."""
    return worked_out(obj, _JUDGED_SPEC, _judged_spec)


_JUDGED_SPEC: Final = "podspec.judged"


def _judged_spec(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    if not is_builtin(obj) and custom_layout(obj) is None:
        return None
    return pod_spec(obj)


# ---------------------------------------------------------------------------------------------
# toleration-invalid


# TaintTolerationComparisonOperators (KEP-5471) adds Gt and Lt: alpha, off by default, in 1.35.
# Later defaults are not known to kpolicy, so there the operators are only judged when the gate
# is set explicitly.
_COMPARISON_GATE: Final = "TaintTolerationComparisonOperators"
_COMPARISON_GATE_FROM: Final = 35
_COMPARISON_GATE_DEFAULTS: Final[Mapping[int, bool]] = {35: False}
_TAINT_EFFECTS: Final = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# content.IsDecimalInteger: a canonical base-10 integer (no '+', no leading zeros)
_DECIMAL_INTEGER_RE: Final = lazy_compile(r"-?(?:0|[1-9][0-9]*)")


def _comparison_operators(ctx: RuleContext) -> bool | None:
    """Whether Gt/Lt are accepted; None when kpolicy does not know."""
    version = minor(ctx.kubernetes_version)
    if version < _COMPARISON_GATE_FROM:
        return False
    gate = ctx.feature_gates.get(_COMPARISON_GATE)
    if gate is not None:
        return bool(gate)
    return _COMPARISON_GATE_DEFAULTS.get(version)


# follows pkg/apis/core/validation.ValidateTolerations (and validateTaintEffect)
@check("toleration-invalid")
def toleration_invalid(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    found = _spec(obj)
    if found is None:
        return _NOTHING
    tolerations = found[1].get("tolerations")
    if not isinstance(tolerations, list) or not tolerations:
        return _NOTHING  # the usual case: nothing to judge
    return accepted_unless_template_rejected(
        _toleration_invalid(obj, ctx, found[0], tolerations), obj, ctx
    )


def _toleration_invalid(
    obj: KObject, ctx: RuleContext, spec_path: Path, tolerations: list[Any]
) -> Iterator[Problem]:
    how = rejection(obj, ctx)
    comparison = _comparison_operators(ctx)
    for index, toleration in enumerate(tolerations):
        if not isinstance(toleration, dict):
            continue
        path = (*spec_path, "tolerations", index)
        key = toleration.get("key")
        operator = toleration.get("operator")
        value = toleration.get("value")
        effect = toleration.get("effect")
        key = "" if key is None else key
        operator = "" if operator is None else operator
        value = "" if value is None else value
        effect = "" if effect is None else effect
        if not all(isinstance(v, str) for v in (key, operator, value, effect)):
            continue  # a wrong type is the schema rules' finding
        if key:
            for message in is_qualified_name(key):
                yield Problem(
                    (*path, "key"),
                    f"toleration key {key!r} is not a qualified name; {how}: "
                    f"{quoted_detail(key, message)}",
                )
        elif operator != "Exists":
            shown_operator = repr(operator) if operator else "the default 'Equal'"
            yield Problem(
                (*path, "operator") if "operator" in toleration else path,
                f"toleration with an empty key must use operator 'Exists' (to tolerate every "
                f"taint), not {shown_operator}; {how}",
            )
        if int_value(toleration.get("tolerationSeconds")) is not None and effect != "NoExecute":
            shown = f"not {effect!r}" if effect else "but no effect is set"
            yield Problem(
                (*path, "effect") if "effect" in toleration else path,
                f"tolerationSeconds needs effect 'NoExecute', {shown}; {how}",
            )
        value_path = (*path, "value") if "value" in toleration else path
        if operator in ("Equal", ""):
            for message in is_valid_label_value(value):
                yield Problem(
                    value_path,
                    f"toleration value {value!r} is not a valid label value; {how}: "
                    f"{quoted_detail(value, message)}",
                )
        elif operator == "Exists":
            if value:
                yield Problem(
                    value_path,
                    f"toleration with operator 'Exists' must not have a value (got {value!r}); "
                    f"{how}",
                )
        elif operator in ("Gt", "Lt") and comparison is not False:
            if comparison and _DECIMAL_INTEGER_RE.fullmatch(value) is None:
                yield Problem(
                    value_path,
                    f"toleration value {value!r} must be a decimal integer for operator "
                    f"{operator!r}; {how}",
                )
        else:
            allowed = "'Equal' or 'Exists'"
            if comparison:
                allowed = "'Equal', 'Exists', 'Gt' or 'Lt'"
            yield Problem(
                (*path, "operator"),
                f"toleration operator {operator!r} is not supported, use {allowed}; {how}",
            )
        if effect and effect not in _TAINT_EFFECTS:
            yield Problem(
                (*path, "effect"),
                f"toleration effect {effect!r} is not supported, use 'NoSchedule', "
                f"'PreferNoSchedule' or 'NoExecute' (or leave it empty for all); {how}",
            )


# ---------------------------------------------------------------------------------------------
# volume-mount-unknown


def _named(items: object, *name_path: str) -> set[str]:
    names: set[str] = set()
    for item in sequence(items):
        if item.__class__ is dict and len(name_path) == 1:
            name = item.get(name_path[0])  # get(item, *name_path), without its call
        else:
            name = get(item, *name_path)
        if isinstance(name, str) and name:
            names.add(name)
    return names


# follows pkg/apis/core/validation.ValidateVolumeMounts / ValidateVolumeDevices (IsMatchedVolume)
# and, for StatefulSets, the controller's updateStorage (pkg/controller/statefulset), which adds a
# volume for each volumeClaimTemplate
@check("volume-mount-unknown")
def volume_mount_unknown(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    found = _spec(obj)
    if found is None:
        return _NOTHING
    spec_path, spec = found
    for _, container in pod_containers(obj):  # the containers of that spec
        if container.get("volumeMounts") or container.get("volumeDevices"):
            break
    else:
        return _NOTHING  # no container mounts anything: nothing to judge
    return accepted_unless_template_rejected(
        _volume_mount_unknown(obj, ctx, spec_path, spec), obj, ctx
    )


def _volume_mount_unknown(
    obj: KObject, ctx: RuleContext, spec_path: Path, spec: dict[str, Any]
) -> Iterator[Problem]:
    volumes = _named(spec.get("volumes"), "name")
    claims: set[str] = set()
    statefulset = obj.ref.kind == "StatefulSet"  # obj.kind without the property's call
    if statefulset:
        claims = _named(get(obj.data, "spec", "volumeClaimTemplates"), "metadata", "name")
    known = volumes | claims
    for path, container in pod_containers(obj):  # the containers of spec
        for field, noun in (("volumeMounts", "volumeMount"), ("volumeDevices", "volumeDevice")):
            for index, mount in enumerate(sequence(container.get(field))):
                # get(mount, "name"), without its call for a mapping
                name = mount.get("name") if mount.__class__ is dict else get(mount, "name")
                if not isinstance(name, str) or not name or name in known:
                    continue
                # the wording is made for a finding only
                cname = container.get("name")
                kind = "init container" if path[-2] == "initContainers" else "container"
                label = f"{kind} {cname!r}" if isinstance(cname, str) else f"an {kind}"
                listed = f"volumes: {few(sorted(volumes)) or 'none'}"
                if statefulset:
                    what = "neither a pod volume nor a volumeClaimTemplate"
                    listed += f"; claim templates: {few(sorted(claims)) or 'none'}"
                else:
                    what = "no volume of the pod"
                yield Problem(
                    (*path, field, index, "name"),
                    f"{noun} {name!r} of {label} names {what} ({listed}); {rejection(obj, ctx)}: "
                    "volume not found",
                )


# ---------------------------------------------------------------------------------------------
# pod-spec-invalid


_RELAXED_ENV_GATE: Final = "RelaxedEnvironmentVariableValidation"


def _relaxed_env_names(ctx: RuleContext) -> bool:
    # RelaxedEnvironmentVariableValidation (KEP-4369): alpha (off) 1.30 and 1.31, beta and on by
    # default 1.32, GA and locked on 1.34 (pkg/features/kube_features.go). 1.29 has no such gate.
    version = minor(ctx.kubernetes_version)
    if version >= 34:
        return True
    if version < 30:
        return False
    return gate_enabled(_RELAXED_ENV_GATE, ctx.kubernetes_version, ctx.feature_gates)


_env_var_name_passes: Final = passes(is_env_var_name)
_strict_env_var_name_passes: Final = passes(is_strict_env_var_name)
_VALID_ENV_NAMES: Final = known_valid(is_env_var_name)
_VALID_STRICT_ENV_NAMES: Final = known_valid(is_strict_env_var_name)


def _env_name_errors(name: str, relaxed: bool) -> list[str]:
    # ValidateEnv / ValidateEnvFrom: IsRelaxedEnvVarName with the gate, IsEnvVarName without
    if (_env_var_name_passes if relaxed else _strict_env_var_name_passes)(name):
        return []  # a valid name (the usual case): the memo's answer, no list copied
    errors = is_env_var_name(name) if relaxed else is_strict_env_var_name(name)
    if not errors:
        return errors
    prefix = f"environment variable name {name!r} "
    return [e[len(prefix) :] if e.startswith(prefix) else e for e in errors]


def _is_native_resource(name: str) -> bool:
    # pkg/apis/core/helper.IsNativeResource
    return "/" not in name or "kubernetes.io/" in name


def _overcommit_allowed(name: str) -> bool:
    # pkg/apis/core/helper.IsOvercommitAllowed: native and not hugepages
    return _is_native_resource(name) and not name.startswith("hugepages-")


def _quantities(value: object) -> dict[str, tuple[object, int]]:
    """The valid quantities of a resource list: name → (the value as written, its nanos)."""
    out: dict[str, tuple[object, int]] = {}
    items = mapping(value)
    if not items:
        return out
    # imported where a quantity is read
    from kpolicy.k8s.quantity import quantity_nanos

    for name, raw in items.items():
        if not isinstance(name, str):
            continue
        parsed = quantity_nanos(raw)
        if parsed is not None:
            out[name] = (raw, parsed)
    return out


def _show(raw: object) -> str:
    return raw if isinstance(raw, str) else repr(raw)


# follows pkg/apis/core/validation.validateResourceRequirements (request <= limit, and
# request == limit for resources that cannot be overcommitted)
def _resource_problems(path: Path, container: Mapping[str, Any], how: str) -> Iterator[Problem]:
    resources = mapping(container.get("resources"))
    requests = _quantities(resources.get("requests"))
    limits = _quantities(resources.get("limits"))
    raw_limits = mapping(resources.get("limits"))
    for name, (raw, request) in requests.items():
        if name in limits:
            raw_limit, limit = limits[name]
            if request != limit and not _overcommit_allowed(name):
                yield Problem(
                    (*path, "resources", "requests", name),
                    f"{name} request {_show(raw)} differs from its limit {_show(raw_limit)}, "
                    f"and {name} cannot be overcommitted; {how}: the request must equal the "
                    "limit",
                )
            elif request > limit:
                yield Problem(
                    (*path, "resources", "requests", name),
                    f"{name} request {_show(raw)} is above its limit {_show(raw_limit)}; {how}",
                )
        elif name not in raw_limits and not _overcommit_allowed(name):
            yield Problem(
                (*path, "resources", "requests", name),
                f"{name} is requested ({_show(raw)}) without a limit, and {name} cannot be "
                f"overcommitted; {how}: a limit equal to the request is required",
            )


# follows pkg/apis/core/validation.validateContainerPorts (names only)
def _port_problems(path: Path, container: Mapping[str, Any], how: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, port in enumerate(sequence(container.get("ports"))):
        if not isinstance(port, dict):
            continue  # no name (get's answer)
        name = port.get("name")
        if not isinstance(name, str) or not name:
            continue
        name_path = (*path, "ports", index, "name")
        errors = is_valid_port_name(name)
        if errors:
            details = "; ".join(quoted_detail(name, e) for e in errors)
            yield Problem(
                name_path,
                f"port name {name!r} is not a valid IANA service name; {how}: {details}",
            )
        elif name in seen:
            yield Problem(name_path, f"port name {name!r} is used twice in the container; {how}")
        else:
            seen.add(name)


# follows pkg/apis/core/validation.ValidateEnv and ValidateEnvFrom (names and prefixes)
def _env_problems(
    path: Path, container: Mapping[str, Any], relaxed: bool, how: str
) -> Iterator[Problem]:
    known = _VALID_ENV_NAMES if relaxed else _VALID_STRICT_ENV_NAMES
    for index, env in enumerate(sequence(container.get("env"))):
        if env.__class__ is dict:
            name = env.get("name")
            if name.__class__ is str and name and name in known:
                continue  # a name already told valid (the usual case): a set look-up
        if not isinstance(env, dict) or "name" not in env:
            continue
        name = env.get("name")
        name = "" if name is None else name
        if not isinstance(name, str):
            continue
        if not name:
            yield Problem(
                (*path, "env", index, "name"),
                f"environment variable name is empty; {how}",
                anchor="key",
            )
            continue
        for message in _env_name_errors(name, relaxed):
            yield Problem(
                (*path, "env", index, "name"),
                f"environment variable name {name!r} is invalid; {how}: {message}",
            )
    for index, source in enumerate(sequence(container.get("envFrom"))):
        prefix = get(source, "prefix")
        if not isinstance(prefix, str) or not prefix:
            continue
        for message in _env_name_errors(prefix, relaxed):
            yield Problem(
                (*path, "envFrom", index, "prefix"),
                f"envFrom prefix {prefix!r} is not a valid environment variable name; {how}: "
                f"{message}",
            )


_dns1123_label_passes: Final = passes(is_dns1123_label)


def _name_problems(
    path: Path, value: object, noun: str, how: str, key_present: bool
) -> Iterator[Problem]:
    if not isinstance(value, str):
        return
    if not value:
        if key_present:
            yield Problem(path, f"{noun} name is empty; {how}", anchor="key")
        return
    for message in _label_name_messages(noun, value, how):
        yield Problem(path, message)


# (noun, name, how the API server refuses it) → what _name_problems says of a name that is not
# a DNS-1123 label, made once for each a run sees (the same wrong name recurs across objects);
# at most _MEMO_LIMIT, then it starts again, and no name longer than any valid one
_LABEL_NAME_MESSAGES: dict[tuple[str, str, str], tuple[str, ...]] = {}
_MEMO_LIMIT: Final = 4096
_MEMO_LONGEST: Final = 253


def _label_name_messages(noun: str, value: str, how: str) -> tuple[str, ...]:
    key = (noun, value, how)
    found = _LABEL_NAME_MESSAGES.get(key)
    if found is None:
        found = _label_name_messages_of(noun, value, how)
        if value.__class__ is str and len(value) <= _MEMO_LONGEST:
            if len(_LABEL_NAME_MESSAGES) >= _MEMO_LIMIT:
                _LABEL_NAME_MESSAGES.clear()
            _LABEL_NAME_MESSAGES[key] = found
    return found


def _label_name_messages_of(noun: str, value: str, how: str) -> tuple[str, ...]:
    return tuple(
        f"{noun} name {value!r} is not a DNS-1123 label; {how}: {quoted_detail(value, message)}"
        for message in is_dns1123_label(value)
    )


# validateEnvVarValueFrom and ValidateEnvFrom (pkg/apis/core/validation): exactly one source, and
# no valueFrom beside a non-empty value. fileKeyRef (EnvFiles, 1.34) counts as a source: where the
# gate is off the field is dropped, not rejected, so kpolicy does not judge it.
_ENV_SOURCES: Final = (
    "fieldRef",
    "resourceFieldRef",
    "configMapKeyRef",
    "secretKeyRef",
    "fileKeyRef",
)
_ENV_FROM_SOURCES: Final = ("configMapRef", "secretRef")


def _env_source_problems(path: Path, container: Mapping[str, Any], how: str) -> Iterator[Problem]:
    for index, env in enumerate(sequence(container.get("env"))):
        if not isinstance(env, dict):
            continue
        value_from = env.get("valueFrom")
        if not isinstance(value_from, dict):
            continue  # absent or null: a plain value; another type is the schema rules'
        # in the order written, so that a finding lands on the later one
        sources = [k for k, v in value_from.items() if k in _ENV_SOURCES and v is not None]
        value = env.get("value")
        if len(sources) == 1 and not (isinstance(value, str) and value):
            continue  # one source and no value: valid (the usual case)
        name = env.get("name")
        shown = f"environment variable {name!r}" if isinstance(name, str) else f"env[{index}]"
        from_path = (*path, "env", index, "valueFrom")
        if not sources:
            yield Problem(
                from_path,
                f"valueFrom of {shown} names no source; {how}: it must have one of fieldRef, "
                "resourceFieldRef, configMapKeyRef or secretKeyRef",
                anchor="key",
            )
        elif isinstance(value, str) and value:
            yield Problem(
                from_path,
                f"{shown} has both a value and valueFrom; {how}: valueFrom may not be set when "
                "value is not empty",
                anchor="key",
            )
        else:
            for extra in sources[1:]:
                yield Problem(
                    (*from_path, extra),
                    f"valueFrom of {shown} has {sources[0]} and {extra}; {how}: it may have only "
                    "one source",
                    anchor="key",
                )
    for index, source in enumerate(sequence(container.get("envFrom"))):
        if not isinstance(source, dict):
            continue
        present = [k for k, v in source.items() if k in _ENV_FROM_SOURCES and v is not None]
        item = (*path, "envFrom", index)
        if not present:
            yield Problem(
                item,
                f"envFrom[{index}] names neither configMapRef nor secretRef; {how}: it must have "
                "one of them",
            )
        elif len(present) > 1:
            yield Problem(
                (*item, present[1]),
                f"envFrom[{index}] has both {present[0]} and {present[1]}; {how}: one entry may "
                "have only one of them",
                anchor="key",
            )


# ValidateVolumeMounts (pkg/apis/core/validation): the mount paths of one container are unique,
# validateMountPropagation allows Bidirectional propagation to privileged containers only, and
# validateMountRecursiveReadOnly wants a recursive read-only mount to be read-only
def _mount_problems(
    obj: KObject, path: Path, container: Mapping[str, Any], label: str, how: str
) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, mount in enumerate(sequence(container.get("volumeMounts"))):
        if not isinstance(mount, dict):
            continue  # none of the fields read here (get's answer)
        recursive = mount.get("recursiveReadOnly")
        propagation = mount.get("mountPropagation")
        if recursive in ("Enabled", "IfPossible"):
            # validateMountRecursiveReadOnly
            if mount.get("readOnly") is not True:
                yield Problem(
                    (*path, "volumeMounts", index, "recursiveReadOnly"),
                    f"recursiveReadOnly {recursive!r} in {label} needs readOnly: true on the "
                    f"same mount; {how}",
                )
            elif propagation not in (None, "None"):
                yield Problem(
                    (*path, "volumeMounts", index, "recursiveReadOnly"),
                    f"recursiveReadOnly {recursive!r} in {label} cannot be combined with "
                    f"mountPropagation {propagation!r}; {how}",
                )
        if (
            propagation == "Bidirectional"
            and get(container, "securityContext", "privileged") is not True
        ):
            yield Problem(
                (*path, "volumeMounts", index, "mountPropagation"),
                f"mountPropagation 'Bidirectional' in {label}, which is not privileged; {how}: "
                "only a privileged container may propagate its mounts to the node",
            )
        mount_path = mount.get("mountPath")
        if not isinstance(mount_path, str) or not mount_path:
            continue
        if mount_path not in first:
            first[mount_path] = index
            continue
        yield Problem(
            (*path, "volumeMounts", index, "mountPath"),
            f"mountPath {mount_path!r} of {label} is already used by volumeMounts"
            f"[{first[mount_path]}]; {how}: mount paths must be unique in a container",
            related=(
                Related(
                    obj,
                    (*path, "volumeMounts", first[mount_path], "mountPath"),
                    "the first mount at that path",
                ),
            ),
        )


_PROBES: Final = ("livenessProbe", "readinessProbe", "startupProbe")
# handlerFromProbe and handlerFromLifecycle: the handlers validateHandler counts
_PROBE_HANDLERS: Final = ("exec", "httpGet", "tcpSocket", "grpc")
_HOOK_HANDLERS: Final = ("exec", "httpGet", "tcpSocket", "sleep")


# validateHandler (pkg/apis/core/validation): a probe or a lifecycle hook has exactly one handler
def _handler_problems(
    path: Path,
    handler: object,
    what: str,
    kinds: tuple[str, ...],
    how: str,
    patch: Callable[[], bool],
) -> Iterator[Problem]:
    if not isinstance(handler, dict):
        return
    present = [k for k, v in handler.items() if k in kinds and v is not None]
    for extra in present[1:]:
        yield Problem(
            (*path, extra),
            f"{what} has more than one handler ({', '.join(present)}); {how}: it may specify "
            "only one handler type",
            anchor="key",
        )
    if not present and not patch():
        yield Problem(
            path,
            f"{what} has no handler; {how}: it must specify one of {', '.join(kinds)}",
            anchor="key",
        )


def _probe_problems(
    path: Path,
    container: Mapping[str, Any],
    label: str,
    sidecar: bool,
    how: str,
    patch: Callable[[], bool],
) -> Iterator[Problem]:
    """validateContainers and validateInitContainers: probes and hooks of regular containers
    and sidecars are validated; a regular init container may not have them at all."""
    init = path[-2] == "initContainers"
    if init and not sidecar:
        for field in ("lifecycle", *_PROBES):
            if container.get(field) is not None:
                yield Problem(
                    (*path, field),
                    f"{field} is set on {label}, which runs to completion before the others "
                    f"start; {how}: only a sidecar (an init container with restartPolicy "
                    "Always) may have probes and lifecycle hooks",
                    anchor="key",
                )
        return
    # _handler_problems judges a mapping only: its arguments are made for one
    for probe in _PROBES:
        handler = container.get(probe)
        if isinstance(handler, dict):
            yield from _handler_problems(
                (*path, probe), handler, f"{probe} of {label}", _PROBE_HANDLERS, how, patch
            )
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            handler = lifecycle.get(hook)
            if isinstance(handler, dict):
                yield from _handler_problems(
                    (*path, "lifecycle", hook),
                    handler,
                    f"the {hook} hook of {label}",
                    _HOOK_HANDLERS,
                    how,
                    patch,
                )


_CONTAINER_RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")


# validateContainers forbids a regular container's restartPolicy, and
# validateInitContainerRestartPolicy accepts only Always for an init container, unless the
# ContainerRestartRules gate (KEP-5307, on by default from 1.35) is on: then both take Always,
# OnFailure or Never. Other values are schema-enum-invalid's.
def _restart_policy_problems(
    path: Path, container: Mapping[str, Any], label: str, ctx: RuleContext, how: str
) -> Iterator[Problem]:
    policy = container.get("restartPolicy")
    if not isinstance(policy, str) or policy not in _CONTAINER_RESTART_POLICIES:
        return
    if gate_enabled("ContainerRestartRules", ctx.kubernetes_version, ctx.feature_gates):
        return
    why = gate_reason("ContainerRestartRules", ctx.kubernetes_version, ctx.feature_gates)
    if path[-2] != "initContainers":
        yield Problem(
            (*path, "restartPolicy"),
            f"restartPolicy {policy!r} is set on {label}; {how}: a container-level "
            f"restartPolicy is only for init containers ({why})",
        )
    elif policy != "Always":
        yield Problem(
            (*path, "restartPolicy"),
            f"restartPolicy {policy!r} of {label} is not supported; {how}: an init container's "
            f"restartPolicy may only be 'Always', which makes it a sidecar ({why})",
        )


# validatePodHostNetworkDeps (pkg/apis/core/validation): with the node's network a container
# port is the node's port, so a set hostPort must equal containerPort (0 is defaulted to it)
def _host_port_problems(path: Path, container: Mapping[str, Any], how: str) -> Iterator[Problem]:
    for index, port in enumerate(sequence(container.get("ports"))):
        host = int_value(get(port, "hostPort"))
        target = int_value(get(port, "containerPort"))
        if host is None or target is None or host == 0 or host == target:
            continue
        yield Problem(
            (*path, "ports", index, "hostPort"),
            f"hostPort {host} differs from containerPort {target} while hostNetwork is true; "
            f"{how}: on the node's network the container listens on the node's port itself, so "
            "hostPort must equal containerPort (or be left out)",
        )


def _image_problems(
    path: Path, container: Mapping[str, Any], label: str, how: str, patch: Callable[[], bool]
) -> Iterator[Problem]:
    # validateContainerCommon: image is required (an image of spaces passes there)
    image = container.get("image")
    if image not in (None, "") or patch():
        return
    where: Path = path
    anchor: Anchor = "auto"
    if "image" in container:
        where, anchor = (*path, "image"), ("key" if image is None else "value")
    yield Problem(where, f"{label} has no image; {how}: image is required", anchor=anchor)


# follows pkg/apis/core/validation.ValidatePodSpec: ValidateVolumes (names), validateContainers
# and validateInitContainers (names, uniqueness, probes and hooks, restartPolicy),
# validateContainerCommon (image, validateContainerPorts, ValidateEnv, ValidateEnvFrom,
# ValidateVolumeMounts, ValidateContainerResourceRequirements), validateHandler,
# validatePodHostNetworkDeps, activeDeadlineSeconds; ValidatePodTemplateSpec and ValidatePodCreate
# (ephemeralContainers). A kustomize patch is a fragment: what it may leave out (an image, a
# probe's handler) is not judged there.
@check("pod-spec-invalid")
def pod_spec_invalid(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    found = _spec(obj)
    if found is None:
        return _NOTHING
    return accepted_unless_template_rejected(_pod_spec_invalid(obj, ctx, *found), obj, ctx)


def _pod_spec_invalid(
    obj: KObject, ctx: RuleContext, spec_path: Path, spec: dict[str, Any]
) -> Iterator[Problem]:
    how = rejection(obj, ctx)

    volume_names: set[str] = set()
    for index, volume in enumerate(sequence(spec.get("volumes"))):
        if not isinstance(volume, dict):
            continue
        name = volume.get("name")
        name_path = (*spec_path, "volumes", index, "name")
        if name.__class__ is str and name and _dns1123_label_passes(name):
            problems: list[Problem] = []  # the usual case, as _name_problems says
        elif name.__class__ is str and name:
            # a name that is not a label: _name_problems' findings, without its generator
            problems = [Problem(name_path, m) for m in _label_name_messages("volume", name, how)]
            yield from problems
        else:
            problems = list(_name_problems(name_path, name, "volume", how, "name" in volume))
            yield from problems
        if not isinstance(name, str) or not name:
            continue
        if name in volume_names:
            yield Problem(name_path, f"volume name {name!r} is used twice; {how}")
        elif not problems:
            volume_names.add(name)

    relaxed: bool | None = None  # asked of the first container with env
    host_network = spec.get("hostNetwork") is True
    patched: list[bool] = []

    def patch() -> bool:
        """Whether the object is a kustomize patch (asked only when it matters)."""
        if not patched:
            patched.append(is_patch(obj, ctx))
        return patched[0]

    regular: set[str] = set()
    init_seen: set[str] = set()
    for path, container in pod_containers(obj):  # the containers of spec
        init = path[-2] == "initContainers"
        noun = "init container" if init else "container"
        name = container.get("name")
        name_path = (*path, "name")
        if name.__class__ is str and name:
            if not _dns1123_label_passes(name):
                # not a label: _name_problems' findings, without its generator
                for message in _label_name_messages(noun, name, how):
                    yield Problem(name_path, message)
        else:
            yield from _name_problems(name_path, name, noun, how, "name" in container)
        if isinstance(name, str) and name:
            if init:
                if name in regular or name in init_seen:
                    yield Problem(
                        name_path,
                        f"init container name {name!r} is already used by another container; {how}",
                    )
                init_seen.add(name)
            else:
                if name in regular:
                    yield Problem(name_path, f"container name {name!r} is used twice; {how}")
                regular.add(name)
        # made for the parts that name the container, when one is asked
        label: str | None = None
        # each part is asked only when the container has what it judges (a cheap test of
        # what the part itself tests first): most containers have few of them
        get_field = container.get
        if get_field("image") in (None, "") and not (
            isinstance(name, str) and name in _image_change_containers(obj)
        ):
            label = _container_label(noun, name, path)
            yield from _image_problems(path, container, label, how, patch)
        ports = get_field("ports")
        if ports and isinstance(ports, list):
            yield from _port_problems(path, container, how)
            if host_network and not init:
                yield from _host_port_problems(path, container, how)
        env = get_field("env")
        env_from = get_field("envFrom")
        if (env and isinstance(env, list)) or (env_from and isinstance(env_from, list)):
            if relaxed is None:
                relaxed = _relaxed_env_names(ctx)
            yield from _env_problems(path, container, relaxed, how)
            yield from _env_source_problems(path, container, how)
        mounts = get_field("volumeMounts")
        if mounts and isinstance(mounts, list):
            if label is None:
                label = _container_label(noun, name, path)
            yield from _mount_problems(obj, path, container, label, how)
        resources = get_field("resources")
        if isinstance(resources, dict) and isinstance(resources.get("requests"), dict):
            yield from _resource_problems(path, container, how)
        if (
            get_field("lifecycle") is not None
            or get_field("livenessProbe") is not None
            or get_field("readinessProbe") is not None
            or get_field("startupProbe") is not None
        ):
            if label is None:
                label = _container_label(noun, name, path)
            sidecar = init and get_field("restartPolicy") == "Always"
            yield from _probe_problems(path, container, label, sidecar, how, patch)
        if get_field("restartPolicy") is not None:
            if label is None:
                label = _container_label(noun, name, path)
            yield from _restart_policy_problems(path, container, label, ctx, how)

    ephemeral = spec.get("ephemeralContainers")
    if isinstance(ephemeral, list) and ephemeral:
        if obj.kind == "Pod":
            # ValidatePodCreate: "cannot be set on create"
            message = (
                f"ephemeralContainers are set in a new Pod; {how}: they can only be added to a "
                "running Pod, through its ephemeralcontainers subresource (kubectl debug)"
            )
        else:
            # ValidatePodTemplateSpec (before 1.34 a StatefulSet's Pods meet ValidatePodCreate)
            message = (
                f"ephemeralContainers are set in a pod template; {how}: they can only be added "
                "to a running Pod (kubectl debug)"
            )
        yield Problem((*spec_path, "ephemeralContainers"), message, anchor="key")

    if obj.ref.kind in ("Pod", "Job", "CronJob"):
        deadline = int_value(spec.get("activeDeadlineSeconds"))
        if deadline is not None and not 1 <= deadline <= _MAX_INT32:
            yield Problem(
                (*spec_path, "activeDeadlineSeconds"),
                f"activeDeadlineSeconds {deadline} must be between 1 and {_MAX_INT32}; {how}",
            )


def _container_label(noun: str, name: object, path: Path) -> str:
    """How a finding names a container: by its name, else by its index."""
    return f"{noun} {name!r}" if isinstance(name, str) and name else f"{noun} #{path[-1]}"


def _image_change_containers(obj: KObject) -> frozenset[object]:
    """The containers of a DeploymentConfig whose image an ImageChange trigger supplies: the
    OpenShift API server accepts them without an image (handleEmptyImageReferences in
    ValidateDeploymentConfigSpec, openshift/origin pkg/apps/apis/apps/validation)."""
    if custom_layout(obj) is not DEPLOYMENT_CONFIG:
        return frozenset()
    names: set[object] = set()
    for trigger in sequence(get(obj.data, "spec", "triggers")):
        if isinstance(trigger, dict) and trigger.get("type") == "ImageChange":
            params = mapping(trigger.get("imageChangeParams"))
            names.update(n for n in sequence(params.get("containerNames")) if isinstance(n, str))
    return frozenset(names)


# ---------------------------------------------------------------------------------------------
# restart-policy-invalid


# follows ValidatePodTemplateSpecForReplicaSet / ValidateDaemonSetSpec / ValidateStatefulSetSpec
# (pkg/apis/apps/validation), ValidatePodTemplateSpecForRC and validateRestartPolicy
# (pkg/apis/core/validation), validateJobSpec (pkg/apis/batch/validation). An empty or absent
# restartPolicy is defaulted to Always by SetDefaults_PodSpec before validation.
@check("restart-policy-invalid")
def restart_policy_invalid(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    found = _spec(obj)
    if found is None:
        return _NOTHING
    if found[1].get("restartPolicy") in _ALWAYS and _long_running(obj):
        return _NOTHING  # Always, written or defaulted, where it must be (the usual case)
    return _restart_policy_invalid(obj, ctx, found)


# the restartPolicy values that mean Always (absent, null and empty are defaulted to it)
_ALWAYS: Final = (None, "", "Always")


def _restart_policy_invalid(
    obj: KObject, ctx: RuleContext, found: tuple[Path, dict[str, Any]]
) -> Iterator[Problem]:
    spec_path, spec = found
    policy = spec.get("restartPolicy")
    policy = "" if policy is None else policy
    if not isinstance(policy, str):
        return
    path = (*spec_path, "restartPolicy")
    effective = policy or "Always"
    if _long_running(obj):
        if effective != "Always":
            yield Problem(
                path,
                f"restartPolicy {policy!r} is not allowed in a {obj.kind}, whose Pods must "
                f"restart 'Always'; {rejection(obj, ctx)}",
            )
    elif obj.kind in JOB_KINDS:
        job_spec_path = ("spec",) if obj.kind == "Job" else ("spec", "jobTemplate", "spec")
        if effective == "Always":
            if policy:
                message = (
                    f"restartPolicy 'Always' is not allowed in a {obj.kind}'s pod template; "
                    "the API server rejects this: use 'OnFailure' or 'Never'"
                )
            else:
                message = (
                    f"the pod template of a {obj.kind} needs restartPolicy 'OnFailure' or "
                    "'Never'; left out it defaults to 'Always' and the API server rejects this"
                )
            yield Problem(path, message)
        elif effective not in ("OnFailure", "Never"):
            yield Problem(
                path,
                f"restartPolicy {policy!r} is not supported in a {obj.kind}; the API server "
                "rejects this: use 'OnFailure' or 'Never'",
            )
        elif (
            effective == "OnFailure"
            and get(obj.data, *job_spec_path, "podFailurePolicy") is not None
        ):
            yield Problem(
                path,
                "restartPolicy 'OnFailure' cannot be combined with a podFailurePolicy; the API "
                "server rejects this: use 'Never'",
            )
    elif effective not in ("Always", "OnFailure", "Never"):
        yield Problem(
            path,
            f"restartPolicy {policy!r} is not supported; {rejection(obj, ctx)}: use "
            "'Always', 'OnFailure' or 'Never'",
        )


def _long_running(obj: KObject) -> bool:
    """Whether the object's Pods run forever under a replica controller (restartPolicy
    Always, no activeDeadlineSeconds): the built-in long-running kinds, a Rollout and a
    DeploymentConfig."""
    if obj.ref.kind in LONG_RUNNING_KINDS:
        return True
    layout = custom_layout(obj)
    return layout is not None and layout.long_running


# ---------------------------------------------------------------------------------------------
# active-deadline-forbidden


# follows ValidatePodTemplateSpecForReplicaSet (Deployment, ReplicaSet), ValidateDaemonSetSpec,
# ValidateStatefulSetSpec (pkg/apis/apps/validation) and ValidatePodTemplateSpecForRC
# (pkg/apis/core/validation): activeDeadlineSeconds must be nil
@check("active-deadline-forbidden")
def active_deadline_forbidden(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    if not _long_running(obj):
        return _NOTHING
    found = _spec(obj)
    if found is None:
        return _NOTHING
    spec_path, spec = found
    deadline = int_value(spec.get("activeDeadlineSeconds"))
    if deadline is None:
        return _NOTHING  # the usual case: no generator
    return (
        Problem(
            (*spec_path, "activeDeadlineSeconds"),
            f"activeDeadlineSeconds {deadline} in a {obj.kind}'s pod template would end every "
            f"Pod after {deadline}s; {rejection(obj, ctx)}: it is forbidden in a {obj.kind}",
        ),
    )


# ---------------------------------------------------------------------------------------------
# pod-hostname-shared


_SHARED_HOSTNAME_KINDS: Final = frozenset(
    {
        "Deployment",
        "ReplicaSet",
        "DaemonSet",
        "ReplicationController",
        "Rollout",
        "DeploymentConfig",
    }
)


# The replica controllers copy the template as it is (controller.GetPodFromTemplate), so
# every Pod gets spec.hostname; only the StatefulSet controller (initIdentity) overrides it.
@check("pod-hostname-shared")
def pod_hostname_shared(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
    if obj.ref.kind not in _SHARED_HOSTNAME_KINDS:
        return _NOTHING
    found = _spec(obj)
    if found is None:
        return _NOTHING
    spec_path, spec = found
    hostname = spec.get("hostname")
    if not isinstance(hostname, str) or not hostname:
        return _NOTHING  # the usual case: no generator
    pods = "Pod (one per node)" if obj.kind == "DaemonSet" else "replica"
    message = f"every {pods} of {obj.kind} {obj.name or '<unnamed>'} gets hostname {hostname!r}"
    subdomain = spec.get("subdomain")
    if isinstance(subdomain, str) and subdomain:
        fqdn = f"{hostname}.{subdomain}.{obj.namespace}.svc.{ctx.cluster_domain}"
        message += f" and the same DNS name {fqdn}, so the name cannot tell the Pods apart"
    else:
        message += ", so the name cannot tell the Pods apart"
    return (Problem((*spec_path, "hostname"), message),)
