"""The serial end of a run, :func:`kpolicy.lint.check.check_files`: what it does per finding and
what it leaves to the end of the process gives what the general way gives."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kpolicy import lifetime
from kpolicy.index import Index
from kpolicy.lint import LintOptions, build_session, read_input
from kpolicy.lint.check import _count_severities, check_files
from kpolicy.model import Diagnostic, LoadedFile, ObjectRef, Severity, Span
from tests.conftest import ROOT


def _finding(severity: Severity | str) -> Diagnostic:
    ref = ObjectRef("v1", "Pod", "ns", "p")
    return Diagnostic("r", severity, "m", "a.yaml", Span(1, 1, 1, 2), "", ref)  # type: ignore[arg-type]


def test_severities_are_counted_as_by_equality() -> None:
    """:func:`_count_severities` counts what a count of each severity by equality counts: every
    finding an error, none, a mixture, and a severity that is an equal string rather than the
    member itself."""
    rng = random.Random(11)
    kinds: list[Severity | str] = [*Severity, "error", "warning", "info", "other"]
    cases: list[list[Severity | str]] = [[], [Severity.ERROR] * 5, [Severity.INFO] * 3]
    cases += [[rng.choice(kinds) for _ in range(rng.randint(0, 40))] for _ in range(200)]
    for severities in cases:
        found = [_finding(severity) for severity in severities]
        counted = Counter(str(severity) for severity in severities)
        assert _count_severities(found) == (
            counted["error"],
            counted["warning"],
            counted["info"],
        )


def _loaded() -> tuple[list[LoadedFile], object]:
    from kpolicy.discover import discover

    session = build_session(LintOptions(use_config_discovery=False))
    inputs, _ = discover([str(ROOT / "examples")])
    loaded = []
    for item in inputs:
        file = read_input(item, False, session.limits, None)
        if not isinstance(file, LoadedFile):
            continue
        loaded.append(file)
    assert len(loaded) > 3
    return loaded, session


def test_a_one_shot_run_leaves_the_index_and_engine_to_the_end_of_the_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the process keeps its run's objects till it ends (:mod:`kpolicy.lifetime`),
    check_files keeps its index and engine too, rather than freeing them as it returns (every
    posting list and memo of the index, object by object, in the serial end of a run); else
    (a test, the language server) it keeps nothing, and the result is the same."""
    loaded, session = _loaded()
    kept: list[object] = []
    monkeypatch.setattr(lifetime, "_KEPT", kept)
    general, _ = check_files(loaded, [], session)  # type: ignore[arg-type]
    assert kept == []
    monkeypatch.setattr(lifetime, "_KEEPING", [True])
    ending, _ = check_files(loaded, [], session)  # type: ignore[arg-type]
    assert ending == general
    held = [item for objects in kept for item in objects]  # type: ignore[attr-defined]
    assert any(isinstance(item, Index) for item in held)


def test_the_summary_counts_the_kept_findings(tmp_path: Path) -> None:
    """The summary's counts are those of the kept findings, severity by severity."""
    loaded, session = _loaded()
    result, _ = check_files(loaded, [], session)  # type: ignore[arg-type]
    counted = Counter(d.severity for d in result.diagnostics)
    assert result.diagnostics
    assert (result.summary.errors, result.summary.warnings, result.summary.infos) == (
        counted[Severity.ERROR],
        counted[Severity.WARNING],
        counted[Severity.INFO],
    )


def test_selectors_of_dicts_are_read_without_the_abcs_check() -> None:
    """The selectors of a run (parsed and matched for every workload, Service and budget of
    the parent's checks) test a dict's class before asking ``isinstance(value, Mapping)``,
    whose check is a call in Python; any other mapping gives what a dict gives."""
    import sys
    from types import FrameType, MappingProxyType

    from kpolicy.k8s.selector import Selector, labels_str

    labels = {"app": "web", "tier": "front"}
    expression = {"key": "tier", "operator": "In", "values": ["front"]}
    raw = {"matchLabels": {"app": "web"}, "matchExpressions": [expression]}
    asked: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_name == "__instancecheck__":
            asked.append(frame.f_back.f_code.co_name if frame.f_back else "")

    sys.setprofile(profile)
    try:
        selector = Selector.from_label_selector(raw)
        service = Selector.from_map({"app": "web"})
        assert selector is not None and service is not None
        matched = (selector.matches(labels), service.matches(labels))
        shown = labels_str(labels)
    finally:
        sys.setprofile(None)
    assert asked == []
    assert matched == (True, True)
    proxy = MappingProxyType
    other = Selector.from_label_selector(
        proxy(
            {
                "matchLabels": proxy({"app": "web"}),
                "matchExpressions": [proxy(expression)],
            }
        )
    )
    assert other == selector
    assert Selector.from_map(proxy({"app": "web"})) == service
    assert selector.matches(proxy(labels)) and service.matches(proxy(labels))
    assert labels_str(proxy(labels)) == shown
    assert Selector.from_label_selector(["not", "a", "mapping"]) is None
    assert Selector.from_map("app=web") is None
    assert not selector.matches(None)


def _generated(folder: Path) -> list[LoadedFile]:
    """Files whose deferred checks find something in some (a Service selecting nothing, two
    workloads selecting each other's Pods) and nothing in others, a file with a comment
    directive, one with an annotation, and a file the loader finds something in."""
    folder.mkdir()
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    for example in examples:
        (folder / example.name).write_text(example.read_text())
    (folder / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: lost}\n"
        "spec: {selector: {app: nothing}, ports: [{port: 80}]}\n"
    )
    workload = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
        "  selector: {{matchLabels: {{app: shared}}}}{comment}\n  template:\n"
        "    metadata: {{labels: {{app: shared}}{annotations}}}\n"
        "    spec: {{containers: [{{name: c, image: '{image}'}}]}}\n"
    )
    plain = {"annotations": "", "comment": "", "image": "nginx:1.27"}
    (folder / "a.yaml").write_text(workload.format(**{**plain, "name": "a"}))
    (folder / "b.yaml").write_text(workload.format(**{**plain, "name": "b"}))
    comment = "  # kpolicy: ignore[selector-overlap]"
    (folder / "c.yaml").write_text(workload.format(**{**plain, "name": "c", "comment": comment}))
    annotation = ", annotations: {kpolicy.io/ignore: image-tag-latest}"
    (folder / "d.yaml").write_text(
        workload.format(**{**plain, "name": "d", "annotations": annotation, "image": "nginx"})
    )
    (folder / "e.yaml").write_text("a: [1\n---\napiVersion: v1\nkind: ConfigMap\n")
    session = build_session(LintOptions(use_config_discovery=False))
    from kpolicy.discover import discover

    inputs, _ = discover([str(folder)])
    loaded = []
    for item in inputs:
        file = read_input(item, False, session.limits, None)
        if isinstance(file, LoadedFile):
            loaded.append(file)
    return loaded


def test_a_file_nothing_can_hide_a_finding_in_keeps_the_local_passs_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_check_file keeps the local pass's findings (and their lines) of a file whose
    deferred checks find nothing and in which nothing can hide a finding, without judging
    them or making its Suppressor; it keeps what the general loop keeps, in the same order,
    with the same lines, and so does check_files; other files take the general loop."""
    import kpolicy.lint.check as lint_check
    from kpolicy.lint.run import _check_locally, _local_engine
    from kpolicy.report.json_report import finding_lines

    loaded = _generated(tmp_path / "in")
    session = build_session(LintOptions(use_config_discovery=False))
    local_engine = _local_engine(session, None, False)
    render = finding_lines()
    local = [_check_locally(local_engine, f, session.generic, render) for f in loaded]
    general_deferred = lint_check._deferred_findings

    def never_quick(*args: Any) -> Any:
        more_of, _ = general_deferred(*args)
        return more_of, None

    judged: list[bool] = []
    original = lint_check._check_file

    def spy(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        judged.append(found[3] is not None)
        return found

    monkeypatch.setattr(lint_check, "_check_file", spy)
    quick, _ = check_files(loaded, [], session, local=local)
    assert True in judged and False in judged
    assert judged.count(True) >= 4  # the comment, the annotation, the loader, a deferred one
    monkeypatch.setattr(lint_check, "_deferred_findings", never_quick)
    judged.clear()
    general, _ = check_files(loaded, [], session, local=local)
    assert False not in judged
    assert quick == general
    assert quick.lines is not None and general.lines is not None
    assert quick.lines[1] == general.lines[1]
    assert quick.suppressed  # the comment's and the annotation's
    serial, _ = check_files(loaded, [], session)
    assert serial.diagnostics == quick.diagnostics and serial.summary == quick.summary


def test_a_context_finding_moved_onto_a_file_nothing_was_judged_in_is_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staged file with nothing to judge has no Suppressor of its own (_check_file's quick
    path): one is made for it when a context object's finding moves onto it, and the context
    object's annotation hides the moved finding as before; without one it is shown there."""
    import json

    from tests.test_baseline_layouts import lint as cli_lint
    from tests.test_repo import SERVICE, STATEFULSET, write

    monkeypatch.chdir(tmp_path)
    broken = SERVICE.replace("clusterIP: None", "clusterIP: 10.0.0.9")
    annotated = STATEFULSET.replace(
        "metadata: {name: db}",
        "metadata: {name: db, annotations: {kpolicy.io/ignore: statefulset-service-not-headless}}",
    )
    for statefulset, hidden in ((STATEFULSET, False), (annotated, True)):
        write(tmp_path, {"db.yaml": statefulset, "svc.yaml": broken})
        for jobs in ("1", "2"):
            args = ("svc.yaml", "--context", ".", "--show-suppressed", "-j", jobs, "-f", "json")
            code, out, err = cli_lint(*args)
            assert code in (0, 1), err
            data = json.loads(out)
            moved = data["suppressed"] if hidden else data["diagnostics"]
            assert [(d["rule"], d["file"]) for d in moved] == [
                ("statefulset-service-not-headless", "svc.yaml")
            ]
            assert (data["diagnostics"] if hidden else data["suppressed"]) == []
