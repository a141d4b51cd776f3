"""Paths, folders and ``-`` (stdin) → the files to read, in a stable order."""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False  # importing typing costs a replay 2 ms; mypy takes this name as True
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path
    from typing import Any

    from kpolicy.gitignore import IgnoreRules

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_POSIX = os.name == "posix"
STDIN = "-"


class Input:
    """One file to lint (a small value class; not a dataclass, whose import is a noticeable
    part of a cached run's start-up).

    ``path`` is a :class:`~pathlib.Path`, made when first read: a folder walk gives the name
    as a string, and a replayed run (which reads ``location``) never needs the ``Path``, nor
    ``pathlib`` (4 ms of its start-up with what it imports)."""

    __slots__ = ("_path", "display", "explicit", "size")

    display: str  # as reported: relative, as the user gave it
    explicit: bool  # named on the command line, not found by walking a folder
    # its size in bytes when the walk took its status (as it decided that it is a regular
    # file), else None: kpolicy.lint.inputs.size_of then takes it
    size: int | None

    def __init__(
        self,
        display: str,
        path: str | Path | None,
        explicit: bool = True,
        size: int | None = None,
    ) -> None:
        self.display = display
        self._path = path  # None for stdin
        self.explicit = explicit
        self.size = size

    @property
    def path(self) -> Path | None:
        """The file (None for stdin)."""
        path = self._path
        if isinstance(path, str):
            from pathlib import Path

            path = self._path = Path(path)
        return path

    @property
    def location(self) -> str | None:
        """The file's name as given to ``os`` calls (None for stdin), without making a Path."""
        path = self._path
        return path if path is None or isinstance(path, str) else os.fspath(path)

    def _key(self) -> tuple[str, Path | None, bool]:
        return (self.display, self.path, self.explicit)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Input) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Input(display={self.display!r}, path={self.path!r}, explicit={self.explicit!r})"


NOT_MANIFESTS = "not Kubernetes manifests"
OUTSIDE_LINKS = "symbolic links leaving the folder"
EXCLUDED = "excluded by the config"
HELM_TEMPLATES = "Helm chart templates"

# a group's words for a single file (the groups are named in the plural)
_ONE_OF_GROUP = {
    NOT_MANIFESTS: "not a Kubernetes manifest",
    OUTSIDE_LINKS: "symbolic link leaving the folder",
    HELM_TEMPLATES: "Helm chart template",
}


def group_words(group: str, count: int) -> str:
    """How the summary names ``count`` skipped files of ``group``: ``not a Kubernetes
    manifest`` for one, ``not Kubernetes manifests`` for several."""
    return _ONE_OF_GROUP.get(group, group) if count == 1 else group


class Skipped:
    """A file a run did not lint, and why (``--show-skipped``): not a manifest, a chart
    template, excluded, a symbolic link that a folder walk did not follow. ``group`` is how
    the summary counts it (``3 files skipped: not Kubernetes manifests``)."""

    __slots__ = ("display", "group", "reason")

    def __init__(self, display: str, reason: str, group: str = NOT_MANIFESTS) -> None:
        self.display = display
        self.reason = reason
        self.group = group

    @property
    def file(self) -> str:
        return self.display

    def _key(self) -> tuple[str, str, str]:
        return (self.display, self.reason, self.group)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Skipped) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Skipped({self.display!r}, {self.reason!r}, {self.group!r})"

    def __str__(self) -> str:
        return f"{self.display}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"file": self.display, "reason": self.reason, "group": self.group}


def is_excluded(display: str, patterns: Iterable[str], base: str | None = None) -> bool:
    """Whether a path matches an ``exclude`` glob. ``base``: the folder of the config the
    globs come from; a path below it is matched relative to it (``k8s/generated/*`` means
    the same wherever kpolicy runs), any other as given."""
    if not patterns:
        return False
    import fnmatch  # with re: only for a config with globs (a replayed run imports neither)

    normal = display.replace(os.sep, "/")
    if base is not None:
        relative = os.path.relpath(os.path.abspath(display), base) if display else ""
        if relative and relative != os.curdir and not relative.startswith(os.pardir):
            normal = relative.replace(os.sep, "/")
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
    base: str | None = None,
    skipped: list[Skipped] | None = None,
    force_exclude: bool = False,
    ignore_files: bool = True,
    read: list[str] | None = None,
    statuses: dict[str, os.stat_result] | None = None,
) -> tuple[list[Input], list[str]]:
    """The files to lint and one-line errors for the paths that cannot be read.

    Folders are walked recursively for ``*.yaml``, ``*.yml`` and ``*.json``, skipping hidden
    folders (``.git``, ``.venv``) and ``exclude`` globs (relative to ``base``, the config's
    folder: see :func:`is_excluded`). A symbolic link is followed only when what it leads to
    is inside the folder being walked (a loop is cut); one that leaves it is not followed and
    is added to ``skipped``: a repository cannot make kpolicy read ``/etc`` or ``/proc``.
    Inside a git work tree, a walk also skips what its ``.gitignore`` files ignore (unless
    ``ignore_files`` is off). Files named explicitly are read as given, whatever their suffix;
    ``exclude`` applies to them only with ``force_exclude``. A file reached twice (through a
    symbolic or hard link: same device and inode) is read once. ``read`` collects the ignore
    files looked at (for the run cache); ``statuses``, the status of each file found (through
    links, as taken to decide that it is a regular file), by its ``location``: the run cache
    compares it with the recorded one instead of taking it a second time.
    """
    return _discover(  # type: ignore[return-value]  # Inputs only, without names
        paths,
        exclude,
        stdin_name,
        base=base,
        skipped=skipped,
        force_exclude=force_exclude,
        ignore_files=ignore_files,
        read=read,
        statuses=statuses,
    )


def discover_names(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    stdin_name: str = "<stdin>",
    *,
    base: str | None = None,
    force_exclude: bool = False,
    ignore_files: bool = True,
    signatures: dict[str, Signature] | None = None,
) -> tuple[list[Input | str], list[str]]:
    """:func:`discover`, where a file found by walking a folder is its name (a string: what
    its Input's ``display`` and ``location`` would be, not named on the command line) instead
    of an :class:`Input`: the run cache's, which reads no more of it, and for which making
    an object a file is a sixth of a replayed run's walk. ``signatures``: what
    ``statuses`` would hold, each status as the run cache compares it (:func:`signature`),
    taken as the walk goes: a status kept for every file was a third of the pages a
    replay's walk touched afresh."""
    return _discover(
        paths,
        exclude,
        stdin_name,
        base=base,
        force_exclude=force_exclude,
        ignore_files=ignore_files,
        statuses=signatures,
        as_names=True,
    )


Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def signature(status: os.stat_result) -> Signature:
    """A file's status as the run cache compares it: a change of any of these is a change."""
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev)


def _discover(
    paths: Iterable[str],
    exclude: Iterable[str] = (),
    stdin_name: str = "<stdin>",
    *,
    base: str | None = None,
    skipped: list[Skipped] | None = None,
    force_exclude: bool = False,
    ignore_files: bool = True,
    read: list[str] | None = None,
    statuses: dict[str, Any] | None = None,
    as_names: bool = False,
) -> tuple[list[Input | str], list[str]]:
    """:func:`discover`; with ``as_names``, :func:`discover_names` (``statuses`` then takes
    signatures)."""
    patterns = tuple(exclude)
    files: list[Input | str] = []
    errors: list[str] = []
    seen: set[tuple[int, int] | str] = set()
    for given in paths:
        if given == STDIN:
            files.append(Input(stdin_name, None))
            continue
        status = _stat(given)
        if isinstance(status, str):
            errors.append(f"{given}: {status}")
        elif stat.S_ISDIR(status.st_mode):
            ignore = None
            if ignore_files:
                from kpolicy.fsutil import find_work_tree

                # outside a git work tree no ignore file applies: gitignore is not imported
                work_tree = find_work_tree(given)
                if work_tree is not None:
                    from kpolicy.gitignore import IgnoreRules

                    ignore = IgnoreRules(given, work_tree)
            _walk(
                given,
                patterns,
                files,
                errors,
                seen,
                base,
                skipped if skipped is not None else [],
                ignore,
                statuses,
                as_names,
            )
            if ignore is not None and read is not None:
                read.extend(ignore.read)
        elif force_exclude and is_excluded(given, patterns, base):
            if skipped is not None:
                skipped.append(Skipped(given, "matches an exclude pattern of the config", EXCLUDED))
        elif stat.S_ISREG(status.st_mode):
            identity = _identity(given, status)
            if identity not in seen:
                seen.add(identity)
                files.append(Input(given, given, size=status.st_size))
                if statuses is not None:
                    statuses[given] = signature(status) if as_names else status
        else:
            errors.append(f"{given}: not a regular file or folder")
    return files, errors


def _walk(
    top: str,
    patterns: tuple[str, ...],
    files: list[Input | str],
    errors: list[str],
    seen: set[tuple[int, int] | str],
    base: str | None,
    skipped: list[Skipped],
    ignore: IgnoreRules | None = None,
    statuses: dict[str, Any] | None = None,
    as_names: bool = False,
) -> None:
    visited_dirs: set[str] = set()
    if ignore is not None and not ignore.active:
        ignore = None
    root = os.path.realpath(top)
    outside = f"symbolic link to a path outside {top}, not followed"

    def on_error(exc: OSError) -> None:
        errors.append(f"{exc.filename}: cannot read folder: {exc.strerror}")

    def leaves(path: str) -> bool:
        real = os.path.realpath(path)
        return not (real == root or real.startswith(root.rstrip(os.sep) + os.sep))

    # each folder to enter with its real path: a folder entered by a name that is not a
    # symbolic link is its parent's real path and that name (no realpath, whose lstat of every
    # component is most of a replayed run's walk); a link's target, by realpath. Entered as
    # os.walk(top, followlinks=True) enters them (top-down, each folder's sub-folders in the
    # order kept, depth first), listed with os.scandir as it lists them, without its
    # generator per folder and loop per entry
    pending: list[tuple[str, str]] = [(top, root)]
    lstat, is_regular = os.lstat, stat.S_ISREG
    # a folder's listing in C where it is built: its sub-folders, the names the loop below
    # looks at, and the signature of each that is a regular file (what lstat gives it there);
    # only where that signature is all a file is kept as (a replayed run's walk, or no status)
    list_folder = compiled_walk("list_folder") if as_names or statuses is None else None
    while pending:
        folder, real = pending.pop()
        dirs: list[str]
        names: list[str]
        quick: dict[str, Signature] | None = None
        listed = list_folder(folder, MANIFEST_SUFFIXES) if list_folder is not None else None
        if listed is not None:
            dirs, names, quick = listed
        else:  # without C, or a folder it could not read: the error is os.scandir's
            dirs = []
            names = []
            try:
                with os.scandir(folder) as listing:
                    for entry in listing:
                        try:
                            is_dir = entry.is_dir()
                        except OSError:  # as os.walk: not a folder then
                            is_dir = False
                        (dirs if is_dir else names).append(entry.name)
            except OSError as exc:  # as os.walk: the folder is reported and left out
                on_error(exc)
                continue
        if real in visited_dirs:
            continue
        visited_dirs.add(real)
        if ignore is not None:
            ignore.enter(folder)
        kept: list[tuple[str, str]] = []
        for d in sorted(dirs):
            sub = os.path.join(folder, d)
            if d.startswith(".") or is_excluded(sub, patterns, base):
                continue
            if os.path.islink(sub):
                if leaves(sub):
                    skipped.append(Skipped(_shown(sub, top), outside, OUTSIDE_LINKS))
                    continue
                real_sub = os.path.realpath(sub)
            elif _POSIX:
                real_sub = os.path.join(real, d)  # what realpath gives: d is not a link
            else:  # Windows: a junction is no link to islink, yet realpath resolves it
                real_sub = os.path.realpath(sub)
            if ignore is not None and ignore.ignored(sub, True):
                continue
            if real_sub in visited_dirs:
                continue  # a symlink loop back to a folder being walked
            kept.append((sub, real_sub))
        pending.extend(reversed(kept))
        prefix = _shown(os.path.join(folder, ""), top)  # each name's display: prefix + name
        for name in sorted(names):
            if not name.endswith(MANIFEST_SUFFIXES) or name.startswith("."):
                continue
            display = prefix + name
            if patterns and is_excluded(display, patterns, base):
                continue
            if ignore is not None and ignore.ignored(display, False):
                continue
            if quick is not None:
                walked = quick.get(name)
                if walked is not None:  # a regular file: the common case below, from C
                    identity: tuple[int, int] | str = (walked[4], walked[3])
                    if identity not in seen:
                        seen.add(identity)
                        files.append(
                            display if as_names else Input(display, display, False, walked[0])
                        )
                        if statuses is not None:  # (as_names: list_folder is used only then)
                            statuses[display] = walked
                    continue
            status: os.stat_result | str
            try:
                found = lstat(display)
            except (OSError, ValueError):
                status = _stat(display)
            else:
                if is_regular(found.st_mode) and found.st_ino:  # the common case, at once
                    identity = (found.st_dev, found.st_ino)
                    if identity not in seen:
                        seen.add(identity)
                        files.append(
                            display if as_names else Input(display, display, False, found.st_size)
                        )
                        if statuses is not None:
                            statuses[display] = signature(found) if as_names else found
                    continue
                status = found
            if not isinstance(status, str) and stat.S_ISLNK(status.st_mode):
                if leaves(display):
                    skipped.append(Skipped(display, outside, OUTSIDE_LINKS))
                    continue
                status = _stat(display)  # what the link leads to, inside the folder
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
            files.append(
                display
                if as_names
                else Input(display, display, explicit=False, size=status.st_size)
            )
            if statuses is not None:
                statuses[display] = signature(status) if as_names else status


def compiled_walk(name: str) -> Any:
    """``kpolicy._cload``'s function ``name`` that takes one folder of a walk (``list_folder``
    for :func:`_walk`, ``stamp_folder`` for :func:`kpolicy.cache._tree_stamp`), or None where
    the C extension is not built, does not walk (not Linux), or KPOLICY_PURE_PYTHON is set:
    the Python loop then."""
    if os.environ.get("KPOLICY_PURE_PYTHON"):
        return None
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    return getattr(_cload, name, None)


def _shown(path: str, top: str) -> str:
    """A path found under ``top`` as reports show it (no leading ``./``)."""
    if path.startswith("./"):
        return path[2:]
    return path
