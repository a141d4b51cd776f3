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


def test_try_repo_on_a_real_repository_layout(tmp_path: Path) -> None:
    """The hook on a repository that holds every usual neighbour of a manifest: it fails on
    the bad manifest only, and passes once that is fixed."""
    from tests.test_repo import CHART, NEIGHBOURS, OVERLAY, write

    repo = tmp_path / "platform"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ci@example.com")
    _git(repo, "config", "user.name", "ci")
    files = {
        **{k: v for k, v in NEIGHBOURS.items() if not k.startswith("deploy/")},
        **CHART,
        **{f"kustomize/{k}": v for k, v in OVERLAY.items() if "typo" not in k},
        "kustomize/overlays/prod/kustomization.yaml": """\
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources: [../../base]
            components: [../../components/probes]
            patches:
              - path: replicas.yaml
              - path: json-patch.yaml
                target: {kind: Deployment, name: web}
            """,
        "kustomize/.kpolicy.yaml": "exclude: []\n",
        "apps/good.yaml": GOOD,
        "apps/bad.yaml": BAD,
    }
    write(repo, files)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks: []\n"  # the config pre-commit itself reads
    )
    _git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_pre_commit(), "try-repo", str(ROOT), "kpolicy", "--all-files", "--verbose"],
            cwd=repo, capture_output=True, text=True, env=env, timeout=600,
        )

    failed = hook()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    found = [line for line in failed.stdout.splitlines()
             if ": error[" in line or ": warning[" in line]
    assert found and all(line.startswith("apps/bad.yaml:") for line in found), found
    # the chart says once how to lint its templates (info: it does not fail the hook)
    assert "charts/web/Chart.yaml:2:7: info[helm-chart-not-rendered]" in failed.stdout
    assert "apps/bad.yaml:6:3: error[selector-mismatch]" in failed.stdout
    (repo / "apps" / "bad.yaml").write_text(GOOD.replace("web", "api"))
    _git(repo, "add", "-A")
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
