"""Property-based robustness: mutated workloads never crash a rule, a report writer, the plan
module or the language server's diagnostics.

The valid workloads of ``tests/hostile/workloads.yaml`` (Deployment with its PDB and HPA,
StatefulSet with its Service, DaemonSet with Nodes, Job, CronJob, Pod) are broken by deleting,
retyping (null, string, int, list, mapping, bool, huge int, NaN, infinity, ...) and duplicating
fields at random paths, YAML keys included. Every rule is enabled (``select`` every id of
``builtin_rules()`` at test time, so new rules are covered as they land).

``make test`` runs 150 examples per property. A longer run::

    KPOLICY_HYPOTHESIS_EXAMPLES=5000 .venv/bin/pytest tests/test_properties.py -p no:xdist

``test_every_field_retyped`` is exhaustive instead of random: every path of every workload,
deleted and set to each wrong type in turn (the full value list under ``-m slow``).
"""

from __future__ import annotations

import copy
import importlib
import io
import json
import math
import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.lint import LintOptions, Session, build_session, check_files
from kpolicy.load import load_documents, load_text
from kpolicy.model import KObject, Limits, LintResult, SourceFile
from kpolicy.report import ReportContext, writers
from kpolicy.ruledefs import builtin_rules
from tests.conftest import ROOT, SARIF_SCHEMA

EXAMPLES = int(os.environ.get("KPOLICY_HYPOTHESIS_EXAMPLES", "150"))
WORKLOADS = Path(__file__).parent / "hostile" / "workloads.yaml"

PathT = tuple[str | int, ...]

# what a field is replaced with: every JSON/YAML type, and the numbers that break arithmetic
WRONG_VALUES: list[Any] = [
    None,
    "",
    "text",
    "25%",
    "-1",
    "abc%",
    "yes",
    "None",
    "ü\u200b\u202e",
    "x" * 300,
    0,
    -1,
    7,
    2**31,
    2**70,
    -(2**70),
    1.5,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    [],
    [None],
    [1, "a", None, {}],
    [[["deep"]]],
    {},
    {"a": None},
    {"name": "x", "image": 7, "containerPort": "80"},
]
# the exhaustive test: few values by default, all of them under -m slow
QUICK_VALUES: list[Any] = [None, "text", 7, [], {}]


@cache
def bases() -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Group name → (documents linted together, Node documents given as --nodes)."""
    docs = list(yaml.safe_load_all(WORKLOADS.read_text()))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    nodes = by_kind["Node"]
    return {
        "Deployment": (
            [
                *by_kind["Deployment"],
                *by_kind["PodDisruptionBudget"],
                *by_kind["HorizontalPodAutoscaler"],
            ],
            [],
        ),
        "StatefulSet": ([*by_kind["Service"], *by_kind["StatefulSet"]], []),
        "DaemonSet": (by_kind["DaemonSet"], nodes),
        "Job": (by_kind["Job"], []),
        "CronJob": (by_kind["CronJob"], []),
        "Pod": (by_kind["Pod"], []),
        "ReplicaSet": ([*by_kind["ReplicaSet"], *by_kind["ReplicationController"]], []),
        # the other kinds rules look at, and a CRD whose schema validates its custom resource
        "Namespace": (
            [
                d
                for k in (
                    "Namespace",
                    "ServiceAccount",
                    "ConfigMap",
                    "Secret",
                    "LimitRange",
                    "ResourceQuota",
                    "Endpoints",
                    "CustomResourceDefinition",
                    "Widget",
                )
                for d in by_kind[k]
            ],
            [],
        ),
    }


# the workloads of the issue; the exhaustive test covers the other groups under -m slow
WORKLOAD_GROUPS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")


@cache
def session() -> Session:
    rule_ids = sorted(builtin_rules())
    return build_session(LintOptions(select=rule_ids, use_config_discovery=False))


@cache
def report_validator() -> Any:
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


@cache
def sarif_validator() -> Any | None:
    if not SARIF_SCHEMA.is_file():
        return None
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def plan_for() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("kpolicy.plan")
    except ImportError:
        return None
    return getattr(module, "plan_for", None)


def lsp_project() -> Any | None:
    try:
        return importlib.import_module("kpolicy.lsp.project")
    except ImportError:
        return None


# --------------------------------------------------------------------------------------------
# mutations


def paths(value: Any, prefix: PathT = ()) -> Iterator[PathT]:
    """Every path into ``value`` (the root too)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def parent_of(docs: list[Any], path: PathT) -> tuple[Any, str | int]:
    node: Any = docs
    for step in path[:-1]:
        node = node[step]
    return node, path[-1]


def delete(docs: list[Any], path: PathT) -> None:
    parent, last = parent_of(docs, path)
    del parent[last]


def retype(docs: list[Any], path: PathT, value: Any) -> None:
    parent, last = parent_of(docs, path)
    parent[last] = copy.deepcopy(value)


def duplicate_item(docs: list[Any], path: PathT) -> bool:
    """A list item twice in a row (two containers, ports, env vars... of the same name)."""
    parent, last = parent_of(docs, path)
    if isinstance(parent, list) and len(path) > 1:
        parent.insert(int(last) + 1, copy.deepcopy(parent[int(last)]))
        return True
    return False


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def duplicate_key(text: str, pointer: str) -> str:
    """The YAML text with the key at ``pointer`` (and its value) written twice."""
    documents, _ = load_documents(SourceFile("x.yaml", text))
    if not documents:
        return text
    entry = documents[0].positions.entries.get(pointer)
    if entry is None or entry[0] is None:
        return text
    key_span, value_span = entry
    assert key_span is not None and value_span is not None
    lines = text.splitlines(keepends=True)
    first, last = key_span.line - 1, max(value_span.end_line, key_span.line) - 1
    if last >= len(lines):
        return text
    copied = lines[first : last + 1]
    prefix = copied[0][: key_span.column - 1]
    if prefix.strip() not in ("", "-") or "{" in copied[0][: key_span.column - 1]:
        return text  # inside a flow mapping: leave it
    if not copied[-1].endswith("\n"):
        copied[-1] += "\n"
    copied[0] = " " * len(prefix) + copied[0][len(prefix) :]  # "- name: x" → "  name: x"
    return "".join([*lines[: last + 1], *copied, *lines[last + 1 :]])


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(doc: Any, flow: bool) -> str:
    text: str = yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None if flow else False,
        width=10_000,
    )
    return text


# --------------------------------------------------------------------------------------------
# what must hold for any manifest


def lint_all(text: str, node_docs: list[Any]) -> LintResult:
    run = session()
    loaded = load_text(SourceFile("example.yaml", text), run.limits)
    nodes: tuple[KObject, ...] | None = None
    if node_docs:
        nodes_text = "---\n".join(dump(d, False) for d in node_docs)
        nodes_file = load_text(SourceFile("nodes.yaml", nodes_text, True), run.limits)
        nodes = tuple(o for o in nodes_file.objects if o.kind == "Node")
    result, traces = check_files([loaded], [], run, nodes=nodes, debug=True)
    crashes = [d for d in result.diagnostics if d.rule == "internal-error"]
    assert crashes == [], (
        "rules crashed on:\n"
        + text
        + "\n"
        + "\n".join(d.message for d in crashes)
        + "\n"
        + "\n".join(traces)
    )
    return result


def check_writers(result: LintResult) -> None:
    context = ReportContext(rules=session().rules, tool_version="0.0.0", show_suppressed=True)
    for name, write in writers().items():
        out = io.StringIO()
        write(result, context, out)
        text = out.getvalue()
        if name == "json":
            report_validator().validate(json.loads(text))
        elif name == "sarif":
            log = json.loads(text)
            assert log["version"] == "2.1.0" and len(log["runs"]) == 1
            # against the schema too when ../shared holds it (test_reports.py and others skip
            # without it; a property run is about every writer, not only this one)
            validator = sarif_validator()
            if validator is not None:
                validator.validate(log)
        elif name == "text":
            assert text.endswith("\n")


def check_plan(docs: list[Any], node_docs: list[Any]) -> None:
    plan = plan_for()
    if plan is None:
        return
    from kpolicy.plan import PlanContext

    services = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Service"]
    context = PlanContext(services=services, nodes=node_docs)
    for doc in docs:
        plan(doc, None)
        plan(doc, None, diff=True, context=context)
        plan(doc, doc, diff=True, context=context)
        plan(None, doc)


def check_language_server(text: str, tmp_root: Path) -> None:
    module = lsp_project()
    if module is None:
        return
    project = module.Project(tmp_root)
    uri = (tmp_root / "example.yaml").as_uri()
    buffer = module.Buffer(uri, 1, text)
    outcome = project.lint(buffer, {uri: buffer})
    assert all(d.code != "internal-error" for d in outcome.published), text


def check_everything(docs: list[Any], node_docs: list[Any], text: str, tmp_root: Path) -> None:
    result = lint_all(text, node_docs)
    check_writers(result)
    check_plan(docs, node_docs)
    check_language_server(text, tmp_root)


# --------------------------------------------------------------------------------------------
# the properties


def draw_path(draw: st.DrawFn, everything: list[Any]) -> PathT | None:
    """A path into one document, walking down from its root to a drawn depth. Hypothesis
    prefers small draws, so the simplest choice is made the deepest walk and the last key
    (``spec`` rather than ``apiVersion``)."""
    roots: list[PathT] = [(group, i) for group in (0, 1) for i in range(len(everything[group]))]
    if not roots:
        return None
    path = draw(st.sampled_from(roots))
    group, position = path
    assert isinstance(group, int) and isinstance(position, int)
    node = everything[group][position]
    levels = 12 - draw(st.integers(0, 11))
    while levels > 0 and isinstance(node, dict | list) and node:
        keys = list(node)[::-1] if isinstance(node, dict) else list(range(len(node)))
        step = draw(st.sampled_from(keys))
        path = (*path, step)
        node = node[step]
        levels -= 1
    return path


@st.composite
def mutated(draw: st.DrawFn) -> tuple[list[Any], list[Any], str]:
    group = draw(st.sampled_from(sorted(bases())))
    docs, node_docs = copy.deepcopy(bases()[group])
    everything: list[Any] = [docs, node_docs]
    duplicate_keys: list[tuple[int, str]] = []
    for _ in range(draw(st.integers(1, 6))):
        path = draw_path(draw, everything)
        if path is None:
            break
        operation = draw(st.sampled_from(["retype", "delete", "retype", "duplicate"]))
        if operation == "delete":
            delete(everything, path)
        elif operation == "retype":
            retype(everything, path, draw(st.sampled_from(WRONG_VALUES)))
        elif not duplicate_item(everything, path) and path[0] == 0 and len(path) > 2:
            pointer = "".join("/" + escape(p) for p in path[2:])
            duplicate_keys.append((int(path[1]), pointer))
    flow = draw(st.booleans())
    texts = [dump(doc, flow) for doc in docs]
    for index, pointer in duplicate_keys:
        if index < len(texts):
            texts[index] = duplicate_key(texts[index], pointer)
    return docs, node_docs, "---\n".join(texts)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(example=mutated())
def test_mutated_workloads_never_crash(
    example: tuple[list[Any], list[Any], str], tmp_path: Path
) -> None:
    docs, node_docs, text = example
    check_everything(docs, node_docs, text, tmp_path)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    text=st.text(alphabet=st.sampled_from(list("abk:- \n\t{}[],'\"&*!|>#%@`?~.0129")), max_size=200)
)
def test_random_yaml_text_never_crashes(text: str, tmp_path: Path) -> None:
    """Text that is barely YAML at all, after a valid header so that rules see an object."""
    header = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  "
    for candidate in (text, header + text.replace("\n", "\n  ")):
        result = lint_all(candidate, [])
        check_writers(result)
        check_language_server(candidate, tmp_path)


@st.composite
def shared_trees(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """Nested lists and mappings whose parts are shared (dumped as anchors and aliases), and
    sometimes contain themselves; and whether they do."""
    leaves = st.one_of(st.none(), st.integers(-5, 5), st.text("ab", max_size=3), st.booleans())
    pool: list[Any] = []
    ancestors: list[Any] = []
    cyclic = False

    def tree(depth: int) -> Any:
        nonlocal cyclic
        choice = draw(st.integers(0, 4 if depth < 7 else 0))
        if choice == 0:
            return draw(leaves)
        if choice == 1 and pool:
            return draw(st.sampled_from(pool))
        if choice == 2 and ancestors and draw(st.integers(0, 9)) == 0:
            cyclic = True
            return draw(st.sampled_from(ancestors))
        value: Any = [] if draw(st.booleans()) else {}
        ancestors.append(value)
        for i in range(draw(st.integers(0, 4))):
            if isinstance(value, list):
                value.append(tree(depth + 1))
            else:
                value[f"k{i}"] = tree(depth + 1)
        ancestors.pop()
        pool.append(value)
        return value

    return {"root": tree(0)}, cyclic


class _ExpandingDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(example=shared_trees(), max_nodes=st.integers(1, 400), max_depth=st.integers(1, 12))
def test_alias_limits_agree_with_the_expansion(
    example: tuple[dict[str, Any], bool], max_nodes: int, max_depth: int
) -> None:
    """The loader refuses a document with aliases exactly when it refuses the same document
    written out without them, and reads the same value otherwise."""
    data, cyclic = example
    limits = Limits(max_nodes=max_nodes, max_depth=max_depth)
    aliased = yaml.dump(data, Dumper=yaml.SafeDumper)
    docs, problems = load_documents(SourceFile("aliased.yaml", aliased), limits)
    refused = [p.message for p in problems if "refused" in p.message]
    assert len(refused) + len(docs) == 1, problems
    if cyclic:
        assert refused  # as a recursive alias, or first for its size by the event count
        return
    expanded = yaml.dump(data, Dumper=_ExpandingDumper)
    plain_docs, plain_problems = load_documents(SourceFile("expanded.yaml", expanded), limits)
    assert bool(refused) == any("refused" in p.message for p in plain_problems), (
        aliased,
        refused,
        plain_problems,
    )
    if not refused:
        assert docs[0].value == plain_docs[0].value == data


@pytest.mark.parametrize(
    "text", ["root: &x\n- 1\n- *x\n", "root: &x\n  a: 1\n  b: *x\n", "- &x\n  - *x\n"]
)
def test_a_collection_whose_last_item_is_itself_is_refused_not_walked_forever(text: str) -> None:
    """The example hypothesis found: the block end of a collection ending in an alias to itself
    was searched down an endless chain of last items (a hang that ate memory)."""
    docs, problems = load_documents(SourceFile("self.yaml", text), Limits())
    assert not docs
    assert any("recursive alias" in p.message for p in problems), problems


def _single_mutations(
    values: list[Any], groups: tuple[str, ...]
) -> Iterator[tuple[str, list[Any], list[Any], str]]:
    for group in groups:
        docs, node_docs = bases()[group]
        everything = [docs, node_docs]
        for path in (p for p in paths(everything) if len(p) >= 2):
            variants: list[tuple[str, list[Any]]] = []
            deleted = copy.deepcopy(everything)
            delete(deleted, path)
            variants.append(("deleted", deleted))
            for value in values:
                changed = copy.deepcopy(everything)
                retype(changed, path, value)
                variants.append((f"= {value!r}"[:40], changed))
            for what, (new_docs, new_nodes) in variants:
                text = "---\n".join(dump(d, False) for d in new_docs)
                yield f"{group} {'/'.join(map(str, path))} {what}", new_docs, new_nodes, text


def _retype_everything(values: list[Any], groups: tuple[str, ...]) -> int:
    count = 0
    for label, docs, node_docs, text in _single_mutations(values, groups):
        try:
            result = lint_all(text, node_docs)
            plan = plan_for()
            if plan is not None:
                for doc in docs:
                    plan(doc, None)
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from None
        count += 1
        if count % 50 == 0:  # SARIF validation is slow: sample the writers
            check_writers(result)
    return count


@pytest.mark.slow  # thousands of lint runs; test_mutated_workloads_never_crash samples the same in make test
def test_every_field_retyped() -> None:
    """Exhaustive: each path of each workload deleted, then set to each of QUICK_VALUES."""
    assert _retype_everything(QUICK_VALUES, WORKLOAD_GROUPS) > 2_000


@pytest.mark.slow
def test_every_field_retyped_to_every_value() -> None:
    assert _retype_everything(WRONG_VALUES, tuple(sorted(bases()))) > 15_000


def test_duplicate_key_helper_makes_duplicates() -> None:
    text = dump(bases()["Pod"][0][0], False)
    doubled = duplicate_key(text, "/spec/containers/0/image")
    assert doubled.count("image: busybox:1.36") == text.count("image: busybox:1.36") + 1
    _, problems = load_documents(SourceFile("x.yaml", doubled))
    assert [p.rule for p in problems] == ["yaml-duplicate-key"]


def test_workloads_are_valid() -> None:
    """The bases load cleanly; otherwise the mutations would start from broken input."""
    text = WORKLOADS.read_text()
    _, problems = load_documents(SourceFile("workloads.yaml", text))
    assert problems == []
    result = lint_all(text, [])
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    assert errors == [], [f"{d.span.line}: {d.rule} {d.message}" for d in errors]
