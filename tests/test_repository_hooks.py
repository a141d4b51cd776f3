"""The repository's own .pre-commit-config.yaml: local hooks only (it runs offline, with the
tools of .venv), and kpolicy's hook on examples/ passes because of its baseline, which lists
exactly the examples' deliberate mistakes."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from typing import Any

import yaml

from tests.conftest import ROOT


def _config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return config


def _hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for repo in _config()["repos"] for hook in repo["hooks"]}


def test_every_hook_is_local_and_uses_the_venv() -> None:
    assert [repo["repo"] for repo in _config()["repos"]] == ["local"]
    hooks = _hooks()
    assert set(hooks) == {"ruff", "ruff-format", "mypy", "kpolicy-examples"}
    for hook in hooks.values():
        assert hook["entry"].startswith(".venv/bin/"), hook["id"]


def _examples_hook(*extra: str) -> subprocess.CompletedProcess[str]:
    """The hook's command, with this interpreter's kpolicy instead of .venv/bin/kpolicy."""
    command = shlex.split(_hooks()["kpolicy-examples"]["entry"])
    assert command[:2] == [".venv/bin/kpolicy", "lint"]
    return subprocess.run(
        [sys.executable, "-m", "kpolicy", *command[1:], *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_examples_hook_passes_on_the_deliberate_mistakes_only() -> None:
    passed = _examples_hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    baseline = json.loads((ROOT / ".ci" / "examples-baseline.json").read_text())
    assert len(baseline["findings"]) >= 5  # the mistakes make demo shows
    # every baselined finding is still found (none is stale), and nothing else
    plain = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "examples", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = {(d["file"], d["rule"], d["message"]) for d in json.loads(plain.stdout)["diagnostics"]}
    listed = {
        (entry["file"].removeprefix("../"), entry["rule"], entry["message"])
        for entry in baseline["findings"]
    }
    assert found == listed
