"""An installation without its built-in rules fails loudly instead of reporting a clean run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kpolicy import ruledefs
from kpolicy.errors import InternalError
from tests.helpers import run_process

ROOT = Path(__file__).resolve().parent.parent


def test_no_builtin_rules_is_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rules").mkdir()
    monkeypatch.setattr(ruledefs, "data_folder", lambda name: str(tmp_path / name))
    ruledefs.builtin_rules.cache_clear()
    try:
        with pytest.raises(InternalError, match="built-in rules are missing"):
            ruledefs.builtin_rules()
    finally:
        monkeypatch.undo()
        ruledefs.builtin_rules.cache_clear()
    assert ruledefs.builtin_rules()  # the real folder again


def test_a_package_copied_without_its_rules_exits_3(tmp_path: Path) -> None:
    """A copy of the package alone (no ``rules/`` beside it, no ``_data``) is refused with one
    line on stderr and exit 3, where it used to find nothing and exit 0."""
    shutil.copytree(
        ROOT / "kpolicy", tmp_path / "kpolicy", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "work").mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    manifest = str(ROOT / "examples" / "web.yaml")
    done = run_process("lint", "--no-cache", manifest, cwd=tmp_path / "work", env=env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "built-in rules are missing" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
