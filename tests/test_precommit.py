"""The pre-commit hook, end to end: `pre-commit try-repo` on a temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_cli import BAD, GOOD

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="needs git and a git checkout of kpolicy",
)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _pre_commit() -> list[str]:
    exe = Path(os.__file__).parents[2] / "bin" / "pre-commit"
    import sys

    candidate = Path(sys.executable).parent / "pre-commit"
    return [str(candidate if candidate.exists() else exe)]


def test_try_repo(tmp_path: Path) -> None:
    repo = tmp_path / "deploy"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ci@example.com")
    _git(repo, "config", "user.name", "ci")
    (repo / "good.yaml").write_text(GOOD)
    _git(repo, "add", "good.yaml")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    good = subprocess.run(
        [*_pre_commit(), "try-repo", str(ROOT), "kpolicy", "--files", "good.yaml"],
        cwd=repo, capture_output=True, text=True, env=env, timeout=600,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    (repo / "bad.yaml").write_text(BAD)
    _git(repo, "add", "bad.yaml")
    bad = subprocess.run(
        [*_pre_commit(), "try-repo", str(ROOT), "kpolicy", "--files", "bad.yaml"],
        cwd=repo, capture_output=True, text=True, env=env, timeout=600,
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "bad.yaml:6:3: error[selector-mismatch]" in bad.stdout
