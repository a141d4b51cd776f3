"""The serial end of a run, :func:`kpolicy.lint.check.check_files`: what it does per finding and
what it leaves to the end of the process gives what the general way gives."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

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
