"""The C extension's folder listings (kpolicy/_cload.c: stamp_folder, list_folder) against the
Python loops they stand in for: kpolicy.cache._tree_stamp and kpolicy.discover._walk give the
same stamp, files, errors, skipped files and signatures either way, on generated trees with
links (inside, outside, to folders, loops, broken), hard links, FIFOs, sockets, empty and
unreadable folders, names that are not UTF-8, ignore files and excludes; neither function
keeps memory or a descriptor. They skip, saying why, where the extension does not list
folders (not built, not Linux, KPOLICY_PURE_PYTHON)."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import random
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kpolicy import cache as cache_module
from kpolicy import discover as discover_module
from kpolicy.discover import MANIFEST_SUFFIXES, compiled_walk

LIST_FOLDER: Any = compiled_walk("list_folder")
STAMP_FOLDER: Any = compiled_walk("stamp_folder")

pytestmark = pytest.mark.skipif(
    LIST_FOLDER is None or STAMP_FOLDER is None,
    reason="the C extension does not list folders here (not built, not Linux, or "
    "KPOLICY_PURE_PYTHON is set)",
)

MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"


def _both(monkeypatch: pytest.MonkeyPatch, run: Callable[[], Any]) -> tuple[Any, Any]:
    """``run()`` with the C listings, then with the Python loops."""
    with monkeypatch.context() as patched:
        patched.delenv("KPOLICY_PURE_PYTHON", raising=False)
        compiled = run()
    with monkeypatch.context() as patched:
        patched.setenv("KPOLICY_PURE_PYTHON", "1")
        pure = run()
    return compiled, pure


def _fixed_tree(top: Path, outside: Path) -> None:
    """Every kind of entry the walks meet."""
    (top / "a" / "b").mkdir(parents=True)
    (top / "empty").mkdir()
    (top / ".hidden").mkdir()
    (top / ".hidden" / "in.yaml").write_text(MANIFEST)
    (top / "__pycache__").mkdir()
    (top / "__pycache__" / "x.yaml").write_text(MANIFEST)
    (top / ".tmp-1.yaml").write_text(MANIFEST)
    for name in ("one.yaml", "two.yml", "three.json", "notes.txt", ".dot.yaml", "x.YAML"):
        (top / "a" / name).write_text(MANIFEST)
    (top / "a" / "b" / "deep.yaml").write_text(MANIFEST * 3)
    (top / "folder.yaml").mkdir()  # a folder with a manifest's name
    (top / "folder.yaml" / "in.yml").write_text(MANIFEST)
    (top / "a" / "soft.yaml").symlink_to("one.yaml")
    (top / "a" / "up").symlink_to("..")  # a loop
    (top / "a" / "self").symlink_to(".")
    (top / "a" / "broken.yaml").symlink_to("absent.yaml")
    (top / "a" / "to-folder.yaml").symlink_to("b")
    os.link(top / "a" / "two.yml", top / "a" / "hard.yaml")
    outside.mkdir(exist_ok=True)
    (outside / "far.yaml").write_text(MANIFEST)
    (top / "far.yaml").symlink_to(outside / "far.yaml")
    (top / "far").symlink_to(outside)
    os.mkfifo(top / "a" / "pipe.yaml")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(top / "a" / "sock.yaml"))
    except OSError:  # a path too long for a socket's address
        pass
    finally:
        sock.close()
    raw = os.fsencode(top) + b"/latin-\xe9"  # not UTF-8: surrogate-escaped names
    os.mkdir(raw)
    for encoded in (b"caf\xe9.yaml", b"ok.yaml", b"\xff\xfe.json"):
        with open(raw + b"/" + encoded, "w") as handle:
            handle.write(MANIFEST)
    with open(os.fsencode(top) + b"/a/\xe9t\xe9.yml", "w") as handle:
        handle.write(MANIFEST)
    (top / "locked").mkdir()
    (top / "locked" / "in.yaml").write_text(MANIFEST)
    (top / "locked").chmod(0)  # unreadable (but to root)
    (top / "listonly").mkdir()
    (top / "listonly" / "in.yaml").write_text(MANIFEST)
    (top / "listonly").chmod(0o444)  # lists, its entries' statuses fail (but to root)
    # negative and 64-bit-overflowing modification times (the C's exact path past 2262)
    os.utime(top / "a" / "three.json", ns=(0, -1_500_000_001))
    with contextlib.suppress(OSError, OverflowError):  # a file system that cannot hold it
        os.utime(top / "a" / "b" / "deep.yaml", ns=(0, 10**19 + 7))


def _random_tree(top: Path, seed: int) -> None:
    """A random tree of folders, files, links (some leaving it, some looping) and FIFOs."""
    chooser = random.Random(seed)
    folders = [top]
    top.mkdir()
    names = ["a.yaml", "b.yml", "c.json", "d.txt", ".e.yaml", "f", "g.yaml.bak", "h.JSON", "é.yaml"]
    for index in range(chooser.randint(5, 40)):
        parent = chooser.choice(folders)
        kind = chooser.random()
        name = (
            f"{chooser.choice(names)}{index}" if chooser.random() < 0.3 else chooser.choice(names)
        )
        name = f"{index}-{name}" if chooser.random() < 0.5 else f"{name.split('.')[0]}{index}.yaml"
        path = parent / name
        if kind < 0.25:
            path.mkdir()
            folders.append(path)
        elif kind < 0.7:
            path.write_text(MANIFEST * chooser.randint(0, 3))
        elif kind < 0.85:
            target = chooser.choice([*folders, top.parent, top / "absent"])
            path.symlink_to(target)
        elif kind < 0.92:
            os.mkfifo(path)
        else:
            files = [p for p in top.rglob("*") if p.is_file() and not p.is_symlink()]
            if files:
                os.link(chooser.choice(files), path)


def _walks(top: str, **options: Any) -> Any:
    """discover_names (with signatures) and discover (without statuses) of ``top``."""
    signatures: dict[str, Any] = {}
    skipped: list[Any] = []
    named = discover_module.discover_names([top], signatures=signatures, **options)
    files, errors = discover_module._discover([top], skipped=skipped, **options)
    rows = [(f.display, f.location, f.explicit, f.size) for f in files if not isinstance(f, str)]
    assert len(rows) == len(files)
    return named, signatures, rows, errors, [s.to_json() for s in skipped]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    top = tmp_path / "t"
    top.mkdir()
    _fixed_tree(top, tmp_path / "outside")
    monkeypatch.chdir(tmp_path)
    yield top
    for folder in ("locked", "listonly"):
        (top / folder).chmod(0o755)


def test_the_walks_of_every_kind_of_entry_are_the_python_walks(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for top in ("t/a", "./t", str(tree), "t/", "t"):
        compiled, pure = _both(monkeypatch, functools.partial(_walks, top))
        assert compiled == pure
    (named, _), signatures, _, errors, skipped = compiled
    assert "t/a/one.yaml" in named and "t/latin-\udce9/caf\udce9.yaml" in signatures
    assert (os.stat("t/a/b/deep.yaml").st_mtime_ns, signatures["t/a/three.json"][1]) == (
        signatures["t/a/b/deep.yaml"][1],
        -1_500_000_001,
    )
    assert any("pipe.yaml: not a regular file" in error for error in errors)
    assert any(s["file"] == "t/far.yaml" for s in skipped)
    if not os.access(tree / "locked", os.R_OK):  # not root (nor its capabilities): unreadable
        assert "t/locked: cannot read folder: Permission denied" in errors
        assert "t/listonly/in.yaml: cannot read: Permission denied" in errors
    stamps = _both(monkeypatch, lambda: cache_module._tree_stamp(str(tree)))
    assert stamps[0] == stamps[1] and "latin-\udce9/caf\udce9.yaml|" in stamps[0]
    assert "__pycache__" not in stamps[0] and ".tmp-1" not in stamps[0]


def test_excludes_and_ignore_files_apply_as_in_python(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / ".git").mkdir()
    (tree / ".gitignore").write_text("two.yml\nb/\n*.json\n")
    for options in (
        {},
        {"exclude": ["t/a/one.yaml", "*/latin-*"]},
        {"exclude": ["*.yml"], "base": str(tree.parent)},
        {"ignore_files": False},
    ):
        compiled, pure = _both(monkeypatch, functools.partial(_walks, "t", **options))
        assert compiled == pure


@pytest.mark.parametrize("seed", range(12))
def test_random_trees_walk_alike(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _random_tree(tmp_path / "r", seed)
    monkeypatch.chdir(tmp_path)
    compiled, pure = _both(monkeypatch, lambda: _walks("r"))
    assert compiled == pure
    stamps = _both(monkeypatch, lambda: cache_module._tree_stamp(str(tmp_path / "r")))
    assert stamps[0] == stamps[1]


def test_list_folder_gives_what_the_walk_looks_at(tree: Path) -> None:
    listed = LIST_FOLDER(str(tree / "a"), MANIFEST_SUFFIXES)
    assert listed is not None
    folders, files, signatures = listed
    assert sorted(folders) == ["b", "self", "to-folder.yaml", "up"]
    assert ".dot.yaml" not in files and "notes.txt" not in files and "x.YAML" not in files
    assert {"one.yaml", "soft.yaml", "broken.yaml", "pipe.yaml"} <= set(files)
    # a signature for regular files only, by lstat: not for links, FIFOs or sockets
    assert set(signatures) == {
        "one.yaml",
        "two.yml",
        "three.json",
        "hard.yaml",
        "\udce9t\udce9.yml",
    }
    status = os.lstat(tree / "a" / "three.json")
    assert signatures["three.json"] == discover_module.signature(status)
    assert status.st_mtime_ns == -1_500_000_001
    # a folder that cannot be listed is the caller's to list (and report as os.scandir does)
    assert LIST_FOLDER(str(tree / "absent"), MANIFEST_SUFFIXES) is None
    assert LIST_FOLDER(str(tree / "a" / "one.yaml"), MANIFEST_SUFFIXES) is None
    with pytest.raises(ValueError):
        LIST_FOLDER("t\0x", MANIFEST_SUFFIXES)
    with pytest.raises(TypeError):
        LIST_FOLDER(str(tree), [".yaml"])


def test_a_folder_the_c_cannot_list_is_reported_as_os_scandir_reports_it(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """list_folder's None (a folder it could not open or read) is the Python listing's,
    whose error is the walk's; the other folders are still listed in C."""
    failing = str(Path("t") / "a" / "b")
    real_scandir = os.scandir
    listed: list[str] = []

    def list_folder(folder: str, suffixes: tuple[str, ...]) -> Any:
        listed.append(folder)
        return None if folder == failing else LIST_FOLDER(folder, suffixes)

    def scandir(path: Any = ".") -> Any:
        if path == failing:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(
        discover_module,
        "compiled_walk",
        lambda name: list_folder if name == "list_folder" else None,
    )
    monkeypatch.setattr(os, "scandir", scandir)
    files, errors = discover_module.discover(["t"])
    assert "t/a/b: cannot read folder: Permission denied" in errors
    assert failing in listed and "t/a" in listed
    assert not any(f.display.startswith("t/a/b/") for f in files)
    assert "t/a/one.yaml" in [f.display for f in files]


def test_stamp_folder_walks_a_folder_once(tree: Path) -> None:
    visited: set[tuple[int, int]] = set()
    pending: list[str] = []
    lines: list[str] = []
    assert STAMP_FOLDER(str(tree / "a"), visited, pending, lines) is None
    assert len(visited) == 1 and lines and pending
    assert sorted(os.path.basename(p) for p in pending) == ["b", "self", "to-folder.yaml", "up"]
    again: list[str] = []
    STAMP_FOLDER(str(tree / "a" / "self"), visited, pending, again)  # the same folder
    STAMP_FOLDER(str(tree / "absent"), visited, pending, again)
    assert again == [] and len(visited) == 1
    line = next(line for line in lines if line.startswith(f"{tree}/a/one.yaml|"))
    status = os.stat(tree / "a" / "one.yaml")
    assert line == f"{tree}/a/one.yaml|{status.st_size}|{status.st_mtime_ns}\n"
    with pytest.raises(ValueError):
        STAMP_FOLDER("t\0x", visited, pending, lines)
    with pytest.raises(TypeError):
        STAMP_FOLDER(str(tree), [], pending, lines)


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc here")
def test_neither_keeps_memory_nor_a_descriptor(tree: Path) -> None:
    def once() -> None:
        LIST_FOLDER(str(tree / "a"), MANIFEST_SUFFIXES)
        LIST_FOLDER(str(tree / "absent"), MANIFEST_SUFFIXES)
        LIST_FOLDER(str(tree / "locked"), MANIFEST_SUFFIXES)
        visited: set[tuple[int, int]] = set()
        pending = [str(tree)]
        lines: list[str] = []
        while pending:
            STAMP_FOLDER(pending.pop(), visited, pending, lines)
        STAMP_FOLDER(str(tree), visited, pending, lines)  # visited already
        STAMP_FOLDER(str(tree / "absent"), visited, pending, lines)

    for _ in range(50):
        once()
    gc.collect()
    descriptors, blocks = _descriptors(), sys.getallocatedblocks()
    for _ in range(500):
        once()
    gc.collect()
    assert _descriptors() == descriptors
    assert sys.getallocatedblocks() - blocks < 50


def _deep_folder(levels: int, name: str = "d" * 250) -> int:
    """A descriptor of ``./name/name/...`` (``levels`` deep), made by descriptors: its path
    may be longer than the system takes."""
    fd = os.open(".", os.O_RDONLY)
    for _ in range(levels):
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    return fd


def test_entries_whose_paths_are_too_long_are_the_python_walks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the system opens (./ and 16 names of 250 bytes: 4,017) whose entries' paths
    it refuses (over 4,095 bytes): Python's lstat of a file and is_dir() of a link there fail
    (the file an error, the link not a folder), where a status relative to the folder would
    not (the file found, the link a folder that cannot be read)."""
    monkeypatch.chdir(tmp_path)
    fd = _deep_folder(16)
    try:
        for name in ("a" * 240 + ".yaml", "short.yaml"):
            out = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(out, MANIFEST.encode())
            os.close(out)
        os.symlink("..", "l" * 250, dir_fd=fd)
        os.mkdir("s" * 250, dir_fd=fd)
    finally:
        os.close(fd)
    compiled, pure = _both(monkeypatch, functools.partial(_walks, "."))
    assert compiled == pure
    (named, _), _, _, errors, _ = pure
    assert [len(name) for name in named] == [4026]
    too_long = ".yaml: cannot read: File name too long"  # the file left out by Python's lstat
    assert sum(error.endswith(too_long) for error in errors) == 1
    # the C listing leaves such a folder to Python's os.scandir
    assert LIST_FOLDER("./" + "/".join(["d" * 250] * 16), MANIFEST_SUFFIXES) is None
    assert LIST_FOLDER("./" + "/".join(["d" * 250] * 15), MANIFEST_SUFFIXES) is not None


def test_a_link_past_the_systems_count_of_links_is_no_folder_as_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder reached through ~40 links (d00/n/n/...): is_dir() of its link n takes the
    status of the whole path, one link too many (not a folder, no error), where a status
    relative to the folder would follow it (a folder that cannot be read, an error)."""
    monkeypatch.chdir(tmp_path)
    for index in range(45):
        os.mkdir(f"d{index:02}")
        os.symlink(f"../d{index + 1:02}", f"d{index:02}/n")
    os.mkdir("d45")
    compiled, pure = _both(monkeypatch, functools.partial(_walks, "."))
    assert compiled == pure
    assert pure[3] == []


def test_the_code_stamp_is_taken_in_c(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """_tree_stamp takes its folders with stamp_folder where the extension has it: no
    os.open, os.scandir or os.stat of its own (the equality tests above hold either way)."""
    monkeypatch.delenv("KPOLICY_PURE_PYTHON", raising=False)
    expected = cache_module._tree_stamp(str(tree))

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the Python loop")

    with monkeypatch.context() as patched:
        for name in ("open", "scandir", "stat", "fstat"):
            patched.setattr(os, name, refused)
        stamp = cache_module._tree_stamp(str(tree))
    assert stamp == expected
