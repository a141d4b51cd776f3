"""`kpolicy test-policies`: examples pass and fail as they should, with the right exit codes."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from kpolicy.testpolicies import run_test_policies
from tests.conftest import ROOT
from tests.helpers import cli

EXAMPLES = ROOT / "examples" / "policies"


def run(paths: list[Path]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_test_policies(paths, out, err)
    return code, out.getvalue(), err.getvalue()


def test_example_policies_pass() -> None:
    code, out, err = run([EXAMPLES])
    assert code == 0, out
    assert err == ""
    lines = out.splitlines()
    assert lines[-1] == "2 policies, 7 examples: 7 passed, 0 failed"
    assert (
        "PASS images-from-registry example 1 bad (public images, also in init containers): "
        "2 findings" in lines
    )
    assert all(line.startswith("PASS ") for line in lines[:-1])


def test_builtin_rules_pass() -> None:
    code, out, _ = run([])
    assert code == 0, "\n".join(line for line in out.splitlines() if not line.startswith("PASS"))
    assert out.splitlines()[-1].endswith(" failed") and " rules, " in out.splitlines()[-1]


def test_a_disagreeing_example_fails(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "prod-replicas-minimum.yaml", tmp_path)
    path = tmp_path / "prod-replicas-minimum.yaml"
    text = path.read_text()
    # the good example now has too few replicas, and a bad one is fixed
    text = text.replace("replicas: 3\n", "replicas: 2\n", 1).replace(
        "        serviceName: db\n", "        serviceName: db\n        replicas: 5\n"
    )
    path.write_text(text)
    code, out, _ = run([path])
    assert code == 1
    assert "FAIL prod-replicas-minimum example 1 good: 1 finding, expected none" in out
    assert f"     in {path}" in out
    assert (
        "good.yaml:7:13: error[prod-replicas-minimum] Deployment web in prod runs fewer than "
        "3 replicas: spec.replicas 2 is less than the minimum 3 (Deployment prod/web)" in out
    )
    assert (
        "FAIL prod-replicas-minimum example 2 bad (replicas left out means 1): no finding, "
        "expected at least one" in out
    )
    assert out.splitlines()[-1] == "1 policy, 4 examples: 2 passed, 2 failed"


def test_an_example_that_does_not_load_fails(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("""\
id: p
title: Anything
severity: error
check: {required: [spec]}
rationale: for the tests.
remediation: Fix it.
examples:
  - good: "kind: [unclosed"
""")
    code, out, _ = run([path])
    assert code == 1
    assert "FAIL p example 1 good: no finding, but the example cannot be judged" in out
    assert "the example does not load: good.yaml:1:7: error[yaml-syntax]" in out


def test_a_policy_without_check_fails(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "id: p\ntitle: T\nseverity: error\nrationale: r\nremediation: Fix.\n"
        "examples:\n  - good: 'a: 1'\n"
    )
    code, _, err = run([path])
    assert code == 2  # a policy without a check is a bad policy: a usage error, as in lint
    assert "policy 'p' has no check" in err


def test_usage_errors(tmp_path: Path) -> None:
    code, out, err = run([tmp_path / "missing"])
    assert (code, out) == (2, "")
    assert err == f"kpolicy: error: {tmp_path / 'missing'}: policy path not found\n"
    (tmp_path / "p.yaml").write_text("id: p\n")
    code, _, err = run([tmp_path])
    assert code == 2 and err.startswith(f"kpolicy: error: {tmp_path / 'p.yaml'}:1: invalid rule")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run([empty])
    assert code == 2 and "no policy files" in err


def test_cli_exit_codes(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return cli("test-policies", *args, cwd=ROOT)

    ok = run("examples/policies")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.splitlines()[-1] == "2 policies, 7 examples: 7 passed, 0 failed"
    shutil.copy(EXAMPLES / "images-from-registry.yaml", tmp_path)
    broken = tmp_path / "images-from-registry.yaml"
    broken.write_text(
        broken.read_text().replace("registry.example.com/web/nginx", "docker.io/nginx")
    )
    assert run(str(broken)).returncode == 1
    bad = run(str(tmp_path / "nope.yaml"))
    assert bad.returncode == 2 and "policy path not found" in bad.stderr
