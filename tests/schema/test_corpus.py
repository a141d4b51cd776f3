"""Every corpus document validates without an exception; findings are counted per rule."""

from __future__ import annotations

import collections
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from kpolicy.schema import SCHEMA_RULES, SchemaValidator, supported_versions
from tests.conftest import CORPUS


def corpus_documents() -> list[tuple[Path, dict[str, Any]]]:
    documents: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            loaded = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # a broken file is the loader's finding, not ours
        for document in loaded:
            if not isinstance(document, dict):
                continue
            items = document.get("items")
            if document.get("kind") == "List" and isinstance(items, list):
                documents.extend((path, item) for item in items if isinstance(item, dict))
            else:
                documents.append((path, document))
    return documents


def _oldest_and_newest_fast() -> list[object]:
    """Every version, the ones between the oldest and the newest marked slow."""
    versions = supported_versions()
    return [
        version
        if version in (versions[0], versions[-1])
        else pytest.param(version, marks=pytest.mark.slow)
        for version in versions
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
@pytest.mark.parametrize("version", _oldest_and_newest_fast())
def test_corpus_validates_without_exception(version: str) -> None:
    validator = SchemaValidator.for_version(version)
    documents = corpus_documents()
    counts: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for _, document in documents:
        for problem in validator.validate(document):
            assert problem.rule in SCHEMA_RULES
            counts[problem.rule] += 1
    elapsed = time.perf_counter() - started
    print(f"\n{version}: {len(documents)} documents in {elapsed:.2f}s: {dict(counts)}")
    assert len(documents) > 1000


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_corpus_findings_that_were_checked_by_eye() -> None:
    """A few real findings of the corpus, each a rejection the API server makes."""
    validator = SchemaValidator.for_version("1.37")
    findings = {
        (path.name, problem.rule, problem.path)
        for path, document in corpus_documents()
        for problem in validator.validate(document)
    }
    expected = [
        # kube-linter's fixtures put runAsUser on the container instead of securityContext
        (
            "tests__checks__run-as-non-root.yml",
            "schema-unknown-field",
            ("spec", "template", "spec", "containers", 0, "runAsUser"),
        ),
        # and spell dnsConfig.searches with a capital letter
        (
            "tests__checks__dnsconfig-options-ndots.yml",
            "schema-unknown-field",
            ("spec", "template", "spec", "dnsConfig", "Searches"),
        ),
    ]
    for finding in expected:
        assert finding in findings
