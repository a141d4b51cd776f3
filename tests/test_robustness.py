"""Hostile and broken input never crashes kpolicy, never hangs it and never loses a finding.

Every input in ``tests/hostile/`` (and every generated one below: huge files, many documents,
symlink loops, FIFOs, unreadable files, ...) is linted together with ``beside.yaml``, a valid
manifest with one known finding. Each run must give the input's expected findings (``CORPUS``)
or a one-line ``kpolicy: error: <path>: ...`` on stderr, the documented exit code (1 findings,
2 I/O or usage errors), no traceback, no ``internal-error``, and the finding of ``beside.yaml``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from kpolicy import engine as engine_module
from kpolicy.checks import Check, registry
from kpolicy.cli import app
from kpolicy.ruledefs import builtin_rules
from tests.conftest import ROOT, load_sarif_schema
from tests.test_cli import BAD

HOSTILE = Path(__file__).parent / "hostile"
# valid workloads that test_properties.py mutates; not hostile by itself
NOT_CORPUS = {"workloads.yaml"}

# the selector-mismatch manifest of tests/test_cli.py, under another name
BESIDE = BAD.replace("  name: web\n", "  name: beside\n", 1)
BESIDE_FINDING = ("beside.yaml", "selector-mismatch", 6)

# file → the (rule, line) findings it must produce; more findings from other rules are allowed
CORPUS: dict[str, list[tuple[str, int]]] = {
    "alias-billion-laughs-mappings.yaml": [("yaml-syntax", 14)],
    # the anchor that first passes the limit: f expands to 1,111,111 nodes
    "alias-billion-laughs.yaml": [("yaml-syntax", 11)],
    "alias-deep-chain.yaml": [("yaml-syntax", 6)],
    "alias-recursive.yaml": [("yaml-syntax", 5), ("yaml-syntax", 8), ("yaml-syntax", 13)],
    "alias-shared-is-fine.yaml": [],
    "doc-bom-only.yaml": [],
    "doc-comments-only.yaml": [],
    "doc-empty.yaml": [],
    "doc-kind-wrong-type.yaml": [
        ("manifest-invalid", 2),
        ("manifest-invalid", 6),
        ("manifest-invalid", 10),
        ("manifest-invalid", 12),
        ("manifest-invalid", 15),
        ("manifest-invalid", 19),
    ],
    "doc-list-kind-broken.yaml": [
        ("manifest-invalid", 4),
        ("manifest-invalid", 5),
        ("manifest-invalid", 6),
        ("manifest-invalid", 7),
        ("manifest-invalid", 14),
        ("manifest-invalid", 18),
    ],
    "doc-list.yaml": [("manifest-invalid", 1)],
    # a file that holds no Kubernetes object is not a manifest: skipped, not reported
    "doc-null.yaml": [],
    "doc-scalar-bool.yaml": [],
    "doc-scalar-number.yaml": [],
    "doc-scalar-string.yaml": [],
    "encoding-binary.yaml": [("yaml-syntax", 2)],
    # files joined with cat: the second document's byte order mark is skipped
    "encoding-bom-in-the-middle.yaml": [("selector-mismatch", 10)],
    "encoding-latin1.yaml": [("yaml-syntax", 6)],
    "encoding-nul-bytes.yaml": [("yaml-syntax", 6)],
    "encoding-nul-in-second-document.yaml": [("yaml-syntax", 7), ("selector-mismatch", 14)],
    "encoding-utf16-be-bom.yaml": [("selector-mismatch", 6)],
    "encoding-utf16-le-bom.yaml": [("selector-mismatch", 6)],
    "encoding-utf16-no-bom.yaml": [("yaml-syntax", 1)],
    "encoding-utf16-truncated.yaml": [("yaml-syntax", 1)],
    "encoding-utf32-bom.yaml": [("yaml-syntax", 1)],
    "encoding-utf8-overlong.yaml": [("yaml-syntax", 6)],
    "encoding-utf8-surrogate.yaml": [("yaml-syntax", 6)],
    "helm-control-flow.yaml": [("yaml-syntax", 1)],
    "helm-nindent.yaml": [("yaml-syntax", 6)],
    "helm-values.yaml": [
        ("manifest-invalid", 4),
        ("manifest-invalid", 6),
        ("manifest-invalid", 8),
        ("manifest-invalid", 11),
        ("manifest-invalid", 15),
    ],
    "keys-duplicate.yaml": [
        ("yaml-duplicate-key", 5),
        ("yaml-duplicate-key", 9),
        ("yaml-duplicate-key", 13),
        ("yaml-duplicate-key", 18),
        ("yaml-duplicate-key", 19),
    ],
    "keys-non-string.yaml": [("manifest-invalid", 7), ("manifest-invalid", 9)],
    "nesting-200-block.yaml": [],
    "nesting-200-flow.yaml": [],
    "nesting-2000-flow.yaml": [("yaml-syntax", 4)],  # libyaml's own limit: 1000 levels
    "nesting-300-flow.yaml": [("yaml-syntax", 4)],  # limits.maxDepth: 256 levels
    "null-everywhere.yaml": [],
    "numbers-and-strings.yaml": [],
    "numbers-extreme.yaml": [],
    "syntax-bad-indent.yaml": [("yaml-syntax", 5)],
    "syntax-broken-then-valid.yaml": [("yaml-syntax", 5), ("selector-mismatch", 12)],
    "syntax-content-after-document-end.yaml": [("yaml-syntax", 6)],
    "syntax-control-character.yaml": [("yaml-syntax", 5)],
    "syntax-crlf-unclosed.yaml": [("yaml-syntax", 6)],
    "syntax-document-end-markers.yaml": [],
    "syntax-duplicate-directive.yaml": [("yaml-syntax", 2), ("manifest-invalid", 4)],
    "syntax-lone-document-end.yaml": [("yaml-syntax", 1)],
    "syntax-lone-document-marker.yaml": [],
    "syntax-mapping-in-sequence.yaml": [("yaml-syntax", 10)],
    "syntax-only-document-markers.yaml": [],
    "syntax-reserved-indicator.yaml": [("yaml-syntax", 5)],
    "syntax-tab-in-value.yaml": [("yaml-syntax", 7)],
    "syntax-tab-indent.yaml": [("yaml-syntax", 4)],
    "syntax-unclosed-double-quote.yaml": [("yaml-syntax", 4)],
    "syntax-unclosed-flow-mapping.yaml": [("yaml-syntax", 4)],
    "syntax-unclosed-flow-sequence.yaml": [("yaml-syntax", 7)],
    "syntax-unclosed-single-quote.yaml": [("yaml-syntax", 6)],
    "syntax-undefined-alias.yaml": [("yaml-syntax", 5)],
    "tags-python-object.yaml": [
        ("yaml-syntax", 4),
        ("yaml-syntax", 6),
        ("yaml-syntax", 7),
        ("yaml-syntax", 8),
    ],
    "tags-unknown.yaml": [
        ("yaml-syntax", 4),
        ("yaml-syntax", 5),
        ("yaml-syntax", 6),
        ("yaml-syntax", 12),
    ],
    "wrongtype-daemonset.yaml": [],
    "wrongtype-deployment.yaml": [("selector-mismatch", 24)],
    "wrongtype-job-cronjob.yaml": [],
    "wrongtype-pod.yaml": [],
    "wrongtype-statefulset.yaml": [],
    # issue 13: what an attacker controls is bounded and escaped
    "alias-bombs-across-documents.yaml": [("yaml-syntax", 15), ("yaml-syntax", 1423)],
    "lists-many-volumes-and-ports.yaml": [
        ("probe-port-unknown", 15),
        ("volume-mount-unknown", 418),
    ],
    "names-control-characters.yaml": [
        ("name-invalid", 6),
        ("labels-invalid", 7),
        ("pod-spec-invalid", 14),
    ],
    "patterns-redos-crd.yaml": [("policy-pattern-timeout", 29)],
    "plan-huge-replicas.yaml": [("statefulset-service-not-found", 22)],
    "quantity-5000-digits.yaml": [("schema-format-invalid", 11), ("schema-format-invalid", 12)],
    "selectors-overlapping-group.yaml": [("selector-overlap", 19), ("selector-overlap", 327)],
    "suppress-inside-scalars.yaml": [("privileged-container", 18), ("privileged-container", 22)],
}

# rule id → corpus files it is known to crash on (xfail(strict=True) until its owner fixes it)
KNOWN_CRASHES: dict[str, set[str]] = {}


def corpus_files() -> list[str]:
    return sorted(p.name for p in HOSTILE.glob("*.yaml") if p.name not in NOT_CORPUS)


def _marks(name: str) -> list[pytest.MarkDecorator]:
    rules = sorted(rule for rule, files in KNOWN_CRASHES.items() if name in files)
    if not rules:
        return []
    return [pytest.mark.xfail(strict=True, reason=f"rule {', '.join(rules)} crashes on {name}")]


CORPUS_PARAMS = [pytest.param(name, marks=_marks(name)) for name in corpus_files()]


# --------------------------------------------------------------------------------------------
# helpers


def run_cli(
    *args: str,
    cwd: Path,
    stdin: bytes | None = None,
    timeout: float = 120,
    memory_bytes: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it; optionally under an address-space limit."""

    def limit_memory() -> None:  # pragma: no cover - runs in the child
        import resource

        assert memory_bytes is not None
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    result = subprocess.run(
        [sys.executable, "-m", "kpolicy", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        preexec_fn=limit_memory if memory_bytes else None,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def assert_clean_stderr(stderr: str) -> list[str]:
    """No traceback; every stderr line is one ``kpolicy: error: <path>: ...`` line."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    for line in lines:
        assert line.startswith("kpolicy: error: "), f"not a one-line error: {line!r}"
    return lines


def findings(report: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {(d["file"], d["rule"], d["line"]) for d in report["diagnostics"]}


def assert_no_internal_error(report: dict[str, Any]) -> None:
    crashes = [d for d in report["diagnostics"] if d["rule"] == "internal-error"]
    assert crashes == [], "\n".join(f"{d['file']}:{d['line']}: {d['message']}" for d in crashes)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with ``beside.yaml``; no config is discovered above it."""
    (tmp_path / "beside.yaml").write_text(BESIDE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, dict[str, Any], str]:
    """The CLI in-process (fast): exit code, JSON report, stderr. Exceptions propagate."""
    result = CliRunner().invoke(
        app, ["lint", "--no-color", "-f", "json", *args], catch_exceptions=False
    )
    return result.exit_code, json.loads(result.stdout), result.stderr


# --------------------------------------------------------------------------------------------
# the committed corpus


def test_corpus_table_lists_every_file() -> None:
    assert sorted(CORPUS) == corpus_files()


@pytest.mark.parametrize("name", CORPUS_PARAMS)
def test_hostile_file_beside_a_good_one(name: str, workdir: Path) -> None:
    shutil.copyfile(HOSTILE / name, workdir / name)
    code, report, stderr = invoke(name, "beside.yaml")
    assert assert_clean_stderr(stderr) == []
    assert code == 1
    found = findings(report)
    assert BESIDE_FINDING in found
    expected = {(name, rule, line) for rule, line in CORPUS[name]}
    assert expected <= found, sorted(found)
    assert_no_internal_error(report)


def test_wrong_types_are_reported_by_the_schema_rules(workdir: Path) -> None:
    """A wrongly typed field is a finding, not silence (when the schema rules are built in)."""
    if "schema-type-mismatch" not in builtin_rules():
        pytest.skip("no schema-type-mismatch rule yet")
    names = [n for n in corpus_files() if n.startswith("wrongtype-")]
    for name in names:
        shutil.copyfile(HOSTILE / name, workdir / name)
    _, report, _ = invoke(*names)
    reported = {d["file"] for d in report["diagnostics"] if d["rule"] == "schema-type-mismatch"}
    assert reported == set(names)


@pytest.mark.parametrize(
    "output_format",
    [
        "json",  # make test: one format; the others (each a whole run) in make test-slow
        pytest.param("text", marks=pytest.mark.slow),
        pytest.param("sarif", marks=pytest.mark.slow),
        pytest.param("github", marks=pytest.mark.slow),
    ],
)
def test_whole_corpus_in_one_run(output_format: str, workdir: Path) -> None:
    """One real run over every hostile file: a broken file cannot hide another file's findings,
    and every report format survives the messages and positions they produce."""
    names = corpus_files()
    for name in names:
        shutil.copyfile(HOSTILE / name, workdir / name)
    result = run_cli("lint", "--no-color", "-f", output_format, *names, "beside.yaml", cwd=workdir)
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    expected = {(name, rule, line) for name, items in CORPUS.items() for rule, line in items}
    expected.add(BESIDE_FINDING)
    if output_format == "json":
        report = json.loads(result.stdout)
        assert expected <= findings(report)
        schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
        jsonschema.validate(report, schema)
        crashed = {d["file"] for d in report["diagnostics"] if d["rule"] == "internal-error"}
        assert crashed <= {f for files in KNOWN_CRASHES.values() for f in files}
    elif output_format == "sarif":
        log = json.loads(result.stdout)
        got = {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in log["runs"][0]["results"]
        }
        assert expected <= got
        jsonschema.validate(log, load_sarif_schema())  # skips without ../shared
    elif output_format == "text":
        for name, rule, line in expected:
            assert f"{name}:{line}:" in result.stdout and f"[{rule}]" in result.stdout
        # every file is linted or, holding no Kubernetes object, counted as skipped
        empty = [
            n
            for n in names
            if n.startswith(
                (
                    "doc-bom-only",
                    "doc-comments-only",
                    "doc-empty",
                    "doc-null",
                    "doc-scalar",
                    "syntax-lone-document-marker",
                    "syntax-only-document-markers",
                )
            )
        ]
        assert f"in {len(names) + 1 - len(empty)} files" in result.stdout
        assert f"{len(empty)} files skipped: not Kubernetes manifests" in result.stdout
    else:
        assert "::error file=beside.yaml,line=6" in result.stdout


def test_whole_corpus_with_worker_processes(workdir: Path) -> None:
    """Files read in worker processes give the same report as a serial run."""
    names = corpus_files()
    for name in names:
        shutil.copyfile(HOSTILE / name, workdir / name)
    reports = []
    for jobs in ("1", "2"):
        result = run_cli("lint", "-f", "json", "--jobs", jobs, *names, "beside.yaml", cwd=workdir)
        assert assert_clean_stderr(result.stderr) == []
        assert result.returncode == 1
        reports.append(json.loads(result.stdout)["diagnostics"])
    assert reports[0] == reports[1]


# --------------------------------------------------------------------------------------------
# generated inputs: size, count, depth and alias limits


def test_50_mb_file_is_refused_quickly(workdir: Path) -> None:
    big = workdir / "big.yaml"
    chunk = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: filler}\ndata: {a: b}\n---\n"
    with big.open("wb") as handle:
        handle.write(chunk * (50 * 1024 * 1024 // len(chunk) + 1))
    start = time.monotonic()
    result = run_cli("lint", "--no-color", "big.yaml", "beside.yaml", cwd=workdir)
    assert time.monotonic() - start < 10
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    assert "big.yaml:1:1: error[yaml-syntax] file refused: " in result.stdout
    assert "more than the limit of 16777216 bytes" in result.stdout
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_file_size_limit_from_config_and_command_line(workdir: Path) -> None:
    (workdir / "medium.yaml").write_text(BESIDE.replace("beside", "medium"))  # ~300 bytes
    (workdir / ".kpolicy.yaml").write_text("limits:\n  maxFileBytes: 100\n")
    code, report, stderr = invoke("medium.yaml")
    assert code == 1 and stderr == ""
    assert [(d["rule"], d["line"]) for d in report["diagnostics"]] == [("yaml-syntax", 1)]
    assert "limit of 100 bytes" in report["diagnostics"][0]["message"]
    # the command line wins over the config
    code, report, _ = invoke("--max-file-size", "1000", "medium.yaml")
    assert ("medium.yaml", "selector-mismatch", 6) in findings(report)
    code, report, _ = invoke("--max-file-size", "10", "beside.yaml")
    assert [d["rule"] for d in report["diagnostics"]] == ["yaml-syntax"]
    bad = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "--max-file-size", "-5", "beside.yaml"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2  # a usage error, like limits.maxFileBytes below 1 in config
    assert "Traceback" not in bad.stderr and "--max-file-size" in bad.stderr


def test_absurd_limits_in_config(workdir: Path) -> None:
    """An int beyond uint64 reads as a float (go-yaml v2), and a limit far beyond memory must
    not make kpolicy allocate it."""
    (workdir / ".kpolicy.yaml").write_text(
        "limits:\n  maxFileBytes: 99999999999999999999999\n  maxNodes: 99999999999999999999999\n"
        "  maxDepth: 99999999999999999999999\n"
    )
    shutil.copyfile(HOSTILE / "nesting-300-flow.yaml", workdir / "deep.yaml")
    code, report, stderr = invoke("beside.yaml", "deep.yaml")
    assert stderr == "" and code == 1
    assert BESIDE_FINDING in findings(report)
    assert [d for d in report["diagnostics"] if d["rule"] == "yaml-syntax"] == []
    result = run_cli("lint", "--no-color", "-", cwd=workdir, stdin=BESIDE.encode())
    assert assert_clean_stderr(result.stderr) == []
    assert "<stdin>:6:3: error[selector-mismatch]" in result.stdout


def test_stdin_over_the_size_limit(workdir: Path) -> None:
    assert len(BESIDE) < 400
    result = run_cli(
        "lint",
        "--no-color",
        "--max-file-size",
        "400",
        "-",
        "beside.yaml",
        cwd=workdir,
        stdin=((BESIDE + "---\n") * 3).encode(),
    )
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    assert "<stdin>:1:1: error[yaml-syntax] file refused: it has more than the limit of 400" in (
        result.stdout
    )
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_binary_on_stdin(workdir: Path) -> None:
    result = run_cli(
        "lint", "--no-color", "-", "beside.yaml", cwd=workdir, stdin=bytes(range(256)) * 16
    )
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    assert "<stdin>:2:1: error[yaml-syntax] file is not UTF-8 text" in result.stdout
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_10000_documents_in_one_file(workdir: Path) -> None:
    documents = [
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v\n"
        for i in range(9_999)
    ]
    text = "---\n".join([*documents, BESIDE.replace("beside", "last")])
    (workdir / "many.yaml").write_text(text)
    last_line = text.count("\n", 0, text.index("name: last")) + 1
    start = time.monotonic()
    code, report, stderr = invoke("many.yaml", "beside.yaml")
    assert time.monotonic() - start < 60
    assert stderr == "" and code == 1
    assert report["summary"]["objects"] == 10_001
    assert ("many.yaml", "selector-mismatch", last_line + 2) in findings(report)
    assert BESIDE_FINDING in findings(report)
    assert_no_internal_error(report)


def test_a_million_document_markers(workdir: Path) -> None:
    (workdir / "markers.yaml").write_text("---\n" * 1_000_000 + BESIDE)
    start = time.monotonic()
    result = run_cli("lint", "--no-color", "markers.yaml", cwd=workdir)
    assert time.monotonic() - start < 20
    assert assert_clean_stderr(result.stderr) == []
    assert "markers.yaml:1000006:3: error[selector-mismatch]" in result.stdout


@pytest.mark.slow
def test_16_mb_of_tiny_documents(workdir: Path) -> None:
    """1.8 million documents of one key each: slow (a finding each) but linear and bounded.
    The first document is an object, so that the file is a manifest whose other documents are
    reported (a file of no object at all is skipped as not a manifest)."""
    (workdir / "tiny.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" + "---\na: 1\n" * 1_860_000
    )
    start = time.monotonic()
    result = run_cli(
        "lint",
        "--no-color",
        "tiny.yaml",
        "beside.yaml",
        cwd=workdir,
        timeout=600,
        memory_bytes=4 * 1024 * 1024 * 1024,
    )
    assert time.monotonic() - start < 300
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    assert "1860001 errors" in result.stdout
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_node_flood_is_refused_in_bounded_memory(workdir: Path) -> None:
    """A 15 MB flow list of 7.5 million numbers: composing it would take gigabytes."""
    with (workdir / "flood.yaml").open("w") as handle:
        handle.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flood}\ndata: [")
        handle.write("0," * 7_500_000 + "0]\n")
    start = time.monotonic()
    result = run_cli(
        "lint",
        "--no-color",
        "flood.yaml",
        "beside.yaml",
        cwd=workdir,
        memory_bytes=1536 * 1024 * 1024,
    )
    assert time.monotonic() - start < 30
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    assert "flood.yaml:4:" in result.stdout
    assert "document refused: more than 1,000,000 nodes" in result.stdout
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_alias_bomb_is_refused_quickly(workdir: Path) -> None:
    shutil.copyfile(HOSTILE / "alias-billion-laughs.yaml", workdir / "bomb.yaml")
    start = time.monotonic()
    result = run_cli(
        "lint",
        "--no-color",
        "bomb.yaml",
        "beside.yaml",
        cwd=workdir,
        memory_bytes=1024 * 1024 * 1024,
    )
    assert time.monotonic() - start < 10
    assert assert_clean_stderr(result.stderr) == []
    assert "bomb.yaml:11:6: error[yaml-syntax] document refused: document expands to " in (
        result.stdout
    )
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_node_limit_from_config(workdir: Path) -> None:
    (workdir / ".kpolicy.yaml").write_text("limits:\n  maxNodes: 50\n")
    aliased = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: &x [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n  y: [*x, *x, *x, *x, *x]\n"
    plain = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata: ["
        + ", ".join(["1"] * 60)
        + "]\n"
    )
    (workdir / "aliased.yaml").write_text(aliased)
    (workdir / "plain.yaml").write_text(plain)
    code, report, stderr = invoke("aliased.yaml", "plain.yaml")
    assert stderr == "" and code == 1
    refused = {
        (d["file"], d["line"])
        for d in report["diagnostics"]
        if d["rule"] == "yaml-syntax" and "refused" in d["message"]
    }
    assert refused == {("aliased.yaml", 6), ("plain.yaml", 4)}
    (workdir / ".kpolicy.yaml").write_text("limits:\n  maxNodes: 500\n")
    code, report, _ = invoke("aliased.yaml", "plain.yaml")
    assert [d for d in report["diagnostics"] if d["rule"] == "yaml-syntax"] == []
    assert report["summary"]["objects"] == 2


def test_depth_limit_from_config(workdir: Path) -> None:
    shutil.copyfile(HOSTILE / "nesting-200-block.yaml", workdir / "deep.yaml")
    shutil.copyfile(HOSTILE / "nesting-300-flow.yaml", workdir / "deeper.yaml")
    (workdir / ".kpolicy.yaml").write_text("limits:\n  maxDepth: 100\n")
    code, report, _ = invoke("deep.yaml", "deeper.yaml")
    assert code == 1
    refused = {(d["file"], d["line"]) for d in report["diagnostics"] if d["rule"] == "yaml-syntax"}
    # the node at depth 101: the mapping under level99, whose first key is on line 106
    assert refused == {("deep.yaml", 106), ("deeper.yaml", 4)}
    assert all("deeper than 100 levels" in d["message"] for d in report["diagnostics"])
    (workdir / ".kpolicy.yaml").write_text("limits:\n  maxDepth: 400\n")
    _, report, _ = invoke("deep.yaml", "deeper.yaml")
    assert [d for d in report["diagnostics"] if d["rule"] == "yaml-syntax"] == []


def test_lone_surrogate_from_an_editor() -> None:
    """The language server hands over text, not bytes; a lone surrogate must not crash."""
    from tests.helpers import lint_text

    result = lint_text('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "a\ud800b"\n')
    assert [(d.rule, d.span.line) for d in result.diagnostics] == [("yaml-syntax", 4)]


def test_unprintably_long_integer(workdir: Path) -> None:
    """Hex digits are not limited by Python's int-to-str cap: 4000 of them must not crash
    ``str()`` anywhere; go-yaml v2 keeps such an out-of-range int as a string."""
    huge = "0x" + "f" * 4000
    text = BESIDE.replace("name: beside", f"name: {huge}\n  namespace: {huge}").replace(
        "spec:\n  selector", f"spec:\n  replicas: {huge}\n  minReadySeconds: -{huge}\n  selector"
    )
    (workdir / "huge.yaml").write_text(text)
    code, report, stderr = invoke("huge.yaml")
    assert stderr == "" and code == 1
    assert_no_internal_error(report)
    assert any(d["rule"] == "selector-mismatch" for d in report["diagnostics"])


def test_non_ascii_report_in_the_c_locale(workdir: Path) -> None:
    (workdir / "cafe.yaml").write_text(
        BESIDE.replace("name: beside", "name: café"), encoding="utf-8"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LC_", "LANG", "PYTHONUTF8", "PYTHONIOENCODING"))
    }
    env.update({"LC_ALL": "C", "PYTHONUTF8": "0"})
    result = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "--no-color", "cafe.yaml"],
        cwd=workdir,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1
    assert b"cafe.yaml:6:3: error[selector-mismatch]" in result.stdout


# --------------------------------------------------------------------------------------------
# generated inputs: the file system


def test_missing_path(workdir: Path) -> None:
    result = run_cli("lint", "--no-color", "nope.yaml", "beside.yaml", "", cwd=workdir)
    assert assert_clean_stderr(result.stderr) == [
        "kpolicy: error: nope.yaml: no such file or directory",
        "kpolicy: error: : no such file or directory",
    ]
    assert result.returncode == 2
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_folder_named_like_a_manifest(workdir: Path) -> None:
    folder = workdir / "x.yaml"
    folder.mkdir()
    (folder / "inner.yaml").write_text(BESIDE.replace("beside", "inner"))
    (workdir / "tree" / "y.yaml").mkdir(parents=True)
    result = run_cli("lint", "--no-color", "x.yaml", "tree", "beside.yaml", cwd=workdir)
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    assert "x.yaml/inner.yaml:6:3: error[selector-mismatch]" in result.stdout
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_symlink_loops_in_a_folder(workdir: Path) -> None:
    tree = workdir / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "app.yaml").write_text(BESIDE.replace("beside", "app"))
    (tree / "sub" / "up").symlink_to("..")  # a folder loop
    (tree / "self").symlink_to(".")
    (tree / "a.yaml").symlink_to("b.yaml")  # a file loop
    (tree / "b.yaml").symlink_to("a.yaml")
    (tree / "dangling.yaml").symlink_to("missing.yaml")
    (workdir / "loop.yaml").symlink_to("loop.yaml")
    result = run_cli(
        "lint", "--no-color", "tree", "loop.yaml", "beside.yaml", cwd=workdir, timeout=60
    )
    errors = assert_clean_stderr(result.stderr)
    assert sorted(errors) == [
        "kpolicy: error: loop.yaml: symbolic link loop",
        "kpolicy: error: tree/a.yaml: symbolic link loop",
        "kpolicy: error: tree/b.yaml: symbolic link loop",
        "kpolicy: error: tree/dangling.yaml: broken symbolic link",
    ]
    assert result.returncode == 2
    assert result.stdout.count("error[selector-mismatch]") == 2  # app.yaml once, and beside
    assert "tree/sub/app.yaml:6:3: error[selector-mismatch]" in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_never_blocks(workdir: Path) -> None:
    os.mkfifo(workdir / "pipe.yaml")
    (workdir / "tree").mkdir()
    os.mkfifo(workdir / "tree" / "pipe.yaml")
    (workdir / "tree" / "app.yaml").write_text(BESIDE.replace("beside", "app"))
    result = run_cli(
        "lint", "--no-color", "pipe.yaml", "tree", "beside.yaml", cwd=workdir, timeout=60
    )
    assert assert_clean_stderr(result.stderr) == [
        "kpolicy: error: pipe.yaml: not a regular file or folder",
        "kpolicy: error: tree/pipe.yaml: not a regular file",
    ]
    assert result.returncode == 2
    assert "tree/app.yaml:6:3: error[selector-mismatch]" in result.stdout
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout
    nodes = run_cli(
        "lint", "--no-color", "--nodes", "pipe.yaml", "beside.yaml", cwd=workdir, timeout=60
    )
    assert assert_clean_stderr(nodes.stderr) == ["kpolicy: error: pipe.yaml: not a regular file"]
    assert nodes.returncode == 2


def _readable_despite_chmod(path: Path) -> bool:
    return os.access(path, os.R_OK)  # root (as in CI containers) reads anything


def test_unreadable_file(workdir: Path) -> None:
    locked = workdir / "locked.yaml"
    locked.write_text(BESIDE)
    locked.chmod(0)
    try:
        if _readable_despite_chmod(locked):
            pytest.skip("running as root: chmod 000 does not stop reading (see the other tests)")
        result = run_cli("lint", "--no-color", "locked.yaml", "beside.yaml", cwd=workdir)
        assert assert_clean_stderr(result.stderr) == [
            "kpolicy: error: locked.yaml: cannot read: Permission denied"
        ]
        assert result.returncode == 2
        assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout
    finally:
        locked.chmod(0o644)


def test_unreadable_folder(workdir: Path) -> None:
    locked = workdir / "locked"
    locked.mkdir()
    (locked / "app.yaml").write_text(BESIDE)
    locked.chmod(0)
    try:
        if _readable_despite_chmod(locked):
            pytest.skip("running as root: chmod 000 does not stop reading")
        result = run_cli("lint", "--no-color", "locked", "beside.yaml", cwd=workdir)
        errors = assert_clean_stderr(result.stderr)
        assert errors == ["kpolicy: error: locked: cannot read folder: Permission denied"]
        assert result.returncode == 2
        assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout
    finally:
        locked.chmod(0o755)


def test_read_error_even_as_root(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be read, whoever runs the tests: ``open`` is made to fail."""
    from kpolicy.lint import inputs as lint_module

    (workdir / "locked.yaml").write_text(BESIDE)
    from kpolicy.fsutil import open_regular as real_open  # what kpolicy.lint calls

    def failing_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name == "locked.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(lint_module, "open_regular", failing_open)
    code, report, stderr = invoke("locked.yaml", "beside.yaml")
    assert stderr.splitlines() == ["kpolicy: error: locked.yaml: cannot read: Permission denied"]
    assert code == 2
    assert BESIDE_FINDING in findings(report)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_input_output_error(workdir: Path) -> None:
    """/proc/self/mem is a regular file that nobody, not even root, reads from offset 0."""
    result = run_cli("lint", "--no-color", "/proc/self/mem", "beside.yaml", cwd=workdir)
    assert assert_clean_stderr(result.stderr) == [
        "kpolicy: error: /proc/self/mem: cannot read: Input/output error"
    ]
    assert result.returncode == 2
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout


def test_stat_error_inside_a_folder(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that lists but does not let its entries be examined (mode r--)."""
    from kpolicy import discover as discover_module

    (workdir / "tree").mkdir()
    (workdir / "tree" / "app.yaml").write_text(BESIDE)
    real_stat = os.stat

    def failing_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith("app.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    real_lstat = os.lstat

    def failing_lstat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith("app.yaml"):  # a r-- folder: lstat fails as stat does
            raise PermissionError(13, "Permission denied", str(path))
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", failing_stat)
    monkeypatch.setattr(os, "lstat", failing_lstat)
    # the Python walk, whose statuses fail here (the C listing's fail over to it: a file whose
    # status it could not take is the Python loop's; tests/test_cload_walk.py)
    monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")
    files, errors = discover_module.discover(["tree", "beside.yaml"])
    assert [f.display for f in files] == ["beside.yaml"]
    assert errors == ["tree/app.yaml: cannot read: Permission denied"]


# --------------------------------------------------------------------------------------------
# a rule that fails is an internal-error finding, not a crash


@pytest.fixture
def failing_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``selector-missing`` replaced by a check that raises after one good finding."""
    from kpolicy.model import Problem

    def broken(obj: Any, ctx: Any) -> Iterator[Problem]:
        yield Problem(("kind",), "found before the failure")
        raise ZeroDivisionError("deliberate failure in a test check")

    table = dict(registry())
    table["selector-missing"] = Check(("selector-missing",), broken)
    monkeypatch.setattr(engine_module, "registry", lambda: table)
    yield "selector-missing"


def test_internal_error_names_rule_and_object(workdir: Path, failing_rule: str) -> None:
    code, report, stderr = invoke("beside.yaml")
    assert code == 3  # a rule that fails is a bug in kpolicy: exit 3
    assert "Traceback" not in stderr and stderr == ""
    crashes = [d for d in report["diagnostics"] if d["rule"] == "internal-error"]
    assert len(crashes) == 1
    crash = crashes[0]
    assert (crash["file"], crash["line"], crash["severity"]) == ("beside.yaml", 2, "error")
    assert crash["object"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": None,
        "name": "beside",
    }
    assert crash["message"].startswith(
        f"rule {failing_rule} failed on Deployment beside (ZeroDivisionError: deliberate failure"
    )
    assert "--debug" in crash["message"]
    # the other rules still ran, and so did the failing rule up to its failure
    assert BESIDE_FINDING in findings(report)
    assert ("beside.yaml", failing_rule, 2) in findings(report)


def test_internal_error_traceback_only_with_debug(workdir: Path, failing_rule: str) -> None:
    result = CliRunner().invoke(
        app, ["lint", "--no-color", "--debug", "beside.yaml"], catch_exceptions=False
    )
    assert result.exit_code == 3  # a bug in kpolicy, not a finding about the manifest
    assert "Traceback (most recent call last)" in result.stderr
    assert "ZeroDivisionError: deliberate failure in a test check" in result.stderr
    assert f"beside.yaml: Deployment beside: rule {failing_rule}:" in result.stderr
    assert "beside.yaml:2:7: error[internal-error]" in result.stdout
    assert "beside.yaml:6:3: error[selector-mismatch]" in result.stdout
    quiet = CliRunner().invoke(app, ["lint", "--no-color", "beside.yaml"], catch_exceptions=False)
    assert "Traceback" not in quiet.stderr and quiet.stderr == ""


def test_internal_error_traceback_is_escaped(workdir: Path, failing_rule: str) -> None:
    # the traceback names the object: a name with ESC, CR and a bidi override stays escaped
    hostile = BESIDE.replace("  name: beside\n", '  name: "be\\e[31mside\\r\\u202e"\n', 1)
    (workdir / "beside.yaml").write_text(hostile)
    result = CliRunner().invoke(
        app, ["lint", "--no-color", "--debug", "beside.yaml"], catch_exceptions=False
    )
    assert "Traceback (most recent call last)" in result.stderr
    assert "Deployment be\\x1b[31mside\\x0d\\u202e: rule" in result.stderr
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    assert "\u202e" not in result.stderr


def test_internal_error_can_be_ignored(workdir: Path, failing_rule: str) -> None:
    _, report, _ = invoke("--ignore", "internal-error", "beside.yaml")
    assert [d for d in report["diagnostics"] if d["rule"] == "internal-error"] == []
    assert BESIDE_FINDING in findings(report)


# --------------------------------------------------------------------------------------------
# the plan module, `kpolicy plan` and the language server on the same inputs


def test_plan_module_on_hostile_files() -> None:
    try:
        from kpolicy.plan import PlanContext, plan_for
    except ImportError:
        pytest.skip("no kpolicy.plan yet")
    from kpolicy.discover import Input
    from kpolicy.lint import read_input
    from kpolicy.model import Limits

    planned = 0
    for name in [*corpus_files(), "workloads.yaml"]:
        loaded = read_input(Input(name, HOSTILE / name), False, Limits(), None)
        assert not isinstance(loaded, str), loaded
        services = [o.data for o in loaded.objects if o.kind == "Service"]
        nodes = [o.data for o in loaded.objects if o.kind == "Node"]
        for obj in loaded.objects:
            if plan_for(obj.data, None) is not None:
                planned += 1
            plan_for(
                obj.data, obj.data, diff=True, context=PlanContext(services=services, nodes=nodes)
            )
            plan_for(None, obj.data)
    assert planned > 20


def test_plan_command_on_hostile_files(workdir: Path) -> None:
    if CliRunner().invoke(app, ["plan", "--help"]).exit_code != 0:
        pytest.skip("no `kpolicy plan` command yet")
    for name in corpus_files():
        shutil.copyfile(HOSTILE / name, workdir / name)
        result = CliRunner().invoke(app, ["plan", name, "beside.yaml"], catch_exceptions=False)
        assert "Traceback" not in result.stderr, name
        assert result.exit_code in (0, 1, 2), (name, result.exit_code)
        for line in result.stderr.splitlines():
            assert line.startswith("kpolicy: "), (name, line)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_plan_command_on_unreadable_paths(workdir: Path) -> None:
    if CliRunner().invoke(app, ["plan", "--help"]).exit_code != 0:
        pytest.skip("no `kpolicy plan` command yet")
    os.mkfifo(workdir / "pipe.yaml")
    (workdir / "loop.yaml").symlink_to("loop.yaml")
    shutil.copyfile(HOSTILE / "alias-billion-laughs.yaml", workdir / "bomb.yaml")
    result = run_cli(
        "plan",
        "pipe.yaml",
        "nope.yaml",
        "loop.yaml",
        "bomb.yaml",
        "beside.yaml",
        cwd=workdir,
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("kpolicy: error: ")]
    assert errors == [
        "kpolicy: error: pipe.yaml: not a regular file or folder",
        "kpolicy: error: nope.yaml: no such file or directory",
        "kpolicy: error: loop.yaml: symbolic link loop",
    ]
    assert "bomb.yaml:11:6: document refused" in result.stderr
    assert "1 workload" in result.stdout
    nodes = run_cli("plan", "--nodes", "pipe.yaml", "beside.yaml", cwd=workdir, timeout=60)
    assert "Traceback" not in nodes.stderr
    assert nodes.returncode == 2
    assert "pipe.yaml: not a regular file" in nodes.stderr


def test_language_server_on_hostile_files(tmp_path: Path) -> None:
    try:
        from kpolicy.lsp.project import Buffer, Project
    except ImportError:
        pytest.skip("no language server yet")
    project = Project(tmp_path)
    for name in corpus_files():
        # an editor hands over text: what it could not decode is already replaced
        text = (HOSTILE / name).read_bytes().decode("utf-8", "replace")
        uri = (tmp_path / name).as_uri()
        buffer = Buffer(uri, 1, text)
        outcome = project.lint(buffer, {uri: buffer})
        crashes = [d.message for d in outcome.published if d.code == "internal-error"]
        assert crashes == [], (name, crashes)
