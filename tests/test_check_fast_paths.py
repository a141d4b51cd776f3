"""The checks' fast paths (a cheap test that a check, or a part of one, has nothing to say; a
fact worked out once per object) held to the general walk they stand for, on generated
objects of built-in kinds, look-alike custom kinds and unknown groups."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy import workload
from kpolicy.checks import RuleContext, podspec
from kpolicy.checks import names as names_checks
from kpolicy.index import Index, LocalIndex
from kpolicy.k8s import validation as v
from kpolicy.load import load_text
from kpolicy.model import KObject, SourceFile
from kpolicy.records import replace
from tests.helpers import examples
from tests.k8s.test_validation import HOSTILE, INVALID, STRING_CHECKS, VALID

CTX = RuleContext(index=LocalIndex())  # type: ignore[arg-type]
SETTINGS = settings(
    max_examples=examples(full=1500, quick=150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# text the name and label checks tell apart: valid names, upper case, dots, slashes, spaces,
# lengths around 63 and 253
_TEXT = (
    st.sampled_from(["", "a", "web", "app.kubernetes.io/name", "Web", "a_b", "-a", "a.b", "x" * 64])
    | st.text(alphabet="aZ09-_./ é", max_size=70)
    | st.builds(lambda n: "a" * n, st.integers(60, 260))
)
_SCALAR = st.none() | st.booleans() | st.integers(-3, 3) | _TEXT
_LABELS = st.dictionaries(_TEXT | st.integers(0, 2), _SCALAR, max_size=4) | _SCALAR

# kinds with and without name checks, pod-template kinds and look-alikes, with apiVersions of
# their own groups, other built-in groups, custom groups and of the wrong type
_KINDS = [
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
    "CronJob", "Service", "Namespace", "ConfigMap", "Rollout", "DeploymentConfig", "PodTemplate",
    "Widget", "HorizontalPodAutoscaler",
]  # fmt: skip
_API_VERSIONS = [
    "v1", "apps/v1", "batch/v1", "extensions/v1beta1", "apps/v1beta2", "argoproj.io/v1alpha1",
    "apps.openshift.io/v1", "apps.kruise.io/v1beta1", "example.com/v1", "", 1, None,
]  # fmt: skip


def _objects(text: str) -> list[KObject]:
    # the checks' memo of the index is per file, by id(obj): new objects, a new memo
    CTX.index.clear()  # type: ignore[attr-defined]
    return list(load_text(SourceFile("x.yaml", text)).objects)


def _object(data: dict[str, Any]) -> KObject | None:
    found = _objects(yaml.safe_dump(data, sort_keys=False))
    return found[0] if len(found) == 1 else None


def _checked(fn: Any, obj: KObject) -> list[Any]:
    """``fn``'s findings on ``obj`` as the engine asks for them (what is worked out of the
    object kept while its checks run)."""
    workload.checking(obj)
    try:
        return list(fn(obj, CTX))
    finally:
        workload.checking(None)


# --------------------------------------------------------------------------------------------
# validation.passes: the memo's answer without a copy


@pytest.mark.parametrize(
    ("check", "value"),
    [*VALID, *INVALID, *((check, value) for check in STRING_CHECKS for value in HOSTILE)],
)
def test_passes_agrees_with_the_check(check: Any, value: object) -> None:
    expected = not v.general(check)(value)
    assert v.passes(check)(value) is expected  # before the memo holds the value
    check(value)
    assert v.passes(check)(value) is expected  # and from the memo


@SETTINGS
@given(value=_TEXT)
def test_passes_agrees_on_generated_strings(value: str) -> None:
    for check in STRING_CHECKS:
        assert v.passes(check)(value) is (not v.general(check)(value)), check.__name__


@pytest.mark.parametrize(
    ("check", "value"),
    [*VALID, *INVALID, *((check, value) for check in STRING_CHECKS for value in HOSTILE)],
)
def test_known_valid_holds_the_strings_the_check_passed(check: Any, value: object) -> None:
    """What known_valid holds passes the check; a string of at most 253 characters the check
    passed is there once asked (the fast path of _labels_pass is taken)."""
    known = v.known_valid(check)
    assert known is v.known_valid(check)  # the same set, which callers keep
    expected = not v.general(check)(value)
    check(value)
    assert all(not v.general(check)(text) for text in known)
    if v.general(check) is not check and value.__class__ is str and len(value) <= 253:
        assert (value in known) is expected


def test_known_valid_is_emptied_with_the_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    check = v.is_valid_label_value
    known = v.known_valid(check)
    check("kept")
    assert "kept" in known
    monkeypatch.setattr(v, "_MEMO_LIMIT", 0)
    check(f"unasked-{uuid.uuid4().hex}")  # not in the memo, which is full: it starts again
    assert "kept" not in known
    assert v.known_valid(lambda value: []) == frozenset()


def test_passes_of_a_check_without_memo_asks_the_check() -> None:
    def odd(value: object) -> list[str]:
        return [] if value == "ok" else ["not ok"]

    assert v.passes(odd)("ok") is True
    assert v.passes(odd)("no") is False


# --------------------------------------------------------------------------------------------
# labels-invalid and name-invalid


@SETTINGS
@given(labels=_LABELS)
def test_labels_pass_is_the_label_walk_finding_nothing(labels: object) -> None:
    walk = list(names_checks._label_map_problems(labels, ("metadata", "labels"), "label", "x"))
    assert names_checks._labels_pass(labels) is (not walk)


def test_labels_pass_leaves_a_dict_subclass_to_the_walk() -> None:
    class Odd(dict[str, Any]):
        pass

    assert names_checks._labels_pass(Odd({"a": "b"})) is False


def _metadata_strategy() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {},
        optional={
            "name": _SCALAR,
            "generateName": _SCALAR,
            "labels": _LABELS,
            "namespace": st.sampled_from(["default", "x"]),
        },
    ) | st.sampled_from([None, "meta", [1]])


_POD_SPEC = st.fixed_dictionaries(
    {"containers": st.just([{"name": "c", "image": "i"}])},
    optional={
        "hostname": _SCALAR,
        "subdomain": _SCALAR,
        "nodeSelector": _LABELS,
        "tolerations": st.lists(st.fixed_dictionaries({}, optional={"key": _TEXT}), max_size=2),
    },
)


# a selector's matchExpressions, valid, invalid and of the wrong type
_SELECTOR_EXPRESSIONS = (
    st.lists(
        st.fixed_dictionaries(
            {"key": _TEXT, "operator": st.sampled_from(["In", "Exists", "Up", 1])},
            optional={"values": st.lists(_TEXT, max_size=2) | _SCALAR},
        ),
        max_size=2,
    )
    | _SCALAR
)


@st.composite
def _manifests(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(_KINDS))
    data: dict[str, Any] = {
        "apiVersion": draw(st.sampled_from(_API_VERSIONS)),
        "kind": kind,
        "metadata": draw(_metadata_strategy()),
    }
    pod = draw(_POD_SPEC)
    template = {"metadata": {"labels": draw(_LABELS)}, "spec": pod}
    shape = draw(st.sampled_from(["pod", "template", "job-template", "none"]))
    if shape == "pod":
        data["spec"] = pod
    elif shape == "template":
        selector = draw(
            st.fixed_dictionaries(
                {"matchLabels": _LABELS},
                optional={"matchExpressions": _SELECTOR_EXPRESSIONS},
            )
            | _SCALAR
        )
        data["spec"] = {"selector": selector, "template": template}
    elif shape == "job-template":
        data["spec"] = {"jobTemplate": {"spec": {"template": template}}}
    if kind == "Service":
        data["spec"] = {"selector": draw(_LABELS)}
    if kind == "Job" and draw(st.booleans()):
        data.setdefault("spec", {})
        if isinstance(data["spec"], dict):
            data["spec"].update({"completionMode": "Indexed", "completions": 3})
    return data


@SETTINGS
@given(data=_manifests())
def test_name_and_labels_fast_paths_answer_as_the_general_walk(data: dict[str, Any]) -> None:
    obj = _object(data)
    if obj is None:
        return
    general_names = (
        _checked(names_checks._name_invalid, obj)
        if obj.kind in names_checks._NAME_CHECKS and podspec.is_builtin(obj)
        else []
    )
    assert _checked(names_checks.name_invalid, obj) == general_names
    assert _checked(names_checks.labels_invalid, obj) == _checked(names_checks._labels_invalid, obj)


_USUAL_LABELS = """\
apiVersion: {api_version}
kind: {kind}
metadata: {{name: web, labels: {{app: web, app.kubernetes.io/name: web}}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      nodeSelector: {{kubernetes.io/os: linux}}
      containers: [{{name: web, image: nginx:1.27}}]
"""


@SETTINGS
@given(
    kind=st.sampled_from(["Deployment", "StatefulSet", "ReplicationController", "CronJob"]),
    selector=st.fixed_dictionaries(
        {}, optional={"matchLabels": _LABELS, "matchExpressions": _SELECTOR_EXPRESSIONS}
    )
    | _LABELS,
    labels=_LABELS,
)
def test_labels_fast_path_of_a_workload_answers_as_the_walk(
    kind: str, selector: object, labels: object
) -> None:
    """A built-in workload whose own labels are valid: its selector, template labels and
    nodeSelector told by the fast path as the walk tells them."""
    api_version = "batch/v1" if kind == "CronJob" else "v1"
    if kind in ("Deployment", "StatefulSet"):
        api_version = "apps/v1"
    data = yaml.safe_load(_USUAL_LABELS.format(api_version=api_version, kind=kind))
    spec = data["spec"]
    spec["selector"] = selector
    spec["template"]["metadata"]["labels"] = labels
    spec["template"]["spec"]["nodeSelector"] = labels
    if kind == "CronJob":
        data["spec"] = {"jobTemplate": {"metadata": {"labels": labels}, "spec": spec}}
    obj = _object(data)
    if obj is None:
        return
    assert _checked(names_checks.labels_invalid, obj) == _checked(names_checks._labels_invalid, obj)


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("v1", "ReplicationController")],
)
def test_labels_invalid_answers_valid_label_maps_without_its_walk(
    api_version: str, kind: str
) -> None:
    """The fast path is taken: a built-in workload whose label maps and selector are valid
    gets the shared empty answer, not a generator (the general walk is never started)."""
    (obj,) = _objects(_USUAL_LABELS.format(api_version=api_version, kind=kind))
    if kind == "ReplicationController":  # its selector is a label map
        obj.data["spec"]["selector"] = {"app": "web"}
    assert names_checks._builtin_labels_pass(obj) is True
    assert _checked(names_checks.labels_invalid, obj) == []
    workload.checking(obj)
    try:
        assert names_checks.labels_invalid(obj, CTX) is names_checks._NOTHING
    finally:
        workload.checking(None)


@SETTINGS
@given(kind=st.sampled_from(sorted(names_checks._NAME_CHECKS)), name=_TEXT)
def test_name_messages_are_made_once_per_kind_and_name(kind: str, name: str) -> None:
    """name-invalid's messages of a name, kept per (kind, name), are those made afresh; the
    second ask is answered from what was kept (a name no valid one is as long as, not)."""
    names_checks._NAME_MESSAGES.pop((kind, name), None)
    first = names_checks._name_messages(kind, name)
    assert first == names_checks._name_messages_of(kind, name)
    again = names_checks._name_messages(kind, name)
    assert again == first
    assert (again is first) is (len(name) <= names_checks._MEMO_LONGEST)


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize("api_version", _API_VERSIONS)
def test_is_builtin_reads_the_group_as_api_group_does(kind: str, api_version: object) -> None:
    obj = _object({"apiVersion": "v1", "kind": kind, "metadata": {"name": "a"}})
    assert obj is not None
    # the loader makes no object of an apiVersion that is not a non-empty string: judged anyway
    obj = replace(obj, data={**obj.data, "apiVersion": api_version})
    groups = podspec._BUILTIN_GROUPS.get(kind)
    assert podspec.is_builtin(obj) is (groups is not None and podspec.api_group(obj) in groups)


# --------------------------------------------------------------------------------------------
# the pod-template checks: each part of pod-spec-invalid asked only when the container has what
# it judges, toleration-invalid and volume-mount-unknown only with tolerations and mounts

_ANY = st.recursive(
    st.none() | st.booleans() | st.integers(-1, 70000) | _TEXT,
    lambda children: (
        st.lists(children, max_size=2)
        | st.dictionaries(
            st.sampled_from(["name", "port", "exec", "httpGet", "x"]), children, max_size=3
        )
    ),
    max_leaves=6,
)
_PROBE = st.fixed_dictionaries({}, optional={"exec": _ANY, "httpGet": _ANY, "grpc": _ANY}) | _ANY
_CONTAINER = st.fixed_dictionaries(
    {},
    optional={
        "name": _SCALAR,
        "image": st.sampled_from([None, "", "web:1", 0]) | _ANY,
        "ports": st.lists(
            st.fixed_dictionaries(
                {}, optional={"name": _TEXT, "containerPort": _ANY, "hostPort": _ANY}
            )
            | _ANY,
            max_size=2,
        )
        | _ANY,
        "env": st.lists(
            st.fixed_dictionaries(
                {}, optional={"name": _SCALAR, "value": _SCALAR, "valueFrom": _ANY}
            ),
            max_size=2,
        )
        | _ANY,
        "envFrom": st.lists(
            st.fixed_dictionaries({}, optional={"prefix": _TEXT, "configMapRef": _ANY}), max_size=2
        )
        | _ANY,
        "volumeMounts": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "name": _TEXT,
                    "mountPath": st.sampled_from(["/a", "/b", ""]),
                    "recursiveReadOnly": st.sampled_from(["Enabled", "Disabled"]),
                    "mountPropagation": st.sampled_from(["Bidirectional", "None"]),
                },
            ),
            max_size=3,
        )
        | _ANY,
        "volumeDevices": st.lists(st.fixed_dictionaries({"name": _TEXT}), max_size=2) | _ANY,
        "resources": st.fixed_dictionaries(
            {},
            optional={
                "requests": st.dictionaries(
                    st.sampled_from(["cpu", "memory", "hugepages-2Mi", "example.com/gpu"]),
                    st.sampled_from(["1", "2", "100m", 1, "x"]),
                    max_size=3,
                )
                | _ANY,
                "limits": st.dictionaries(
                    st.sampled_from(["cpu", "memory", "hugepages-2Mi"]),
                    st.sampled_from(["1", "2", "100m"]),
                    max_size=3,
                ),
            },
        )
        | _ANY,
        "livenessProbe": _PROBE,
        "readinessProbe": _PROBE,
        "startupProbe": _PROBE,
        "lifecycle": st.fixed_dictionaries({}, optional={"postStart": _PROBE, "preStop": _PROBE})
        | _ANY,
        "restartPolicy": st.sampled_from(["Always", "OnFailure", "Never", "x", 1, None]),
        "securityContext": st.fixed_dictionaries({}, optional={"privileged": st.booleans()}),
    },
)


def _present_list(container: dict[str, Any], name: str) -> bool:
    value = container.get(name)
    return isinstance(value, list) and bool(value)


# each part of pod-spec-invalid's per-container walk, with what it needs to find anything
_PARTS: list[tuple[str, Any, Any]] = [
    (
        "image",
        lambda c, ctx, obj: podspec._image_problems(("c",), c, "container", "how", lambda: False),
        lambda c: c.get("image") in (None, ""),
    ),
    (
        "ports",
        lambda c, ctx, obj: [
            *podspec._port_problems(("c",), c, "how"),
            *podspec._host_port_problems(("c",), c, "how"),
        ],
        lambda c: _present_list(c, "ports"),
    ),
    (
        "env",
        lambda c, ctx, obj: [
            *podspec._env_problems(("c",), c, True, "how"),
            *podspec._env_problems(("c",), c, False, "how"),
            *podspec._env_source_problems(("c",), c, "how"),
        ],
        lambda c: _present_list(c, "env") or _present_list(c, "envFrom"),
    ),
    (
        "mounts",
        lambda c, ctx, obj: podspec._mount_problems(obj, ("c",), c, "container", "how"),
        lambda c: _present_list(c, "volumeMounts"),
    ),
    (
        "resources",
        lambda c, ctx, obj: podspec._resource_problems(("c",), c, "how"),
        lambda c: (
            isinstance(c.get("resources"), dict)
            and isinstance(c["resources"].get("requests"), dict)
        ),
    ),
    (
        "probes",
        lambda c, ctx, obj: [
            *podspec._probe_problems(
                ("spec", "initContainers", 0), c, "init container", False, "how", lambda: False
            ),
            *podspec._probe_problems(
                ("spec", "containers", 0), c, "container", False, "how", lambda: False
            ),
        ],
        lambda c: any(
            c.get(field) is not None
            for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe")
        ),
    ),
    (
        "restartPolicy",
        lambda c, ctx, obj: [
            *podspec._restart_policy_problems(
                ("spec", "initContainers", 0), c, "init container", ctx, "how"
            ),
            *podspec._restart_policy_problems(
                ("spec", "containers", 0), c, "container", ctx, "how"
            ),
        ],
        lambda c: c.get("restartPolicy") is not None,
    ),
]
_OLD = replace(CTX, kubernetes_version="1.33")  # before ContainerRestartRules
_POD = _objects("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")[0]


@pytest.mark.parametrize(("part", "judge", "needs"), _PARTS, ids=[p[0] for p in _PARTS])
@SETTINGS
@given(container=_CONTAINER)
def test_a_part_of_pod_spec_invalid_skipped_has_nothing_to_say(
    part: str, judge: Any, needs: Any, container: dict[str, Any]
) -> None:
    if needs(container):
        return
    for ctx in (CTX, _OLD):
        assert list(judge(container, ctx, _POD)) == [], part


@st.composite
def _pods(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": draw(st.lists(_CONTAINER, max_size=2))}
    if draw(st.booleans()):
        spec["initContainers"] = draw(st.lists(_CONTAINER, max_size=2))
    if draw(st.booleans()):
        spec["volumes"] = [{"name": draw(_TEXT)} for _ in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):
        spec["hostNetwork"] = True
    if draw(st.booleans()):
        spec["tolerations"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {}, optional={"key": _TEXT, "operator": _ANY, "value": _ANY, "effect": _ANY}
                )
            )
            | _ANY
        )
    kind = draw(st.sampled_from(["Pod", "Deployment", "StatefulSet", "Rollout", "Widget"]))
    api_version = {"Pod": "v1", "Rollout": "argoproj.io/v1alpha1", "Widget": "example.com/v1"}
    data: dict[str, Any] = {
        "apiVersion": api_version.get(kind, draw(st.sampled_from(["apps/v1", "example.com/v1"]))),
        "kind": kind,
        "metadata": {"name": "a"},
    }
    data["spec"] = spec if kind == "Pod" else {"template": {"spec": spec}}
    return data


def _walked(walk: Any, obj: KObject, *args: Any) -> list[Any]:
    """A check's walk asked whatever its early return would say, its findings marked as the
    check marks them (accepted_unless_template_rejected)."""
    return list(podspec.accepted_unless_template_rejected(walk(obj, CTX, *args), obj, CTX))


@SETTINGS
@given(data=_pods())
def test_pod_template_checks_fast_paths_answer_as_the_general_walk(data: dict[str, Any]) -> None:
    """No pod spec, no tolerations, no container that mounts anything: the check's early
    return says what its walk would."""
    obj = _object(data)
    if obj is None:
        return
    found = podspec._spec(obj)
    if found is None:
        assert obj.data["apiVersion"] == "example.com/v1"  # a look-alike or unknown kind
        for fn in (podspec.toleration_invalid, podspec.volume_mount_unknown):
            assert _checked(fn, obj) == []
        assert _checked(podspec.pod_spec_invalid, obj) == []
        return
    tolerations = found[1].get("tolerations")
    assert _checked(podspec.toleration_invalid, obj) == _walked(
        podspec._toleration_invalid,
        obj,
        found[0],
        tolerations if isinstance(tolerations, list) else [],
    )
    assert _checked(podspec.volume_mount_unknown, obj) == _walked(
        podspec._volume_mount_unknown, obj, *found
    )
    assert _checked(podspec.pod_spec_invalid, obj) == _walked(
        podspec._pod_spec_invalid, obj, *found
    )


# --------------------------------------------------------------------------------------------
# the workload readers


def _get_reference(data: object, *path: str | int) -> Any:
    """workload.get as it was written first: a step at a time, asking whether it is there."""
    current: Any = data
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
        elif not isinstance(current, dict):
            return None
        else:
            if step not in current:
                return None
        current = current[step]
    return current


@SETTINGS
@given(
    data=_ANY,
    path=st.lists(st.sampled_from(["name", "port", "x", 0, 1, -1, 2, True]), max_size=4),
)
def test_get_answers_as_the_step_by_step_reading(data: object, path: list[str | int]) -> None:
    assert workload.get(data, *path) == _get_reference(data, *path)


@pytest.mark.parametrize(("init", "ephemeral"), [(a, b) for a in (0, 1) for b in (0, 1)])
def test_pod_containers_are_the_containers_worked_out_once(init: int, ephemeral: int) -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n"
        "    spec:\n      containers: [{name: c}, 1, {name: d}]\n      initContainers: [{name: i}]\n"
        "      ephemeralContainers: [{name: e}]\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n"
    )
    deployment, widget = _objects(text)
    spec_path, spec = workload.pod_spec(deployment) or ((), {})
    expected = list(
        workload.containers(spec_path, spec, init=bool(init), ephemeral=bool(ephemeral))
    )
    flags = {"init": bool(init), "ephemeral": bool(ephemeral)}
    workload.checking(deployment)
    try:
        first = workload.pod_containers(deployment, **flags)
        assert first == expected
        assert workload.pod_containers(deployment, **flags) is first  # remembered
        assert workload.pod_containers(widget, **flags) == []
    finally:
        workload.checking(None)
    assert workload.pod_containers(deployment, **flags) == expected
    assert workload.pod_containers(deployment, **flags) is not first  # afresh after


def test_an_index_holds_the_objects_the_checks_run_on() -> None:
    # the fast paths read the object alone: the same answers with a whole index as a local one
    obj = _objects("apiVersion: v1\nkind: Pod\nmetadata: {name: P}\nspec: {containers: []}\n")[0]
    whole = RuleContext(index=Index([obj]))
    workload.checking(obj)
    try:
        assert list(names_checks.name_invalid(obj, whole)) == list(
            names_checks.name_invalid(obj, CTX)
        )
    finally:
        workload.checking(None)


# --------------------------------------------------------------------------------------------
# the rolling-update parameters: the strategy defaulted alone

_STRATEGY = (
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["RollingUpdate", "Recreate", "OnDelete", "", None, 1]),
            "rollingUpdate": st.fixed_dictionaries(
                {},
                optional={
                    "maxSurge": st.sampled_from([0, 1, "25%", "x", None, True]),
                    "maxUnavailable": st.sampled_from([0, 1, "25%", "x", None, [1]]),
                    "partition": st.sampled_from([0, 2, None, "1"]),
                },
            )
            | _ANY,
        },
    )
    | _ANY
)


@SETTINGS
@given(
    kind=st.sampled_from(["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"]),
    strategy=_STRATEGY,
    rest=st.fixed_dictionaries(
        {},
        optional={
            "replicas": _ANY,
            "revisionHistoryLimit": _ANY,
            "progressDeadlineSeconds": _ANY,
            "minReadySeconds": _ANY,
            "podManagementPolicy": _ANY,
            "persistentVolumeClaimRetentionPolicy": _ANY,
            "template": _ANY,
        },
    ),
    gate=st.booleans(),
)
def test_the_strategy_is_defaulted_as_in_the_whole_spec(
    kind: str, strategy: object, rest: dict[str, Any], gate: bool
) -> None:
    from kpolicy.k8s.defaults import apps_v1_defaults

    field = "strategy" if kind == "Deployment" else "updateStrategy"
    for spec in (rest, {**rest, field: strategy}):
        alone = {field: spec[field]} if field in spec else {}
        whole = apps_v1_defaults(kind, spec, max_unavailable_statefulset=gate, shared=True)
        assert apps_v1_defaults(kind, alone, max_unavailable_statefulset=gate, shared=True).get(
            field
        ) == whole.get(field)


@SETTINGS
@given(raw=st.none() | st.integers(min_value=0) | st.integers(min_value=2**31 - 2))
def test_value_negative_skips_only_what_decodes_to_no_negative_number(raw: int | None) -> None:
    # value-negative passes over an absent field and a non-negative int without decoding it
    decoded = workload.int32_value(raw)
    assert decoded is None or decoded >= 0


_SPEC_WITHOUT_STRATEGY = ["{}", "{replicas: 3}", "{strategy: null}", "{updateStrategy: null}"]


@pytest.mark.parametrize("kind", ["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Pod"])
@pytest.mark.parametrize("spec", _SPEC_WITHOUT_STRATEGY)
@pytest.mark.parametrize("version", ["1.33", "1.37"])  # MaxUnavailableStatefulSet off, on
@pytest.mark.parametrize("api_version", ["apps/v1", "apps/v1beta2", "example.com/v1"])
def test_rolling_update_defaults_are_shared_and_accepted(
    kind: str, spec: str, version: str, api_version: str
) -> None:
    """Without a written strategy, an apps/v1 workload's parameters are its kind's defaults,
    kept once per kind and gate: the same as worked out from the object, and accepted by the
    API server (rolling-update-invalid says nothing, as its walk would not)."""
    from kpolicy.checks import rollout

    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: a}}\nspec: {spec}\n"
    obj = _objects(text)[0]
    ctx = replace(CTX, kubernetes_version=version)
    rollout._DEFAULTED.clear()
    for _ in range(2):  # worked out, then kept
        shared = rollout._rolling_update_params(obj, ctx)
        assert shared == rollout._worked_out_params(obj, ctx)
        assert list(rollout.rolling_update_invalid(obj, ctx)) == []
        if shared is not None:
            assert not any(param.written for param in shared.params.values())
            assert list(rollout._rolling_update_invalid(obj, ctx, shared)) == []
    assert rollout._DEFAULTED == {} or api_version == "apps/v1"


@SETTINGS
@given(
    kind=st.sampled_from(["Deployment", "DaemonSet", "StatefulSet"]),
    strategy=_STRATEGY,
    gate=st.booleans(),
)
def test_rolling_update_params_fast_path_answers_as_worked_out(
    kind: str, strategy: object, gate: bool
) -> None:
    from kpolicy.checks import rollout

    field = "strategy" if kind == "Deployment" else "updateStrategy"
    obj = _object({"apiVersion": "apps/v1", "kind": kind, "spec": {field: strategy}})
    if obj is None:
        return
    ctx = replace(CTX, feature_gates={"MaxUnavailableStatefulSet": gate})
    assert rollout._rolling_update_params(obj, ctx) == rollout._worked_out_params(obj, ctx)
    general = rollout._worked_out_params(obj, ctx)
    fast = list(rollout.rolling_update_invalid(obj, ctx))
    assert fast == (list(rollout._rolling_update_invalid(obj, ctx, general)) if general else [])


@SETTINGS
@given(match_labels=st.dictionaries(_TEXT | st.integers(0, 2), _SCALAR, max_size=4))
def test_match_labels_errors_as_the_checks_give_them(match_labels: dict[Any, Any]) -> None:
    # validate_label_selector passes over a valid pair without making its messages
    expected = []
    for key, value in match_labels.items():
        path = ("matchLabels", key if isinstance(key, str) else str(key))
        expected += [(path, f"label key {m}") for m in v.general(v.is_qualified_name)(key)]
        expected += [(path, f"label value {m}") for m in v.general(v.is_valid_label_value)(value)]
    assert v.validate_label_selector({"matchLabels": match_labels}) == expected


# --------------------------------------------------------------------------------------------
# declarative rules: whether every target node passes, read without the node generator


_TARGETS = [
    ("object", False, False),
    ("metadata", False, False),
    ("podSpec", False, False),
    ("container", False, False),
    ("container", True, False),
    ("container", True, True),
]


def _rule_of(target: str, init: bool, ephemeral: bool) -> Any:
    from kpolicy.model import Severity
    from kpolicy.ruledefs import RuleDef

    return RuleDef(
        "x", "x", Severity.WARNING, frozenset({"*"}), "x", "x.", "x", target=target,
        init_containers=init, ephemeral_containers=ephemeral,
    )  # fmt: skip


@SETTINGS
@given(data=_pods(), verdicts=st.lists(st.booleans(), min_size=1, max_size=6))
def test_every_node_passes_answers_as_the_node_walk(
    data: dict[str, Any], verdicts: list[bool]
) -> None:
    from kpolicy import policy

    obj = _object(data)
    if obj is None:
        return
    for target in _TARGETS:
        rule = _rule_of(*target)
        asked: list[int] = []

        def passes(value: object, asked: list[int] = asked) -> bool:
            asked.append(id(value))
            return verdicts[(len(asked) - 1) % len(verdicts)]

        workload.checking(obj)
        try:
            fast = policy._every_node_passes(rule, obj, passes)
            fast_asked = list(asked)
            asked.clear()
            walk = all(passes(value) for _, value in policy._nodes(rule, obj))
        finally:
            workload.checking(None)
        assert fast is walk, target
        assert fast_asked == asked, target  # the same nodes, in the same order


# --------------------------------------------------------------------------------------------
# restart-policy-invalid and env-var-duplicate: the usual object told without the walk

_RESTART_KINDS = {
    "Pod": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "Rollout": "argoproj.io/v1alpha1",
    "Widget": "example.com/v1",
}


@SETTINGS
@given(
    kind=st.sampled_from(sorted(_RESTART_KINDS)),
    policy=st.sampled_from([None, "", "Always", "OnFailure", "Never", "Sometimes", 1, True]),
    present=st.booleans(),
)
def test_restart_policy_fast_path_answers_as_the_walk(
    kind: str, policy: object, present: bool
) -> None:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "i"}]}
    if present:
        spec["restartPolicy"] = policy
    data = {"apiVersion": _RESTART_KINDS[kind], "kind": kind, "metadata": {"name": "a"}}
    data["spec"] = spec if kind == "Pod" else {"template": {"spec": spec}}
    obj = _object(data)
    assert obj is not None
    found = podspec._spec(obj)
    walk = (
        []
        if found is None
        else _checked(lambda o, ctx: podspec._restart_policy_invalid(o, ctx, found), obj)
    )
    assert _checked(podspec.restart_policy_invalid, obj) == walk


@SETTINGS
@given(data=_pods())
def test_env_var_duplicate_fast_path_answers_as_the_walk(data: dict[str, Any]) -> None:
    from kpolicy.checks import bestpractice

    obj = _object(data)
    if obj is None:
        return
    assert _checked(bestpractice.env_var_duplicate, obj) == _checked(
        lambda o, ctx: bestpractice._env_var_duplicate(o), obj
    )


def test_usual_pod_templates_get_no_walk() -> None:
    """The fast paths are taken: a Deployment that restarts Always (written or defaulted),
    with one variable a container, gets the shared empty answers, not a generator."""
    from kpolicy.checks import bestpractice

    for policy in ("", "\n      restartPolicy: Always"):
        (obj,) = _objects(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n"
            f"    spec:{policy}\n      containers: [{{name: c, image: i, env: [{{name: A}}]}}]\n"
        )
        workload.checking(obj)
        try:
            assert podspec.restart_policy_invalid(obj, CTX) is podspec._NOTHING
            assert bestpractice.env_var_duplicate(obj, CTX) == ()
            assert podspec.active_deadline_forbidden(obj, CTX) is podspec._NOTHING
            assert podspec.pod_hostname_shared(obj, CTX) is podspec._NOTHING
        finally:
            workload.checking(None)


# --------------------------------------------------------------------------------------------
# selector-mismatch: a matchLabels selector matched pair by pair


# label maps a selector usually has: valid keys and values
_VALID_LABELS = st.dictionaries(
    st.sampled_from(["app", "tier", "app.kubernetes.io/name"]),
    st.sampled_from(["web", "db", ""]),
    max_size=3,
)


@SETTINGS
@given(
    kind=st.sampled_from(["Deployment", "ReplicationController", "Job", "CronJob", "Rollout"]),
    # mostly the usual selector (matchLabels of valid pairs), also hostile ones
    selector=st.fixed_dictionaries({"matchLabels": _VALID_LABELS})
    | st.fixed_dictionaries({"matchLabels": _VALID_LABELS})
    | st.fixed_dictionaries(
        {}, optional={"matchLabels": _LABELS, "matchExpressions": _SELECTOR_EXPRESSIONS}
    )
    | _LABELS,
    labels=_LABELS,
    shared=st.sampled_from(["own", "same", "changed"]),
    manual=st.booleans(),
)
def test_selector_mismatch_fast_path_answers_as_the_walk(
    kind: str, selector: object, labels: object, shared: str, manual: bool
) -> None:
    from kpolicy.checks import selectors

    api_version = {"Job": "batch/v1", "CronJob": "batch/v1", "Rollout": "argoproj.io/v1alpha1"}
    if shared != "own" and isinstance(selector, dict):
        wanted = selector.get("matchLabels")
        if isinstance(wanted, dict):
            # the usual template (the selector's labels), or one with each value changed
            labels = {k: f"{v}x" if shared == "changed" else v for k, v in wanted.items()}
    spec: dict[str, Any] = {
        "selector": selector,
        "template": {"metadata": {"labels": labels}, "spec": {"containers": []}},
    }
    if manual:
        spec["manualSelector"] = True
    data = {
        "apiVersion": api_version.get(kind, "apps/v1" if kind == "Deployment" else "v1"),
        "kind": kind,
        "metadata": {"name": "a"},
        "spec": spec,
    }
    obj = _object(data)
    if obj is None:
        return
    assert _checked(selectors.selector_mismatch, obj) == _checked(selectors._selector_mismatch, obj)


def test_selector_mismatch_takes_the_fast_path_on_a_usual_deployment() -> None:
    from kpolicy.checks import selectors

    (obj,) = _objects(_USUAL_LABELS.format(api_version="apps/v1", kind="Deployment"))
    assert selectors._match_labels_in_template(obj.data) is True
    assert selectors.selector_mismatch(obj, CTX) == ()


@SETTINGS
@given(
    noun=st.sampled_from(["container", "init container", "volume"]),
    name=_TEXT,
    how=st.sampled_from(["the API server rejects this", "Kubernetes 1.33 accepts it"]),
)
def test_label_name_messages_are_made_once_per_noun_name_and_refusal(
    noun: str, name: str, how: str
) -> None:
    """pod-spec-invalid's messages of a container or volume name, kept per (noun, name, how),
    are those made afresh; the second ask is answered from what was kept."""
    podspec._LABEL_NAME_MESSAGES.pop((noun, name, how), None)
    first = podspec._label_name_messages(noun, name, how)
    assert first == podspec._label_name_messages_of(noun, name, how)
    again = podspec._label_name_messages(noun, name, how)
    assert again == first
    assert (again is first) is (len(name) <= podspec._MEMO_LONGEST)


@SETTINGS
@given(data=_ANY)
def test_labels_of_reads_as_get(data: object) -> None:
    assert names_checks._labels_of(data) == workload.get(data, "metadata", "labels")
    assert names_checks._labels_of({"metadata": data}) == workload.get(
        {"metadata": data}, "metadata", "labels"
    )


@SETTINGS
@given(container=_CONTAINER, relaxed=st.booleans())
def test_env_names_known_valid_answer_as_the_check(
    container: dict[str, Any], relaxed: bool
) -> None:
    """_env_problems with the names told valid before (a set look-up) says what it says when
    every name is asked of the check."""
    for env in workload.sequence(container.get("env")):
        if isinstance(env, dict) and isinstance(env.get("name"), str):  # even an empty one
            v.is_env_var_name(env["name"])
            v.is_strict_env_var_name(env["name"])
    warm = list(podspec._env_problems(("c",), container, relaxed, "how"))
    again = list(podspec._env_problems(("c",), container, relaxed, "how"))  # names now known
    saved = podspec._VALID_ENV_NAMES, podspec._VALID_STRICT_ENV_NAMES
    podspec._VALID_ENV_NAMES = podspec._VALID_STRICT_ENV_NAMES = frozenset()  # type: ignore[misc]
    try:
        asked = list(podspec._env_problems(("c",), container, relaxed, "how"))
    finally:
        podspec._VALID_ENV_NAMES, podspec._VALID_STRICT_ENV_NAMES = saved  # type: ignore[misc]
    assert warm == again == asked


# --------------------------------------------------------------------------------------------
# the readers of the per-object rules, made without a generator, a property or a get() call


_CONTAINER_ITEMS = st.lists(
    st.dictionaries(st.sampled_from(["name", "image"]), _SCALAR, max_size=2) | _SCALAR, max_size=3
)


@SETTINGS
@given(
    spec=st.fixed_dictionaries(
        {},
        optional={
            "containers": _CONTAINER_ITEMS | _SCALAR,
            "initContainers": _CONTAINER_ITEMS | _SCALAR,
            "ephemeralContainers": _CONTAINER_ITEMS | _SCALAR,
        },
    )
)
def test_container_list_is_the_containers_generator_listed(spec: dict[str, Any]) -> None:
    data = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
    obj = _object(data)
    if obj is None:
        return
    spec_path, read = workload.pod_spec(obj) or ((), {})
    for init in (False, True):
        for ephemeral in (False, True):
            listed = workload._container_list(obj, init, ephemeral)
            assert listed == list(
                workload.containers(spec_path, read, init=init, ephemeral=ephemeral)
            )
            # the usual asks, named without their key, are the same lists as the general one
            workload.checking(obj)
            try:
                assert workload.pod_containers(obj, init=init, ephemeral=ephemeral) == listed
                # a truthy flag that is not a bool takes the general key, to the same answer
                truthy: Any = int(init)
                assert workload.pod_containers(obj, init=truthy, ephemeral=ephemeral) == listed
            finally:
                workload.checking(None)


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize("api_version", _API_VERSIONS)
def test_readers_of_ref_kind_answer_as_the_kind_property(kind: str, api_version: object) -> None:
    # the rules read obj.ref.kind (or ""): an object without a kind reads as kind "", as the
    # property says, and the answers are those of the property's kind
    from kpolicy.checks import apiversions
    from kpolicy.k8s.podtemplates import layout_of

    data = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "a"}, "spec": {}}
    obj = _object(data)
    if obj is None:
        return  # not an object to the loader (an empty apiVersion)
    unkind = replace(obj, ref=replace(obj.ref, kind=None))
    empty = replace(obj, ref=replace(obj.ref, kind=""))
    assert unkind.kind == empty.kind == ""
    for reader in (
        podspec.is_builtin,
        workload.template_path,
        workload.custom_layout,
        layout_of,
        apiversions._lookup,
    ):
        assert reader(unkind) == reader(empty), reader
    for fn in (names_checks.name_invalid, names_checks.labels_invalid):
        assert _checked(fn, unkind) == _checked(fn, empty) == []


@SETTINGS
@given(items=st.lists(st.dictionaries(st.sampled_from(["name", "metadata"]), _SCALAR) | _SCALAR))
def test_named_reads_the_names_as_get(items: list[Any]) -> None:
    by_get = {
        name for item in items if isinstance(name := workload.get(item, "name"), str) and name
    }
    assert podspec._named(items, "name") == by_get
    nested = [{"metadata": item} for item in items]
    assert podspec._named(nested, "metadata", "name") == by_get


@SETTINGS
@given(name=_SCALAR, init=st.booleans())
def test_pod_spec_invalid_says_of_names_what_name_problems_says(name: object, init: bool) -> None:
    # a container's and a volume's name that is not a label are told without _name_problems'
    # generator: the same findings
    group = "initContainers" if init else "containers"
    spec = {"containers": [], group: [{"name": name, "image": "i"}], "volumes": [{"name": name}]}
    obj = _object({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    if obj is None:
        return
    how = podspec.rejection(obj, CTX)
    found = _checked(podspec.pod_spec_invalid, obj)
    noun = "init container" if init else "container"
    expected = [
        *podspec._name_problems(("spec", "volumes", 0, "name"), name, "volume", how, True),
        *podspec._name_problems(("spec", group, 0, "name"), name, noun, how, True),
    ]
    assert [p for p in found if p.path[-1] == "name"] == expected


@SETTINGS
@given(data=_manifests())
def test_name_invalid_positioned_findings_are_the_checks_problems(data: dict[str, Any]) -> None:
    # the engine runs name_invalid_findings instead of name_invalid: the same findings, in order
    from kpolicy.engine import _POSITIONED

    obj = _object(data)
    if obj is None:
        return
    assert _POSITIONED[names_checks.name_invalid] is names_checks.name_invalid_findings
    problems = _checked(names_checks.name_invalid, obj)
    assert all(not p.related for p in problems)
    expected = [
        (p.rule or "name-invalid", p.path, p.message, p.anchor, None, p.fix, p.rejects)
        for p in problems
    ]
    assert _checked(names_checks.name_invalid_findings, obj) == expected


def test_name_invalid_positioned_takes_the_usual_finding_without_a_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    obj = _object({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "Web_1"}})
    assert obj is not None
    monkeypatch.setattr(names_checks, "name_invalid", None)  # the general path would raise
    found = _checked(names_checks.name_invalid_findings, obj)
    assert [f[:2] for f in found] == [("name-invalid", ("metadata", "name"))]


def test_name_invalid_positioned_answers_a_valid_name_without_a_generator() -> None:
    obj = _object({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}})
    assert obj is not None
    workload.checking(obj)
    try:
        assert names_checks.name_invalid_findings(obj, CTX) is names_checks._NO_FINDINGS
    finally:
        workload.checking(None)
    assert list(names_checks._NO_FINDINGS) == []
