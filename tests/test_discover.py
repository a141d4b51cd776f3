"""Discovery: which files a run reads, and that a file reached twice is read once."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from kpolicy.discover import Input, discover, discover_names, signature
from kpolicy.model import Limits
from tests.test_cli import run

MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text(MANIFEST)
    (tmp_path / "a" / "two.yml").write_text(MANIFEST)
    (tmp_path / "a" / "notes.txt").write_text("no")
    (tmp_path / "a" / ".hidden.yaml").write_text(MANIFEST)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text(MANIFEST)
    return tmp_path


def test_walk_order_suffixes_and_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_tree(tmp_path))
    files, errors = discover(["."])
    assert errors == []
    assert [f.display for f in files] == ["a/one.yaml", "a/two.yml"]
    assert all(not f.explicit for f in files)
    files, _ = discover(["a/notes.txt"])  # named explicitly: read whatever its suffix
    assert files == [Input("a/notes.txt", Path("a/notes.txt"))]


def test_symbolic_and_hard_links_are_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_tree(tmp_path))
    (tmp_path / "a" / "soft.yaml").symlink_to("one.yaml")
    os.link(tmp_path / "a" / "two.yml", tmp_path / "a" / "zhard.yaml")
    files, errors = discover(["a", "a/one.yaml", "a/soft.yaml"])
    assert errors == []
    # the first name met wins: one.yaml before soft.yaml, two.yml before zhard.yaml
    assert [f.display for f in files] == ["a/one.yaml", "a/two.yml"]


def test_input_is_a_value() -> None:
    one = Input("x.yaml", Path("x.yaml"))
    assert one == Input("x.yaml", Path("x.yaml"), explicit=True)
    assert one != Input("x.yaml", Path("x.yaml"), explicit=False)
    assert len({one, Input("x.yaml", Path("x.yaml"))}) == 1
    assert "x.yaml" in repr(one)
    # a walk gives the name as a string: the Path is made when read, and equal to one given
    walked = Input("a//x.yaml", "a//x.yaml")
    assert walked.location == "a//x.yaml"
    assert walked.path == Path("a/x.yaml") and isinstance(walked.path, Path)
    assert walked == Input("a//x.yaml", Path("a/x.yaml"))
    assert hash(walked) == hash(Input("a//x.yaml", Path("a/x.yaml")))
    assert Input("-", None).path is None and Input("-", None).location is None


def test_statuses_are_those_of_the_files_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the run cache compares with its recorded signatures: the status of each file
    found (through a link that stays inside), by its location, from the walk's own stat."""
    monkeypatch.chdir(_tree(tmp_path))
    (tmp_path / "a" / "soft.yaml").symlink_to("two.yml")
    (tmp_path / "b.yaml").write_text(MANIFEST)
    statuses: dict[str, os.stat_result] = {}
    files, errors = discover(["a", "b.yaml"], statuses=statuses)
    assert errors == []
    assert sorted(statuses) == sorted(f.location for f in files if f.location)
    # the link (sorted first) stands for two.yml, with the status of what it leads to
    assert sorted(statuses) == ["a/one.yaml", "a/soft.yaml", "b.yaml"]
    for location, status in statuses.items():
        assert status == os.stat(location)


def test_the_walk_gives_each_file_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk's own status gives each file's size (through a link, of what it leads to):
    a run sizes its files to share them among workers without a second status of each, or
    a Path made for it, before the workers fork; an Input made elsewhere is sized now."""
    from kpolicy.lint import inputs

    monkeypatch.chdir(_tree(tmp_path))
    (tmp_path / "a" / "soft.yaml").symlink_to("two.yml")
    (tmp_path / "b.yaml").write_text(MANIFEST * 3)
    files, errors = discover(["a", "b.yaml"])
    assert errors == [] and [f.size for f in files] == [os.stat(f.display).st_size for f in files]
    assert files[-1].size == len(MANIFEST) * 3

    def no_status(*args: object, **kwargs: object) -> None:
        raise AssertionError("stat")

    with monkeypatch.context() as patched:
        patched.setattr(os, "stat", no_status)
        assert [inputs.size_of(f) for f in files] == [f.size for f in files]
        assert all(f._path.__class__ is str for f in files)  # no Path made
    assert inputs.size_of(Input("b.yaml", Path("b.yaml"))) == len(MANIFEST) * 3
    assert inputs.size_of(Input("gone.yaml", "gone.yaml")) == 0
    assert inputs.size_of(Input("-", None)) == 0


def test_config_inside_a_walked_folder_is_not_linted_as_a_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".kpolicy.yaml").write_text("rules: {}\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "cm.yaml").write_text(MANIFEST)
    # a config named like a manifest inside the walked folder, given with --config
    (tmp_path / "m" / "kpolicy.yaml").write_text("rules: {}\n")
    out = run("lint", "-f", "json", "--config", "m/kpolicy.yaml", "m", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert '"files": 1' in out.stdout


def test_without_inode_numbers_files_are_told_apart_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.chdir(_tree(tmp_path))
    real_stat = os.stat
    real_lstat = os.lstat

    class NoInode:
        def __init__(self, status: os.stat_result) -> None:
            self._status = status
            self.st_ino = 0

        def __getattr__(self, name: str) -> object:
            return getattr(self._status, name)

    monkeypatch.setattr(os, "stat", lambda p, *a, **k: NoInode(real_stat(p, *a, **k)))
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: NoInode(real_lstat(p, *a, **k)))
    monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")  # whose statuses these are (C: inodes)
    (tmp_path / "a" / "soft.yaml").symlink_to("one.yaml")
    files, errors = discover(["a"])
    assert errors == []
    assert [f.display for f in files] == ["a/one.yaml", "a/two.yml"]  # the link is still one file


@pytest.mark.skipif(os.name != "posix", reason="symbolic links to folders need POSIX")
def test_real_paths_of_folders_without_realpath_give_the_same_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder entered by a name that is not a link gets its parent's real path and that
    name instead of a realpath call: the walk (files, skipped links, loops cut) is the same
    as with realpath for every folder, and realpath runs only for the links."""
    import kpolicy.discover as discover_module

    real_top = tmp_path / "real"
    (real_top / "a" / "b" / "c").mkdir(parents=True)
    for folder in ("", "a", "a/b", "a/b/c"):
        (real_top / folder / "x.yaml").write_text("kind: A\n")
    (real_top / "a" / "b" / "back").symlink_to(real_top / "a")  # a loop
    (real_top / "a" / "alias").symlink_to(real_top / "a" / "b" / "c")  # inside, seen again
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "y.yaml").write_text("kind: B\n")
    (real_top / "away").symlink_to(tmp_path / "out")  # leaves the folder
    (tmp_path / "top").symlink_to(real_top)  # the linted folder itself through a link
    monkeypatch.chdir(tmp_path)

    calls: list[str] = []
    realpath = os.path.realpath

    def counted(path: str, *args: object, **kwargs: object) -> str:
        calls.append(path)
        return realpath(path)

    monkeypatch.setattr(os.path, "realpath", counted)
    results = {}
    for posix in (True, False):
        monkeypatch.setattr(discover_module, "_POSIX", posix)
        calls.clear()
        skipped: list[discover_module.Skipped] = []
        files, errors = discover(["top"], skipped=skipped)
        results[posix] = ([f.display for f in files], errors, skipped, list(calls))
    fast, general = results[True], results[False]
    assert fast[:3] == general[:3]
    assert sorted(fast[0]) == ["top/a/alias/x.yaml", "top/a/b/x.yaml", "top/a/x.yaml", "top/x.yaml"]
    assert [s.display for s in fast[2]] == ["top/away"]
    # the general walk resolves each of the 4 real folders it enters; the other only links
    assert not any(path in fast[3] for path in ("top/a", "top/a/b", "top/a/b/c"))
    assert all(path in general[3] for path in ("top/a", "top/a/b"))


def test_the_walk_enters_folders_as_os_walk_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk lists each folder with os.scandir itself: folders are entered in the order
    os.walk (top-down, following links) enters them when given its folders sorted, and a
    folder that cannot be listed is an error while the others are still walked."""
    for folder in ("b", "a/z", "a/b/c", "a/b/d", "a.x", "c-1/e"):
        (tmp_path / "t" / folder).mkdir(parents=True, exist_ok=True)
    for index, folder in enumerate(("", "b", "a", "a/z", "a/b", "a/b/c", "a/b/d", "a.x", "c-1/e")):
        for name in ("z.yaml", "a.yml", f"m{index}.json", "n.txt"):
            (tmp_path / "t" / folder / name).write_text(MANIFEST)
    monkeypatch.chdir(tmp_path)
    expected = []
    for folder, dirs, names in os.walk("t", followlinks=True):
        dirs.sort()
        expected += [
            os.path.join(folder, n) for n in sorted(names) if n.endswith((".yaml", ".yml", ".json"))
        ]
    files, errors = discover(["t"])
    assert errors == [] and [f.display for f in files] == expected and len(expected) == 27

    real_scandir = os.scandir

    def failing(path: Any = ".") -> Any:
        if path == os.path.join("t", "a", "b"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", failing)
    monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")  # whose listing fails (C: test_cload_walk.py)
    files, errors = discover(["t"])
    assert errors == ["t/a/b: cannot read folder: Permission denied"]
    assert [f.display for f in files] == [
        name for name in expected if not name.startswith("t/a/b/")
    ]


def test_discover_names_gives_walked_files_as_their_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run cache's walk: each file found in a folder is its name (its Input's display
    and location), the files named and stdin are their Inputs, in discover's order, with
    the same errors, and the signatures of the same statuses (taken as the walk goes, not
    each status kept)."""
    monkeypatch.chdir(_tree(tmp_path))
    (tmp_path / "a" / "soft.yaml").symlink_to("one.yaml")
    (tmp_path / "a" / "link.yaml").symlink_to("two.yml")
    paths = ["a", "-", "a/notes.txt", "missing", "a/one.yaml"]
    statuses: dict[str, os.stat_result] = {}
    files, errors = discover(paths, [], "<in>", statuses=statuses)
    signatures: dict[str, tuple[int, int, int, int, int]] = {}
    names, named_errors = discover_names(paths, [], "<in>", signatures=signatures)
    assert named_errors == errors == ["missing: no such file or directory"]
    assert names == [f.display if not f.explicit else f for f in files]
    # link.yaml (sorted first) stands for two.yml: the walk's second status, through the link
    assert names[:2] == ["a/link.yaml", "a/one.yaml"] and isinstance(names[2], Input)
    assert list(signatures) == list(statuses) == ["a/link.yaml", "a/one.yaml", "a/notes.txt"]
    assert signatures == {path: signature(status) for path, status in statuses.items()}
    assert all(type(row) is tuple for row in signatures.values())
    status = os.stat("a/two.yml")
    assert signatures["a/link.yaml"] == (
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
        status.st_ino,
        status.st_dev,
    )


def test_a_discovered_file_is_read_without_a_second_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that discover found regular (its size known) is opened at once, its descriptor
    checked: no status of its path first. A file named otherwise (no size) is checked by its
    status before it is opened, as before; both read alike, and a discovered file that grew
    past the limit, became a folder or a FIFO since is refused with the same messages."""
    from kpolicy.lint.inputs import read_input
    from kpolicy.model import LoadedFile

    limits = Limits()
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    found, _ = discover([str(tmp_path)])
    assert [item.size for item in found] == [os.path.getsize(tmp_path / "a.yaml")]
    statted: list[str] = []
    real_stat = os.stat

    def counting(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        statted.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    walked = read_input(found[0], False, limits, None)
    assert statted == []
    named = read_input(Input(found[0].display, found[0].location), False, limits, None)
    assert statted == [found[0].location]
    monkeypatch.undo()
    assert isinstance(walked, LoadedFile) and isinstance(named, LoadedFile)
    assert walked.objects[0].data == named.objects[0].data
    small = Limits(max_file_bytes=10)
    grown = read_input(found[0], False, small, None)
    assert grown == read_input(Input(found[0].display, found[0].location), False, small, None)
    assert isinstance(grown, LoadedFile) and "limit of 10 bytes" in grown.diagnostics[0].message
    os.remove(tmp_path / "a.yaml")
    (tmp_path / "a.yaml").mkdir()
    assert read_input(found[0], False, limits, None) == f"{found[0].display}: is a folder"
    os.rmdir(tmp_path / "a.yaml")
    os.mkfifo(tmp_path / "a.yaml")
    assert read_input(found[0], False, limits, None) == f"{found[0].display}: not a regular file"
    os.remove(tmp_path / "a.yaml")
    missing = read_input(found[0], False, limits, None)
    assert missing == read_input(Input(found[0].display, found[0].location), False, limits, None)
    assert isinstance(missing, str) and "cannot read" in missing


def test_a_discovered_file_that_cannot_be_opened_is_told_as_a_file_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A discovered file whose open fails is refused as a file named (checked by its status
    first) is: one too large is the finding that says so, not an error that it cannot be
    read (an unreadable large file of the repository; the run's exit code and summary are
    the finding's); a socket since the walk is not a regular file."""
    import errno
    import socket

    from kpolicy.lint import inputs
    from kpolicy.lint.inputs import read_input

    (tmp_path / "big.yaml").write_text("# " + "a" * 3000 + "\n")
    (tmp_path / "small.yaml").write_text(MANIFEST)
    found, _ = discover([str(tmp_path)])
    assert all(item.size is not None for item in found)
    small = Limits(max_file_bytes=1000)

    def denied(path: Any, *args: Any, **kwargs: Any) -> tuple[int, os.stat_result]:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    def named(item: Input) -> Input:
        return Input(item.display, item.location)

    monkeypatch.setattr(inputs, "open_regular", denied)
    for item in found:
        walked = read_input(item, False, small, None)
        assert walked == read_input(named(item), False, small, None)
    big, small_file = sorted(found, key=lambda item: item.display)
    refused = read_input(big, False, small, None)
    assert not isinstance(refused, str) and "limit of 1000" in refused.diagnostics[0].message
    assert read_input(small_file, False, small, None) == (
        f"{small_file.display}: cannot read: Permission denied"
    )
    monkeypatch.undo()
    location = small_file.location
    assert location is not None
    os.remove(location)
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(location)
        told = read_input(small_file, False, small, None)
        assert told == read_input(named(small_file), False, small, None)
        assert told == f"{small_file.display}: not a regular file"


def test_without_the_c_extension_the_walks_are_pythons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No kpolicy._cload (not built), or KPOLICY_PURE_PYTHON: no C listing, the same walk."""
    import kpolicy
    from kpolicy.discover import compiled_walk

    monkeypatch.chdir(_tree(tmp_path))
    expected = discover_names(["a"], signatures={})
    with monkeypatch.context() as patched:
        patched.setenv("KPOLICY_PURE_PYTHON", "1")
        assert compiled_walk("list_folder") is None and compiled_walk("stamp_folder") is None
    monkeypatch.setitem(sys.modules, "kpolicy._cload", None)  # what importing it then raises
    monkeypatch.delattr(kpolicy, "_cload", raising=False)
    assert compiled_walk("list_folder") is None and compiled_walk("stamp_folder") is None
    assert discover_names(["a"], signatures={}) == expected
