"""Reading and writing files the careful way (see SECURITY.md, rules 2 and 3).

- :func:`read_regular` reads a regular file and nothing else, never more than a limit: a FIFO
  would block the read forever, a device never ends, ``/proc`` files report a size of 0. The
  file is opened without blocking and checked on the open descriptor, so it cannot be swapped
  for a FIFO between a ``stat`` and the ``open``.
- :func:`write_output` writes a report (``--output``) atomically, through a temporary file in
  the same folder and :func:`os.replace`, and never through a symbolic link at the target: a
  link committed in place of ``kpolicy.sarif`` cannot redirect the report to a file outside.
- :func:`tree_files` lists the files of a folder without following links that leave it.
- :func:`data_folder` is where kpolicy's data folders are (:mod:`kpolicy.resources`; here, so
  that a replay, which needs it for the code fingerprint, imports one module less), and
  :func:`find_config_file` where the configuration is (:mod:`kpolicy.configfile`'s, for the
  same reason).

Only light modules are imported: a cached run's replay uses this module.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # importing typing costs a replay 2 ms; mypy takes this name as True
if TYPE_CHECKING:
    import functools
    from collections.abc import Iterator
    from typing import IO, TextIO

    memo = functools.cache
else:

    def memo(function):
        """:func:`functools.cache` (with ``cache_clear``) without importing functools: a
        replay imports this module, and functools with collections, its import, are a
        tenth of a replay's time above the interpreter's start. Keyword arguments are
        keyed as functools keys them (mypy, which takes this for functools.cache, lets a
        call pass them)."""
        results = {}

        def cached(*args, **keywords):
            key = (*args, _KEYWORDS, *keywords.items()) if keywords else args
            try:
                return results[key]
            except KeyError:
                value = results[key] = function(*args, **keywords)
                return value

        cached.cache_clear = results.clear
        cached.__wrapped__ = function
        cached.__doc__ = function.__doc__
        cached.__name__ = function.__name__
        cached.__qualname__ = function.__qualname__
        cached.__module__ = function.__module__
        return cached

    _KEYWORDS = object()  # parts a key's keywords from its positional arguments


_CHUNK = 1 << 20
# a descriptor that never blocks on open (FIFO), never becomes a controlling terminal, and is
# not inherited by child processes
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_PACKAGE = os.path.dirname(os.path.realpath(__file__))  # what Path.resolve() is


def _access_sees_links() -> bool:
    """Whether ``os.access(..., follow_symlinks=False)`` answers here: supported, and true of
    a path that exists (it answers False, not an error, where the system refuses the flag)."""
    if os.access not in os.supports_follow_symlinks:
        return False
    try:
        return os.access(__file__, os.F_OK, follow_symlinks=False)
    except (OSError, ValueError, NotImplementedError):  # pragma: no cover - defensive
        return False


_ACCESS_SEES_LINKS = _access_sees_links()


def lexists(path: str) -> bool:
    """:func:`os.path.lexists`: whether ``path`` exists, a symbolic link itself (broken
    too); one system call that gives a yes or no (``faccessat``, not following a link at
    the end), without the status and the exception of each path that is not there, which
    is most of those a run looks for (kustomizations, charts, ``.git``)."""
    if _ACCESS_SEES_LINKS:
        try:
            return os.access(path, os.F_OK, follow_symlinks=False)
        except ValueError:  # a NUL in the name: lexists says False
            return False
    return os.path.lexists(path)


def isfile(path: str) -> bool:
    """:func:`os.path.isfile`, answered by :func:`lexists` alone for a path that is not there
    (nothing there: no file through a link either)."""
    return lexists(path) and os.path.isfile(path)


def find_work_tree(folder: str) -> str | None:
    """The top of the git work tree holding ``folder`` (a parent with ``.git``), or None.
    For :mod:`kpolicy.gitignore`; here, not in :mod:`kpolicy.repo` (30 ms to import) nor
    there: a folder walk outside a work tree (a replayed run's too) imports neither."""
    current = os.path.abspath(folder)
    while True:
        if lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


CONFIG_NAME = ".kpolicy.yaml"


def find_config_file(start: str) -> str | None:
    """:func:`kpolicy.configfile.find_config` with names as strings (the replay of a cached
    run's; here, not there: a replay imports this module anyway). The nearest
    ``.kpolicy.yaml`` upward, else the nearest ``pyproject.toml`` with ``[tool.kpolicy]``."""
    folder = os.path.realpath(start)  # what Path.resolve() is
    parents = [folder]
    while (parent := os.path.dirname(parents[-1])) != parents[-1]:
        parents.append(parent)
    for candidate in parents:
        path = os.path.join(candidate, CONFIG_NAME)
        if isfile(path):
            return path
    for candidate in parents:
        path = os.path.join(candidate, "pyproject.toml")
        if isfile(path):
            from kpolicy.configfile import pyproject_section

            if pyproject_section(path) is not None:
                return path
    return None


@memo
def data_folder(name: str) -> str:
    """``rules`` or ``schemas`` (:func:`kpolicy.resources.data_dir` as a string, a replay's,
    without pathlib): packaged under ``kpolicy/_data`` in a wheel, else the checkout."""
    packaged = os.path.join(_PACKAGE, "_data", name)
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(_PACKAGE), name)


class NotRegular(OSError):
    """The path is a folder, a FIFO, a socket or a device: kpolicy reads none of them."""


class TooLarge(OSError):
    """The file has more bytes than the limit."""

    def __init__(self, path: str, size: int | None, limit: int) -> None:
        what = "it has" if size is None else f"{size} bytes is"
        super().__init__(f"{path}: {what} more than the limit of {limit} bytes")
        self.size = size
        self.limit = limit


def kind_of(mode: int) -> str:
    """What a non-regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(
    path: str | os.PathLike[str], flags: int = 0, dir_fd: int | None = None
) -> tuple[int, os.stat_result]:
    """An open descriptor of a regular file and its status; :class:`NotRegular` for anything
    else (the check is made on the descriptor, after an open that cannot block)."""
    fd = os.open(path, _READ_FLAGS | flags, dir_fd=dir_fd)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegular(f"{os.fspath(path)}: {kind_of(status.st_mode)}, not read")
        if _READ_FLAGS & getattr(os, "O_NONBLOCK", 0) and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, status


def read_at_most(handle: IO[bytes], limit: int) -> bytes:
    """Up to ``limit + 1`` bytes (one more tells that the limit is passed), a MiB at a time:
    ``read(n)`` allocates n bytes first, and a limit may be raised to far more than memory."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = handle.read(min(limit + 1 - total, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Raises :class:`NotRegular`,
    :class:`TooLarge` or another :class:`OSError`."""
    fd, status = open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        if status.st_size > limit:
            raise TooLarge(os.fspath(path), status.st_size, limit)
        data = read_at_most(handle, limit)
    if len(data) > limit:  # grew, or a size the file system does not know
        raise TooLarge(os.fspath(path), None, limit)
    return data


def inside(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or below it (both real, absolute paths)."""
    if path == root:
        return True
    return path.startswith(root if root.endswith(os.sep) else root + os.sep)


# ---------------------------------------------------------------------------------------
# writing reports


class OutputError(OSError):
    """The report cannot be written where it was asked (a one-line reason)."""


# where a device or a pipe may be named through a link: /dev/stdout, /dev/fd/3 (a shell's
# process substitution), /proc/self/fd/1
_DEVICE_LINKS = ("/dev/", "/proc/self/fd/")


def write_output(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``: see :class:`Output`."""
    out = Output(path)
    try:
        out.stream.write(text)
    except OSError as exc:
        # a full disk met by a text past the stream's buffer (a smaller one meets it at
        # commit): the same error as there, not an internal one
        out.abort()
        raise OutputError(f"{out.path}: cannot write: {_reason(exc)}") from None
    except BaseException:
        out.abort()
        raise
    out.commit()


class Output:
    """A report file being written: ``stream``, then :meth:`commit` (or :meth:`abort`).

    A regular file (or a new one) is written to a temporary file in the same folder and moved
    into place by :meth:`commit`: a reader never sees half a report, and a symbolic link at the
    target is never followed. A link is refused with :class:`OutputError`, unless the path was
    given under ``/dev/`` or ``/proc/self/fd/`` and leads to a device or a pipe
    (``--output /dev/stdout``); a device, FIFO or socket named directly is written directly.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._temporary: str | None = None
        try:
            status: os.stat_result | None = os.lstat(self.path)
        except FileNotFoundError:
            status = None
        except (OSError, ValueError) as exc:
            raise OutputError(f"{self.path}: cannot write: {_reason(exc)}") from None
        direct = False
        if status is not None and stat.S_ISLNK(status.st_mode):
            try:
                target = os.stat(self.path)
            except OSError:
                target = None
            special = target is not None and not (
                stat.S_ISREG(target.st_mode) or stat.S_ISDIR(target.st_mode)
            )
            if not (special and self.path.startswith(_DEVICE_LINKS)):
                raise OutputError(
                    f"{self.path}: is a symbolic link; kpolicy does not write a report through "
                    "a link (remove it, or name the file it points to)"
                )
            direct = True
        elif status is not None and stat.S_ISDIR(status.st_mode):
            raise OutputError(f"{self.path}: is a folder")
        elif status is not None and not stat.S_ISREG(status.st_mode):
            direct = True  # /dev/null, a named pipe
        try:
            if direct:
                self.stream: TextIO = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed by commit or abort
                return
            folder = os.path.dirname(self.path) or "."
            name = os.path.basename(self.path)
            for _ in range(100):
                candidate = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
                try:
                    # 0o666 less the umask, as for a file the report would create
                    fd = os.open(
                        candidate,
                        os.O_WRONLY
                        | os.O_CREAT
                        | os.O_EXCL
                        | NOFOLLOW
                        | getattr(os, "O_CLOEXEC", 0),
                        0o666,
                    )
                except FileExistsError:
                    continue
                break
            else:  # pragma: no cover - a hundred random names taken
                raise FileExistsError(f"{folder}: no free temporary name")
            self._temporary = candidate
            if status is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, stat.S_IMODE(status.st_mode))  # keep the report's permissions
            self.stream = os.fdopen(fd, "w", encoding="utf-8")
        except OSError as exc:
            if self._temporary is not None:
                _unlink(self._temporary)
            raise OutputError(f"{self.path}: cannot write: {_reason(exc)}") from None

    def commit(self) -> None:
        try:
            self.stream.close()
            if self._temporary is not None:
                os.replace(self._temporary, self.path)
                self._temporary = None
        except OSError as exc:
            self.abort()
            raise OutputError(f"{self.path}: cannot write: {_reason(exc)}") from None

    def abort(self) -> None:
        try:  # noqa: SIM105 - contextlib is not imported by a replay
            self.stream.close()
        except OSError:
            pass
        if self._temporary is not None:
            _unlink(self._temporary)
            self._temporary = None


def _unlink(path: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported by a replay
        os.unlink(path)
    except OSError:
        pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# ---------------------------------------------------------------------------------------
# listing folders


def tree_files(root: str, suffixes: tuple[str, ...], recursive: bool) -> Iterator[str]:
    """The files under ``root`` whose names end with ``suffixes``, sorted per folder.

    Symbolic links to folders are not followed (as :meth:`pathlib.Path.rglob` does), so a
    loop cannot arise; a link to a file is kept only when the file it leads to is inside
    ``root``. Used both to read policy and schema folders and to hash them for the cache, so
    that the two always see the same files.
    """
    real_root = os.path.realpath(root)
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        subfolders.append(entry.path)
                    continue
                if not entry.name.endswith(suffixes):
                    continue
                if entry.is_symlink() and not inside(os.path.realpath(entry.path), real_root):
                    continue
            except OSError:
                continue
            yield entry.path
        pending.extend(reversed(subfolders))
