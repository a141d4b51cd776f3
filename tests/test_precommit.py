"""The pre-commit hook, end to end: `pre-commit try-repo` on a temporary git repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

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


@pytest.mark.slow  # pre-commit builds the hook's environment (pip install of kpolicy)
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
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    (repo / "bad.yaml").write_text(BAD)
    _git(repo, "add", "bad.yaml")
    bad = subprocess.run(
        [*_pre_commit(), "try-repo", str(ROOT), "kpolicy", "--files", "bad.yaml"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "bad.yaml:6:3: error[selector-mismatch]" in bad.stdout


@pytest.mark.slow  # pre-commit builds the hook's environment (pip install of kpolicy)
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
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    failed = hook()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    found = [
        line for line in failed.stdout.splitlines() if ": error[" in line or ": warning[" in line
    ]
    assert found and all(line.startswith("apps/bad.yaml:") for line in found), found
    # the chart says once how to lint its templates (info: it does not fail the hook)
    assert "charts/web/Chart.yaml:2:7: info[helm-chart-not-rendered]" in failed.stdout
    assert "apps/bad.yaml:6:3: error[selector-mismatch]" in failed.stdout
    (repo / "apps" / "bad.yaml").write_text(GOOD.replace("web", "api"))
    _git(repo, "add", "-A")
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def _readme_precommit_config() -> dict[str, Any]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", text, re.S)
    assert len(blocks) == 1, "the README shows one .pre-commit-config.yaml"
    config: dict[str, Any] = yaml.safe_load(blocks[0])
    return config


def _is_shallow() -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() == "true"


def test_readme_pins_a_revision_that_exists() -> None:
    """The README's `rev` is a commit of this repository (a fixed revision: no release tags
    exist yet), and the hook it names is defined at that commit."""
    (repo,) = _readme_precommit_config()["repos"]
    assert repo["repo"] == "https://github.com/kpolicy/kpolicy"
    rev = str(repo["rev"])
    assert re.fullmatch(r"[0-9a-f]{40}", rev), f"rev {rev!r} is not a full commit SHA"
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True
    )
    if found.returncode != 0 and _is_shallow():
        pytest.skip("a shallow clone does not hold the pinned commit")
    assert found.returncode == 0, f"rev {rev} is not a commit of this repository"
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", rev, "HEAD"], cwd=ROOT)
    assert ancestor.returncode == 0, f"rev {rev} is not in the history of HEAD"
    hooks = yaml.safe_load(
        subprocess.run(
            ["git", "show", f"{rev}:.pre-commit-hooks.yaml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert {h["id"] for h in repo["hooks"]} <= {h["id"] for h in hooks}


def test_autoupdate_pins_the_newest_commit(tmp_path: Path) -> None:
    """What the README says `pre-commit autoupdate` does to that `rev`: with no release tags,
    it writes the commit SHA of the repository's HEAD (with tags, the newest tag)."""
    config = _readme_precommit_config()
    config["repos"][0]["repo"] = str(ROOT)
    project = tmp_path / "deploy"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    done = subprocess.run(
        [*_pre_commit(), "autoupdate"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rev = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"]
    tags = subprocess.run(["git", "tag"], cwd=ROOT, capture_output=True, text=True).stdout
    if tags.strip():
        assert rev in tags.split()
    else:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert rev == head


@pytest.mark.slow
def test_readme_config_runs_the_hook(tmp_path: Path) -> None:
    """The README's config as written, with the repository URL pointing at this checkout:
    pre-commit installs the pinned commit and the hook reports a broken manifest."""
    config = _readme_precommit_config()
    config["repos"][0]["repo"] = str(ROOT)
    project = tmp_path / "deploy"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (project / "bad.yaml").write_text(BAD)
    _git(project, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    done = subprocess.run(
        [*_pre_commit(), "run", "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "bad.yaml:6:3: error[selector-mismatch]" in done.stdout
