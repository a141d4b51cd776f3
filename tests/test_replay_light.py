"""A replay's own ways around the standard library's heavier modules give the answers of the
modules they avoid (kpolicy.fsutil.memo, kpolicy.cache._find_spec)."""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import kpolicy.cache as cache_module
from kpolicy.fsutil import memo


def test_memo_keeps_each_answer_until_cleared() -> None:
    calls: list[tuple[object, ...]] = []

    @memo
    def twice(value: int, other: str = "") -> str:
        """Doubled."""
        calls.append((value, other))
        return f"{value * 2}{other}"

    assert twice(2) == "4" and twice(2) == "4" and twice(2, "x") == "4x"
    assert calls == [(2, ""), (2, "x")]
    twice.cache_clear()
    assert twice(2) == "4"
    assert calls == [(2, ""), (2, "x"), (2, "")]
    assert twice.__name__ == "twice" and twice.__doc__ == "Doubled."
    assert twice.__module__ == __name__


def test_memo_takes_keyword_arguments_as_functools_cache_does() -> None:
    """mypy takes memo for functools.cache, which a call by keywords type-checks against: it
    must not be a TypeError at run time. Each way of calling is an entry of its own, as
    functools.cache keeps it, and the function sees the arguments as given."""
    calls: list[tuple[object, ...]] = []

    @memo
    def joined(value: int, other: str = "") -> str:
        calls.append((value, other))
        return f"{value}{other}"

    assert joined(1, other="x") == "1x" and joined(1, other="x") == "1x"
    assert joined(value=2) == "2" and joined(value=2) == "2"
    assert joined(1, "x") == "1x"  # positionally: another entry, as functools.cache has it
    assert calls == [(1, "x"), (2, ""), (1, "x")]
    with pytest.raises(TypeError):
        joined(1, nothing=2)


def _origin(spec: object) -> object:
    return getattr(spec, "origin", None) if spec is not None else None


@pytest.mark.parametrize(
    "name",
    [*cache_module._DEPENDENCIES, "sys", "os", "kpolicy", "json", "no_such_module_kpolicy_x"],
)
def test_find_spec_finds_what_importlib_util_finds(name: str) -> None:
    assert _origin(cache_module._find_spec(name)) == _origin(importlib.util.find_spec(name))


def test_find_spec_of_a_module_imported_without_a_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """find_spec raises ValueError for these; the code fingerprint takes both as none."""
    bare = types.ModuleType("kpolicy_bare_module")
    bare.__spec__ = None
    monkeypatch.setitem(sys.modules, "kpolicy_bare_module", bare)
    monkeypatch.setitem(sys.modules, "kpolicy_none_module", None)
    assert cache_module._find_spec("kpolicy_bare_module") is None
    with pytest.raises(ValueError):
        importlib.util.find_spec("kpolicy_bare_module")
    assert cache_module._find_spec("kpolicy_none_module") is None
    assert importlib.util.find_spec("kpolicy_none_module") is None


def test_an_upgraded_dependency_changes_the_code_fingerprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found where the import system would find it: another origin is another kpolicy."""
    cache_module.code_fingerprint.cache_clear()
    try:
        before = cache_module.code_fingerprint()
        real = cache_module._find_spec

        def moved(name: str) -> object:
            spec = real(name)
            if name == "jsonschema" and spec is not None:
                return types.SimpleNamespace(origin=__file__)
            return spec

        monkeypatch.setattr(cache_module, "_find_spec", moved)
        cache_module.code_fingerprint.cache_clear()
        assert cache_module.code_fingerprint() != before
    finally:
        cache_module.code_fingerprint.cache_clear()


def test_an_entrys_payload_is_read_apart_from_its_mac_not_copied_off_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes a read gives are the bytes read from the file (a report's pages are touched
    once), and every way an entry is damaged is still a miss."""
    folder = cache_module.CacheFolder.open(str(tmp_path / "cache"))
    try:
        payload = b"x" * 300_000
        assert folder.write("results/lint", "k.report", b"p", payload)
        read: list[bytes] = []
        real = cache_module.read_at_most  # type: ignore[attr-defined]

        def recording(handle: Any, limit: int) -> bytes:
            read.append(real(handle, limit))
            return read[-1]

        monkeypatch.setattr(cache_module, "read_at_most", recording)
        got = folder.read("results/lint", "k.report", b"p")
        assert got == payload and any(got is chunk for chunk in read)
        monkeypatch.undo()
        path = tmp_path / "cache" / "results" / "lint" / "k.report"
        whole = path.read_bytes()
        assert folder.read("results/lint", "k.report", b"other") is None
        for damaged in (whole[:64], whole[:65], whole[:-1], whole[:64] + b" " + whole[65:]):
            path.write_bytes(damaged)
            assert folder.read("results/lint", "k.report", b"p") is None
        path.write_bytes(whole[:65])  # an empty payload: authentic only with its own MAC
        assert folder.read("results/lint", "k.report", b"p") is None
        assert folder.write("results/lint", "e.report", b"p", b"")
        assert folder.read("results/lint", "e.report", b"p") == b""
        monkeypatch.setattr(cache_module, "MAX_ENTRY_BYTES", len(whole) - 1)
        path.write_bytes(whole)
        assert folder.read("results/lint", "k.report", b"p") is None
        monkeypatch.setattr(cache_module, "MAX_ENTRY_BYTES", len(whole))
        assert folder.read("results/lint", "k.report", b"p") == payload
    finally:
        folder.close()


def _reference_stamp(root: str) -> str:
    """The code stamp as os.walk and os.stat give it (links followed, each folder once)."""
    lines: list[str] = []
    seen: set[tuple[int, int]] = set()
    for folder, folders, files in os.walk(root, followlinks=True):
        status = os.stat(folder)
        if (status.st_dev, status.st_ino) in seen:
            folders[:] = []
            continue
        seen.add((status.st_dev, status.st_ino))
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in files:
            path = os.path.join(folder, name)
            if name.startswith(".tmp-") or not os.path.exists(path):
                continue
            found = os.stat(path)
            lines.append(f"{path}|{found.st_size}|{found.st_mtime_ns}\n")
    return "".join(sorted(lines))


@pytest.mark.skipif(not cache_module._STAT_AT, reason="no statuses relative to a folder here")
def test_the_code_stamp_takes_each_files_status_relative_to_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One folder of the path to resolve a file, not all of them; the stamp is the one
    os.walk and os.stat give (links to files and folders followed, a loop walked once, a
    broken link, __pycache__ and temporary files left out)."""
    root = tmp_path / "package"
    (root / "checks" / "__pycache__").mkdir(parents=True)
    (root / "checks" / "__pycache__" / "a.pyc").write_bytes(b"x")
    (root / "checks" / "rule.py").write_text("a = 1\n")
    (root / "checks" / ".tmp-1.part").write_text("")
    (root / "top.py").write_text("b = 2\n")
    (root / "linked.py").symlink_to(root / "top.py")
    (root / "broken.py").symlink_to(root / "absent.py")
    (root / "loop").symlink_to(root)
    (root / "outside").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "far.py").write_text("")
    assert cache_module._tree_stamp(str(root)) == _reference_stamp(str(root))
    with monkeypatch.context() as patched:  # where statuses cannot be taken relative to a folder
        patched.setattr(cache_module, "_STAT_AT", False)
        assert cache_module._tree_stamp(str(root)) == _reference_stamp(str(root))
    calls: list[tuple[object, object]] = []
    real = os.stat

    def recording(path: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((path, kwargs.get("dir_fd")))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", recording)
    monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")  # the Python loop (C: test_cload_walk.py)
    stamp = cache_module._tree_stamp(str(root))
    monkeypatch.undo()
    assert stamp == _reference_stamp(str(root))
    files = sorted(os.path.basename(line.split("|")[0]) for line in stamp.splitlines())
    assert files == ["far.py", "linked.py", "rule.py", "top.py"]
    # each file (and the broken link, which has none) by its name in its folder's descriptor
    assert sorted(str(path) for path, _ in calls) == sorted([*files, "broken.py"])
    assert all(isinstance(folder, int) for _, folder in calls)


def _resolved_as_before(given: str, cwd: str) -> tuple[str, str]:
    real = os.path.realpath(os.path.join(cwd, given))
    if os.path.isdir(real):
        return real, "folder"
    return real, "other" if os.path.lexists(real) else "absent"


@pytest.mark.skipif(os.name == "nt", reason="realpath there is the system's")
def test_a_linted_path_is_resolved_as_realpath_resolves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the cache refuses to be inside: every kind of path, from a working folder named
    as it is, through a link and relatively, is realpath's answer and what is there."""
    real = tmp_path / "real"
    (real / "folder").mkdir(parents=True)
    (real / "file.yaml").write_text("")
    (tmp_path / "outside").mkdir()
    (real / "to-folder").symlink_to(real / "folder")
    (real / "to-file").symlink_to(real / "file.yaml")
    (real / "to-outside").symlink_to(tmp_path / "outside")
    (real / "relative").symlink_to("../outside")
    (real / "broken").symlink_to(real / "absent")
    (real / "loop").symlink_to(real / "loop")
    (tmp_path / "alias").symlink_to(real)
    names = [
        *("folder", "file.yaml", "to-folder", "to-file", "to-outside", "relative", "broken"),
        *("loop", "absent", "--format", "json", ".", "..", "", "~", "folder/..", "folder/."),
        *("./file.yaml", "to-folder/../file.yaml", str(real / "folder"), "absent/..", "a b"),
    ]
    monkeypatch.chdir(tmp_path)
    for cwd in (str(real), str(tmp_path / "alias"), "real", "alias", "alias/folder/.."):
        real_cwd = os.path.realpath(cwd)
        for given in names:
            expected = _resolved_as_before(given, cwd)
            assert cache_module._resolved(given, cwd, real_cwd) == expected, (cwd, given)
    assert cache_module._resolved("folder", str(real), str(real)) == (
        str(real / "folder"),
        "folder",
    )
    with pytest.raises(ValueError):
        cache_module._resolved("a\0b", str(real), str(real))
    with pytest.raises(ValueError):
        _resolved_as_before("a\0b", str(real))


def test_a_plain_name_is_resolved_with_one_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not one of every folder above it again: an option of the command line costs one."""
    calls: list[str] = []
    real = os.lstat

    def recording(path: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(os.fsdecode(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", recording)
    for given in ("--format", "json"):
        calls.clear()
        assert cache_module._resolved(given, str(tmp_path), str(tmp_path))[1] == "absent"
        assert calls == [str(tmp_path / given)]
