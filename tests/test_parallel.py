"""Parallel runs print exactly what serial runs print."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest

import kpolicy.lint as lint_module
from kpolicy import parallel
from kpolicy.lint import LintOptions, build_session, lint
from kpolicy.load import load_text
from kpolicy.model import SourceFile
from kpolicy.report import ReportContext, writer
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform")


def report(options: LintOptions, fmt: str = "json") -> tuple[str, list[str]]:
    session = build_session(options)
    result, traces = lint(options, session)
    out = io.StringIO()
    writer(fmt)(result, ReportContext(rules=session.rules, tool_version="test", color=False,
                                      show_suppressed=True), out)
    return out.getvalue(), traces


def generated(folder: Path, copies: int = 6) -> Path:
    """Manifests whose findings cross files: services and the workloads they select live in
    different files, names repeat across folders, some documents are broken."""
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


def test_failing_worker_falls_back_to_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = generated(tmp_path / "in", copies=4)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    parent = os.getpid()
    real_read = lint_module.read_input

    def read_in_parent_only(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            raise RuntimeError("a worker fails")
        return real_read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lint_module, "read_input", read_in_parent_only)
    assert report(LintOptions(**{**options.__dict__, "jobs": 2})) == serial


def test_worker_crash_is_reported() -> None:
    def crash(index: int) -> object:
        os._exit(3)

    with pytest.raises(parallel.WorkerFailed):
        parallel.run_forked([[0], [1]], crash)


def test_large_answers_do_not_block() -> None:
    """An answer much larger than a pipe's buffer, from several workers at once."""
    items = list(range(6))
    result = parallel.map_forked(items, [1] * 6, 3, lambda i: bytes([i]) * 3_000_000)
    assert [len(r) for r in result] == [3_000_000] * 6 and result[5][:1] == b"\x05"


def test_deal_balances_and_keeps_order() -> None:
    costs = [100, 1, 1, 50, 50, 2, 7]
    shares = parallel.deal(costs, 3)
    assert sorted(i for share in shares for i in share) == list(range(len(costs)))
    assert all(share == sorted(share) for share in shares)
    totals = [sum(costs[i] for i in share) for share in shares]
    assert max(totals) == 100
    assert parallel.deal([1], 4) == [[0]]


def test_plan_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "available_cores", lambda: 4)
    monkeypatch.setattr(parallel, "others_running", lambda: 0)
    assert parallel.plan_jobs(1, [10**7] * 100) == 1
    assert parallel.plan_jobs(None, [100] * 3) == 1  # too small to be worth a fork
    assert parallel.plan_jobs(4, [100] * 3) == 3  # asked for: at most one worker per file
    assert parallel.plan_jobs(None, [10**6] * 100) == 4
    monkeypatch.setattr(parallel, "others_running", lambda: 2)
    assert parallel.plan_jobs(None, [10**6] * 100) == 2  # two cores are busy elsewhere
    assert parallel.plan_jobs(3, [10**6] * 100) == 3  # asked for: as many as asked
    monkeypatch.setattr(parallel, "others_running", lambda: 9)
    assert parallel.plan_jobs(None, [10**6] * 100) == 1
    monkeypatch.setattr(parallel, "others_running", lambda: None)  # unknown: every core
    assert parallel.plan_jobs(None, [10**6] * 100) == 4


def test_others_running_reads_the_machine() -> None:
    busy = parallel.others_running()
    assert busy is None or busy >= 0
    assert 1 <= parallel.idle_cores() <= parallel.available_cores()


def test_packed_positions_round_trip() -> None:
    text = (ROOT / "examples" / "web.yaml").read_text()
    loaded = load_text(SourceFile("web.yaml", text))
    packed = pickle.loads(parallel.dumps_loaded(loaded))
    for before, after in zip(loaded.objects, packed.objects, strict=True):
        if parallel._PACK:  # a table of Span objects travels packed
            assert isinstance(after.positions, parallel.PackedPositions)
        assert after.data == before.data and after.ref == before.ref
        assert after.positions.entries == before.positions.entries
        assert list(after.positions.entries) == list(before.positions.entries)
        for pointer in list(before.positions.entries)[:20]:
            assert after.positions.resolve(pointer) == before.positions.resolve(pointer)
    assert packed.diagnostics == loaded.diagnostics and packed.directives == loaded.directives


def test_checks_stay_in_the_parent_when_the_heap_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked checkers copy the pages they touch: past the limit, the automatic choice checks
    in the parent; an explicit --jobs is obeyed."""
    monkeypatch.setattr(parallel, "resident_bytes", lambda: 50 * 1024 * 1024)
    assert parallel.check_jobs(None, 2) == 2
    monkeypatch.setattr(parallel, "resident_bytes", lambda: parallel.MAX_FORKED_CHECK_RSS + 1)
    assert parallel.check_jobs(None, 2) == 1
    assert parallel.check_jobs(0, 4) == 1
    assert parallel.check_jobs(3, 3) == 3  # asked for
    assert parallel.check_jobs(None, 1) == 1
    monkeypatch.setattr(parallel, "resident_bytes", lambda: None)  # unknown: as planned
    assert parallel.check_jobs(None, 2) == 2


def test_resident_bytes_reads_this_process() -> None:
    size = parallel.resident_bytes()
    assert size is None or 10 * 1024 * 1024 < size < 10 * 1024**3
