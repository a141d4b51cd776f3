"""Paths, folders and ``-`` (stdin) → the files to read, in a stable order."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpolicy.gitignore import IgnoreRules
    from kpolicy.model import Skipped

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"


class Input:
    """One file to lint (a small value class; not a dataclass, whose import is a noticeable
    part of a cached run's start-up)."""

    __slots__ = ("display", "explicit", "path")

    display: str  # as reported: relative, as the user gave it
    path: Path | None  # None for stdin
    explicit: bool  # named on the command line, not found by walking a folder

    def __init__(self, display: str, path: Path | None, explicit: bool = True) -> None:
        self.display = display
        self.path = path
        self.explicit = explicit

    def _key(self) -> tuple[str, Path | None, bool]:
        return (self.display, self.path, self.explicit)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Input) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Input(display={self.display!r}, path={self.path!r}, explicit={self.explicit!r})"


def is_excluded(display: str, patterns: Iterable[str]) -> bool:
    normal = display.replace(os.sep, "/")
    if normal.startswith("./"):
        normal = normal[2:]
    for pattern in patterns:
        if fnmatch.fnmatch(normal, pattern) or fnmatch.fnmatch(normal, pattern.rstrip("/") + "/*"):
            return True
        if "/" not in pattern and any(fnmatch.fnmatch(part, pattern) for part in normal.split("/")):
            return True
    return False


def _stat(path: str) -> os.stat_result | str:
    """The status of ``path`` (following links), or why it cannot be read."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if os.path.islink(path) and exc.errno == errno.ENOENT:
            return "broken symbolic link"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "no such file or directory"
        return f"cannot read: {exc.strerror or exc}"
    except ValueError:  # a NUL byte in the name
        return "invalid file name"


def _identity(path: str, status: os.stat_result) -> tuple[int, int] | str:
    """Which file this is: its device and inode, or its real path where the file system has
    no inode numbers (st_ino 0, as on FAT under Windows)."""
    if status.st_ino:
        return (status.st_dev, status.st_ino)
    return os.path.realpath(path)


def file_identity(path: str | Path) -> tuple[int, int] | str | None:
    """Which file ``path`` is, through any links (see :func:`_identity`); None when it cannot
    be read."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return _identity(str(path), status)


def discover(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    stdin_name: str = "<stdin>",
    *,
    force_exclude: bool = False,
    ignore_files: bool = True,
    skipped: list[Skipped] | None = None,
    read: list[str] | None = None,
) -> tuple[list[Input], list[str]]:
    """The files to lint and one-line errors for the paths that cannot be read.

    Folders are walked recursively for ``*.yaml``, ``*.yml`` and ``*.json``, skipping hidden
    folders (``.git``, ``.venv``), ``exclude`` globs and, inside a git work tree, what its
    ``.gitignore`` files ignore (unless ``ignore_files`` is off); symlinked folders are
    followed once (a loop is cut). Files named explicitly are read whatever their suffix, and
    ``exclude`` applies to them only with ``force_exclude``. A file reached twice (through a
    symbolic or hard link: same device and inode) is read once.

    ``skipped``, when given, collects the files left out with a reason worth showing
    (``--show-skipped``); ``read``, the ignore files looked at (for the run cache).
    """
    patterns = tuple(exclude)
    files: list[Input] = []
    errors: list[str] = []
    seen: set[tuple[int, int] | str] = set()
    for given in paths:
        if given == STDIN:
            files.append(Input(stdin_name, None))
            continue
        path = Path(given)
        status = _stat(given)
        if isinstance(status, str):
            errors.append(f"{given}: {status}")
        elif stat.S_ISDIR(status.st_mode):
            ignore = None
            if ignore_files:
                from kpolicy.gitignore import IgnoreRules

                ignore = IgnoreRules(given)
                if read is not None:
                    read.extend(ignore.read)
            _walk(given, patterns, files, errors, seen, ignore)
            if ignore is not None and read is not None:
                read.extend(ignore.read)
        elif force_exclude and is_excluded(given, patterns):
            if skipped is not None:
                from kpolicy.model import Skipped

                skipped.append(Skipped(given, "matches an exclude pattern of the config",
                                       "excluded by the config"))
        elif stat.S_ISREG(status.st_mode):
            identity = _identity(given, status)
            if identity not in seen:
                seen.add(identity)
                files.append(Input(given, path))
        else:
            errors.append(f"{given}: not a regular file or folder")
    return files, errors


def _walk(
    top: str,
    patterns: tuple[str, ...],
    files: list[Input],
    errors: list[str],
    seen: set[tuple[int, int] | str],
    ignore: IgnoreRules | None = None,
) -> None:
    visited_dirs: set[str] = set()
    if ignore is not None and not ignore.active:
        ignore = None

    def on_error(exc: OSError) -> None:
        errors.append(f"{exc.filename}: cannot read folder: {exc.strerror}")

    for folder, dirs, names in os.walk(top, onerror=on_error, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited_dirs:
            dirs[:] = []
            continue
        visited_dirs.add(real)
        if ignore is not None:
            ignore.enter(folder)
        kept = []
        for d in sorted(dirs):
            sub = os.path.join(folder, d)
            if d.startswith(".") or is_excluded(sub, patterns):
                continue
            if ignore is not None and ignore.ignored(sub, True):
                continue
            if os.path.realpath(sub) in visited_dirs:
                continue  # a symlink loop back to a folder being walked
            kept.append(d)
        dirs[:] = kept
        for name in sorted(names):
            if not name.endswith(MANIFEST_SUFFIXES) or name.startswith("."):
                continue
            display = os.path.join(folder, name)
            if display.startswith("./") and top != ".":
                display = display[2:]
            if top == "." and display.startswith("./"):
                display = display[2:]
            if is_excluded(display, patterns):
                continue
            if ignore is not None and ignore.ignored(display, False):
                continue
            full = Path(display)
            status = _stat(display)
            if isinstance(status, str):
                errors.append(f"{display}: {status}")
                continue
            if stat.S_ISDIR(status.st_mode):
                continue  # became a folder since the listing
            if not stat.S_ISREG(status.st_mode):
                # a FIFO would block the read forever; a device never ends
                errors.append(f"{display}: not a regular file")
                continue
            identity = _identity(display, status)
            if identity in seen:
                continue
            seen.add(identity)
            files.append(Input(display, full, explicit=False))
