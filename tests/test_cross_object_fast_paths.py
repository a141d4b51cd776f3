"""The cross-object rules' fast paths (look-ups by label pair, results kept per object or per
selector, a relation worked out only for a candidate) held to the definitions they stand for,
written here pair by pair, on generated workloads, Services and files."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.checks import RuleContext
from kpolicy.checks import services as svc
from kpolicy.checks import statefulset as sts
from kpolicy.index import Index, folder_of_file
from kpolicy.k8s.selector import Selector
from kpolicy.load import load_text
from kpolicy.model import KObject, Severity, SourceFile
from kpolicy.workload import SELECTOR_CONTROLLER_KINDS, governing_service, template_labels
from tests.helpers import examples, lint_paths

SETTINGS = settings(
    max_examples=examples(full=1000, quick=120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# few keys, values and names, so that selectors often match and names often repeat
_KEYS = st.sampled_from(["app", "tier", "x"])
_VALUES = st.sampled_from(["a", "b"])
# mostly the few label maps of one application, so that selectors often select each other
_LABELS = st.one_of(
    st.sampled_from([{"app": "a"}, {"app": "a", "tier": "b"}, {"app": "b"}, {}]),
    st.dictionaries(_KEYS, _VALUES | st.integers(0, 1), max_size=3),
)
_EXPRESSION = st.fixed_dictionaries(
    {
        "key": _KEYS,
        "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
    },
    optional={"values": st.lists(_VALUES, max_size=2)},
)
_SELECTOR = st.one_of(
    st.builds(lambda labels: {"matchLabels": labels}, _LABELS),
    st.none(),
    st.fixed_dictionaries({}, optional={"matchLabels": _LABELS}),
    st.fixed_dictionaries(
        {"matchExpressions": st.lists(_EXPRESSION, min_size=1, max_size=2)},
        optional={"matchLabels": _LABELS},
    ),
    st.just("app=a"),  # not a mapping
)
_FILES = ["a/one.yaml", "a/two.yaml", "b/one.yaml", "c/one.yaml"]


@st.composite
def _workload(draw: Any) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]))
    metadata: dict[str, Any] = {"name": draw(st.sampled_from(["web", "api", "db"]))}
    namespace = draw(st.sampled_from([None, None, None, "default", "other"]))
    if namespace is not None:
        metadata["namespace"] = namespace
    if draw(st.integers(0, 9)) == 0:
        metadata["annotations"] = {"helm.sh/hook": "test"}
    # half of them of one application: selector app=a, Pods labelled app=a
    common = draw(st.booleans())
    labels = {"app": "a"} if common else draw(_LABELS)
    template: Any = {"metadata": {"labels": labels}, "spec": {"containers": []}}
    if draw(st.integers(0, 9)) == 0:
        template = "none"
    spec: dict[str, Any] = {"template": template}
    selector = {"matchLabels": {"app": "a"}} if common else draw(_SELECTOR)
    if selector is not None:
        spec["selector"] = selector
    manifest = {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata, "spec": spec}
    return draw(st.sampled_from([_FILES[0], *_FILES])), manifest


def _load(documents: list[tuple[str, dict[str, Any]]]) -> list[KObject]:
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for file, manifest in documents:
        by_file[file].append(manifest)
    objects: list[KObject] = []
    for file in sorted(by_file):
        text = yaml.safe_dump_all(by_file[file], sort_keys=False)
        objects.extend(load_text(SourceFile(file, text)).objects)
    return objects  # in input order: by file, then document


def _usable(obj: KObject) -> Selector | None:
    raw = obj.data["spec"].get("selector")
    selector = Selector.from_label_selector(raw) if isinstance(raw, dict) else None
    if selector is None or selector.is_empty or selector.selects_nothing:
        return None
    return selector


def _overlap_pairwise(obj: KObject, objects: list[KObject], index: Index) -> KObject | None:
    """selector-overlap's definition, pair by pair: the first workload before ``obj`` in input
    order, in its namespace, applied together with it, of another kind or name, a selector
    controller that is no Helm hook, whose Pods ``obj``'s selector matches and whose own
    usable selector matches ``obj``'s Pods."""
    mine = _usable(obj)
    if mine is None or not isinstance(obj.data["spec"].get("template"), dict):
        return None
    labels = template_labels(obj)
    for other in objects[: objects.index(obj)]:
        if other.kind not in SELECTOR_CONTROLLER_KINDS or other.namespace != obj.namespace:
            continue
        if "annotations" in other.data["metadata"]:
            continue  # a Helm hook: not indexed among the pod templates
        if (other.kind, other.name) == (obj.kind, obj.name):
            continue
        if not index.applied_together(obj, other):
            continue
        theirs = _usable(other)
        if theirs is None or not mine.matches(template_labels(other)):
            continue
        if theirs.matches(labels):
            return other
    return None


@SETTINGS
@given(st.lists(_workload(), max_size=12))
def test_selector_overlap_names_the_pair_the_pairwise_definition_finds(
    documents: list[tuple[str, dict[str, Any]]],
) -> None:
    objects = _load(documents)
    index = Index(objects)
    ctx = RuleContext(index=index)
    for obj in objects:
        if obj.kind not in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            continue
        found = list(svc.selector_overlap(obj, ctx))
        expected = _overlap_pairwise(obj, objects, index)
        if expected is None:
            assert found == []
        else:
            assert len(found) == 1
            assert found[0].related[0].obj is expected


@st.composite
def _named(draw: Any) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(["ConfigMap", "Service", "Deployment"]))
    metadata: dict[str, Any] = {"name": draw(st.sampled_from(["a", "b"]))}
    if draw(st.booleans()):
        metadata["namespace"] = draw(st.sampled_from(["default", "other"]))
    return draw(st.sampled_from(_FILES)), {"apiVersion": "v1", "kind": kind, "metadata": metadata}


@SETTINGS
@given(st.lists(_named(), max_size=10))
def test_folders_of_alternatives_are_those_where_two_files_define_one_object(
    documents: list[tuple[str, dict[str, Any]]],
) -> None:
    objects = _load(documents)
    index = Index(objects)
    # the definition: a folder two of whose files define one (kind, namespace, name)
    files_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for obj in objects:
        files_of[obj.kind, obj.namespace, obj.name].add(obj.source.display)
    folders = set()
    for files in files_of.values():
        per_folder = Counter(str(Path(file).parent) for file in files)
        folders |= {folder for folder, count in per_folder.items() if count > 1}
    for file in _FILES:
        assert index._alternatives(file) == (str(Path(file).parent) in folders)


_PORT = st.one_of(
    st.sampled_from(["http", "web"]), st.integers(1, 3), st.sampled_from(["Bad_Name", ""])
)


@st.composite
def _service(draw: Any) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {"ports": [{"port": 80, "targetPort": draw(_PORT)}]}
    selector = draw(st.one_of(st.just({"app": "a"}), st.none(), _LABELS, st.just("app")))
    if selector is not None:
        spec["selector"] = selector
    if draw(st.integers(0, 5)) == 0:
        spec["type"] = "ExternalName"
    manifest = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec}
    return draw(st.sampled_from(_FILES)), manifest


@st.composite
def _pods(draw: Any) -> tuple[str, dict[str, Any]]:
    file, manifest = draw(_workload())
    if isinstance(manifest["spec"]["template"], dict):
        port = {"containerPort": 8080, "name": draw(st.sampled_from(["http", "web"]))}
        manifest["spec"]["template"]["spec"]["containers"] = [{"name": "c", "ports": [port]}]
    return file, manifest


@SETTINGS
@given(st.lists(_service() | _pods(), max_size=10))
def test_service_rules_find_alike_with_their_selectors_shared_or_not(
    documents: list[tuple[str, dict[str, Any]]],
) -> None:
    """The Service rules read a Service's selector once for both: each rule run alone on a
    fresh index (nothing kept from the other) finds what they find one after the other."""
    objects = _load(documents)
    services = [o for o in objects if o.kind == "Service"]
    shared = RuleContext(index=Index(objects))

    def run(obj: KObject, ctx: RuleContext) -> list[tuple[Any, str]]:
        found = [
            *svc.service_selector_no_match(obj, ctx),
            *svc.service_target_port_unknown(obj, ctx),
        ]
        return [(p.path, p.message) for p in found]

    together = [run(obj, shared) for obj in services]
    alone = []
    for obj in services:
        no_match = svc.service_selector_no_match(obj, RuleContext(index=Index(objects)))
        unknown = svc.service_target_port_unknown(obj, RuleContext(index=Index(objects)))
        alone.append([(p.path, p.message) for p in [*no_match, *unknown]])
    assert together == alone
    for obj in services:
        assert svc._service_selector_of(obj, shared) == svc._service_selector(obj)


def _statefulset(name: str, service: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": service,
            "selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": []}},
        },
    }


def _plain_service(name: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": app}, "ports": [{"port": 80}]},
    }


def test_statefulset_rules_find_alike_with_the_governing_service_worked_out_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The three rules that ask for a StatefulSet's governing Service work it out once per
    StatefulSet and run (``_governing_service``), and find what each finds on an index of its
    own: a Service that is not headless and selects other Pods, one in another folder that is
    not headless, and none."""
    objects = _load(
        [
            ("a/one.yaml", _statefulset("db", "db", "db")),
            ("a/one.yaml", _plain_service("db", "other")),
            ("a/one.yaml", _statefulset("cache", "cache", "cache")),
            ("b/one.yaml", _plain_service("cache", "cache")),
            ("a/one.yaml", _statefulset("queue", "queue", "queue")),
        ]
    )
    rules = (sts.service_not_found, sts.service_not_headless, sts.service_selector_mismatch)
    sets = [o for o in objects if o.kind == "StatefulSet"]

    def found(obj: KObject, ctx: RuleContext) -> list[tuple[Any, str]]:
        return [(p.path, p.message) for rule in rules for p in rule(obj, ctx)]

    alone = [
        [
            (p.path, p.message)
            for rule in rules
            for p in rule(obj, RuleContext(index=Index(objects)))
        ]
        for obj in sets
    ]
    asked: list[str] = []

    def counted(obj: KObject, *args: Any) -> Any:
        asked.append(obj.name)
        return governing_service(obj, *args)

    monkeypatch.setattr(sts, "governing_service", counted)
    shared = RuleContext(index=Index(objects))
    together = [found(obj, shared) for obj in sets]
    assert together == alone
    assert [len(each) for each in alone] == [2, 1, 1]  # not headless (and a mismatch), none
    assert sorted(asked) == ["cache", "db", "queue"]  # once each, for the three rules


def test_the_summary_counts_each_severity_of_the_findings(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Web_1}\n"
        "spec: {replicas: 1, selector: {matchLabels: {app: w}}, template: {metadata: "
        "{labels: {app: w}}, spec: {containers: [{name: c, image: 'nginx:latest'}]}}}\n"
    )
    result = lint_paths(["."], tmp_path, use_config_discovery=False)
    counts = Counter(d.severity for d in result.diagnostics)
    assert counts[Severity.ERROR] and counts[Severity.WARNING]
    summary = result.summary
    assert (summary.errors, summary.warnings, summary.infos) == (
        counts[Severity.ERROR],
        counts[Severity.WARNING],
        counts[Severity.INFO],
    )


# ---------------------------------------------------------------------------------------------
# the index's own walks, and the companion rules' per-namespace ones

_ODD_LABELS = st.dictionaries(
    st.sampled_from(["app", "tier"]),
    st.one_of(_VALUES, st.integers(0, 2), st.booleans(), st.none(), st.just([1])),
    max_size=3,
)


@st.composite
def _any_kind(draw: Any) -> tuple[str, dict[str, Any]]:
    """A workload of a built-in kind (a CronJob's template two levels further down), a Pod, a
    custom pod-template kind, a Service or a ConfigMap, with odd templates and labels, in a
    namespace or cluster-scoped, sometimes a Helm hook."""
    kind, api_version = draw(
        st.sampled_from(
            [
                ("Deployment", "apps/v1"),
                ("Job", "batch/v1"),
                ("CronJob", "batch/v1"),
                ("Pod", "v1"),
                ("DeploymentConfig", "apps.openshift.io/v1"),
                ("Service", "v1"),
                ("ConfigMap", "v1"),
                ("Namespace", "v1"),
                ("Widget", "example.com/v1"),
            ]
        )
    )
    metadata: dict[str, Any] = {"name": draw(st.sampled_from(["a", "b"]))}
    namespace = draw(st.sampled_from([None, "default", "other"]))
    if namespace is not None:
        metadata["namespace"] = namespace
    if draw(st.integers(0, 5)) == 0:
        metadata["annotations"] = {"helm.sh/hook": "test"}
    labels: Any = draw(st.one_of(_ODD_LABELS, st.just("app=a"), st.none()))
    template: Any = draw(
        st.sampled_from(
            [
                {"metadata": {"labels": labels}, "spec": {}},
                {"metadata": "none"},
                {"spec": {}},
                "none",
            ]
        )
    )
    spec: dict[str, Any] = {"template": template}
    if kind == "CronJob":
        spec = {"jobTemplate": draw(st.sampled_from([{"spec": spec}, {"spec": "none"}, "x"]))}
    manifest: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    if kind == "Pod":
        manifest["metadata"] = {**metadata, "labels": labels}
    manifest["spec"] = spec
    return draw(st.sampled_from(_FILES)), manifest


@SETTINGS
@given(st.lists(_any_kind(), max_size=12))
def test_the_index_keeps_the_template_labels_and_namespaces_as_their_definitions_say(
    documents: list[tuple[str, dict[str, Any]]],
) -> None:
    """The index's labels of each pod template (read inline for the built-in workload kinds)
    are template_labels', and its objects of a namespace are those of that scope, in input
    order."""
    from kpolicy.index import scope_namespace
    from kpolicy.workload import runs_pods

    objects = _load(documents)
    index = Index(objects)
    for obj in objects:
        assert index.labels_of(obj) == template_labels(obj)
        hook = "annotations" in obj.data["metadata"]
        assert (id(obj) in index._labels) == (runs_pods(obj) and not hook)
    for namespace in ("", "default", "other", "nowhere"):
        expected = [o for o in objects if scope_namespace(o) == namespace]
        assert index.in_namespace(namespace) == expected


def test_the_index_reads_a_built_in_workloads_labels_inline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The inline reading is the one taken for the built-in workload kinds: template_labels
    only for a Pod and a custom pod-template kind."""
    import kpolicy.index

    objects = _load(
        [
            ("a/one.yaml", manifest)
            for manifest in (
                _statefulset("db", "db", "db"),
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "metadata": {"name": "c"},
                    "spec": {
                        "jobTemplate": {
                            "spec": {"template": {"metadata": {"labels": {"a": 1, "b": True}}}}
                        }
                    },
                },
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {}}},
            )
        ]
    )
    asked: list[str] = []

    def counted(obj: KObject) -> dict[str, str]:
        asked.append(obj.kind)
        return template_labels(obj)

    monkeypatch.setattr(kpolicy.index, "template_labels", counted)
    index = Index(objects)
    assert asked == ["Pod"]
    assert index.labels_of(objects[0]) == {"app": "db"}
    assert index.labels_of(objects[1]) == {"a": "1", "b": "true"}


@given(
    st.text(alphabet="abc-", max_size=12),
    st.text(alphabet="abc-", max_size=12),
    st.integers(0, 3),
)
@settings(max_examples=examples(full=5000, quick=500), deadline=None)
def test_a_name_within_a_few_edits_is_found_as_the_whole_table_finds_it(
    a: str, b: str, limit: int
) -> None:
    from kpolicy.checks.companions import _within

    assert _within(a, b, limit) == (_osa_distance(a, b) <= limit)


def _osa_distance(a: str, b: str) -> int:
    """The optimal string alignment distance, the whole table (the definition _within stops
    early on)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def test_the_distance_counts_each_kind_of_edit_once() -> None:
    assert _osa_distance("web", "web") == 0
    assert _osa_distance("web", "wbe") == 1  # a transposition
    assert _osa_distance("web", "we") == 1
    assert _osa_distance("web", "wxb") == 1
    assert _osa_distance("", "abc") == 3
    assert _osa_distance("ca", "abc") == 3  # OSA: no edit of a transposed pair


def test_names_far_apart_are_told_apart_before_the_table_is_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_within stops at the first pair of rows whose costs all exceed the limit (and at a
    difference of lengths beyond it, before any row)."""
    import builtins

    from kpolicy.checks import companions

    rows: list[int] = []
    real_min = builtins.min

    def counting_min(*args: Any) -> Any:
        if len(args) == 1:
            rows.append(1)
        return real_min(*args)

    monkeypatch.setattr(companions, "min", counting_min, raising=False)
    assert not companions._within("frontend-service", "backend-database", 2)
    assert 0 < len(rows) < 2 * len("frontend-service")
    rows.clear()
    assert not companions._within("web", "web-frontend", 2)
    assert rows == []
    assert companions._within("frontend", "frontned", 1)  # a transposition


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_FILES),
            st.sampled_from(["v1", "apps/v1", "example.com/v1", "x.k8s.io/v1", "k8s.io/v1"]),
            st.sampled_from(["default", "other"]),
        ),
        max_size=10,
    )
)
def test_custom_resources_and_folders_of_a_namespace_are_those_of_its_objects(
    entries: list[tuple[str, str, str]],
) -> None:
    from kpolicy.checks import companions

    documents = [
        (file, {"apiVersion": api, "kind": "Thing", "metadata": {"name": "t", "namespace": ns}})
        for file, api, ns in entries
    ]
    objects = _load(documents)
    ctx = RuleContext(index=Index(objects))
    for namespace in ("default", "other"):
        mine = [o for o in objects if o.namespace == namespace]
        assert companions._custom_resources(namespace, ctx) == [
            o for o in mine if companions._custom_group(o.data["apiVersion"])
        ]
        by_folder: dict[str, list[KObject]] = {}
        for o in mine:
            by_folder.setdefault(str(Path(o.source.display).parent), []).append(o)
        assert companions._by_folder(namespace, ctx) == by_folder


def _workload_selector_by_view(obj: KObject) -> Selector | None:
    """selector-overlap's usable selector read through the Workload view, as it was."""
    from kpolicy.workload import Workload

    view = Workload.of(obj)
    raw = view.selector if view is not None and not view.kind.selector_map else None
    if not isinstance(raw, dict):
        return None
    selector = Selector.from_label_selector(raw)
    if selector is None or selector.is_empty or selector.selects_nothing:
        return None
    return selector


@SETTINGS
@given(st.lists(_workload() | _any_kind(), max_size=8))
def test_a_workloads_selector_is_read_as_the_workload_view_reads_it(
    documents: list[tuple[str, dict[str, Any]]],
) -> None:
    for obj in _load(documents):
        assert svc._workload_selector(obj) == _workload_selector_by_view(obj)


def test_a_built_in_workloads_selector_is_read_without_the_view(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objects = _load(
        [
            ("a/one.yaml", _statefulset("db", "db", "db")),
            (
                "a/one.yaml",
                {
                    "apiVersion": "apps.openshift.io/v1",
                    "kind": "DeploymentConfig",
                    "metadata": {"name": "dc"},
                    "spec": {"selector": {"app": "dc"}, "template": {}},
                },
            ),
        ]
    )
    from kpolicy.workload import Workload

    viewed: list[str] = []
    real = Workload.of

    def counted(obj: Any) -> Any:
        viewed.append(obj.kind)
        return real(obj)

    monkeypatch.setattr(Workload, "of", counted)
    selector = svc._workload_selector(objects[0])
    assert selector is not None and selector.matches({"app": "db"})
    svc._workload_selector(objects[1])
    assert viewed == ["DeploymentConfig"]


def test_a_configured_pod_template_kind_is_indexed_by_its_template_labels() -> None:
    """The index asks runs_pods only of the kinds that may be pod-template kinds: the
    built-in custom ones by name, and every kind once the config names some."""
    from kpolicy.k8s.podtemplates import configured, from_config

    objects = _load(
        [
            (
                "a/one.yaml",
                {
                    "apiVersion": "example.com/v1",
                    "kind": "Widget",
                    "metadata": {"name": "w"},
                    "spec": {"pod": {"metadata": {"labels": {"app": "w"}}}},
                },
            )
        ]
    )
    assert Index(objects).templates_with("default", {"app": "w"}) == []
    entry = {"apiVersion": "example.com/v1", "kind": "Widget", "template": "/spec/pod"}
    with configured(from_config([entry], ["config"])):
        index = Index(objects)
        assert index.templates_with("default", {"app": "w"}) == objects
        assert index.labels_of(objects[0]) == {"app": "w"}


@SETTINGS
@given(
    st.lists(_any_kind(), max_size=12),
    st.lists(st.dictionaries(_KEYS, _VALUES, max_size=3), min_size=1, max_size=4),
)
def test_the_pod_templates_with_some_labels_are_those_their_definition_finds(
    documents: list[tuple[str, dict[str, Any]]], required: list[dict[str, str]]
) -> None:
    """templates_with (one posting list taken whole for one pair, the others' pairs compared
    as the labels' items) gives the namespace's pod templates whose labels carry every pair,
    in input order."""
    objects = _load(documents)
    index = Index(objects)
    for namespace in ("default", "other", "nowhere"):
        every = index.templates_with(namespace, {})
        for pairs in required:
            expected = [
                o for o in every if all(index.labels_of(o).get(k) == v for k, v in pairs.items())
            ]
            assert index.templates_with(namespace, pairs) == expected


def _scaler(kind: str, name: str, target: dict[str, Any], namespace: str | None = None) -> Any:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    api = "autoscaling/v2" if kind == "HorizontalPodAutoscaler" else "keda.sh/v1alpha1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": metadata,
        "spec": {"scaleTargetRef": target},
    }


def _deployment(name: str, namespace: str | None = None, replicas: int | None = 2) -> Any:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    spec: dict[str, Any] = {"template": {"metadata": {"labels": {"app": name}}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def test_a_workload_no_scaler_names_is_told_so_without_the_namespaces_look_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Index.scaled holds the (kind, name) of every scaler's target, in any namespace (a KEDA
    ScaledObject's kind defaulting to Deployment); autoscaler_of asks scalers_targeting only
    of those, and finds the same scalers as before; replicas-set-with-hpa as before."""
    from kpolicy.checks import bestpractice

    objects = _load(
        [
            (
                "a/one.yaml",
                m,
            )
            for m in (
                _deployment("web"),
                _deployment("api", "other"),
                _deployment("db"),
                _deployment("idle", replicas=None),
                _scaler("HorizontalPodAutoscaler", "h", {"kind": "Deployment", "name": "web"}),
                _scaler("ScaledObject", "k", {"name": "api"}, "other"),
                _scaler("HorizontalPodAutoscaler", "n", {"kind": "Deployment", "name": "db"}, "x"),
                _scaler("HorizontalPodAutoscaler", "i", {"kind": "Deployment", "name": "idle"}),
                _scaler("HorizontalPodAutoscaler", "bad", {"kind": 1, "name": "web"}),
            )
        ]
    )
    web, api, db, idle, hpa, keda, _, idle_hpa, _ = objects
    index = Index(objects)
    assert index.scaled() == {
        ("Deployment", "web"),
        ("Deployment", "api"),
        ("Deployment", "db"),
        ("Deployment", "idle"),
    }
    ctx = RuleContext(index=index)
    asked: list[str] = []
    targeting = index.scalers_targeting

    def counted(namespace: str, kind: str, name: str) -> list[KObject]:
        asked.append(name)
        return targeting(namespace, kind, name)

    monkeypatch.setattr(index, "scalers_targeting", counted)
    assert bestpractice.autoscaler_of(web, ctx) is hpa
    assert bestpractice.autoscaler_of(api, ctx) is keda
    assert bestpractice.autoscaler_of(db, ctx) is None  # its scaler is of another namespace
    assert bestpractice.autoscaler_of(idle, ctx) is idle_hpa
    assert bestpractice.autoscaler_of(hpa, ctx) is None
    assert asked == ["web", "api", "db", "idle"]  # not the HPA's own name
    found = {
        o.name: [p.message for p in bestpractice.replicas_set_with_hpa(o, ctx)]
        for o in (web, api, db, idle)
    }
    assert found == {
        "web": [
            "replicas 2 is set while HorizontalPodAutoscaler h scales this Deployment; every "
            "apply resets the scale to 2"
        ],
        "api": [
            "replicas 2 is set while ScaledObject k scales this Deployment; every apply resets "
            "the scale to 2"
        ],
        "db": [],
        "idle": [],  # replicas left to the scaler
    }


def test_a_selector_of_match_labels_alone_is_parsed_without_the_whole_structures_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A workload's matchLabels-only selector is parsed by its pairs (as from_label_selector
    would: None for an invalid pair); anything else still goes through from_label_selector."""
    documents = [
        ("a/one.yaml", _deployment("web")),
        ("a/one.yaml", _deployment("bad")),
        ("a/one.yaml", _deployment("both")),
        ("a/one.yaml", _deployment("empty")),
    ]
    documents[0][1]["spec"]["selector"] = {"matchLabels": {"app": "web"}}
    documents[1][1]["spec"]["selector"] = {"matchLabels": {"app": "-bad-"}}
    documents[2][1]["spec"]["selector"] = {
        "matchLabels": {"app": "both"},
        "matchExpressions": [{"key": "tier", "operator": "Exists"}],
    }
    documents[3][1]["spec"]["selector"] = {"matchLabels": {}}
    web, bad, both, empty = _load(documents)
    parsed: list[str] = []
    real = Selector.from_label_selector

    def counted(raw: object) -> Selector | None:
        parsed.append(repr(raw))
        return real(raw)

    monkeypatch.setattr(Selector, "from_label_selector", counted)
    selector = svc._workload_selector(web)
    assert selector is not None and str(selector) == "app=web"
    assert svc._workload_selector(bad) is None
    assert parsed == []
    found = svc._workload_selector(both)
    assert found is not None and str(found) == "app=both,tier"
    assert svc._workload_selector(empty) is None
    assert len(parsed) == 2


# paths of few characters, so that slashes come doubled, first, last and alone
_PATHS = st.text(st.sampled_from(["/", "a", ".", "\\"]), max_size=8)


@SETTINGS
@given(_PATHS)
def test_a_files_folder_is_its_dirname(path: str) -> None:
    assert folder_of_file(path) == os.path.dirname(path)


def test_a_files_folder_is_read_without_dirname_where_a_name_comes_before_the_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(path: str) -> str:
        raise AssertionError(path)

    monkeypatch.setattr(os.path, "dirname", refuse)
    assert folder_of_file("apps/web/deploy.yaml") == "apps/web"
    assert folder_of_file("a/b") == "a"
    with pytest.raises(AssertionError):
        folder_of_file("deploy.yaml")  # no folder: dirname's answer
    with pytest.raises(AssertionError):
        folder_of_file("a//b")  # doubled slashes: dirname's answer


_ANY_SELECTOR = st.one_of(
    _SELECTOR.map(Selector.from_label_selector),
    _LABELS.map(Selector.from_map),
)


@SETTINGS
@given(_ANY_SELECTOR, _ANY_SELECTOR)
def test_selectors_have_one_key_when_they_are_equal(a: Selector | None, b: Selector | None) -> None:
    if a is None or b is None:
        return
    assert (svc.selector_key(a) == svc.selector_key(b)) == (a == b)
    hash(svc.selector_key(a))


def test_the_selector_rules_never_hash_a_selector(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memos of the rules key a selector by :func:`svc.selector_key`: equal selectors
    parsed apart (the same pairs in another order) share an entry all the same."""
    documents = [
        (
            _FILES[0],
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name},
                "spec": {
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": {"app": "a", "tier": "b"}}},
                },
            },
        )
        for name, labels in (("one", {"app": "a", "tier": "b"}), ("two", {"tier": "b", "app": "a"}))
    ]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"selector": {"tier": "b", "app": "a"}, "ports": [{"port": 80}]},
    }
    objects = _load([*documents, (_FILES[0], service)])
    ctx = RuleContext(index=Index(objects))

    def refuse(self: Selector) -> int:
        raise AssertionError("a Selector hashed")

    monkeypatch.setattr(Selector, "__hash__", refuse)
    found = [p for obj in objects[:2] for p in svc.selector_overlap(obj, ctx)]
    assert [p.related[0].obj for p in found] == [objects[0]]
    assert list(svc.service_selector_no_match(objects[2], ctx)) == []
    keys = [k for k in ctx.index._memo if isinstance(k, tuple)]
    candidates = [k for k in keys if k[0] == "selector-overlap-candidates" and k[1] != "by id"]
    assert len(candidates) == 1  # both workloads' selectors, one entry


def test_the_selector_operators_are_read_as_module_globals() -> None:
    """``Operator.EQUALS`` is read through ``EnumType.__getattr__``'s hook in Python 3.11:
    what a run matches and parses often reads the members from the module instead."""
    import kpolicy.k8s.selector as sel

    for code in (
        sel.Requirement.matches.__code__,
        sel.Selector.required_pairs.__code__,
        sel._new_requirement.__code__,
        sel.Selector._of_pairs_parsed.__code__,
        svc._requirement_fits.__code__,
    ):
        assert "Operator" not in code.co_names, code.co_name
