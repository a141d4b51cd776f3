"""Parallel runs print exactly what serial runs print."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import pickle
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kpolicy.lint.run as lint_run
from kpolicy import parallel
from kpolicy.lint import LintOptions, build_session, exit_code, lint
from kpolicy.load import load_text
from kpolicy.model import Limits, SourceFile
from kpolicy.report import ReportContext, writer
from tests.conftest import CORPUS, ROOT
from tests.helpers import examples
from tests.schema.test_custom import CRD

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform")


def report(options: LintOptions, fmt: str = "json") -> tuple[str, list[str]]:
    session = build_session(options)
    result, traces = lint(options, session)
    out = io.StringIO()
    writer(fmt)(
        result,
        ReportContext(rules=session.rules, tool_version="test", color=False, show_suppressed=True),
        out,
    )
    return out.getvalue(), traces


def generated(folder: Path, copies: int = 6) -> Path:
    """Manifests whose findings cross files: services and the workloads they select live in
    different files, workloads of one folder select each other's Pods from different files,
    names repeat across folders, some documents are broken."""
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    for index in range(copies):
        sub = folder / f"team{index % 3}" / f"app{index}"
        sub.mkdir(parents=True)
        for example in examples:
            (sub / example.name).write_text(example.read_text())
        (sub / "service.yaml").write_text(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: shared\nspec:\n"
            f"  selector: {{app: app{index % 2}}}\n  ports:\n  - port: 80\n    targetPort: web\n"
        )
        (sub / "workload.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web{index}\nspec:\n"
            f"  selector:\n    matchLabels: {{app: app{index % 2}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: app{index % 2}}}\n    spec:\n      containers:\n"
            "      - name: c\n        image: nginx\n        ports: [{containerPort: 80}]\n"
            "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n"
            f"  metadata: {{name: cm{index}}}\n  data: {{a: b, a: c}}\n"
            "---\nkey: [unclosed\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
            "spec:\n  containers: [{name: c, image: 'x:latest', resources: {limits: {cpu: 2Gb}}}]\n"
        )
        # the same selector in another file of the folder (applied together: selector-overlap)
        (sub / "worker.yaml").write_text(
            (sub / "workload.yaml")
            .read_text()
            .split("---")[0]
            .replace(f"name: web{index}", f"name: worker{index}")
        )
    return folder


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_generated_inputs_parallel_equals_serial(tmp_path: Path, fmt: str) -> None:
    folder = generated(tmp_path / "in")
    context = tmp_path / "context"
    context.mkdir()
    (context / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: ctx}\nspec: {selector: {app: app1}}\n"
    )
    base = LintOptions(paths=[str(folder)], context=[str(context)], use_config_discovery=False)
    serial = report(LintOptions(**{**base.__dict__, "jobs": 1}), fmt)
    for jobs in (2, 3, 5):
        assert report(LintOptions(**{**base.__dict__, "jobs": jobs}), fmt) == serial, jobs
    assert '"selector-overlap"' in report(LintOptions(**{**base.__dict__, "jobs": 2}))[0]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_parallel_equals_serial() -> None:
    options = LintOptions(paths=[str(CORPUS)], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial
    assert report(LintOptions(**{**options.__dict__, "jobs": 3})) == serial


def test_failing_worker_falls_back_to_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = generated(tmp_path / "in", copies=4)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    parent = os.getpid()
    real_read = lint_run.read_input

    def read_in_parent_only(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            raise RuntimeError("a worker fails")
        return real_read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lint_run, "read_input", read_in_parent_only)
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial


def test_worker_crash_is_reported() -> None:
    def crash(index: int) -> object:
        os._exit(3)

    with pytest.raises(parallel.WorkerFailed):
        parallel.run_forked([0, 1], 2, crash)


def test_large_answers_do_not_block() -> None:
    """An answer much larger than a pipe's buffer, from several workers at once."""
    items = list(range(6))
    result = parallel.map_forked(items, [1] * 6, 3, lambda i: bytes([i]) * 3_000_000)
    assert [len(r) for r in result] == [3_000_000] * 6 and result[5][:1] == b"\x05"


def test_the_parent_takes_a_share_of_the_queue_unpickled() -> None:
    """With ``parent``, the parent is one of the workers: it forks one child fewer, takes
    items from the same queue, and its answers are the objects it made (never pickled)."""
    import time

    made: dict[int, object] = {}
    parent_pid = os.getpid()

    def work(index: int) -> tuple[int, object]:
        time.sleep(0.01)  # long enough that both processes take items
        answer = object()
        if os.getpid() == parent_pid:
            made[index] = answer
        return os.getpid(), answer

    answers = parallel.map_forked(list(range(20)), [1] * 20, 2, work, parent=work)
    pids = {pid for pid, _ in answers}
    assert parent_pid in pids and len(pids) == 2  # the parent and one child
    assert made and all(answers[i][1] is made[i] for i in made)


def test_a_failure_in_the_parents_share_is_a_worker_failure() -> None:
    """The parent's share fails as a child's would (the caller runs serially instead), and the
    child is not waited for."""

    def work(index: int) -> int:
        return index

    def fails(index: int) -> int:
        raise RuntimeError("the parent's share fails")

    with pytest.raises(parallel.WorkerFailed, match="the parent's share fails"):
        parallel.run_forked(list(range(50_000)), 2, work, parent=fails)


def test_dispatch_order_takes_the_costliest_first() -> None:
    assert parallel.dispatch_order([100, 1, 1, 50, 50, 2, 7]) == [0, 3, 4, 6, 5, 1, 2]
    assert parallel.dispatch_order([]) == []


def test_a_free_worker_takes_the_next_item() -> None:
    """Items go to whichever worker is free: a worker busy with one slow item (its cost
    guessed wrong) does not hold the others back."""
    import time

    def work(index: int) -> int:
        if index == 0:
            time.sleep(0.6)
        return os.getpid()

    pids = parallel.map_forked(list(range(30)), [1] * 30, 2, work)
    slow = pids[0]
    assert pids.count(slow) <= 2 and len(set(pids)) == 2


def test_plan_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "available_cores", lambda *_: 4)
    monkeypatch.setattr(parallel, "others_running", lambda *_: 0)
    assert parallel.plan_jobs(1, [10**7] * 100) == 1
    assert parallel.plan_jobs(None, [100] * 3) == 1  # too small to be worth a fork
    assert parallel.plan_jobs(4, [100] * 3) == 3  # asked for: at most one worker per file
    assert parallel.plan_jobs(None, [10**6] * 100) == 4
    monkeypatch.setattr(parallel, "others_running", lambda *_: 2)
    assert parallel.plan_jobs(None, [10**6] * 100) == 2  # two cores are busy elsewhere
    assert parallel.plan_jobs(3, [10**6] * 100) == 3  # asked for: as many as asked
    monkeypatch.setattr(parallel, "others_running", lambda *_: 9)
    assert parallel.plan_jobs(None, [10**6] * 100) == 1
    monkeypatch.setattr(parallel, "others_running", lambda *_: None)  # unknown: every core
    assert parallel.plan_jobs(None, [10**6] * 100) == 4


def test_others_running_reads_the_machine() -> None:
    busy = parallel.others_running()
    assert busy is None or busy >= 0
    assert 1 <= parallel.idle_cores() <= parallel.available_cores()


def test_loaded_files_round_trip_through_pickle() -> None:
    """What a worker sends: values, positions (compact tables, with the irregular mappings of
    a document that has them, here for its duplicate key), diagnostics and directives."""
    text = (ROOT / "examples" / "web.yaml").read_text()
    text += "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: 1, a: 2}\n"
    loaded = load_text(SourceFile("web.yaml", text))
    again = pickle.loads(pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL))
    irregular = {o.positions._irregular is not None for o in loaded.objects}
    assert irregular == {False, True}  # both kinds of table travel
    for before, after in zip(loaded.objects, again.objects, strict=True):
        assert after.data == before.data and after.ref == before.ref
        # looked up before anything builds the entries of either table
        for pointer in ("/data/a", "/metadata/name", "/spec/template/spec/containers/0/image"):
            assert after.positions.lookup(pointer) == before.positions.lookup(pointer)
        assert after.positions.entries == before.positions.entries
        assert list(after.positions.entries) == list(before.positions.entries)
        for pointer in list(before.positions.entries)[:20]:
            assert after.positions.resolve(pointer) == before.positions.resolve(pointer)
    assert again.diagnostics == loaded.diagnostics and again.directives == loaded.directives


def test_a_workers_file_travels_with_its_objects_flat() -> None:
    """A worker's file travels with its objects' fields in one list (``lint.run._flat_file``)
    where each object's table is a compact one of its data, or of the dict a NamesOnly copies,
    and whole where not (a duplicate key's irregular table, a ``kind: List`` item, a packed
    definition): the parent gets each object as the worker had it, in its place."""
    from kpolicy.checks import kinds_read_whole
    from kpolicy.index import NOT_KEPT, NamesOnly, PackedWhole
    from kpolicy.model import KObject, LoadedFile

    web = (ROOT / "examples" / "web.yaml").read_text()
    text = web.replace("          image:", "          env: [{name: A, value: b}]\n          image:")
    text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: 1, a: 2}\n"
    text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
    text += "---\napiVersion: v1\nkind: List\nitems:\n"
    text += "- {apiVersion: v1, kind: ConfigMap, metadata: {name: i}}\n"
    text += "---" + CRD
    loaded = load_text(SourceFile("web.yaml", text), keep_text=False)
    whole = kinds_read_whole()
    slim = []
    for obj in loaded.objects:
        kept = lint_run.names_only(obj, whole)
        slim.append(lint_run.without_unread(obj) if kept is obj else kept)
    loaded = replace(loaded, objects=tuple(slim), annotated=True)
    kinds = {type(o.data).__name__ for o in loaded.objects}
    assert {"dict", NamesOnly.__name__, PackedWhole.__name__} <= kinds
    assert any(NOT_KEPT in c.values() for o in loaded.objects for c in _containers(o.data))
    flat = lint_run._flat_file(loaded)
    travels_whole = flat[10] or {}
    # the irregular table, the List item and the packed definition travel whole
    assert sorted(o.data["metadata"]["name"] for o in travels_whole.values()) == [
        "backups.ops.example.com",
        "dup",
        "i",
    ]
    assert len(flat[9]) == (len(loaded.objects) - 3) * lint_run._OBJECT_FIELDS
    packed = pickle.dumps(lint_run._pack((loaded, None)), protocol=pickle.HIGHEST_PROTOCOL)
    again, found = lint_run._unpack(pickle.loads(packed))
    assert found is None and isinstance(again, LoadedFile)
    for name in ("source", "documents", "diagnostics", "directives", "manifest_like"):
        assert getattr(again, name) == getattr(loaded, name), name
    assert (again.not_manifest, again.annotated) == (loaded.not_manifest, True)
    for before, after in zip(loaded.objects, again.objects, strict=True):
        assert type(after) is KObject and type(after.data) is type(before.data)
        assert after.data == before.data and after.ref == before.ref
        assert after.source is again.source
        for name in ("doc_index", "base", "template", "patch", "plain"):
            assert getattr(after, name) == getattr(before, name), name
        assert after.positions.describes(after.data) == before.positions.describes(before.data)
        assert after.positions.entries == before.positions.entries
        assert after.span(("metadata", "name")) == before.span(("metadata", "name"))
    # a file not read travels as it is
    assert lint_run._unpack(lint_run._pack(("why", None))) == ("why", None)


def test_a_workers_file_travels_with_its_source_as_fields() -> None:
    """A file whose objects all travel flat sends its source as its three fields, not the
    record (pickled through its reduction, Python calls on both sides); the parent makes the
    SourceFile again, the one object of all its objects. Where an object travels whole (its
    source pickled with it) the source travels whole too, so that it stays one object."""
    from kpolicy.model import LoadedFile
    from kpolicy.records import fields

    assert tuple(f.name for f in fields(SourceFile)) == ("display", "text", "context_only")
    web = (ROOT / "examples" / "web.yaml").read_text()
    loaded = load_text(SourceFile("web.yaml", web, True), keep_text=False)
    flat = lint_run._flat_file(loaded)
    assert flat[:3] == ("web.yaml", "", True) and flat[10] is None
    packed = pickle.dumps(lint_run._pack((loaded, None)), protocol=pickle.HIGHEST_PROTOCOL)
    assert b"SourceFile" not in packed
    again, _ = lint_run._unpack(pickle.loads(packed))
    assert isinstance(again, LoadedFile) and type(again.source) is SourceFile
    assert again.source == loaded.source
    assert all(obj.source is again.source for obj in again.objects)
    # a kind: List item travels whole, and the source with it
    listed = web + "---\napiVersion: v1\nkind: List\nitems:\n"
    listed += "- {apiVersion: v1, kind: ConfigMap, metadata: {name: i}}\n"
    loaded = load_text(SourceFile("web.yaml", listed), keep_text=False)
    flat = lint_run._flat_file(loaded)
    assert flat[0] is loaded.source and flat[1:3] == (None, None) and flat[10]
    again, _ = lint_run._unpack(pickle.loads(pickle.dumps(lint_run._pack((loaded, None)))))
    assert isinstance(again, LoadedFile) and again.source == loaded.source
    assert all(obj.source is again.source for obj in again.objects)


def test_a_slimmed_object_is_made_by_position_with_every_field() -> None:
    """names_only, without_unread and _kept make the objects and files they change by
    position (``lint.run._with_data``, ``_kept``): with every field of the records, in their
    order, and the same object ``replace`` makes."""
    from kpolicy.model import KObject, LoadedFile
    from kpolicy.records import fields

    assert tuple(f.name for f in fields(KObject)) == lint_run.KOBJECT_FIELDS
    assert tuple(f.name for f in fields(LoadedFile)) == lint_run.LOADED_FILE_FIELDS
    loaded = load_text(SourceFile("web.yaml", (ROOT / "examples" / "web.yaml").read_text()))
    obj = replace(loaded.objects[0], template="t.yaml", patch=True, doc_index=3, base="/items/1")
    made = lint_run._with_data(obj, {"kind": "X"}, obj.positions, False)
    expected = replace(obj, data={"kind": "X"}, plain=False)
    for name in lint_run.KOBJECT_FIELDS:
        assert getattr(made, name) == getattr(expected, name), name


def test_a_finding_on_its_own_object_travels_without_its_ref() -> None:
    """A finding whose object is the ref of the object it was found on travels with True in
    its place (the ref travels with the object, as its fields: ``lint.run._flat_file``); the
    parent's finding then holds the very ref of the parent's object. A finding on another
    object keeps its own."""
    from kpolicy.lint.run import LocalFindings
    from kpolicy.model import Diagnostic, ObjectRef, Severity, Span

    loaded = load_text(SourceFile("web.yaml", (ROOT / "examples" / "web.yaml").read_text()))
    first, second = loaded.objects
    other = ObjectRef("v1", "Secret", "ns", "s")
    own = Diagnostic("r", Severity.ERROR, "m", "web.yaml", Span(1, 2, 3, 4), "/spec", first.ref)
    elsewhere = replace(own, object=other)
    local = LocalFindings(
        (([own, elsewhere], (), None), ([replace(own, object=None)], (), None)), ()
    )
    packed = lint_run._pack((loaded, local))
    flat = packed[1][0]  # type: ignore[index]
    assert flat[0][0][9::11] == [True, other]  # (each finding's eleven fields in a row)
    again, found = lint_run._unpack(pickle.loads(pickle.dumps(packed)))
    assert found is not None and not isinstance(again, str)
    assert found == local
    (mine, theirs), (none,) = found.per_object[0][0], found.per_object[1][0]
    assert mine.object is again.objects[0].ref and theirs.object == other and none.object is None
    assert lint_run._findings_by_call(flat[0][0], again.objects[0].ref) == [own, elsewhere]
    assert second.ref != first.ref


def _containers(value: object) -> list[dict[str, object]]:
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in _containers(v))]
    if type(value) is list:
        return [c for v in value for c in _containers(v)]
    return []


def test_local_findings_round_trip_through_pickle() -> None:
    """A worker's findings travel as their plain fields where they can (in a row in their
    object's list), as records where a field beyond the plain ones is set: every one comes
    back equal."""
    from kpolicy.lint.run import LocalFindings
    from kpolicy.model import (
        Diagnostic,
        Fix,
        ObjectRef,
        Origin,
        RelatedLocation,
        Severity,
        Span,
        Suppression,
    )
    from kpolicy.records import fields

    # the fields a plain finding travels with, and those that make it travel as a record: a
    # new field of Diagnostic must be one or the other (kpolicy.lint.run._flat)
    assert [f.name for f in fields(Diagnostic)] == [
        *("rule", "severity", "message", "file", "span", "path", "object"),
        *("related", "fix", "suppression", "rejects", "origin", "found_at"),
    ]
    ref = ObjectRef("v1", "Pod", "ns", "p")
    plain = Diagnostic("r", Severity.ERROR, "m", "a.yaml", Span(1, 2, 3, 4), "/spec", ref)
    others = [
        replace(plain, rejects=True),
        replace(plain, related=(RelatedLocation("b.yaml", Span(5, 1, 5, 2), "why", ref),)),
        replace(plain, fix=Fix("fix it", ())),
        replace(plain, suppression=Suppression("comment", "why")),
        replace(plain, origin=Origin("chart/templates/a.yaml", 3)),
        replace(plain, found_at=("c.yaml", "/spec")),
    ]
    local = LocalFindings((([plain, *others], (3,), None), ([], (), ())), ("trace",), ("line",) * 7)
    packed = lint_run._pack(("file", local))
    sent = packed[1][0][0][0]  # type: ignore[index]
    assert sent[:11] == ["r", Severity.ERROR, "m", "a.yaml", 1, 2, 3, 4, "/spec", ref, False]
    assert sent[11:22] == [*sent[:10], True] and sent[22:] == others[1:]
    again = lint_run._unpack(pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)))
    assert again == ("file", local)
    assert lint_run._unpack(lint_run._pack(("not read", None))) == ("not read", None)
    assert again[1] is not None
    assert [type(d) for d in again[1].per_object[0][0]] == [Diagnostic] * 7
    assert again[1].lines == ("line",) * 7
    assert lint_run._unpack(lint_run._pack(("file", replace(local, lines=()))))[1] is not None


def test_the_sort_key_read_in_c_is_the_findings_sort_key() -> None:
    """check_files sorts by :data:`kpolicy.model.SORT_KEY`, the order of the report: file,
    line, column, rule, message (:attr:`Diagnostic.sort_key`)."""
    from kpolicy.model import SORT_KEY, Diagnostic, ObjectRef, Severity, Span

    ref = ObjectRef("v1", "Pod", "ns", "p")
    findings = [
        Diagnostic(rule, Severity.ERROR, message, file, Span(line, column, 9, 9), "/x", ref)
        for rule in ("b", "a")
        for message in ("m2", "m1")
        for file in ("b.yaml", "a.yaml")
        for line, column in ((2, 1), (1, 3), (1, 2))
    ]
    assert [SORT_KEY(d) for d in findings] == [
        (d.file, d.span.line, d.span.column, d.rule, d.message) for d in findings
    ]
    assert [SORT_KEY(d) for d in findings] == [d.sort_key for d in findings]
    assert sorted(findings, key=SORT_KEY) == sorted(findings, key=lambda d: d.sort_key)


def test_local_index_answers_only_about_one_object() -> None:
    import copy

    from kpolicy.index import LocalIndex, NeedsIndex

    # Any: LocalIndex borrows Index's methods as class attributes, which mypy cannot bind
    index: Any = LocalIndex()
    assert index.memo(("k", 1), lambda: 5) == 5
    assert index.memo(("k", 1), lambda: 6) == 5
    index.clear()
    assert index.memo(("k", 1), lambda: 6) == 6
    for query in (
        "get",
        "of_kind",
        "templates_with",
        "pdbs_selecting",
        "scalers_targeting",
        "selecting",
        "all_named",
        "anything_added_later",
    ):
        with pytest.raises(NeedsIndex):
            getattr(index, query)
    # a patch is known from the object itself (marked where its file is read)
    (obj,) = load_text(
        SourceFile("overlay/patch.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    ).objects
    assert not index.is_kustomize_patch(obj)
    assert index.is_kustomize_patch(replace(obj, patch=True))
    assert not hasattr(index, "__deepcopy__")  # dunder probes are not queries
    copy.copy(index)


def test_engine_defers_what_needs_the_index() -> None:
    """A local pass does not run a check declared to read other objects: it leaves it to the
    parent, whose run of it alone gives the same findings as a whole run."""
    from kpolicy.checks import RuleContext
    from kpolicy.engine import Engine
    from kpolicy.index import Index, LocalIndex

    session = build_session(
        LintOptions(
            paths=[], use_config_discovery=False, select=["selector-overlap", "selector-mismatch"]
        )
    )
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n"
        "  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: y}}\n"
        "    spec: {containers: [{name: c, image: 'i:1'}]}\n"
    )
    (obj,) = load_text(SourceFile("a.yaml", text)).objects
    local = Engine(session.active, RuleContext(index=LocalIndex()))  # type: ignore[arg-type]
    deferred: list[int] = []
    found = local.run(obj, deferred=deferred)
    assert [d.rule for d in found] == ["selector-mismatch"]
    assert len(deferred) == 1  # selector-overlap reads other workloads (Reads.INDEX)
    full = Engine(session.active, RuleContext(index=Index([obj])))
    assert full.run(obj, only=deferred) == []  # alone in the index: nothing overlaps
    assert sorted(d.rule for d in full.run(obj)) == ["selector-mismatch"]


def test_engine_defers_custom_kinds_schemas_only() -> None:
    """The schema checks (Reads.SCHEMAS) run locally on built-in kinds, whose schemas no input
    can change, and are left to the parent for any other kind (its definition may be in
    another file, or --schema-dir)."""
    from kpolicy.checks import RuleContext
    from kpolicy.engine import Engine
    from kpolicy.index import LocalIndex
    from kpolicy.schema import SchemaValidator

    session = build_session(
        LintOptions(
            paths=[],
            use_config_discovery=False,
            select=["schema-type-mismatch", "schema-unknown-kind", "selector-mismatch"],
        )
    )
    schemas = SchemaValidator.for_version(session.kubernetes_version)
    local = Engine(
        session.active,
        RuleContext(index=LocalIndex(), schemas=schemas),  # type: ignore[arg-type]
    )
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: 3\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: 3\n"
    )
    config_map, widget = load_text(SourceFile("a.yaml", text)).objects
    deferred: list[int] = []
    assert [d.rule for d in local.run(config_map, deferred=deferred)] == ["schema-type-mismatch"]
    assert deferred == []
    assert local.run(widget, deferred=deferred) == []
    plan = local._plan(widget.kind)
    assert sorted(r for p in deferred for r in plan[p].reports) == [
        "schema-type-mismatch",
        "schema-unknown-kind",
    ]


def test_checks_declare_what_they_read() -> None:
    """A check that asks the index about other objects declares it (``reads=Reads.INDEX``),
    and every check so declared asks on some object of the fixtures and examples: one that
    asked undeclared would fail in a worker (internal-error), one declared needlessly would
    run in the parent only. The rules of the checks that ask are the relating rules (whose
    findings on a --context object may concern a reported one)."""
    from typing import cast

    from kpolicy.checks import Reads, relating_rules
    from kpolicy.discover import discover
    from kpolicy.engine import ActiveRule, Engine
    from kpolicy.index import Index, LocalIndex, NeedsIndex
    from kpolicy.lint import read_input
    from kpolicy.lint.session import rule_context
    from kpolicy.model import Limits
    from kpolicy.schema import SchemaValidator

    session = build_session(LintOptions(use_config_discovery=False))
    every = {rid: ActiveRule(r, r.severity, dict(r.params)) for rid, r in session.rules.items()}
    schemas = SchemaValidator.for_version(session.kubernetes_version)
    index = LocalIndex()
    engine = Engine(every, rule_context(session, cast(Index, index), None, schemas))
    asking: set[str] = set()
    declared: set[str] = set()
    objects = 0
    inputs, _ = discover([str(ROOT / "tests" / "rules"), str(ROOT / "examples")])
    for item in inputs:
        loaded = read_input(item, False, Limits(), None)
        if isinstance(loaded, str):
            continue
        index.clear()
        for obj in loaded.objects:
            objects += 1
            for step in engine._plan(engine.key_of(obj)):
                # every step may report a user pattern's timeout: not a relation
                reports = set(step.reports) - {"policy-pattern-timeout"}
                if step.reads is Reads.INDEX:
                    declared |= reports
                try:
                    list(step.fn(obj, step.context))
                except NeedsIndex:
                    asking |= reports
    assert objects > 500
    assert asking == declared == set(relating_rules())


def test_cross_file_findings_are_the_same_in_parallel(tmp_path: Path) -> None:
    """What needs other files (a CRD's schema, a kustomization's patches, Services and their
    workloads) is decided by the parent with every object, as in a serial run."""
    folder = generated(tmp_path / "in", copies=3)
    crds = folder / "crds"
    crds.mkdir()
    (crds / "crd.yaml").write_text(textwrap.dedent(CRD))
    for index in range(12):
        (folder / f"backup{index}.yaml").write_text(
            f"apiVersion: ops.example.com/v1\nkind: Backup\nmetadata: {{name: b{index}}}\n"
            f"spec: {{schedule: '0 3 * * *', retention: {300 + index * 10}}}\n"
        )
    overlay = folder / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../team0]\npatches:\n  - path: patch.yaml\n"
    )
    (overlay / "patch.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web0}\nspec: {replicas: 2}\n"
    )
    (overlay / "notpatch.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web9}\nspec: {replicas: 2}\n"
    )
    # without selector-missing, the schema's own finding on spec shows (a patch is exempt)
    options = LintOptions(
        paths=[str(folder)], use_config_discovery=False, ignore=["selector-missing"]
    )
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial
    assert report(LintOptions(**{**options.__dict__, "jobs": 3})) == serial
    text = serial[0]
    assert text.count('"rule": "schema-value-invalid"') == 5  # retention 370 to 410 > 365
    assert str(overlay / "notpatch.yaml") in text
    assert str(overlay / "patch.yaml") not in text


def test_failing_checks_and_debug_traces_are_the_same_in_parallel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that raises in a worker's local pass gives the same internal-error findings and
    --debug tracebacks as in a serial run; one declared to read the index that raises after asking it, too."""
    from collections.abc import Iterator

    import kpolicy.engine as engine_module
    from kpolicy.checks import Check, Reads, registry
    from kpolicy.model import Problem

    def broken_local(obj: Any, ctx: Any) -> Iterator[Problem]:
        yield Problem(("kind",), "found before the failure")
        raise ZeroDivisionError("deliberate failure in a local check")

    def broken_cross(obj: Any, ctx: Any) -> Iterator[Problem]:
        ctx.index.of_kind("Service")
        raise KeyError("deliberate failure after asking the index")
        yield  # pragma: no cover

    table = dict(registry())
    table["selector-missing"] = Check(("selector-missing",), broken_local)
    table["selector-overlap"] = Check(("selector-overlap",), broken_cross, Reads.INDEX)
    monkeypatch.setattr(engine_module, "registry", lambda: table)
    folder = generated(tmp_path / "in", copies=3)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False, debug=True)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    parallel_run = report(LintOptions(**{**options.__dict__, "jobs": 2}))
    assert parallel_run == serial
    assert any("deliberate failure in a local check" in t for t in serial[1])
    assert any("deliberate failure after asking the index" in t for t in serial[1])
    assert '"rule": "internal-error"' in serial[0]


def test_hostile_inputs_parallel_equals_serial() -> None:
    """Broken YAML, alias bombs, binary files and the rest give the same report in workers."""
    options = LintOptions(paths=[str(ROOT / "tests" / "hostile")], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial
    assert '"rule": "yaml-syntax"' in serial[0]


def test_every_file_is_read_once_in_parallel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file is read once; a kustomization is not read as a manifest at all (the
    repository model reads it, before the workers start)."""
    folder = generated(tmp_path / "in", copies=3)
    (folder / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"
    )
    log = tmp_path / "reads.log"
    real_read = lint_run.read_input

    def logged(item: object, *args: object, **kwargs: object) -> object:
        with open(log, "a", encoding="utf-8") as out:  # shared by the forked workers
            out.write(f"{item.display}\n")  # type: ignore[attr-defined]
        return real_read(item, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lint_run, "read_input", logged)
    report(LintOptions(paths=[str(folder)], use_config_discovery=False, jobs=2))
    reads = log.read_text().splitlines()
    assert len(reads) == len(set(reads)) > 10
    assert str(folder / "kustomization.yaml") not in reads


def _fake_machine(
    root: Path,
    cgroup: str,
    files: dict[str, str],
    tasks: dict[int, list[str]],
    kernel: tuple[int, ...] = (),
) -> None:
    """A root with /proc/self/cgroup, cgroup files and processes (pid → its threads' states;
    the pids in ``kernel`` are kernel threads, by the flag the kernel sets on them)."""
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "self" / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (root / "sys/fs/cgroup" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "sys/fs/cgroup" / name).write_text(text)
    for pid, states in tasks.items():
        folder = root / "proc" / str(pid)
        (folder / "task").mkdir(parents=True)
        flags = 0x00208040 if pid in kernel else 0x00400100
        rest = f" 1 1 1 0 -1 {flags} 0 0 0 0 0 0 0 0 20 0 {len(states)} 0"
        (folder / "stat").write_text(f"{pid} (a (b) c) {states[0]}{rest}\n")
        for index, state in enumerate(states):
            (folder / "task" / str(pid + index)).mkdir()
            (folder / "task" / str(pid + index) / "stat").write_text(f"{pid} (x) {state}{rest}\n")


def test_cgroup_v2_quota_limits_the_workers(tmp_path: Path) -> None:
    _fake_machine(
        tmp_path,
        "0::/ci/job\n",
        {"cpu.max": "max 100000\n", "ci/cpu.max": "150000 100000\n", "ci/job/cpu.max": "max"},
        {},
    )
    assert parallel.cgroup_cpu_quota(str(tmp_path)) == 1.5  # set on an ancestor
    assert parallel.available_cores(str(tmp_path)) == 1  # 1.5 CPUs: one worker is not throttled


def test_cgroup_v2_without_a_quota(tmp_path: Path) -> None:
    _fake_machine(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"}, {})
    assert parallel.cgroup_cpu_quota(str(tmp_path)) is None
    assert parallel.available_cores(str(tmp_path)) == parallel.available_cores("/nonexistent")


def test_cgroup_v1_cfs_quota(tmp_path: Path) -> None:
    _fake_machine(
        tmp_path,
        "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n",
        {
            "cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
            "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000\n",
            "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        },
        {},
    )
    assert parallel.cgroup_cpu_quota(str(tmp_path)) == 2.0
    _fake_machine(
        tmp_path / "none",
        "3:cpu:/\n",
        {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "1"},
        {},
    )
    assert parallel.cgroup_cpu_quota(str(tmp_path / "none")) is None


def test_others_running_counts_this_containers_runnable_threads(tmp_path: Path) -> None:
    """The runnable threads in /proc (the container's processes), not the host's load
    average; this process's own threads do not count."""
    _fake_machine(
        tmp_path,
        "0::/\n",
        {},
        {10: ["R"], 20: ["S"], 30: ["S", "R", "R"], 40: ["R", "R"], 50: ["D", "S"]},
    )
    assert parallel.others_running(str(tmp_path), own=40) == 3
    assert parallel.others_running(str(tmp_path), own=10) == 4


def test_others_running_leaves_out_kernel_threads(tmp_path: Path) -> None:
    """A kernel thread runnable at the instant of the look (rcu, ksoftirqd: /proc shows them on
    a VM or host) is not this container's work: two free cores still give two workers."""
    _fake_machine(
        tmp_path,
        "0::/\n",
        {"cpu.max": "max 100000\n"},
        {2: ["S"], 15: ["R"], 16: ["R"], 30: ["S", "R"]},
        kernel=(2, 15, 16),
    )
    assert parallel.others_running(str(tmp_path), own=99) == 1
    _fake_machine(tmp_path / "k", "0::/\n", {}, {15: ["R"], 20: ["S"]}, kernel=(15,))
    assert parallel.others_running(str(tmp_path / "k"), own=99) == 0


def test_in_the_machines_pid_namespace_the_running_count_is_read_at_once(tmp_path: Path) -> None:
    """In the machine's first PID namespace (no container), /proc lists every task, and
    /proc/loadavg counts its running ones at once: when it counts none but this process's own
    thread, no task's stat is read. When it counts others (kernel threads among them, which
    only /proc tells apart), in another namespace (a container), or with threads of its own,
    the tasks of /proc are counted as before."""
    _fake_machine(tmp_path, "0::/\n", {}, {10: ["R"], 20: ["R", "R"], 30: ["S"], 40: ["R"]}, (40,))
    proc = tmp_path / "proc"
    (proc / "loadavg").write_text("0.50 0.40 0.30 1/180 4242\n")
    rest = " 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 {} 0\n"
    (proc / "self" / "stat").write_text("99 (python3) R" + rest.format(1))
    (proc / "self" / "ns").mkdir()
    (proc / "self" / "ns" / "pid").symlink_to("pid:[4026531836]")
    assert parallel.others_running(str(tmp_path)) == 0  # /proc's tasks not read
    assert parallel.others_running(str(tmp_path), own=10) == 2  # a given process: counted
    (proc / "loadavg").write_text("0.50 0.40 0.30 8/180 4242\n")
    assert parallel.others_running(str(tmp_path)) == 3  # the kernel thread 40 left out
    (proc / "loadavg").write_text("0.50 0.40 0.30 1/180 4242\n")
    (proc / "self" / "stat").write_text("99 (python3) R" + rest.format(3))
    assert parallel.others_running(str(tmp_path)) == 3
    (proc / "self" / "stat").write_text("99 (python3) R" + rest.format(1))
    (proc / "self" / "ns" / "pid").unlink()
    (proc / "self" / "ns" / "pid").symlink_to("pid:[4026532211]")
    assert parallel.others_running(str(tmp_path)) == 3
    (proc / "self" / "ns" / "pid").unlink()
    assert parallel.others_running(str(tmp_path)) == 3
    if os.path.exists("/proc/loadavg") and os.readlink("/proc/self/ns/pid") == "pid:[4026531836]":
        import subprocess
        import sys

        # a process of one thread (this one has the test runner's threads too)
        script = "from kpolicy import parallel; print(parallel._running_on_the_machine('/proc'))"
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
        )
        assert done.stdout.strip().isdigit()


def test_stat_fields_are_split_up_to_the_thread_count(tmp_path: Path) -> None:
    """A ``/proc`` stat line is split after its command name (which may hold spaces and
    parentheses) only as far as the thread count (the 18th field): the rest stays one field."""
    after = ["R", *map(str, range(1, 17)), "7", *map(str, range(100, 134))]
    (tmp_path / "stat").write_text(f"123 (a) b (c d) {' '.join(after)}\n")
    fields = parallel._stat_fields(str(tmp_path / "stat"))
    assert fields[0] == b"R" and fields[17] == b"7"
    assert fields[:18] == [f.encode() for f in after[:18]]
    assert fields[18:] == [" ".join(after[18:]).encode() + b"\n"]
    assert parallel._stat_fields(str(tmp_path / "none")) == []


def test_two_free_cores_give_two_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_machine(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"}, {10: ["S"], 20: ["R", "S"]})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert parallel.idle_cores(str(tmp_path)) == 2 - 1
    _fake_machine(tmp_path / "idle", "0::/\n", {"cpu.max": "max 100000\n"}, {10: ["S"]})
    assert parallel.idle_cores(str(tmp_path / "idle")) == 2


def test_default_worker_count_output_equals_serial(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With two free cores the default (no --jobs) runs two workers, and reports what -j 1
    reports, byte for byte."""
    folder = generated(tmp_path / "in", copies=40)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    monkeypatch.setattr(parallel, "idle_cores", lambda *_: 2)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 1)
    forked: list[int] = []
    run_forked = parallel.run_forked

    def counting(order: list[int], workers: int, *rest: Any, **named: Any) -> dict[int, Any]:
        forked.append(workers)
        return run_forked(order, workers, *rest, **named)

    monkeypatch.setattr(parallel, "run_forked", counting)
    assert report(options) == serial
    assert forked == [2]


def test_the_lint_path_never_imports_the_language_server_protocol() -> None:
    """A module imported in a worker after the fork is walked by the collection after every
    file: lsprotocol's thousands of classes, pulled in by a fix helper, made the default
    (parallel) run of the corpus 4x slower than -j 1. Linting, fixes attached, imports neither
    lsprotocol nor ruamel.yaml."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    script = (
        "import sys\n"
        "from kpolicy.lint import LintOptions, build_session, lint\n"
        f"options = LintOptions(paths=[{str(root / 'tests' / 'rules')!r}], "
        "use_config_discovery=False, jobs=1)\n"
        "result, _ = lint(options, build_session(options))\n"
        "assert any(d.fix is not None for d in result.diagnostics)\n"
        "print(sorted(m for m in ('lsprotocol', 'ruamel.yaml', 'typer') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout.strip() == "[]", done.stdout


def _copies_of_one_app(folder: Path, copies: int) -> Path:
    """One application written into ``copies`` folders (the same chart rendered per team): in
    each folder two Deployments select each other's Pods and a budget keeps every Pod; a
    StatefulSet with the same selector whose Pods lack a label; and the same again in another
    namespace, with one replica more."""
    for index in range(copies):
        for namespace, replicas in (("default", 2), ("other", 3)):
            sub = folder / f"copy{index}" / namespace
            sub.mkdir(parents=True)
            for name, labels in (("web", "{app: web, tier: front}"), ("api", "{app: web}")):
                (sub / f"{name}.yaml").write_text(
                    f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
                    f"  namespace: {namespace}\nspec:\n  replicas: {replicas}\n"
                    "  selector: {matchLabels: {app: web}}\n"
                    f"  template:\n    metadata: {{labels: {labels}}}\n"
                    "    spec: {containers: [{name: c, image: 'nginx:1'}]}\n"
                )
            (sub / "db.yaml").write_text(
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n"
                f"  namespace: {namespace}\nspec:\n  serviceName: db\n"
                "  selector: {matchLabels: {app: web}}\n"
                "  template:\n    metadata: {labels: {role: db}}\n"
                "    spec: {containers: [{name: c, image: 'postgres:16'}]}\n"
            )
            (sub / "pdb.yaml").write_text(
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n"
                f"  namespace: {namespace}\nspec:\n  minAvailable: {2 * replicas}\n"
                "  selector: {matchExpressions: [{key: app, operator: In, values: [web]}]}\n"
            )
    return folder


def test_copies_of_one_app_are_judged_per_folder(tmp_path: Path) -> None:
    """The relating checks find once per namespace and selector what depends on the selector
    alone (copies of an app share it); what depends on the object (its labels, name, folder)
    is still judged per object: each folder's pair and budget are its own, in serial and
    parallel runs alike."""
    copies = 12
    folder = _copies_of_one_app(tmp_path / "in", copies)
    options = LintOptions(
        paths=[str(folder)],
        use_config_discovery=False,
        select=["selector-overlap", "pdb-blocks-all-evictions"],
    )
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial
    result, _ = lint(LintOptions(**{**options.__dict__, "jobs": 2}))
    overlaps = [d for d in result.diagnostics if d.rule == "selector-overlap"]
    budgets = [d for d in result.diagnostics if d.rule == "pdb-blocks-all-evictions"]
    # web (after api.yaml in input order) names the api of its own folder, never a copy; db's
    # Pods (role: db) are not matched by the others' selector
    assert len(overlaps) == 2 * copies
    for diag in overlaps:
        assert diag.file.endswith("web.yaml") and "Deployment 'api'" in diag.message
        assert [r.file for r in diag.related] == [diag.file.replace("web.yaml", "api.yaml")]
    # each budget counts the Pods of its own folder: 4 in default, 6 in other
    assert len(budgets) == 2 * copies
    for diag in budgets:
        pods = 6 if f"{os.sep}other{os.sep}" in diag.file else 4
        assert f"needs all {pods} pods of Deployment api, Deployment web" in diag.message


def test_a_worker_freezes_what_survives_each_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker collects after each answer (here: _COLLECT_BYTES at 0) and freezes what
    survives (its caches): the next collection walks only what the next item made, not every
    survivor again."""
    import gc

    monkeypatch.setattr(parallel, "_COLLECT_BYTES", 0)
    kept: list[object] = []

    def work(index: int) -> int:
        kept.append([[index] for _ in range(100)])  # a cache that outlives the item
        return gc.get_freeze_count()

    counts = parallel.map_forked(list(range(4)), [1] * 4, 1, work)
    # each item sees the previous items' survivors frozen
    assert all(later >= earlier + 100 for earlier, later in itertools.pairwise(counts)), counts


def test_a_worker_on_a_small_input_does_not_collect_after_each_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``early`` (a small input, whose answers the parent takes as they come): the worker
    neither collects nor freezes after each answer (its memory is far from any limit); else it
    does, as above. The freeze count a worker sees grows only where it freezes."""
    import gc

    monkeypatch.setattr(parallel, "_COLLECT_BYTES", 0)
    kept: list[object] = []

    def work(index: int) -> int:
        kept.append([[index] for _ in range(100)])
        return gc.get_freeze_count()

    for early, grows in ((True, False), (False, True)):
        answers = parallel.run_forked([0, 1, 2, 3], 1, work, early=early)
        counts = [answers[index] for index in range(4)]
        assert all(later >= earlier + 100 for earlier, later in itertools.pairwise(counts)) is (
            grows
        ), (early, counts)


def test_a_worker_collects_once_its_answers_add_up_to_collect_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker of a large input collects (and freezes what survives) once the pickles of its
    answers since its last collection add up to ``_COLLECT_BYTES``, not after every answer:
    answers of a third of it each are collected after every third, and the answers are the
    same as where it collects after each."""
    import gc

    kept: list[object] = []

    def work(index: int) -> tuple[int, bytes]:
        kept.append([[index] for _ in range(100)])
        return gc.get_freeze_count(), bytes(1000)

    answers: dict[int, list[tuple[int, bytes]]] = {}
    for limit in (0, 3000):
        monkeypatch.setattr(parallel, "_COLLECT_BYTES", limit)
        got = parallel.run_forked(list(range(7)), 1, work, early=False)
        answers[limit] = [got[index] for index in range(7)]
    assert [payload for _, payload in answers[0]] == [payload for _, payload in answers[3000]]
    counts = [count for count, _ in answers[3000]]
    grew = [later >= earlier + 100 for earlier, later in itertools.pairwise(counts)]
    # each answer pickles to a little over 1000 bytes: the third adds up to 3000
    assert grew == [False, False, True, False, False, True], counts
    every = [count for count, _ in answers[0]]
    assert all(later >= earlier + 100 for earlier, later in itertools.pairwise(every)), every


def test_the_parent_imports_before_forking_only_what_the_workers_use() -> None:
    """``kpolicy.parallel`` imports at the top only what a worker uses (_pickle): a failure's
    traceback, signals, the collector's selectors and thread, the large input's memory maps and
    typing are imported where they are used, never in the serial time before the fork."""
    import subprocess
    import sys

    later = ("traceback", "signal", "selectors", "threading", "mmap", "typing")
    code = (
        "import sys\n"
        f"before = {{m for m in {later!r} if m in sys.modules}}\n"
        "import kpolicy.parallel\n"
        f"print(sorted(m for m in {later!r} if m in sys.modules and m not in before))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "[]"


def _relating_fixtures() -> list[Path]:
    from kpolicy.checks import relating_rules

    rules = ROOT / "tests" / "rules"
    return [
        rules / rule
        for rule in sorted(relating_rules())
        if (rules / rule / "bad.yaml").is_file() and (rules / rule / "good.yaml").is_file()
    ]


@pytest.mark.parametrize("folder", _relating_fixtures(), ids=lambda p: p.name)
def test_relating_rules_fixtures_parallel_equals_serial(folder: Path, tmp_path: Path) -> None:
    """The bad fixture of every rule that relates objects gives the same findings when workers
    send the parent the objects it reads no field of by their names only: a check that reads
    a kind it does not declare (``@check(..., kinds=...)``) fails there (internal-error). A
    ConfigMap in another folder makes two files, so that the run is parallel."""
    import shutil

    from tests.helpers import lint_paths

    work = tmp_path / folder.name
    shutil.copytree(folder, work)
    (work / "other").mkdir()
    (work / "other" / "settings.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
    )
    options: dict[str, Any] = {"select": [folder.name]}  # and the folder's config, if any
    if (work / "context").is_dir():
        options["context"] = ["context"]
    if (work / "nodes.yaml").is_file():
        options["nodes_file"] = Path("nodes.yaml")
    paths = ["bad.yaml", "other/settings.yaml"]
    serial = lint_paths(paths, work, jobs=1, **options)
    parallel_run = lint_paths(paths, work, jobs=2, **options)
    assert parallel_run.diagnostics == serial.diagnostics
    assert parallel_run.suppressed == serial.suppressed
    assert {d.rule for d in serial.diagnostics} == {folder.name}


def _objects_checked(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The objects the parent's ``check_files`` is given from now on, in order (the caller
    clears the list between runs)."""
    import kpolicy.lint as lint_module

    seen: list[Any] = []
    real = lint_module.check_files

    def capture(loaded: Any, *args: Any, **kwargs: Any) -> Any:
        seen.extend(o for f in loaded for o in f.objects)
        return real(loaded, *args, **kwargs)

    monkeypatch.setattr(lint_module, "check_files", capture)
    return seen


def test_the_parent_keeps_unread_kinds_by_name_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Objects of built-in kinds that no check of the parent reads (a ConfigMap, a Role) reach
    it by their names only, a CRD with its data packed; what the relating checks read
    (Services, autoscalers, budgets, what runs Pods, custom kinds) whole; the output is the
    serial run's."""
    from kpolicy.checks import kinds_read_whole
    from kpolicy.index import NamesOnly, NotKeptWhole, PackedWhole, whole_data

    folder = generated(tmp_path / "in", copies=3)
    (folder / "crd.yaml").write_text(textwrap.dedent(CRD))
    (folder / "more.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        "  annotations: {note: kept}\ndata: {a: b}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n"
        "rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n"
        "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web0}\n"
        "  minReplicas: 1\n  maxReplicas: 3\n"
        "---\napiVersion: ops.example.com/v1\nkind: Backup\nmetadata: {name: b}\n"
        "spec: {schedule: '0 3 * * *'}\n"
    )
    seen = _objects_checked(monkeypatch)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    assert all(not isinstance(o.data, NamesOnly) for o in seen)
    seen.clear()
    # (an input whose answers the parent takes once the workers are done: it slims its own
    # files too, where on a small one it keeps them whole, as the serial run does:
    # test_the_parent_keeps_its_own_files_whole_on_a_small_input)
    monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", 0)
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial
    by_names = {o.kind for o in seen if isinstance(o.data, NamesOnly)}
    whole = {o.kind for o in seen if not isinstance(o.data, NamesOnly)}
    assert {"ConfigMap", "Role"} <= by_names
    assert by_names.isdisjoint(kinds_read_whole())
    assert {"Service", "Deployment", "Pod", "HorizontalPodAutoscaler"} <= whole
    assert "Backup" in whole
    # a definition's whole data travels packed, for the schemas of its kinds
    crd = next(o for o in seen if o.kind == "CustomResourceDefinition")
    assert isinstance(crd.data, PackedWhole)
    assert whole_data(crd.data) == yaml.safe_load(textwrap.dedent(CRD))
    settings = next(o for o in seen if o.kind == "ConfigMap" and o.name == "settings")
    assert dict(settings.data) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "annotations": {"note": "kept"}},
    }
    assert settings.span(("metadata", "annotations", "note")).line == 5
    with pytest.raises(NotKeptWhole):
        settings.data.get("data")


def test_a_serial_run_of_a_large_input_keeps_unread_kinds_by_name_only_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one worker (``-j 1``, or no idle core) on an input that workers would share, the
    parent runs the workers' local pass itself, file by file, and keeps what no check of its
    own reads by name only: the memory of the parallel run, and the same report as the
    serial run that keeps everything (an input below the threshold)."""
    from kpolicy.index import NamesOnly

    folder = generated(tmp_path / "in", copies=3)
    (folder / "more.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
    )
    seen = _objects_checked(monkeypatch)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False, jobs=1)
    kept_whole = report(options)
    assert seen and all(not isinstance(o.data, NamesOnly) for o in seen)
    seen.clear()
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 2)
    # (an input the parallel parent would not take the answers of as they come: a small one
    # is passed whole, :func:`test_a_serial_run_passes_locally_only_where_...`)
    monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", 0)
    assert report(options) == kept_whole
    assert {o.kind for o in seen if isinstance(o.data, NamesOnly)} == {"ConfigMap"}
    assert "Deployment" in {o.kind for o in seen if not isinstance(o.data, NamesOnly)}


def test_a_serial_run_passes_locally_only_where_the_parallel_parent_would_not_unpickle_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker on an input that workers would share: on an input whose answers the parallel
    run's parent takes as they come (far from its peak of memory), no local pass (it and the
    dropping only cost there): every object reaches check_files whole; on a larger one, the
    workers' local pass, file by file, which keeps some objects by name only and drops the
    containers' unread fields. The same report."""
    from kpolicy.index import NOT_KEPT, NamesOnly

    folder = generated(tmp_path / "in", copies=3)
    (folder / "env.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: env}\nspec:\n"
        "  selector: {matchLabels: {app: env}}\n  template:\n    metadata: {labels: {app: env}}\n"
        "    spec:\n      containers:\n      - {name: c, image: x, command: [run], env: []}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
    )
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 2)
    seen = _objects_checked(monkeypatch)
    passes: list[str] = []
    check_locally = lint_run._check_locally

    def counted(engine: Any, loaded: Any, *args: Any) -> Any:
        passes.append(loaded.source.display)
        return check_locally(engine, loaded, *args)

    monkeypatch.setattr(lint_run, "_check_locally", counted)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False, jobs=1)

    def unread_dropped() -> bool:
        whole = [o.data for o in seen if o.data.__class__ is dict and o.kind == "Deployment"]
        assert any(o["metadata"]["name"] == "env" for o in whole)
        return any(v is NOT_KEPT for data in whole for c in _containers(data) for v in c.values())

    kept = report(options)
    assert passes == []
    assert not any(isinstance(o.data, NamesOnly) for o in seen) and not unread_dropped()
    seen.clear()
    monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", 0)
    assert report(options) == kept
    assert len(passes) > 10
    assert any(isinstance(o.data, NamesOnly) for o in seen) and unread_dropped()


_SUPPRESSIONS = (
    "# kpolicy: ignore",
    "# kpolicy: ignore[image-tag-missing-or-latest]",
    "# kpolicy: ignore[probes-missing, unused-suppression] -- later",
)


@pytest.mark.parametrize("seed", range(4))
def test_one_worker_reports_what_its_local_pass_and_two_workers_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Below UNPICKLE_EARLY_BYTES one worker runs every rule on every object in check_files,
    where two workers (and one worker above it) run the local pass and the parent the deferred
    checks: on generated folders of the rules' fixtures and hostile files (cross-object checks
    across files, suppression comments put anywhere, documents joined, files named twice), in
    every format, the same reports and exit codes."""
    import random

    rnd = random.Random(seed)
    tests = Path(__file__).resolve().parent
    pool = sorted(
        [*(tests / "rules").rglob("*.yaml"), *(tests / "hostile").glob("*.yaml")],
        key=str,
    )
    folder = tmp_path / "in"
    written: list[str] = []
    for number in range(24):
        source = rnd.choice(pool)
        data = source.read_bytes()
        if rnd.random() < 0.3:
            lines = data.split(b"\n")
            lines.insert(rnd.randrange(len(lines)), rnd.choice(_SUPPRESSIONS).encode())
            data = b"\n".join(lines)
        if rnd.random() < 0.2:
            data += b"\n---\n" + rnd.choice(pool).read_bytes()
        target = folder / f"f{rnd.randrange(4)}" / f"{number}-{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(str(target))
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 2)
    passes: list[str] = []
    check_locally = lint_run._check_locally

    def counted(engine: Any, loaded: Any, *args: Any) -> Any:
        passes.append(loaded.source.display)
        return check_locally(engine, loaded, *args)

    monkeypatch.setattr(lint_run, "_check_locally", counted)
    paths = [str(folder), *written[:2]]
    reports: list[tuple[dict[str, str], int]] = []
    for jobs, early in ((1, 1 << 40), (1, 0), (2, 1 << 40)):
        monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", early)
        passes.clear()
        options = LintOptions(paths=paths, use_config_discovery=False, jobs=jobs)
        session = build_session(options)
        result, _ = lint(options, session)
        if jobs == 1:  # the path each takes: no local pass, then the serial one
            assert (passes != []) is (early == 0)
        context = ReportContext(
            rules=session.rules, tool_version="t", color=False, show_suppressed=seed % 2 == 0
        )
        rendered: dict[str, str] = {}
        for fmt in ("json", "text", "sarif", "github", "junit", "gitlab", "checkstyle"):
            out = io.StringIO()
            writer(fmt)(result, context, out)
            rendered[fmt] = out.getvalue()
        reports.append((rendered, exit_code(result, "info")))
    assert reports[1] == reports[0]
    assert reports[2] == reports[0]


def test_the_parent_keeps_its_own_files_whole_on_a_small_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a small input (the parent takes the answers as they come) the parent reads its own
    share whole, as a serial run keeps every file: only what a child sends is slimmed
    (``lint.run._kept``), for the transfer; on a large one the parent slims its own too, for
    its peak of memory. The reports are the serial run's either way."""
    folder = generated(tmp_path / "in")
    kept_here: list[int] = []
    general_kept = lint_run._kept

    def kept(*args: Any, **kwargs: Any) -> Any:
        kept_here.append(os.getpid())  # (a child's calls stay in the child)
        return general_kept(*args, **kwargs)

    monkeypatch.setattr(lint_run, "_kept", kept)
    given: list[bool] = []
    general_load = parallel.load_files

    def load_files(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs.get("mine") is not None)
        return general_load(*args, **kwargs)

    monkeypatch.setattr(parallel, "load_files", load_files)
    serial, _ = report(LintOptions(paths=[str(folder)], use_config_discovery=False, jobs=1))
    assert given == [] and kept_here == []
    for early, whole in ((1 << 40, True), (0, False)):
        monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", early)
        given.clear()
        kept_here.clear()
        options = LintOptions(paths=[str(folder)], use_config_discovery=False, jobs=2)
        assert report(options)[0] == serial
        assert given == [whole]
        assert (kept_here == []) is whole


def test_a_table_of_the_top_level_keys_resolves_as_the_whole() -> None:
    text = (
        "kind: ConfigMap\napiVersion: v1\ndata:\n  a: b\n  c: [1, {x: y}]\n"
        "metadata:\n  name: x\n  labels: {a: b}\n  annotations:\n    k: v\nextra: 1\n"
    )
    obj = load_text(SourceFile("t.yaml", text), Limits()).objects[0]
    pruned = obj.positions.top_level(("apiVersion", "kind", "metadata"))
    assert pruned is not None
    table, kept = pruned
    assert list(kept) == ["kind", "apiVersion", "metadata"]
    full = obj.positions.entries
    assert table.entries == {p: e for p, e in full.items() if not p.startswith(("/data", "/extra"))}
    # a mapping with a duplicate key keeps its whole table
    twice = load_text(
        SourceFile("t.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: {x: '1', x: '2'}\n"),
        Limits(),
    )
    assert twice.objects[0].positions.top_level(("kind",)) is None


def test_pickles_are_kept_in_maps_unmapped_once_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent keeps the answers' pickles in memory maps, a frame larger than a map in a
    map of its own; taking them in the order they were kept unmaps each map once read."""
    monkeypatch.setattr(parallel._Pickles, "CHUNK", 64)
    store = parallel._Pickles()
    frames = [bytes([i]) * size for i, size in enumerate((40, 20, 100, 30, 10))]
    buffer = bytearray(b"head" + b"".join(frames))
    places = []
    start = 4
    for frame in frames:
        places.append(store.keep(buffer, start, len(frame)))
        start += len(frame)
    assert [p[0] for p in places] == [0, 0, 1, 2, 2]  # 40+20 fit in 64; 100 has its own
    maps = list(store._maps)
    taken = [store.take(place) for place in places]
    assert taken == frames
    assert [m.closed for m in maps] == [True, True, False]
    store.close()
    assert all(m.closed for m in maps)


@pytest.mark.parametrize("early", [True, False])
def test_answers_are_unpickled_as_they_come_when_early(
    tmp_path: Path, early: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``early``: the parent unpickles each answer as it arrives, while the workers run (the
    worker of the last item sees the first answers unpickled before it answers); else only
    once every worker is done (it waits in vain). Here each answer is sent on its own."""
    import time

    monkeypatch.setattr(parallel, "_BATCH_BYTES", 1)
    marker = tmp_path / "unpickled"

    def loads(data: bytes) -> Any:
        marker.touch()
        return pickle.loads(data)

    def work(index: int) -> bool:
        if index < 2:
            return False
        deadline = time.monotonic() + (10 if early else 0.5)
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return marker.exists()

    answers = parallel.run_forked([0, 1, 2], 1, work, loads=loads, early=early)
    assert answers == {0: False, 1: False, 2: early}


@pytest.mark.parametrize("early", [True, False])
def test_frames_are_read_however_the_reads_cut_them(early: bool) -> None:
    """The parent reads a child's frames however its reads cut the stream (in a header, in a
    pickle, on a frame's end), each once; after each read it keeps back exactly the frame
    that the read left unfinished, and nothing once a read ends on a frame's end. It copies
    only the parts of the frames that a read does not hold whole: the others are read where
    the read put them."""

    class Pending(bytearray):
        copied = 0

        def __iadd__(self, more: Any) -> Pending:  # type: ignore[misc]
            Pending.copied += len(more)
            return super().__iadd__(more)

    answers = {index: [index] * size for index, size in enumerate((0, 1, 300, 5, 2000, 7))}
    frames = [pickle.dumps(answer, protocol=-1) for answer in answers.values()]
    # (a header alone after the third: the child forgot what it sent, _FORGET)
    heads = [parallel._HEADER.pack(index, len(frame)) for index, frame in enumerate(frames)]
    heads[3] = parallel._HEADER.pack(parallel._FORGET, 0) + heads[3]
    stream = b"".join(map(bytes.__add__, heads, frames)) + parallel._HEADER.pack(parallel._DONE, 0)
    sizes = [parallel._HEADER.size + len(frame) for frame in frames]
    sizes[3:3] = [parallel._HEADER.size]
    ends = list(itertools.accumulate(sizes))
    ends.append(len(stream))
    bounds = list(zip([0, *ends], ends, strict=False))  # each frame's [start, end)
    for cut in (1, 3, 16, 17, 100, 333, 4096, len(stream)):
        read_end, write_end = os.pipe()
        gatherer = parallel._Gatherer([read_end], pickle.loads, early=early, nonblocking=True)
        gatherer.pending[read_end] = Pending()
        Pending.copied = 0
        straddling = 0
        try:
            for start in range(0, len(stream), cut):
                end = min(start + cut, len(stream))
                os.write(write_end, stream[start:end])
                assert gatherer._read(read_end) == end - start
                begun = max([0, *(e for e in ends if e <= end)])
                assert bytes(gatherer.pending[read_end]) == stream[begun:end]
                straddling += sum(
                    min(end, last) - max(start, first)
                    for first, last in bounds
                    if first < end and last > start and not start <= first < last <= end
                )
            assert Pending.copied == straddling
            if cut == len(stream):
                assert straddling == 0
            os.close(write_end)
            write_end = -1
            assert gatherer.gather() == answers
        finally:
            gatherer.close()
            if write_end != -1:
                os.close(write_end)


def test_a_childs_shared_memo_is_forgotten_past_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A child's shared pickler forgets what it sent once its pickles add up to _MEMO_BYTES
    (its memo would hold every object it pickled), and tells the parent, whose unpickler of
    that child forgets too: the answers are the same, an object repeated after it arrives
    again (as a copy of its own)."""
    shared = ["in every answer"]

    def work(index: int) -> tuple[int, list[str]]:
        return index, shared

    monkeypatch.setattr(parallel, "_MEMO_BYTES", 1)  # forgotten after each answer
    answers = parallel.run_forked([0, 1, 2], 1, work, early=True, pack=list, unpack=tuple)
    assert answers == {0: (0, shared), 1: (1, shared), 2: (2, shared)}
    assert answers[0][1] is not answers[1][1]
    monkeypatch.setattr(parallel, "_MEMO_BYTES", 1 << 20)
    answers = parallel.run_forked([0, 1, 2], 1, work, early=True, pack=list, unpack=tuple)
    assert answers[0][1] is answers[1][1] is answers[2][1]


@pytest.mark.parametrize(("early", "own_loads"), [(True, False), (False, False), (True, True)])
def test_a_childs_answers_share_one_memo_when_taken_early(early: bool, own_loads: bool) -> None:
    """Taken as they come (``early``), a child's answers are pickled by one pickler and
    unpickled by one unpickler, whose memos last as long as the child: an object in several
    answers arrives once, as one object (a child's answers pickled apart, each has a copy of
    its own: kept till the end, or unpickled by the caller's ``loads``); ``pack`` and
    ``unpack`` make and undo what travels either way."""
    shared = ["in every answer"]

    def work(index: int) -> tuple[int, list[str]]:
        return index, shared

    options: dict[str, Any] = {"loads": pickle.loads} if own_loads else {}
    answers = parallel.run_forked(
        [0, 1, 2],
        1,
        work,
        early=early,
        pack=lambda answer: ("packed", answer),
        unpack=lambda packed: packed[1],
        **options,
    )
    if own_loads:  # (the caller's loads: the answers as pack made them)
        answers = {index: answer[1] for index, answer in answers.items()}
    assert {index: answer[0] for index, answer in answers.items()} == {0: 0, 1: 1, 2: 2}
    assert all(answer[1] == shared for answer in answers.values())
    one = answers[0][1] is answers[1][1] is answers[2][1]
    assert one == (early and not own_loads)


def test_shared_pickles_are_read_back_in_order() -> None:
    """A child's shared pickler (``_SharedDumps``) gives one pickle an answer, whole also
    where the pickler writes a large part apart (bytes past its 64 KB frames); what an
    earlier answer sent is named, not sent again, till the pickler forgets it; the parent's
    unpickler of that child (``_SharedLoads``) reads them back in order, ``pack`` and
    ``unpack`` undone, and forgets where the pickler did."""
    dumps = parallel._SharedDumps(lambda value: [value])
    text = "a message repeated from answer to answer " * 20
    large = bytes(range(256)) * 1024
    answers = [(text, 1), (text, large), (text, 3), (text, [text, "again", "again"])]
    pickles = [dumps(answer) for answer in answers[:3]]
    dumps.forget()
    pickles.append(dumps(answers[3]))
    assert len(pickles[2]) < len(text) < len(pickles[0])
    assert len(pickles[3]) > len(text)  # sent again once forgotten
    loads = parallel._SharedLoads(lambda packed: packed[0])
    back = [loads(memoryview(frame)) for frame in pickles[:3]]
    loads.forget()
    back.append(loads(memoryview(pickles[3])))
    assert back == answers
    assert back[0][0] is back[2][0] and back[3][0] is not back[0][0]
    assert back[3][1][0] is back[3][0]  # (what the pickle after the forgetting repeats)


def test_a_drain_reads_what_the_pipe_holds_past_its_smaller_buffer() -> None:
    """The parent that drains the pipes between its own items reads into a buffer smaller
    than the collector's (zeroed as it is made, right after the fork), and a drain reads on
    while a read fills it: every answer the pipe holds is taken by one drain, one larger
    than the buffer too."""
    fcntl = pytest.importorskip("fcntl")
    dumps = parallel._SharedDumps(None)
    answers = {index: ("answer", str(index) * 3000 * (1 + index % 5)) for index in range(40)}
    answers[40] = ("large", "z" * (3 * parallel._DRAIN_READ_SIZE))
    stream = bytearray()
    for index, answer in answers.items():
        payload = dumps(answer)
        stream += parallel._HEADER.pack(index, len(payload)) + payload
    assert len(stream) > 4 * parallel._DRAIN_READ_SIZE
    read_end, write_end = os.pipe()
    parallel._widen(write_end)
    gatherer = parallel._Gatherer(
        [read_end],
        pickle.loads,
        early=True,
        nonblocking=True,
        each=lambda: parallel._SharedLoads(None),
    )
    try:
        assert len(gatherer.scratch) == parallel._DRAIN_READ_SIZE < parallel._READ_SIZE
        if fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ) < len(stream):
            pytest.skip("the pipe cannot be widened here")
        os.write(write_end, stream)
        gatherer.drain()
        assert gatherer.answers == answers
    finally:
        os.close(write_end)
        gatherer.close()


def test_a_holding_sender_writes_a_batch_as_it_is_and_holds_what_the_pipe_cannot_take() -> None:
    """A worker whose parent drains its pipe between its own items (``_Sender`` with
    ``hold``) writes a batch straight from the batch where nothing is held (not copied into
    the held bytes first), holds only what the pipe has no room for, and keeps the order:
    what comes after a held part waits behind it, and every byte arrives once, in order."""
    copied: list[int] = []

    class Held(bytearray):
        def __iadd__(self, data: Any) -> Any:  # type: ignore[misc]
            copied.append(len(data))
            return super().__iadd__(data)

    read_end, write_end = os.pipe()
    sender = parallel._Sender(write_end, hold=True)
    sender.held = Held()
    received = bytearray()
    try:
        sender.send(b"a" * 1000)
        assert not sender.held and copied == []  # the pipe had room: written as it was
        room = 1 << 20  # more than a pipe holds unless widened
        big = bytes(range(256)) * (room // 256)
        sender.send(big)
        assert 0 < len(sender.held) < len(big)  # what the pipe could not take
        sender.send(b"tail")  # behind the held part
        assert sender.held.endswith(b"tail")
        os.set_blocking(read_end, False)
        while len(received) < 1000 + len(big) + 4:
            with contextlib.suppress(BlockingIOError):
                received += os.read(read_end, 1 << 16)
            sender.flush()
        assert bytes(received) == b"a" * 1000 + big + b"tail" and not sender.held
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_shorter_frame_is_read_over_the_longer_one_before_it() -> None:
    """The parent's unpickler of a child reads each frame from one memory file, written over
    the frames before it and never truncated (which shrank its buffer and grew it again, a
    reallocation a frame): a short frame after a long one reads back as it was sent, the long
    one's tail left after it unread."""
    dumps = parallel._SharedDumps(None)
    answers = [("long", "x" * 100_000), ("short", 1), ("long", "y" * 50_000), ("short", 2)]
    pickles = [dumps(answer) for answer in answers]
    loads = parallel._SharedLoads(None)
    for answer, frame in zip(answers, pickles, strict=True):
        assert loads(memoryview(frame)) == answer
        assert loads.stream.getbuffer().nbytes >= len(pickles[0])  # kept, not truncated


@settings(max_examples=examples(full=300, quick=80), deadline=None)
@given(
    answers=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 70_000), st.booleans()), max_size=8
    ),
    ending=st.sampled_from(["done", "forget-done", "failed", "cut"]),
    reads=st.lists(st.sampled_from([1, 2, 7, 15, 16, 17, 100, 4096, 65_536]), min_size=1),
)
def test_shared_answers_arrive_whole_however_framed_forgotten_and_cut(
    answers: list[tuple[int, int, bool]], ending: str, reads: list[int]
) -> None:
    """The child's side of the shared memo (``_SharedDumps``, a ``_FORGET`` header after any
    answer) and the parent's (``_Gatherer`` with a ``_SharedLoads`` a child), the stream cut
    by reads of any size: each answer arrives equal to what was sent, an object repeated
    since the last forgetting as one object, never one unpickled before it; a failure, or a
    stream cut short (a child killed mid-frame), is a WorkerFailed."""
    shared = [f"shared {n} " * 40 for n in range(6)]  # what answers repeat
    dumps = parallel._SharedDumps(None)
    stream = bytearray()
    sent: list[tuple[int, str, bytes]] = []
    for index, (which, size, forget) in enumerate(answers):
        sent.append((index, shared[which], bytes([index]) * size))
        payload = dumps(sent[-1])
        stream += parallel._HEADER.pack(index, len(payload)) + payload
        if forget:
            dumps.forget()
            stream += parallel._HEADER.pack(parallel._FORGET, 0)
    if ending == "failed":
        stream += parallel._HEADER.pack(-1, 4) + b"boom"
    elif ending == "cut":
        stream += parallel._HEADER.pack(len(answers), 100) + b"half"
    else:
        if ending == "forget-done":
            stream += parallel._HEADER.pack(parallel._FORGET, 0)
        stream += parallel._HEADER.pack(parallel._DONE, 0)
    read_end, write_end = os.pipe()
    gatherer = parallel._Gatherer(
        [read_end],
        pickle.loads,
        early=True,
        nonblocking=True,
        each=lambda: parallel._SharedLoads(None),
    )
    try:
        at = 0
        for size in itertools.cycle(reads):
            if at >= len(stream):
                break
            part = stream[at : at + size]
            os.write(write_end, part)
            at += len(part)
            while gatherer._read(read_end) > 0:
                pass
        os.close(write_end)
        write_end = -1
        if ending in ("failed", "cut"):
            with pytest.raises(parallel.WorkerFailed, match="boom" if ending == "failed" else None):
                gatherer.gather()
            return
        got = gatherer.gather()
    finally:
        gatherer.close()
        if write_end != -1:
            os.close(write_end)
    assert got == {index: answer for index, answer in enumerate(sent)}
    # one object from one forgetting to the next; a copy of its own past one
    last: dict[int, tuple[int, str]] = {}
    for index, (which, _, forget) in enumerate(answers):
        before = last.get(which)
        if before is not None:
            assert (got[index][1] is got[before[0]][1]) == (before[1] == "same")
        last[which] = (index, "same")
        if forget:
            last = {key: (place, "forgotten") for key, (place, _) in last.items()}


def test_small_inputs_are_unpickled_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """``load_files`` unpickles early when the items' sizes add up to UNPICKLE_EARLY_BYTES at
    most, and keeps the pickles till the end above it; the answers are the same."""
    seen: list[bool] = []
    run_forked = parallel.run_forked

    def recording(order: list[int], workers: int, work: Any, **options: Any) -> dict[int, Any]:
        seen.append(options["early"])
        return run_forked(order, workers, work, **options)

    monkeypatch.setattr(parallel, "run_forked", recording)
    monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", 300)
    items = list(range(6))
    for size in (50, 51):  # 6 x 50 = 300: early; 306: kept till the end
        assert parallel.load_files(items, [size] * 6, 2, lambda i: [i] * 3) == [
            [i] * 3 for i in items
        ]
    assert seen == [True, False]


def test_workers_send_their_answers_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker writes its small answers a batch at a time, not one by one: the parent reads
    2 MB of 10 KB answers, made 2 ms apart, in a few reads (one by one: a read for each), and
    gets them all, also the large ones (written as they are) between them."""
    import time

    def slow(index: int) -> bytes:
        time.sleep(0.002)
        return bytes([index]) * 10_000

    reads = 0
    readv = os.readv

    def counting(fd: int, buffers: Any) -> int:
        nonlocal reads
        reads += 1
        return readv(fd, buffers)

    monkeypatch.setattr(os, "readv", counting)
    result = parallel.map_forked(list(range(200)), [1] * 200, 1, slow)
    assert result == [bytes([i]) * 10_000 for i in range(200)]
    assert reads < 60
    sizes = [10_000 if i % 50 else 600_000 for i in range(200)]
    result = parallel.map_forked(list(range(200)), [1] * 200, 2, lambda i: b"x" * sizes[i])
    assert [len(r) for r in result] == sizes


def test_annotations_and_comments_hide_the_same_findings_in_parallel(tmp_path: Path) -> None:
    """The workers read the objects' ignore annotations and keep only reported findings; an
    object's findings of the deferred checks (found by the parent alone) are hidden by its
    annotation, also where the file's text does not spell it (an escaped key: the worker
    had no finding to read it for), a comment hides either kind, and the unused ones are
    reported alike."""
    folder = generated(tmp_path / "in", copies=3)
    (folder / "team0" / "app0" / "escaped.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: nothing\n"
        '  annotations: {"kpolicy.io\\x2fignore": service-selector-no-match}\n'
        "spec:\n  selector: {app: none}\n  ports: [{port: 80}]\n"
    )
    (folder / "team0" / "app0" / "hidden.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: annotated\n"
        "  annotations: {kpolicy.io/ignore: 'service-selector-no-match,selector-overlap'}\n"
        "spec:\n  selector: {app: none}\n  ports: [{port: 80}]\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: commented}\nspec:\n"
        "  selector: {app: none}  # kpolicy: ignore[service-selector-no-match]\n"
        "  ports: [{port: 80}]\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: latest\n"
        "  annotations: {kpolicy.io/ignore: image-tag-missing-or-latest}\n"
        "spec:\n  containers: [{name: c, image: 'x:latest'}]\n"
    )
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial
    found = json.loads(serial[0])
    hidden = {(d["object"]["name"], d["rule"]) for d in found.get("suppressed", ())}
    assert {
        ("nothing", "service-selector-no-match"),
        ("annotated", "service-selector-no-match"),
        ("commented", "service-selector-no-match"),
        ("latest", "image-tag-missing-or-latest"),
    } <= hidden
    unused = [d for d in found["diagnostics"] if d["rule"] == "unused-suppression"]
    assert any("selector-overlap" in d["message"] for d in unused)


WORKLOAD_WITH_ENV = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: envy}
spec:
  selector:
    matchLabels: {app: envy}
  template:
    metadata:
      labels: {app: envy}
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
        command: [sh, -c, "true"]
      containers:
      - name: c
        image: nginx:1.25
        env:
        - {name: A, value: "1"}
        - {name: A, value: "2"}
        envFrom: [{configMapRef: {name: settings}}]
        args: [--port, "80"]
        ports: [{containerPort: 80}]
"""


def test_the_parent_keeps_workloads_without_what_none_of_its_checks_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workload of a large input reaches the parent without its containers' env, envFrom,
    command and args: each holds NOT_KEPT (whose reading raises NotKeptWhole) at its own
    position, with nothing under it; the findings on them (env-var-duplicate) are the
    workers', and the output is the serial run's. A small input's workload (the parent takes
    the answers as they come, far from its peak of memory) reaches it whole."""
    from kpolicy.index import NOT_KEPT, NotKeptWhole
    from kpolicy.lint.run import UNREAD_CONTAINER_FIELDS

    folder = generated(tmp_path / "in", copies=3)
    (folder / "envy.yaml").write_text(WORKLOAD_WITH_ENV)
    seen = _objects_checked(monkeypatch)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial, _ = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    whole = next(o for o in seen if o.name == "envy")
    seen.clear()
    parallel_run, _ = report(LintOptions(**{**options.__dict__, "jobs": 2}))
    assert parallel_run == serial
    small = next(o for o in seen if o.name == "envy")
    assert small.data == whole.data and small.positions.entries == whole.positions.entries
    seen.clear()
    monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", 0)  # a large input
    parallel_run, _ = report(LintOptions(**{**options.__dict__, "jobs": 2}))
    assert parallel_run == serial
    assert any(
        d["rule"] == "env-var-duplicate" and d["file"].endswith("envy.yaml")
        for d in json.loads(serial)["diagnostics"]
    )
    envy = next(o for o in seen if o.name == "envy")
    pod = envy.data["spec"]["template"]["spec"]
    container, init = pod["containers"][0], pod["initContainers"][0]
    dropped = [("containers", 0, key) for key in ("env", "envFrom", "args")]
    dropped.append(("initContainers", 0, "command"))
    for field, position, key in dropped:
        assert key in UNREAD_CONTAINER_FIELDS
        assert pod[field][position][key] is NOT_KEPT
        path = ("spec", "template", "spec", field, position, key)
        assert envy.span(path) == whole.span(path)
        assert envy.positions.lookup("/" + "/".join(map(str, (*path, 0)))) is None
    with pytest.raises(NotKeptWhole):
        list(container["env"])
    with pytest.raises(NotKeptWhole):
        len(init["command"])
    # what the parent's checks read is there, at its place
    assert container["ports"] == [{"containerPort": 80}]
    port = ("spec", "template", "spec", "containers", 0, "ports", 0, "containerPort")
    assert envy.span(port) == whole.span(port)
    # the serial run of an input this small keeps everything
    assert whole.data["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "1"


def test_not_kept_refuses_to_be_read_and_pickles_as_itself() -> None:
    from kpolicy.index import NOT_KEPT, NotKeptWhole

    assert pickle.loads(pickle.dumps(NOT_KEPT, protocol=pickle.HIGHEST_PROTOCOL)) is NOT_KEPT
    for read in (len, bool, list, lambda v: v[0], lambda v: "x" in v):
        with pytest.raises(NotKeptWhole):
            read(NOT_KEPT)


def test_a_workload_without_unread_fields_resolves_as_the_whole_outside_them() -> None:
    from kpolicy.index import NOT_KEPT
    from kpolicy.lint.run import without_unread

    text = (
        "kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - name: a\n    env:\n    - {name: X, value: '1'}\n    image: i\n"
        "  - name: b\n    args: [x, y]\n    command: [sh]\n    ports: [{containerPort: 1}]\n"
    )
    obj = load_text(SourceFile("t.yaml", text), Limits()).objects[0]
    slim = without_unread(obj)
    full = obj.positions.entries
    containers = slim.data["spec"]["containers"]
    assert [sorted(k for k, v in c.items() if v is NOT_KEPT) for c in containers] == [
        ["env"],
        ["args", "command"],
    ]
    assert not slim.plain
    # the document read is left as it is (a copy of the nodes above what is dropped)
    assert obj.data["spec"]["containers"][0]["env"] == [{"name": "X", "value": "1"}]
    under = ("/spec/containers/0/env/", "/spec/containers/1/args/", "/spec/containers/1/command/")
    assert slim.positions.entries == {p: e for p, e in full.items() if not p.startswith(under)}
    # a chart template's object, or a kind: List item, is kept as it is
    listed = load_text(
        SourceFile("l.yaml", "apiVersion: v1\nkind: List\nitems:\n- " + text.replace("\n", "\n  ")),
        Limits(),
    ).objects[0]
    assert listed.kind == "Pod" and without_unread(listed) is listed


def test_lines_rendered_by_the_workers_are_the_report_of_the_parent(tmp_path: Path) -> None:
    """The JSON lines the workers render (``json_lines``) make the report that the parent makes
    rendering them itself, also where the findings change after the workers: severities the
    config overrides, findings a comment, an annotation, an exemption or the baseline hides,
    findings of checks deferred to the parent and ``--context`` findings shown on a file."""
    from kpolicy.baseline import write_baseline

    folder = generated(tmp_path / "in", copies=3)
    (folder / "hidden.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hidden\n"
        "  annotations: {kpolicy.io/ignore: image-tag-missing-or-latest}\n"
        "spec:\n  containers:\n  - name: c\n    image: 'x:latest'\n"
        "    resources: {limits: {cpu: 2Gb}}  # kpolicy: ignore[all] -- testing\n"
    )
    config = tmp_path / "kpolicy.yaml"
    config.write_text(
        "rules:\n  toleration-invalid: warning\n  rolling-update-invalid: info\n"
        "exemptions:\n  - rules: [selector-mismatch]\n    names: [web]\n    reason: testing\n"
    )
    context = tmp_path / "context"
    context.mkdir()
    (context / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: ctx}\nspec: {selector: {app: app1}}\n"
    )
    base = LintOptions(
        paths=[str(folder)],
        context=[str(context)],
        config_path=config,
        use_config_discovery=False,
        cwd=tmp_path,
    )
    first, _ = lint(base, build_session(base))
    baseline = tmp_path / "baseline.json"
    write_baseline(baseline, first.diagnostics[::3], tmp_path)
    options = replace(base, baseline=baseline)

    def run(jobs: int, json_lines: bool) -> tuple[str, Any]:
        chosen = replace(options, jobs=jobs, json_lines=json_lines)
        session = build_session(chosen)
        result, _ = lint(chosen, session)
        out = io.StringIO()
        ctx = ReportContext(rules=session.rules, tool_version="test", show_suppressed=True)
        writer("json")(result, ctx, out)
        return out.getvalue(), result

    expected, general = run(1, False)
    assert general.lines is None
    text, fast = run(2, True)
    assert text == expected
    assert run(2, False)[0] == expected
    # the workers' lines were taken for most findings, and findings changed after the workers
    # were there to be rendered again
    assert fast.lines is not None and fast.lines[0] is fast.diagnostics
    taken = [line for line in fast.lines[1] if line.__class__ is str]
    assert len(fast.diagnostics) // 2 < len(taken) < len(fast.diagnostics)
    report_json = json.loads(text)
    kinds = {d["suppressedBy"] for d in report_json["suppressed"]}
    assert {"comment", "annotation", "exemption"} <= kinds
    assert report_json["baselined"]
    severities = {d["rule"]: d["severity"] for d in report_json["diagnostics"]}
    assert severities.get("toleration-invalid", "warning") == "warning"
    assert "info" in severities.values()


def test_a_rendered_line_is_the_report_of_its_very_finding_only() -> None:
    """A line the workers rendered stands for the finding at its place (a finding itself
    there is rendered when written), and only while the result's findings are those the
    lines were made for (the same findings, or the very tuple): else every line is rendered
    again."""
    from kpolicy.model import Diagnostic, LintResult, Severity, Span, Summary

    found = Diagnostic(
        "image-tag-latest", Severity.WARNING, "m", "a.yaml", Span(1, 1, 1, 2), "", None
    )
    changed = replace(found, severity=Severity.ERROR)
    summary = Summary(files=1, documents=1, objects=1, errors=1, warnings=1, infos=0, suppressed=0)
    diagnostics = (found, changed)

    def written(result: LintResult) -> list[Any]:
        out = io.StringIO()
        writer("json")(result, ReportContext(rules={}, tool_version="test"), out)
        return list(json.loads(out.getvalue())["diagnostics"])

    stand_in = '{"stand-in": 1}'
    result = LintResult(diagnostics, (), summary, "1.33", lines=(diagnostics, [stand_in, changed]))
    lines = written(result)
    assert lines[0] == {"stand-in": 1}
    assert lines[1]["severity"] == "error" and lines[1]["rule"] == "image-tag-latest"
    # the same findings in another tuple
    again = replace(result, lines=((found, changed), [stand_in, stand_in]))
    assert written(again) == [{"stand-in": 1}] * 2
    # other findings, or another number of them: every line rendered
    general = written(replace(result, lines=None))
    assert general[0]["severity"] == "warning"
    for other in ((changed, found), (found,), (found, changed, found)):
        assert written(replace(result, lines=(other, [stand_in] * len(other)))) == general
    assert written(replace(result, lines=(diagnostics, [stand_in]))) == general


def test_findings_in_report_order_are_those_of_one_stable_sort() -> None:
    """:func:`kpolicy.lint.check.in_report_order` gives what one stable sort of every finding
    by the report's key gives, equal keys in their order too, or None where it cannot."""
    import random

    from kpolicy.lint.check import in_report_order
    from kpolicy.model import SORT_KEY, Diagnostic, ObjectRef, Severity, Span

    ref = ObjectRef("v1", "Pod", "ns", "p")
    rng = random.Random(7)
    files = ["a.yaml", "a/b.yaml", "a0.yaml", "b.yaml"]
    for _ in range(200):
        blocks: list[tuple[str, list[Diagnostic], bool]] = []
        for file in files:
            found = [
                Diagnostic(
                    rng.choice(("r1", "r2")),
                    rng.choice(list(Severity)),
                    rng.choice(("m1", "m2")),
                    file,
                    Span(rng.randint(1, 3), rng.randint(1, 2), 9, rng.randint(1, 9)),
                    f"/{index}",  # equal keys, different findings
                    ref,
                )
                for index in range(rng.randint(0, 12))
            ]
            ordered = rng.random() < 0.5
            if ordered:
                found.sort(key=SORT_KEY)
            blocks.append((file, found, ordered))
        everything = [d for _, found, _ in blocks for d in found]
        expected = sorted(everything, key=SORT_KEY)
        merged = in_report_order(blocks)
        assert merged is not None
        assert [id(d) for d in merged] == [id(d) for d in expected]
        assert [d.path for d in merged] == [d.path for d in expected]
    # files out of order, or a finding on another file: the caller sorts them all
    one = Diagnostic("r", Severity.ERROR, "m", "b.yaml", Span(1, 1, 1, 1), "", ref)
    other = replace(one, file="a.yaml")
    assert in_report_order([("b.yaml", [one], True), ("a.yaml", [other], True)]) is None
    assert in_report_order([("b.yaml", [one], False), ("b.yaml", [one], False)]) is None
    assert in_report_order([("b.yaml", [one, other], False)]) is None
    assert in_report_order([("a.yaml", [], True), ("b.yaml", [one], False)]) == [one]


def test_findings_not_in_order_are_sorted_by_sort_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A block not in the report's order (a serial run's every file) is sorted by
    :func:`kpolicy.model.sort_findings` (in C where the extension is built), a copy of it:
    the order of one stable sort by SORT_KEY, the block's own list as it was."""
    import kpolicy.lint.check as lint_check
    from kpolicy.model import SORT_KEY, Diagnostic, ObjectRef, Severity, Span, sort_findings

    sorted_lists: list[list[Diagnostic]] = []

    def counted(found: list[Diagnostic]) -> None:
        sorted_lists.append(found)
        sort_findings(found)

    monkeypatch.setattr(lint_check, "sort_findings", counted)
    ref = ObjectRef("v1", "Pod", "ns", "p")
    found = [
        Diagnostic(rule, Severity.ERROR, "m", "a.yaml", Span(line, 1, line, 2), f"/{n}", ref)
        for n, (rule, line) in enumerate([("r2", 3), ("r1", 3), ("r1", 1), ("r2", 3), ("r0", 2)])
    ]
    given = [*found]
    merged = lint_check.in_report_order([("a.yaml", found, False)])
    assert merged == sorted(found, key=SORT_KEY)
    assert [d.path for d in merged] == ["/2", "/4", "/1", "/0", "/3"]
    assert sorted_lists == [merged] and sorted_lists[0] is not found
    assert found == given


def test_a_parallel_run_takes_the_findings_in_the_order_the_workers_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers put each file's findings in the report's order: the parent takes them so,
    without sorting them again, and reports what a serial run does."""
    import kpolicy.lint.check as lint_check

    folder = generated(tmp_path / "in")
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial = report(replace(options, jobs=1))
    seen: list[tuple[list[bool], bool]] = []
    original = lint_check.in_report_order

    def spy(blocks: Any) -> Any:
        merged = original(blocks)
        seen.append(([ordered for _, found, ordered in blocks if found], merged is not None))
        return merged

    monkeypatch.setattr(lint_check, "in_report_order", spy)
    assert report(replace(options, jobs=2)) == serial
    ((flags, merged),) = seen
    assert merged
    # the files whose findings changed in the parent (deferred checks' findings) alone are
    # sorted again
    assert sum(flags) > len(flags) // 2


def _no_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make starting a thread fail the test."""
    import threading

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a thread was started")

    monkeypatch.setattr(threading.Thread, "start", refuse)


def test_a_parent_that_unpickles_early_gathers_between_its_items_with_no_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``early`` with the parent as a worker: the queue is written before the fork and the
    parent reads the child's answers between its own items, so no thread is started (neither
    a feeder nor a collector); the answers are those of the collector thread's path."""
    import time

    def work(index: int) -> list[int]:
        time.sleep(0.002)  # both processes take items
        return [index] * 2_000  # answers that fill the pipe many times over

    order = list(range(200))
    threaded = parallel.run_forked(order, 2, work, parent=work, early=False)
    _no_threads(monkeypatch)
    inline = parallel.run_forked(order, 2, work, parent=work, early=True)
    assert inline == threaded == {index: [index] * 2_000 for index in order}
    with pytest.raises(AssertionError, match="a thread was started"):
        parallel.run_forked(order, 2, work, parent=work, early=False)


def test_a_queue_larger_than_its_pipe_is_fed_by_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the pipe cannot hold the whole queue, a thread writes it: every item is still
    taken once (the path of a queue written at once is the test above)."""
    monkeypatch.setattr(parallel, "_queue", lambda fd, order: False)
    order = list(range(3_000))
    answers = parallel.run_forked(order, 2, lambda i: i * 2, parent=lambda i: i * 2, early=True)
    assert answers == {i: i * 2 for i in order}
    _no_threads(monkeypatch)
    with pytest.raises(AssertionError, match="a thread was started"):
        parallel.run_forked(order, 2, lambda i: i, parent=lambda i: i, early=True)


def test_a_child_never_waits_for_a_parent_busy_with_its_own_item(tmp_path: Path) -> None:
    """The parent reads the child's pipe only between its own items: a child whose answers
    outgrow the pipe while the parent is busy holds them and works on. Here the parent's one
    item waits for the child to finish every other item (5 MB of answers, five times what the
    pipe holds): a child that waited for room in the pipe would never finish."""
    import time

    finished = tmp_path / "finished"
    done = tmp_path / "done"
    done.mkdir()
    parent_pid = os.getpid()
    items = 50

    def work(index: int) -> bytes:
        if os.getpid() == parent_pid:
            deadline = time.monotonic() + 30
            while not finished.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            return b"parent" if finished.exists() else b"timed out"
        answer = bytes([index]) * 100_000
        (done / str(index)).touch()
        if len(list(done.iterdir())) == items - 1:  # every item but the parent's one
            finished.touch()
        return answer

    answers = parallel.run_forked(list(range(items)), 2, work, parent=work, early=True)
    mine = [index for index, answer in answers.items() if len(answer) < 100]
    assert len(mine) == 1 and answers[mine[0]] == b"parent"
    assert all(answers[i] == bytes([i]) * 100_000 for i in answers if i not in mine)


def test_a_child_failure_stops_a_parent_gathering_between_its_items() -> None:
    """A child's failure, read between the parent's items, ends the run's parallel part as a
    collector thread's would (:class:`parallel.WorkerFailed`, the caller runs serially)."""
    import time

    parent_pid = os.getpid()

    def work(index: int) -> int:
        if os.getpid() != parent_pid:
            raise RuntimeError("a child fails")
        time.sleep(0.005)
        return index

    with pytest.raises(parallel.WorkerFailed, match="a child fails"):
        parallel.run_forked(list(range(200)), 2, work, parent=work, early=True)


@pytest.mark.parametrize("early", [True, False])
def test_a_child_killed_by_a_signal_is_told_whichever_way_the_parent_gathers(
    early: bool,
) -> None:
    """A child that a signal ends (the out-of-memory killer's SIGKILL) is a
    :class:`parallel.WorkerKilled` naming the signal, read between the parent's items
    (``early``) or by the collector thread; a child that leaves without its last frame is a
    :class:`parallel.WorkerFailed`. Either way the parent stops taking items once it knows:
    it does not work through the rest of the queue alone."""
    import signal
    import time

    parent_pid = os.getpid()
    items = 100
    taken: list[int] = []  # the parent's

    def work(index: int) -> int:
        if os.getpid() != parent_pid:
            os.kill(os.getpid(), signal.SIGKILL)  # the child's first item
        taken.append(index)
        time.sleep(0.005)
        return index

    with pytest.raises(parallel.WorkerKilled, match="killed by SIGKILL"):
        parallel.run_forked(list(range(items)), 2, work, parent=work, early=early)
    assert len(taken) < items // 2

    def leaves(index: int) -> int:
        if os.getpid() != parent_pid:
            os._exit(0)  # no frame, no failure
        taken.append(index)
        time.sleep(0.005)
        return index

    taken.clear()
    with pytest.raises(parallel.WorkerFailed, match="a worker died"):
        parallel.run_forked(list(range(items)), 2, leaves, parent=leaves, early=early)
    assert len(taken) < items // 2


def test_the_parallel_lint_is_the_same_whichever_way_the_parent_gathers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lint of a large input, its answers gathered between the parent's items (a small
    input's way) and by a collector thread (a large input's way, UNPICKLE_EARLY_BYTES
    lowered), is the serial lint, byte for byte."""
    folder = generated(tmp_path / "in", copies=4)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    ways: list[bool] = []
    run_forked = parallel.run_forked

    def recording(order: list[int], workers: int, work: Any, **named: Any) -> dict[int, Any]:
        ways.append(named["early"] and named["parent"] is not None)
        return run_forked(order, workers, work, **named)

    monkeypatch.setattr(parallel, "run_forked", recording)
    monkeypatch.setattr(lint_run, "_large", lambda sizes: True)
    parallel_options = LintOptions(**{**options.__dict__, "jobs": 2})
    assert report(parallel_options) == serial
    monkeypatch.setattr(parallel, "UNPICKLE_EARLY_BYTES", 0)
    assert report(parallel_options) == serial
    assert ways == [True, False]


def test_findings_rebuilt_from_their_tuples_are_the_records_the_classes_make(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The parent rebuilds a worker's findings by the C extension (``flat_findings``, setting
    the records' slots), else through their open twins (``lint.run._findings``): each is, field by field and by class, the
    finding the general way makes (the classes called, ``_findings_by_call``), its object the
    ref given where the tuple says True; and the fast way is the one taken (it falls back to
    the general one only where Span or Diagnostic changed its fields)."""
    from kpolicy.model import Diagnostic, ObjectRef, Severity, Span
    from kpolicy.records import fields

    ref = ObjectRef("apps/v1", "Deployment", "ns", "web")
    whole = Diagnostic(
        "r", Severity.INFO, "m", "f.yaml", Span(1, 1, 1, 2), "/a", None, fix=None, rejects=True
    )
    flat: list[Any] = [
        *("rule-a", Severity.ERROR, "a message", "a.yaml", 3, 5, 3, 9, "/spec/x", ref, False),
        *("rule-b", Severity.WARNING, "b", "b.yaml", 1, 1, 2, 1, "", None, True),
        whole,
    ]
    general = lint_run._findings_by_call(flat)
    assert all(lint_run._twins())  # the fast way is taken
    fast = lint_run._findings(flat)
    makers = lint_run._slot_makers()
    built = not os.environ.get("KPOLICY_PURE_PYTHON") and any(
        next((ROOT / "kpolicy").glob(pattern), None) for pattern in ("_cload*.so", "_cload*.pyd")
    )
    assert (makers is not None) == built  # the extension's flat_findings, where it is built
    own = ["rule-c", Severity.ERROR, "c", "c.yaml", 1, 2, 3, 4, "/c", True, False]
    assert lint_run._findings(own, ref) == lint_run._findings_by_call(own, ref)
    assert lint_run._findings(own, ref)[0].object is ref  # True: the object's own ref
    if makers is not None:
        with pytest.raises(TypeError):
            makers[0](["rule-d", Severity.INFO], ref, makers[1], makers[2])
    monkeypatch.setattr(lint_run, "_MAKERS", [None])  # where it is not built: the twins
    by_twins = lint_run._findings(flat)
    assert fast[2] is whole and general[2] is whole and by_twins[2] is whole
    for made, expected in [
        *zip(fast, general, strict=True),
        *zip(by_twins, general, strict=True),
    ]:
        assert type(made) is type(expected) is Diagnostic
        assert type(made.span) is Span
        for f in fields(Diagnostic):
            assert getattr(made, f.name) == getattr(expected, f.name), f.name
        assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
        assert pickle.loads(pickle.dumps(made)) == expected
    # the fields it sets are the records' own, in their order
    assert tuple(f.name for f in fields(Span)) == lint_run.SPAN_FIELDS
    assert tuple(f.name for f in fields(Diagnostic)) == lint_run.DIAGNOSTIC_FIELDS
    with pytest.raises(AttributeError):
        fast[0].rule = "changed"  # type: ignore[misc]  # frozen again


def test_a_workers_findings_are_sent_as_flat_fields_makes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker sends an object's findings in one list (``lint.run._flat_fields``): each
    finding's fields (``_flat``'s tuple, its object True where it is the object's ref) in a
    row, its rule first; a finding where a field beyond those is set, or whose rule is not a
    str, as itself. The C extension's ``finding_fields`` (read from the records' slots) makes
    the same list where it is built; None, where a finding is not exactly a Diagnostic of
    Span, leaves the list to ``_flat_fields``. ``_pack`` takes that way; the parent's findings
    are the worker's."""
    from kpolicy.lint.run import LocalFindings
    from kpolicy.model import Diagnostic, Fix, ObjectRef, RelatedLocation, Severity, Span

    class Rule(str):
        pass

    ref = ObjectRef("apps/v1", "Deployment", "ns", "web")
    other = ObjectRef("v1", "Secret", "ns", "s")
    plain = Diagnostic("r", Severity.ERROR, "m", "a.yaml", Span(1, 2, 3, 4), "/spec", ref)
    found = [
        plain,
        replace(plain, object=other, rejects=True),
        replace(plain, object=None, severity=Severity.INFO),
        replace(plain, related=(RelatedLocation("b.yaml", Span(5, 1, 5, 2), "why", ref),)),
        replace(plain, fix=Fix("fix it", ())),
        replace(plain, rule=Rule("odd-rule")),
        replace(plain, origin=None, found_at=None, path=""),
    ]
    expected: list[Any] = []
    for diag in found:
        flat: Any = lint_run._flat(diag, ref)
        whole = type(flat) is not tuple or type(flat[0]) is not str
        expected += [diag] if whole else flat
    assert lint_run._flat_fields(found, ref) == expected
    assert len(expected) == 4 * 11 + 3 and expected[9] is True and expected[20] is other
    assert lint_run._findings(expected, ref) == found
    makers = lint_run._slot_makers()
    if makers is None or makers[3] is None:
        pytest.skip("the C extension is not built (or KPOLICY_PURE_PYTHON is set)")
    by_slots, span_slots, diag_slots = makers[3], makers[1], makers[2]
    made = by_slots(found, ref, span_slots, diag_slots)
    assert made == expected and all(a is b for a, b in zip(made, expected, strict=True))
    assert by_slots([], ref, span_slots, diag_slots) == []

    class Finding(Diagnostic):  # (not exactly a Diagnostic: left to _flat_fields)
        __slots__ = ()

    odd = Finding("r", Severity.ERROR, "m", "a.yaml", Span(1, 2, 3, 4), "/spec", ref)
    assert by_slots([plain, odd], ref, span_slots, diag_slots) is None
    with pytest.raises(TypeError):
        by_slots(found, ref, diag_slots, span_slots)
    # _pack sends what _flat_fields makes, by finding_fields
    loaded = load_text(SourceFile("web.yaml", (ROOT / "examples" / "web.yaml").read_text()))
    mine = replace(plain, object=loaded.objects[0].ref)
    local = LocalFindings((([mine, *found], (), None), ([odd], (), None)), ())
    calls: list[int] = []

    def counted(*args: Any) -> Any:
        calls.append(len(args[0]))
        return by_slots(*args)

    monkeypatch.setattr(lint_run, "_MAKERS", [(*makers[:3], counted)])
    packed = lint_run._pack((loaded, local))
    assert calls == [len(found) + 1, 1]
    sent = packed[1][0]  # type: ignore[index]
    assert sent[0][0] == lint_run._flat_fields([mine, *found], loaded.objects[0].ref)
    assert sent[1][0] == lint_run._flat_fields([odd], loaded.objects[1].ref)
    _, back = lint_run._unpack(packed)  # (a local class: not pickled here)
    assert back is not None and back.per_object[0] == local.per_object[0]


_FLAT_FINDINGS_CHANGED = """
import gc, sys
from kpolicy.lint import run as lint_run
from kpolicy.model import Severity
makers = lint_run._slot_makers()
if makers is None:
    print("no extension")
    sys.exit(0)
flat = [
    *("rule-a", Severity.ERROR, "a" * 50, "a.yaml", 3, 5, 3, 9, "/spec/x", None, False),
    *("rule-b", Severity.ERROR, "b" * 50, "b.yaml", 3, 5, 3, 9, "/spec/x", None, False),
]

class Clear:  # a finalizer run by a collection that an allocation of a record starts
    def __del__(self) -> None:
        flat.clear()

garbage = Clear()
garbage.cycle = garbage
del garbage
gc.enable()
gc.set_threshold(1)
try:
    makers[0](flat, None, makers[1], makers[2])
except RuntimeError as exc:
    print("refused:", exc)
"""


def test_flat_findings_holds_its_items_while_it_allocates() -> None:
    """The C ``flat_findings`` holds each item of the list while it allocates that item's
    records: an allocation may start a collection whose finalizer empties the list, which
    freed the item under it (and read past the list's end); it now refuses a list that
    changed size. In a process of its own: without the hold the interpreter crashes."""
    done = subprocess.run(
        [sys.executable, "-c", _FLAT_FINDINGS_CHANGED],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    if done.stdout.strip() == "no extension":
        pytest.skip("the C extension is not built (or KPOLICY_PURE_PYTHON is set)")
    assert done.stdout.strip() == "refused: flat_findings: the list changed size"


def _fixture_folders() -> list[Path]:
    return sorted(p for p in (ROOT / "tests" / "rules").iterdir() if p.is_dir())


def test_the_parent_reads_nothing_a_slimmed_object_leaves_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every fixture folder (with its config, ``context/`` and ``nodes.yaml``) and the examples
    linted twice, serially: with every object whole, and through the local pass that keeps the
    objects as the workers send them (``lint.run._kept``: by their names only, or without
    their containers' unread fields), where the parent's deferred checks, index, suppressions
    and schemas of custom kinds then read them. A field the parent reads that a slimmed object
    leaves out is a different report (or an internal-error); the slimming is counted so that
    the test fails when it is not taken."""
    slimmed: list[int] = []
    slim = lint_run._slim

    def counting(obj: Any, deferred: tuple[int, ...], whole: frozenset[str]) -> Any:
        kept = slim(obj, deferred, whole)
        slimmed.append(kept is not obj)
        return kept

    monkeypatch.setattr(lint_run, "_slim", counting)
    # as on an input too large for the parent to keep the unread fields (a small one keeps them)
    monkeypatch.setattr(lint_run, "_renders", lambda total: False)
    folders = [*_fixture_folders(), ROOT / "examples"]
    for folder in folders:
        files = sorted(str(p) for p in folder.glob("*.yaml") if p.name != "nodes.yaml")
        if len(files) < 2:
            continue
        context = folder / "context"
        nodes = folder / "nodes.yaml"
        config = folder / ".kpolicy.yaml"
        options = LintOptions(
            paths=files,
            context=[str(context)] if context.is_dir() else [],
            nodes_file=nodes if nodes.is_file() else None,
            config_path=config if config.is_file() else None,
            use_config_discovery=False,
            jobs=1,
        )
        monkeypatch.setattr(lint_run, "_large", lambda sizes: False)
        whole = report(options)
        monkeypatch.setattr(lint_run, "_large", lambda sizes: True)
        assert report(options) == whole, folder.name
        assert "internal-error" not in whole[0], folder.name
    assert sum(slimmed) >= 40, sum(slimmed)


def test_an_object_travels_as_the_call_of_its_class_with_every_field() -> None:
    """A worker's objects pickle as ``KObject(*fields)`` (``KObject.__reduce__``, cheaper than
    the slots' state dict pickle makes by default): every field of the record, in the order
    it declares them, so that an unpickled object is the one sent, field by field."""
    from kpolicy.model import KObject
    from kpolicy.records import fields

    text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: a}}\n"
    loaded = load_text(SourceFile("a.yaml", text, True), Limits(), keep_text=False)
    obj = replace(loaded.objects[0], template="t.yaml", patch=True, plain=True)
    reduced = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    assert isinstance(reduced, tuple)
    how, args = reduced[:2]
    assert how is KObject
    assert args == tuple(getattr(obj, f.name) for f in fields(KObject))
    back = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    for f in fields(KObject):
        assert getattr(back, f.name) == getattr(obj, f.name), f.name
    assert back.base == "/items/0"


def test_workers_lines_make_the_serial_report_when_files_interleave_or_a_worker_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers' lines (``LintResult.lines``) are taken where the findings come in the
    order of their files, and also where the files' findings interleave in the report's order
    (``zz.yaml`` is read before ``team0/...``, a folder's files before its folders, but sorts
    after it: one sort of them all), and
    the report is the serial run's; where a worker fails, the serial run's, without them."""
    import kpolicy.lint.check as lint_check

    folder = generated(tmp_path / "in", copies=3)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False, json_lines=True)
    orders: list[bool] = []
    real_order = lint_check.in_report_order

    def recorded(blocks: Any) -> Any:
        merged = real_order(blocks)
        orders.append(merged is not None)
        return merged

    monkeypatch.setattr(lint_check, "in_report_order", recorded)

    def run(jobs: int, json_lines: bool = True) -> tuple[str, Any]:
        chosen = replace(options, jobs=jobs, json_lines=json_lines)
        session = build_session(chosen)
        result, _ = lint(chosen, session)
        out = io.StringIO()
        writer("json")(result, ReportContext(rules=session.rules, tool_version="test"), out)
        return out.getvalue(), result

    def taken(result: Any) -> int:
        assert result.lines is not None and result.lines[0] is result.diagnostics
        return sum(1 for line in result.lines[1] if line.__class__ is str)

    expected = run(1, False)[0]
    text, fast = run(2)
    assert text == expected and orders[-1] is True
    assert len(fast.diagnostics) // 2 < taken(fast) < len(fast.diagnostics)
    (folder / "zz.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: early}\n"
        "spec:\n  containers: [{name: c, image: 'x:latest'}]\n"
    )
    expected = run(1, False)[0]
    text, fast = run(2)
    assert text == expected and orders[-1] is False
    assert len(fast.diagnostics) // 2 < taken(fast) < len(fast.diagnostics)
    parent = os.getpid()
    real_read = lint_run.read_input

    def read_in_parent_only(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            raise RuntimeError("a worker fails")
        return real_read(*args, **kwargs)

    monkeypatch.setattr(lint_run, "read_input", read_in_parent_only)
    text, failed = run(2)
    assert text == expected and failed.lines is None


def test_lines_of_findings_sorted_again_are_found_by_their_identity() -> None:
    """``check._lines_in_order``: a block taken as it is keeps its lines, a block sorted again
    (not in the report's order) has each finding's line by its identity, and a finding of no
    block's (or one without a line) stands for itself; ``check._lines_of`` alike over a run
    sorted whole."""
    from kpolicy.lint.check import _lines_in_order, _lines_of, in_report_order
    from kpolicy.model import Diagnostic, Severity, Span

    def finding(file: str, line: int) -> Diagnostic:
        return Diagnostic("r", Severity.INFO, "m", file, Span(line, 1, line, 2), "/a", None)

    a1, a2, b1, b2, b3 = (finding("a", 1), finding("a", 2), *(finding("b", n) for n in (1, 2, 3)))
    blocks = [("a", [a1, a2], True), ("b", [b3, b1, b2], False)]
    lines: list[list[str | Diagnostic] | None] = [["la1", "la2"], ["lb3", b1, "lb2"]]
    merged = in_report_order(blocks)
    assert merged == [a1, a2, b1, b2, b3]
    assert _lines_in_order(merged, blocks, lines) == ["la1", "la2", b1, "lb2", "lb3"]
    assert _lines_in_order(merged, blocks, [None, lines[1]]) == [a1, a2, b1, "lb2", "lb3"]
    extra = finding("a", 3)
    kept = [a1, a2, extra, b1, b2, b3]
    parts = [(found, found_lines) for (_, found, _), found_lines in zip(blocks, lines, strict=True)]
    assert _lines_of(kept, parts) == ["la1", "la2", extra, b1, "lb2", "lb3"]
    # an equal finding that is another object is not given the line
    assert _lines_of([finding("a", 1)], parts)[0] != "la1"


def test_json_report_and_exit_code_of_the_cli_are_the_serial_ones_with_fail_on(
    tmp_path: Path,
) -> None:
    """``kpolicy lint --format json --fail-on ...`` at ``-j 2`` (the workers' lines taken)
    writes the serial run's report and ends with its exit code, with findings to fail on
    and without."""
    import subprocess
    import sys

    folder = generated(tmp_path / "in", copies=3)

    def cli(jobs: int, fail_on: str) -> tuple[int, str]:
        done = subprocess.run(
            [
                *(sys.executable, "-m", "kpolicy", "lint", "--format", "json", "--no-cache"),
                *("--fail-on", fail_on, "-j", str(jobs), str(folder)),
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        return done.returncode, done.stdout

    for fail_on, code in (("warning", 1), ("never", 0)):
        serial = cli(1, fail_on)
        assert serial[0] == code and json.loads(serial[1])["diagnostics"]
        assert cli(2, fail_on) == serial


def test_alone_in_its_container_no_other_task_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """kpolicy as its container's only process (its PID 1: ``docker run IMAGE lint``): /proc
    lists this process alone, and no other task of the container runs; the host's load average
    (every container's work) is not taken instead."""
    monkeypatch.setattr(os, "getloadavg", lambda: (6.0, 6.0, 6.0))
    _fake_machine(tmp_path, "0::/\n", {}, {1: ["R"]})
    assert parallel.others_running(str(tmp_path), own=1) == 0
    _fake_machine(tmp_path / "none", "0::/\n", {}, {})  # no task listed: not a /proc
    assert parallel.others_running(str(tmp_path / "none"), own=1) == 5.0


@pytest.mark.parametrize("early", [True, False])
@pytest.mark.parametrize("parent", [False, True])
def test_a_child_that_said_it_was_done_is_not_waited_for_to_the_end_of_its_pipe(
    early: bool, parent: bool
) -> None:
    """The answers are taken once a child's last frame is read, not at its pipe's end of file
    (which comes only once the kernel has freed the child's memory as it exits). Here a
    process the child started holds the pipe open after the child is done: the parent takes
    the answers while it does (waiting for the end of file, it would have waited for the
    timer that lets the holder go)."""
    import threading

    hold_read, hold_write = os.pipe()
    released = threading.Event()

    holding: list[int] = []  # (in the child, its own copy: a holder forked at its first item)

    def work(index: int) -> int:
        if not holding and os.getpid() != main:
            holding.append(index)
            if os.fork() == 0:  # holds every descriptor of the child, its pipe's too
                os.close(hold_write)
                os.read(hold_read, 1)  # (a byte for each holder, or the end of the pipe)
                os._exit(0)
        return index * 10

    def release() -> None:
        released.set()
        os.write(hold_write, b"x" * 8)  # more than there are holders

    main = os.getpid()
    timer = threading.Timer(60, release)
    timer.start()
    try:
        order = list(range(40))
        answers = parallel.run_forked(order, 2, work, parent=work if parent else None, early=early)
        assert not released.is_set()
    finally:
        timer.cancel()
        if not released.is_set():
            release()
        os.close(hold_read)
        os.close(hold_write)
    assert answers == {index: index * 10 for index in order}


def test_a_one_shot_process_does_not_wait_for_its_done_children_to_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A one-shot lint process (kpolicy.lifetime.keep_until_end) does not wait for its
    children that said they were done to finish exiting; any other caller reaps them."""
    from kpolicy import lifetime

    flags: list[int] = []
    real = os.waitpid

    def waitpid(pid: int, options: int) -> tuple[int, int]:
        flags.append(options)
        return real(pid, options)

    monkeypatch.setattr(os, "waitpid", waitpid)
    assert parallel.run_forked([0, 1, 2, 3], 2, lambda i: i) == {i: i for i in range(4)}
    assert flags == [0, 0]
    flags.clear()
    monkeypatch.setattr(lifetime, "_KEEPING", [True])
    assert parallel.run_forked([0, 1, 2, 3], 2, lambda i: i) == {i: i for i in range(4)}
    assert flags == [os.WNOHANG, os.WNOHANG]
    for _ in range(200):  # reaped here, so that the test leaves no child behind
        try:
            if real(-1, os.WNOHANG) == (0, 0):
                import time

                time.sleep(0.01)
        except ChildProcessError:
            break
