"""The replay's shortcuts give the general answer (kpolicy.cache._absolute_paths)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import kpolicy.cache as cache_module

# normal relative paths (as a folder walk makes them): joined, not normalised
PLAIN = ["a", "a/b.yaml", "a.b/c..d/e.yml", "x-1/_y/z.json", "a../b"]
# anything else: normalised as abspath does
OTHER = [
    "./a",
    "a/./b",
    "a/../b",
    "a/.hidden/c",
    "a//b",
    "a/",
    ".x",
    "..",
    "/a/b",
    "/a/../b",
    "...a",
]


@pytest.mark.skipif(os.name == "nt", reason="abspath there is the system's")
@pytest.mark.parametrize("path", PLAIN + OTHER)
def test_absolute_paths_equal_abspath_and_skip_normpath_only_for_plain_ones(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    normalised: list[str] = []
    real = os.path.normpath

    def counted(value: str) -> str:
        normalised.append(value)
        return real(value)

    for folder in (tmp_path, Path("/")):
        monkeypatch.chdir(folder)
        expected = os.path.abspath(path)
        monkeypatch.setattr(cache_module.os.path, "normpath", counted)
        normalised.clear()
        assert cache_module._absolute_paths()(path) == expected
        assert bool(normalised) == (path in OTHER), (path, folder)
        monkeypatch.undo()
