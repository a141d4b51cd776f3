"""Issue 13, written as the attacks: hostile patterns, forged output, output that would grow
with the square of the input, plans of absurd size, alias bombs across documents, file names
that are not UTF-8, hidden suppressions, quantities past Python's int-string limit.

Each runs the real command (``python -m kpolicy``) under a 2 GB address-space limit where
memory is the attack, and asserts the safe outcome: a finding or a one-line error, in bounded
output. Static inputs live in tests/hostile/ (see its README); large ones are generated here.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from kpolicy import patterns
from tests.conftest import ROOT
from tests.helpers import lint_text, of_rule
from tests.test_robustness import HOSTILE, assert_clean_stderr, run_cli

GB2 = 2 * 1024**3
# every character kpolicy.escape must never let through from the input
RAW = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
NAMES = (HOSTILE / "names-control-characters.yaml").read_text()


def _copy(name: str, folder: Path) -> str:
    (folder / name).write_bytes((HOSTILE / name).read_bytes())
    return name


def _json(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --------------------------------------------------------------------------------------------
# 1. bounded patterns


POLICY = """\
id: registry-only
title: Images come from the company registry
severity: error
kinds: [Deployment]
target: container
rationale: Only images from the company registry are scanned and signed by the platform team.
remediation: Push the image to the company registry and use it from there.
message: "container {container}: image not from the company registry"
check:
  properties:
    image: {type: string, pattern: '^(r|r|rr)*$'}
    name: {pattern: '^(?!debug-)'}
examples:
  - good: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: ok}
      spec:
        selector: {matchLabels: {app: ok}}
        template:
          metadata: {labels: {app: ok}}
          spec: {containers: [{name: ok, image: rr}]}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr!
        - name: debug-sidecar
          image: rr
"""


def test_redos_pattern_in_a_policy_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    result = run_cli(
        "lint", "-f", "json", "--policy", "policy.yaml", "web.yaml", cwd=tmp_path, timeout=60
    )
    assert assert_clean_stderr(result.stderr) == []
    found = {(d["rule"], d["line"]): d["message"] for d in _json(result)["diagnostics"]}
    timeout = found[("policy-pattern-timeout", 11)]
    assert "policy 'registry-only'" in timeout and "'^(r|r|rr)*$'" in timeout
    assert "timed out after 0.25 s" in timeout
    # the pattern is not run again in this run: the second container is reported, not checked
    assert "timed out earlier" in found[("policy-pattern-timeout", 13)]
    assert result.returncode == 1


def test_lookahead_patterns_of_ecma_262_work_in_policies() -> None:
    """The reason for the regex package over RE2: a policy's usual negative lookahead."""
    pattern = patterns.compile_pattern("^(?!.*:latest$)")
    assert pattern.search("nginx:1.27")
    assert not pattern.search("nginx:latest")
    # ECMA-262 and Go: $ is the end of the text, not before a final newline; \\d is ASCII
    assert not patterns.compile_pattern("^[a-z]+$").search("abc\n")
    assert not patterns.compile_pattern(r"^\d+$").search("\u0663")


def test_redos_pattern_in_a_crd_among_the_inputs(tmp_path: Path) -> None:
    name = _copy("patterns-redos-crd.yaml", tmp_path)
    result = run_cli("lint", "-f", "json", name, cwd=tmp_path, timeout=60)
    (diag,) = [d for d in _json(result)["diagnostics"] if d["rule"] == "policy-pattern-timeout"]
    assert diag["line"] == 29
    assert "CustomResourceDefinition 'gadgets.example.com'" in diag["message"]
    assert '"^(x|x|xx)*$"' in diag["message"]


def test_many_hostile_patterns_share_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CRD of many distinct hostile patterns: once the run's budget is spent, each remaining
    value is a finding at once, so the run's time is bounded whatever the count."""
    monkeypatch.setattr(patterns, "RUN_BUDGET", 0.3)
    monkeypatch.setattr(patterns, "MATCH_TIMEOUT", 0.1)
    fields = {f"f{i}": {"type": "string", "pattern": f"^(a|a|a{i})*$"} for i in range(40)}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Thing", "plural": "things"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {"type": "object", "properties": fields}},
                        }
                    },
                }
            ],
        },
    }
    things = [
        {
            "apiVersion": "example.com/v1",
            "kind": "Thing",
            "metadata": {"name": f"t{i}"},
            "spec": {f"f{i}": "a" * 60 + "!"},
        }
        for i in range(40)
    ]
    text = "\n---\n".join(json.dumps(doc) for doc in [crd, *things])
    found = of_rule(lint_text(text, select=["policy-pattern-timeout"]), "policy-pattern-timeout")
    assert len(found) == 40
    assert sum("timed out after" in d.message for d in found) <= 4  # 0.3 s / 0.1 s, and a rest
    assert any("the run's 0.3 s for patterns is spent" in d.message for d in found)


def test_patterns_are_compiled_once() -> None:
    assert patterns.compile_pattern("^a+$") is patterns.compile_pattern("^a+$")


# --------------------------------------------------------------------------------------------
# 2. output cannot be forged


def _assert_not_forged(output: str, own_commands: bool = False) -> None:
    assert RAW.search(output) is None, RAW.search(output)
    for line in output.splitlines():
        stripped = line.lstrip()
        if own_commands and re.match(r"::(error|warning|notice) ", line):
            continue
        assert not stripped.startswith(("::", "##[")), line


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github"])
def test_control_characters_and_workflow_commands_in_names_through_lint(
    output_format: str, tmp_path: Path
) -> None:
    evil_file = "::add-mask::x\x1b[2J\u202e.yaml"
    (tmp_path / evil_file).write_text(NAMES)
    result = run_cli("lint", "-f", output_format, evil_file, cwd=tmp_path)
    assert result.returncode == 1
    _assert_not_forged(result.stdout, own_commands=output_format == "github")
    _assert_not_forged(result.stderr)
    if output_format == "text":
        findings = result.stdout.splitlines()[:-1]
        assert len(findings) == 5  # one finding, one line, though the names hold CR and LF
        assert all(line.startswith("./::add-mask::x\\x1b[2J\\u202e.yaml:") for line in findings)
        assert "web\\x1b]0;owned\\x07\\x0d\\x0a::add-mask::hunter2\\u202egnp.exe" in findings[0]
    if output_format == "github":
        assert "file=%3A%3Aadd-mask%3A%3Ax\\x1b[2J\\u202e.yaml" in result.stdout
    if output_format in ("json", "sarif"):
        json.loads(result.stdout)


@pytest.mark.parametrize("output_format", ["text", "json", "markdown", "svg"])
def test_control_characters_and_workflow_commands_in_names_through_plan(
    output_format: str, tmp_path: Path
) -> None:
    (tmp_path / "web.yaml").write_text(NAMES)
    result = run_cli("plan", "-f", output_format, "web.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _assert_not_forged(result.stdout)
    if output_format == "markdown":
        assert "<" not in result.stdout.replace("<details>", "").replace("</details>", "").replace(
            "<summary>", ""
        ).replace("</summary>", "")
    if output_format == "svg":
        import xml.etree.ElementTree as ET

        ET.fromstring(result.stdout)


def test_control_characters_in_paths_on_stderr(tmp_path: Path) -> None:
    missing = "gone\x1b[2J\n::add-mask::secret.yaml"
    for command in (["lint", missing], ["plan", missing], ["lint", "-c", missing, "."]):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 2
        _assert_not_forged(result.stderr)
        assert len(result.stderr.splitlines()) == 1
        assert "gone\\x1b[2J\\x0a::add-mask::secret.yaml" in result.stderr


# --------------------------------------------------------------------------------------------
# 3. a file name that is not UTF-8


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github"])
def test_non_utf8_file_name(output_format: str, tmp_path: Path) -> None:
    name = b"caf\xe9.yaml"
    with open(os.path.join(os.fsencode(tmp_path), name), "w") as handle:
        handle.write(NAMES)
    result = run_cli("lint", "-f", output_format, ".", cwd=tmp_path)
    assert assert_clean_stderr(result.stderr) == []
    assert result.returncode == 1
    assert result.stdout
    if output_format == "sarif":
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in _json(result)["runs"][0]["results"]
        }
        assert uris == {"caf%E9.yaml"}
    elif output_format == "json":
        assert {d["file"] for d in _json(result)["diagnostics"]} == {"caf\\xe9.yaml"}
    else:
        assert "caf\\xe9.yaml" in result.stdout


# --------------------------------------------------------------------------------------------
# 4. output linear in the input


def test_many_overlapping_workloads_are_n_minus_1_findings(tmp_path: Path) -> None:
    name = _copy("selectors-overlapping-group.yaml", tmp_path)
    result = run_cli(
        "lint", "-f", "json", "--select", "selector-overlap", name, cwd=tmp_path, memory_bytes=GB2
    )
    found = [d for d in _json(result)["diagnostics"] if d["rule"] == "selector-overlap"]
    assert len(found) == 29
    # each names the first workload: web-0, which itself carries no finding
    assert all("Deployment 'web-0'" in d["message"] for d in found)
    assert "web-0" not in {d["object"]["name"] for d in found}


@pytest.mark.slow  # a run over thousands of workloads
def test_thousands_of_overlapping_workloads_in_bounded_memory(tmp_path: Path) -> None:
    document = (
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w%d}\nspec:\n"
        "  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n"
        "    spec: {containers: [{name: c, image: 'nginx:1'}]}\n"
    )
    (tmp_path / "many.yaml").write_text("".join(document % i for i in range(3000)))
    result = run_cli(
        "lint",
        "-f",
        "json",
        "--select",
        "selector-overlap",
        "many.yaml",
        cwd=tmp_path,
        memory_bytes=GB2,
        timeout=300,
    )
    assert assert_clean_stderr(result.stderr) == []
    assert len(_json(result)["diagnostics"]) == 2999
    assert len(result.stdout) < 3000 * 1000


def test_findings_list_a_few_names_and_count_the_rest(tmp_path: Path) -> None:
    name = _copy("lists-many-volumes-and-ports.yaml", tmp_path)
    result = run_cli("lint", "-f", "json", name, cwd=tmp_path, memory_bytes=GB2)
    diagnostics = _json(result)["diagnostics"]
    mounts = [d for d in diagnostics if d["rule"] == "volume-mount-unknown"]
    assert len(mounts) == 400
    assert all(
        "vol-0, vol-1, vol-10, vol-100, vol-101 and 395 more" in d["message"] for d in mounts
    )
    (probe,) = [d for d in diagnostics if d["rule"] == "probe-port-unknown"]
    assert "p0, p1, p2, p3, p4 and 395 more" in probe["message"]
    assert max(len(d["message"]) for d in diagnostics) < 300


@pytest.mark.slow  # plans with huge replica counts, through the CLI
def test_huge_replicas_in_plan(tmp_path: Path) -> None:
    name = _copy("plan-huge-replicas.yaml", tmp_path)
    for output_format in ("json", "text", "markdown", "svg"):
        result = run_cli("plan", "-f", output_format, name, cwd=tmp_path, memory_bytes=GB2)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout) < 60_000
    document = json.loads(run_cli("plan", "-f", "json", name, cwd=tmp_path).stdout)
    deployment, statefulset = document["workloads"]
    assert deployment["replicas"] == 2_147_483_647
    assert len(deployment["steps"]) == 40
    assert deployment["omitted"]["steps"] == {"after": 20, "count": 4960}
    assert statefulset["steps"] == []
    assert any("no step-by-step plan" in note for note in statefulset["notes"])
    import jsonschema

    jsonschema.validate(document, json.loads((ROOT / "schemas/plan.schema.json").read_text()))


@pytest.mark.slow  # a plan over 100,000 Nodes
def test_daemonset_plan_over_100000_nodes(tmp_path: Path) -> None:
    node = "---\napiVersion: v1\nkind: Node\nmetadata: {name: node-%d, labels: {zone: z%d}}\n"
    (tmp_path / "nodes.yaml").write_text("".join(node % (i, i % 3) for i in range(100_000)))
    (tmp_path / "ds.yaml").write_text(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n"
        "  selector: {matchLabels: {app: agent}}\n  template:\n"
        "    metadata: {labels: {app: agent}}\n"
        "    spec: {containers: [{name: c, image: 'agent:1'}]}\n"
    )
    result = run_cli(
        "plan",
        "-f",
        "json",
        "ds.yaml",
        "--nodes",
        "nodes.yaml",
        cwd=tmp_path,
        memory_bytes=GB2,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (plan,) = _json(result)["workloads"]
    assert plan["replicas"] == 100_000
    assert len(plan["nodes"]) == 50
    assert plan["omitted"]["nodes"] == {"after": 50, "count": 99_950, "running": 100_000}
    assert any("the plan stops after 5 controller syncs" in note for note in plan["notes"])
    assert len(result.stdout) < 20_000


# --------------------------------------------------------------------------------------------
# 5. limits per file and per run


def test_alias_bombs_across_one_file_are_refused_in_bounded_memory(tmp_path: Path) -> None:
    name = _copy("alias-bombs-across-documents.yaml", tmp_path)
    assert (tmp_path / name).stat().st_size < 41_000
    result = run_cli("lint", "-f", "json", name, cwd=tmp_path, memory_bytes=GB2, timeout=120)
    assert assert_clean_stderr(result.stderr) == []
    refused = [
        d
        for d in _json(result)["diagnostics"]
        if d["rule"] == "yaml-syntax"
        and "expand to more than 1,000,000 nodes in all" in d["message"]
    ]
    assert len(refused) == 129  # every document after the first


def test_bytes_read_per_run_are_bounded(tmp_path: Path) -> None:
    (tmp_path / ".kpolicy.yaml").write_text("limits: {maxRunBytes: 2000}\n")
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\ndata: {a: '%s'}\n"
    for i in range(5):
        (tmp_path / f"c{i}.yaml").write_text(body % (i, "x" * 900))
    result = run_cli("lint", "-f", "json", ".", cwd=tmp_path)
    refused = sorted(
        d["file"] for d in _json(result)["diagnostics"] if "limit of 2000 bytes" in d["message"]
    )
    assert refused == ["c3.yaml", "c4.yaml"]  # the third file is the one that passes 2000


def test_a_run_within_its_byte_limit_refuses_without_a_step_per_file() -> None:
    """Where all the files hold no more than the run's limit (every run but a hostile one),
    none is refused and the files are not gone through one at a time (a step for each of
    the hundreds of files of a walk, before the workers fork); past it, the files after the
    limit are refused as before."""
    from kpolicy.discover import Input
    from kpolicy.lint.inputs import refuse_past_run_limit
    from kpolicy.model import Limits

    class NotGoneThrough(list[tuple[Input, bool]]):
        def __iter__(self) -> Any:
            raise AssertionError("gone through")

    reads = [(Input(f"c{i}.yaml", f"c{i}.yaml", False), False) for i in range(3)]
    results: list[Any] = [None] * 3
    refuse_past_run_limit(NotGoneThrough(reads), [10, 20, 30], Limits(max_run_bytes=60), results)
    assert results == [None] * 3
    refuse_past_run_limit(reads, [10, 20, 30], Limits(max_run_bytes=60), results)
    assert results == [None] * 3
    refuse_past_run_limit(reads, [10, 20, 30], Limits(max_run_bytes=29), results)
    assert results[:2] == [None, None] and results[2] is not None
    assert "limit of 29 bytes" in results[2].diagnostics[0].message


# --------------------------------------------------------------------------------------------
# 6. suppressions are comments; 7. quantities past the int-string limit


def test_ignore_inside_a_string_or_a_script_suppresses_nothing(tmp_path: Path) -> None:
    name = _copy("suppress-inside-scalars.yaml", tmp_path)
    result = run_cli("lint", "-f", "json", "--select", "privileged-container", name, cwd=tmp_path)
    report = _json(result)
    assert {d["line"] for d in report["diagnostics"]} == {18, 22}
    assert report["summary"]["suppressed"] == 0
    # a real comment still works
    text = (
        (tmp_path / name)
        .read_text()
        .replace(
            "securityContext: {privileged: true}\n    - name: d",
            "securityContext: {privileged: true}  # kpolicy: ignore[privileged-container]\n"
            "    - name: d",
        )
    )
    found = lint_text(text, select=["privileged-container"])
    assert [d.span.line for d in found.diagnostics] == [22]
    assert [d.span.line for d in found.suppressed] == [18]


def test_quantity_of_5000_digits_is_a_finding(tmp_path: Path) -> None:
    name = _copy("quantity-5000-digits.yaml", tmp_path)
    result = run_cli("lint", "-f", "json", name, cwd=tmp_path)
    assert assert_clean_stderr(result.stderr) == []
    diagnostics = _json(result)["diagnostics"]
    assert [d["rule"] for d in diagnostics] == ["schema-format-invalid"] * 2
    assert all("has 5000 digits" in d["message"] for d in diagnostics)
