"""benchmarks/fuzzcorpus.py: the many-findings corpus of `make bench`."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from fuzzcorpus import generate


def test_generates_the_same_corpus_with_many_findings(tmp_path: Path) -> None:
    source = ROOT / "examples"
    before = {p: p.read_bytes() for p in source.rglob("*") if p.is_file()}
    first, plain = tmp_path / "a", tmp_path / "plain"
    files, _ = generate(source, first, plain)
    generate(source, tmp_path / "b")
    assert files == len([p for p in before if p.suffix in (".yaml", ".yml", ".json")])
    assert {p.read_bytes() for p in first.rglob("*.yaml")} == {
        p.read_bytes() for p in (tmp_path / "b").rglob("*.yaml")
    }
    assert {p: p.read_bytes() for p in source.rglob("*") if p.is_file()} == before
    for mutated in first.rglob("*.yaml"):
        twin = plain / mutated.relative_to(first)
        documents = list(yaml.safe_load_all(mutated.read_text()))
        originals = list(yaml.safe_load_all(twin.read_text()))
        assert len(documents) == len(originals)
        assert [d.get("kind") for d in documents if isinstance(d, dict)] == [
            d.get("kind") for d in originals if isinstance(d, dict)
        ]
    from kpolicy.lint import LintOptions, build_session, lint

    found = []
    for folder in (first, plain):
        options = LintOptions(paths=[str(folder)], use_config_discovery=False, jobs=1)
        result, _ = lint(options, build_session(options))
        found.append(len(result.diagnostics))
    assert found[0] > 3 * found[1]
