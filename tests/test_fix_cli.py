"""``kpolicy lint --fix``, ``--unsafe-fixes`` and ``--diff`` as a user runs them."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_process

# revision-history-limit-zero (a safe fix) and rollout-takes-all-down (an unsafe one)
DEPLOYMENT = """\
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}   # flow style kept
spec:
  replicas: 3
  revisionHistoryLimit: 0  # no history
  strategy:
    rollingUpdate: {maxUnavailable: '100%'}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "nginx:1.27"
"""
SAFE = DEPLOYMENT.replace("revisionHistoryLimit: 0", "revisionHistoryLimit: 10")
BOTH = SAFE.replace("maxUnavailable: '100%'", "maxUnavailable: 1")


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_process("lint", "--no-cache", *args, cwd=cwd, stdin=stdin)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    return tmp_path


def test_fix_applies_safe_fixes_in_place_and_keeps_the_mode(project: Path) -> None:
    target = project / "web.yaml"
    target.chmod(0o640)
    done = run("--fix", "web.yaml", cwd=project)
    assert target.read_text(encoding="utf-8") == SAFE
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert "fixed 1 finding in 1 file (revision-history-limit-zero 1)" in done.stderr
    # what is left is reported: the unsafe one
    assert "rollout-takes-all-down" in done.stdout
    assert "revision-history-limit-zero" not in done.stdout
    assert done.returncode == 1
    assert sorted(p.name for p in project.iterdir()) == ["web.yaml"]  # no temporary left


def test_unsafe_fixes_add_the_unsafe_ones_and_a_second_fix_changes_nothing(
    project: Path,
) -> None:
    run("--fix", "--unsafe-fixes", "web.yaml", cwd=project)
    assert (project / "web.yaml").read_text(encoding="utf-8") == BOTH
    again = run("--diff", "--unsafe-fixes", "web.yaml", cwd=project)
    assert again.returncode == 0 and again.stdout == ""


def test_diff_prints_and_changes_nothing(project: Path) -> None:
    done = run("--diff", "web.yaml", cwd=project)
    assert done.returncode == 1
    assert (project / "web.yaml").read_text(encoding="utf-8") == DEPLOYMENT
    assert done.stdout.startswith("--- a/web.yaml\n+++ b/web.yaml\n")
    assert "-  revisionHistoryLimit: 0  # no history\n" in done.stdout
    assert "+  revisionHistoryLimit: 10  # no history\n" in done.stdout
    assert "would fix 1 finding" in done.stderr


def test_crlf_and_a_byte_order_mark_are_kept(project: Path) -> None:
    target = project / "web.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + DEPLOYMENT.replace("\n", "\r\n").encode())
    run("--fix", "web.yaml", cwd=project)
    assert target.read_bytes() == b"\xef\xbb\xbf" + SAFE.replace("\n", "\r\n").encode()


def test_stdin_fix_writes_the_fixed_text_to_stdout(project: Path) -> None:
    done = run("--fix", "-", cwd=project, stdin=DEPLOYMENT)
    assert done.stdout == SAFE
    assert "rollout-takes-all-down" in done.stderr  # the report goes to stderr


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_symbolic_link_is_not_rewritten(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "real.yaml"
    outside.write_text(DEPLOYMENT, encoding="utf-8")
    (project / "web.yaml").unlink()
    (project / "link.yaml").symlink_to(outside)
    done = run("--fix", "link.yaml", cwd=project)
    assert outside.read_text(encoding="utf-8") == DEPLOYMENT
    assert (project / "link.yaml").is_symlink()
    assert "not fixed: a symbolic link" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--unsafe-fixes",), "--unsafe-fixes goes with --fix or --diff"),
        (("--fix", "--diff"), "--fix and --diff: give one"),
    ],
)
def test_usage_errors(project: Path, args: tuple[str, ...], message: str) -> None:
    done = run(*args, "web.yaml", cwd=project)
    assert done.returncode == 2
    assert message in done.stderr
