"""The on-disk cache of replayed ``kpolicy lint`` runs. (The bundled schemas need none: a run
parses only the definitions of the kinds it validates, see kpolicy/schema.py.)

It lives in kpolicy's folder of the user cache (``KPOLICY_CACHE_DIR`` when set, else
``$XDG_CACHE_HOME/kpolicy``, ``~/.cache/kpolicy``, ``~/Library/Caches/kpolicy``,
``%LOCALAPPDATA%\\kpolicy\\Cache``), never in the working folder: a repository's author
controls every file of a checkout, and a cache entry decides what a run reports. See
SECURITY.md (rules 1 and 2) for the threat model; in short:

- **Authenticated.** Every entry is stored with a MAC (keyed BLAKE2b) under a random secret
  made on first use in that folder (``secret``, mode 0600, owned by the user). An entry
  without a valid MAC (planted, edited, copied under another name) is ignored: a miss, never
  trusted. Entries are data: JSON. A run's report is a file of its own beside its entry
  (its bytes, read as they are on a replay), under the same MAC, which the entry records.
- **Never inside what is linted.** A cache folder inside the repository of the working
  folder, inside a linted path or inside the repository of a linted path is refused with a
  one-line warning, and the run goes on without it: there the secret itself could have been
  committed.
- **Only its own files.** Every file is opened relative to the cache folder without following
  symbolic links (``O_NOFOLLOW`` and descriptors of the sub-folders); writes go to a temporary
  file moved into place with :func:`os.replace` (atomic; a link at the target is replaced,
  not followed); pruning deletes only files whose name kpolicy gives and whose MAC is valid.

A lint result is a *replay*: the exact report, messages and exit code of an earlier run,
stored with everything that run depended on (the command line, the current folder, kpolicy's
own files, the bytes of every input, context, config, policy, ``--nodes`` and ``--schema-dir``
file, and the file lists of the folders that were walked). A later run with the same command
line replays it only when every one of those is unchanged; any difference is a miss, never a
stale answer. Files are hashed in chunks and never past the file-size limit (a file over it
is refused by the run, so its size is all the report depends on).

The replay runs before the CLI framework is imported (:func:`replay_command_line`): this
module imports only the standard library's light modules.
"""

from __future__ import annotations

import errno
import os
import stat
import sys

from kpolicy.discover import Signature
from kpolicy.discover import compiled_walk as _compiled_walk
from kpolicy.discover import signature as _signature
from kpolicy.fsutil import (
    NOFOLLOW,
    NotRegular,
    Output,
    OutputError,
    find_config_file,
    inside,
    isfile,
    lexists,
    memo,
    open_regular,
    read_at_most,
)

TYPE_CHECKING = False  # importing typing costs a replay 2 ms; mypy takes this name as True
if TYPE_CHECKING:
    # not at run time: collections.abc imports collections (with contextlib and functools,
    # which a replay does without too, a tenth of a replay above the interpreter's start)
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path  # not at run time: 4 ms of a replay, with urllib and ipaddress
    from typing import Any

    from kpolicy.discover import Input

try:  # the module hashlib takes BLAKE2 from, without loading OpenSSL (3 ms of a replay)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b
try:  # hmac.compare_digest, without importing hmac (which loads OpenSSL)
    from _operator import _compare_digest as compare_digest
except ImportError:  # pragma: no cover - another Python implementation
    from hmac import compare_digest  # type: ignore[no-redef]
try:  # the scanner json.loads runs, without importing json (with re: 7 ms of a replay)
    from _json import make_scanner as _make_scanner
except ImportError:  # pragma: no cover - another Python implementation
    _make_scanner = None  # type: ignore[misc, assignment]

CACHE_ENV = "KPOLICY_CACHE_DIR"
SECRET_NAME = "secret"  # noqa: S105 - the name of the key file, not a key
_SECRET_BYTES = 32
_MAC_HEX = 64  # a 32-byte MAC, in hexadecimal, then a newline, then the payload
# the largest entry read back (a report of a very large run): past it, a miss
MAX_ENTRY_BYTES = 256 << 20
# what a file past the run's limit is hashed with: the run refuses it, so only its size counts
DEFAULT_FILE_LIMIT = 16 * 1024 * 1024
_BASELINE_LIMIT = 64 * 1024 * 1024  # kpolicy.baseline.MAX_BASELINE_BYTES
_ABSENT = "absent"  # the state of a path a run looked for and did not find
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by kpolicy.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
# descriptors relative to a folder: everywhere but Windows
_AT = (
    os.open in os.supports_dir_fd
    and os.unlink in os.supports_dir_fd
    and os.scandir in os.supports_fd
    and bool(NOFOLLOW)
)


def user_cache_dir() -> Path | None:
    """The user cache folder for kpolicy, or None when there is no home to put it in."""
    root = cache_root()
    if root is None:
        return None
    from pathlib import Path

    return Path(root)


def cache_root() -> str | None:
    """:func:`user_cache_dir` as a string, as pathlib writes it, without importing pathlib
    (a replay's)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return _pathlib_str(os.path.abspath(override))
    home = os.path.expanduser("~")  # what Path.home() is
    if sys.platform == "darwin":
        if home.startswith("~"):
            return None  # no home folder
        return _pathlib_str(home, "Library", "Caches", "kpolicy")
    if os.name == "nt":
        local = os.environ.get("LOCALAPPDATA")
        if local:
            return _pathlib_str(local, "kpolicy", "Cache")
        if home.startswith("~"):
            return None
        return _pathlib_str(home, "AppData", "Local", "kpolicy", "Cache")
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # the XDG spec: a relative path is invalid and must be ignored
    if os.path.isabs(xdg):
        return _pathlib_str(xdg, "kpolicy")
    if home.startswith("~"):
        return None
    return _pathlib_str(home, ".cache", "kpolicy")


def _pathlib_str(base: str, *names: str) -> str:
    """``str(Path(base, *names))`` for plain ``names``: joined as they are when ``base`` is an
    absolute POSIX path that pathlib writes unchanged (no ``//``, no ``.`` part, no trailing
    separator), else by pathlib itself."""
    if (
        os.name != "nt"
        and base.startswith("/")
        and "//" not in base
        and "/./" not in base
        and not base.endswith(("/", "/."))
    ):
        return "/".join((base, *names))
    from pathlib import Path

    return str(Path(base, *names))


def digest(data: bytes) -> str:
    return blake2b(data, digest_size=20).hexdigest()


class _Decoder:
    """What json's C scanner reads of a ``json.JSONDecoder``: the defaults of json.loads."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {  # json.decoder._CONSTANTS
        "-Infinity": float("-inf"),
        "Infinity": float("inf"),
        "NaN": float("nan"),
    }.__getitem__


_scan: Callable[[str, int], tuple[Any, int]] | None = None
if _make_scanner is not None:
    _scan = _make_scanner(_Decoder())  # type: ignore[arg-type]  # it reads these attributes


def loads(data: bytes) -> Any:
    """``json.loads(data)`` for a JSON object, by the same C scanner json.loads runs, without
    importing json: its module compiles regular expressions at import (with ``re``, a fifth
    of a replay's start-up). Anything else (no scanner, a document that does not start as
    UTF-8 text with ``{``) goes to json.loads itself. Raises ValueError as json.loads does."""
    if _scan is None or data[:1] != b"{" or data[1:2] == b"\0":
        import json

        return json.loads(data)
    text = data.decode("utf-8", "surrogatepass")  # json.detect_encoding's answer here
    try:
        value, end = _scan(text, 0)
    except StopIteration as exc:  # pragma: no cover - a "{" always starts a value
        raise ValueError(f"no JSON value at {exc.value}") from None
    if text[end:].strip(" \t\n\r"):  # json.loads allows only white space after it
        raise ValueError(f"extra data at {end}")
    return value


# ---------------------------------------------------------------------------------------
# where the cache may be: never inside what is linted


def _is_git_dir(folder: str) -> bool:
    """What git's discovery takes for a repository: a ``HEAD`` file beside ``objects`` and
    ``refs`` folders (a bare repository, or the inside of ``.git``)."""
    return (
        isfile(os.path.join(folder, "HEAD"))
        and os.path.isdir(os.path.join(folder, "objects"))
        and os.path.isdir(os.path.join(folder, "refs"))
    )


@memo
def repositories_around(folder: str) -> tuple[str, ...]:
    """Every folder at or above ``folder`` (a real, absolute path) that is the top of a git
    working tree (it holds ``.git``) or a repository itself (bare)."""
    found: list[str] = []
    current = folder
    while True:
        if lexists(os.path.join(current, ".git")) or _is_git_dir(current):
            found.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            return tuple(found)
        current = parent


def _boundaries(paths: Iterable[str], cwd: str) -> dict[str, str]:
    """The folders a cache must not be in, each with what it is: the repositories around the
    working folder, and each linted path with the repositories around it."""
    found: dict[str, str] = {}
    real_cwd = os.path.realpath(cwd)
    for repository in repositories_around(real_cwd):
        found.setdefault(repository, "the repository of the working folder")
    for given in paths:
        if given == "-":
            continue
        real, kind = _resolved(given, cwd, real_cwd)
        if kind == "folder":
            found.setdefault(real, "the linted folder")
            start = real
        elif kind == "other":
            start = os.path.dirname(real)
        else:
            continue
        for repository in repositories_around(start):
            found.setdefault(repository, "the linted repository")
    return found


def _resolved(given: str, cwd: str, real_cwd: str) -> tuple[str, str]:
    """``os.path.realpath(os.path.join(cwd, given))`` (``real_cwd``: the working folder's),
    and what is there: ``folder`` (:func:`os.path.isdir`), ``other`` (it exists otherwise,
    :func:`os.path.lexists`) or ``absent``.

    A plain name (a command line's options and their values are most of what is asked) or
    ``.`` is resolved as realpath resolves its last part after the working folder's: one
    status, not one of every folder of the path again and then two more; anything else by
    realpath itself."""
    if given == ".":
        real = real_cwd
    elif given and given != ".." and "/" not in given and os.sep not in given and os.name != "nt":
        real = os.path.join(real_cwd, given)
        try:
            status = os.lstat(real)
        except OSError:  # (a NUL in the name raises ValueError, as realpath's lstat does)
            return real, "absent"  # realpath's answer too: nothing there to resolve
        if not stat.S_ISLNK(status.st_mode):
            return real, "folder" if stat.S_ISDIR(status.st_mode) else "other"
        real = os.path.realpath(os.path.join(cwd, given))  # a link: realpath follows it
    else:
        real = os.path.realpath(os.path.join(cwd, given))
    if os.path.isdir(real):
        return real, "folder"
    return real, "other" if os.path.lexists(real) else "absent"


_registered: dict[str, str] = {}  # boundaries of this process's runs (see guard)
_opened: dict[tuple[str, tuple[str, ...]], CacheFolder | None] = {}
_warned: set[str] = set()


def reset() -> None:
    """Forget the paths guarded and the folders opened (tests, and long-lived processes that
    lint another tree)."""
    _registered.clear()
    for folder in _opened.values():
        if folder is not None:
            folder.close()
    _opened.clear()
    _warned.clear()
    repositories_around.cache_clear()


def guard(paths: Iterable[str], cwd: str | os.PathLike[str] | None = None) -> None:
    """Record the paths this process lints: no cache folder inside them (or their
    repositories) is used from now on by the run cache."""
    _registered.update(
        {
            k: v
            for k, v in _boundaries(paths, os.fspath(cwd) if cwd else os.getcwd()).items()
            if k not in _registered
        }
    )


def open_cache(
    paths: Iterable[str] = (), cwd: str | os.PathLike[str] | None = None, warn: bool = True
) -> CacheFolder | None:
    """kpolicy's cache folder, opened and with its secret, or None: no home, a folder that
    cannot be created, or one refused (inside what is linted, or writable by others; a
    one-line warning says so, once)."""
    root = cache_root()
    if root is None:
        return None
    guard(paths, cwd)
    limits = dict(_registered)
    key = (root, tuple(sorted(limits)))
    if key in _opened:
        return _opened[key]
    folder: CacheFolder | None = None
    problem = _refusal(root, limits)
    if problem is None:
        folder = next((f for f in _opened.values() if f is not None and f.root == root), None)
    if problem is None and folder is None:
        try:
            folder = CacheFolder.open(root)
        except _Refused as exc:
            problem = str(exc)
        except OSError:
            folder = None  # cannot be created or read: only slower
    if problem is not None and warn and problem not in _warned:
        _warned.add(problem)
        from kpolicy.escape import text as escaped

        sys.stderr.write(f"kpolicy: warning: {escaped(problem)}; running without the cache\n")
    if problem is not None and not warn:
        return None  # decided again, with a warning, by the caller that warns
    _opened[key] = folder
    return folder


def _refusal(root: str, limits: dict[str, str]) -> str | None:
    real = os.path.realpath(root)
    for boundary in sorted(limits):
        if inside(real, boundary):
            return (
                f"the cache folder {root} is inside {limits[boundary]} {boundary} "
                f"(set {CACHE_ENV} to a folder outside it)"
            )
    return None


class _Refused(Exception):
    pass


# ---------------------------------------------------------------------------------------
# kpolicy's own folder


def _valid_name(name: str, suffix: str) -> bool:
    stem = name[: -len(suffix)] if name.endswith(suffix) else ""
    return (
        0 < len(stem) <= 120
        and all(c.isalnum() or c in "-._" for c in stem)
        and not stem.startswith(".")
    )


class CacheFolder:
    """kpolicy's cache folder: every file in it is named relative to it, reached through
    folders opened without following links, and authenticated with the folder's secret."""

    def __init__(self, root: str, fd: int | None, secret: bytes) -> None:
        self.root = root
        self._fd = fd  # the root folder, open (None where descriptors of folders are missing)
        self._secret = secret

    # -- opening ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @classmethod
    def open(cls, root: str) -> CacheFolder:
        os.makedirs(root, mode=0o700, exist_ok=True)
        fd = os.open(root, _DIR_FLAGS) if _AT else None
        try:
            status = os.fstat(fd) if fd is not None else os.stat(root)
            if not stat.S_ISDIR(status.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", root)
            owner = getattr(os, "getuid", None)
            if owner is not None and status.st_uid != owner():
                raise _Refused(
                    f"the cache folder {root} belongs to another user "
                    f"(set {CACHE_ENV} to a folder of your own)"
                )
            if status.st_mode & stat.S_IWOTH and not status.st_mode & stat.S_ISVTX:
                raise _Refused(
                    f"the cache folder {root} is writable by every user "
                    f"(set {CACHE_ENV} to a folder of your own)"
                )
            folder = cls(root, fd, b"")
            folder._secret = folder._load_secret()
        except BaseException:
            if fd is not None:
                os.close(fd)
            raise
        return folder

    def _load_secret(self) -> bytes:
        """The folder's secret, created on first use (random, mode 0600). A secret that is not
        a plain file of the user's, readable by no one else, is replaced (its entries become
        misses)."""
        try:
            fd, status = open_regular(self._path(SECRET_NAME), NOFOLLOW, self._fd)
        except FileNotFoundError:
            return self._new_secret(replace=False)
        except OSError:  # a link, a FIFO, a folder: not ours
            return self._new_secret(replace=True)
        with os.fdopen(fd, "rb") as handle:
            secret = handle.read(_SECRET_BYTES + 1)
        owner = getattr(os, "getuid", None)
        private = os.name == "nt" or not status.st_mode & 0o077
        if (
            len(secret) != _SECRET_BYTES
            or not private
            or (owner is not None and status.st_uid != owner())
        ):
            return self._new_secret(replace=True)
        return secret

    def _new_secret(self, replace: bool) -> bytes:
        secret = os.urandom(_SECRET_BYTES)
        temporary = self._temporary_file(None, secret)
        try:
            if replace:
                self._replace(temporary, SECRET_NAME, None)
                return secret
            try:  # a link fails when another process made the secret meanwhile: use theirs
                os.link(
                    self._path(temporary),
                    self._path(SECRET_NAME),
                    src_dir_fd=self._fd,
                    dst_dir_fd=self._fd,
                    follow_symlinks=False,
                )
            except FileExistsError:
                return self._load_secret()
            except OSError:  # no hard links here
                self._replace(temporary, SECRET_NAME, None)
                temporary = ""
            self._write_tag()
            return secret
        finally:
            if temporary:
                self._unlink(temporary, None)

    def _write_tag(self) -> None:
        try:
            temporary = self._temporary_file(None, _CACHEDIR_TAG.encode())
            self._replace(temporary, "CACHEDIR.TAG", None)
        except OSError:
            pass

    # -- low-level operations, relative to a folder descriptor ------------------------------

    def _path(self, name: str, folder: str | None = None) -> str:
        """A name as given to ``os`` calls: relative to a descriptor, or a whole path."""
        if self._fd is not None:
            return name
        return os.path.join(self.root, *(folder.split("/") if folder else ()), name)

    def _subfolder(self, folder: str, create: bool) -> int | None:
        """A descriptor of ``folder`` (``a/b``, below the root), opened component by component
        without following links; None without descriptors (then paths are checked)."""
        if self._fd is None:
            full = os.path.join(self.root, *folder.split("/"))
            current = self.root
            for part in folder.split("/"):
                current = os.path.join(current, part)
                if os.path.islink(current):
                    raise OSError(errno.ELOOP, "a symbolic link in the cache folder", current)
            if create:
                os.makedirs(full, mode=0o700, exist_ok=True)
            return None
        fd = os.dup(self._fd)
        try:
            for part in folder.split("/"):
                try:
                    child = os.open(part, _DIR_FLAGS | NOFOLLOW, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:  # noqa: SIM105 - contextlib is not imported by a replay
                        os.mkdir(part, 0o700, dir_fd=fd)
                    except FileExistsError:
                        pass
                    child = os.open(part, _DIR_FLAGS | NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _temporary_file(self, fd: int | None, data: bytes, folder: str | None = None) -> str:
        for _ in range(100):
            name = f".tmp-{os.urandom(8).hex()}.part"
            try:
                out = os.open(
                    self._path(name, folder),
                    os.O_WRONLY
                    | os.O_CREAT
                    | os.O_EXCL
                    | NOFOLLOW
                    | getattr(os, "O_CLOEXEC", 0)
                    | getattr(os, "O_BINARY", 0),
                    0o600,
                    dir_fd=fd if fd is not None else self._fd,
                )
            except FileExistsError:
                continue
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(out, view) :]
            except BaseException:
                os.close(out)
                self._unlink(name, fd, folder)
                raise
            os.close(out)
            return name
        raise FileExistsError(errno.EEXIST, "no free temporary name")  # pragma: no cover

    def _replace(self, source: str, target: str, fd: int | None, folder: str | None = None) -> None:
        at = fd if fd is not None else self._fd
        os.replace(
            self._path(source, folder), self._path(target, folder), src_dir_fd=at, dst_dir_fd=at
        )

    def _unlink(self, name: str, fd: int | None, folder: str | None = None) -> None:
        try:  # noqa: SIM105 - contextlib is not imported by a replay
            os.unlink(self._path(name, folder), dir_fd=fd if fd is not None else self._fd)
        except OSError:
            pass

    # -- entries ---------------------------------------------------------------------------

    def mac(self, purpose: bytes, name: str, payload: bytes) -> bytes:
        """The MAC of an entry: keyed BLAKE2b over its purpose, file name and bytes, so that an
        entry is valid only where kpolicy wrote it."""
        hasher = blake2b(key=self._secret, digest_size=32, person=purpose[:16])
        hasher.update(name.encode("utf-8", "surrogateescape") + b"\0")
        hasher.update(payload)
        return hasher.digest()

    def _verified(self, purpose: bytes, name: str, raw: tuple[bytes, bytes]) -> bytes | None:
        """The payload of an entry read by :meth:`_raw` when its MAC is valid, else None."""
        head, payload = raw
        if len(head) != _MAC_HEX + 1 or head[_MAC_HEX:] != b"\n":
            return None
        expected = self.mac(purpose, name, payload).hex().encode()
        return payload if compare_digest(head[:_MAC_HEX], expected) else None

    def read(
        self, folder: str, name: str, purpose: bytes, expected: str | None = None
    ) -> bytes | None:
        """The payload of an entry whose MAC is valid, else None (missing, planted, edited,
        damaged, too large, or not a plain file). ``expected``: the MAC (hexadecimal) the
        entry must have besides, as recorded in another authenticated entry: an entry of the
        same name written by another run is a miss too."""
        try:
            fd = self._subfolder(folder, create=False)
        except OSError:
            return None
        try:
            raw = self._raw(name, fd, folder)
        finally:
            if fd is not None:
                os.close(fd)
        if raw is None:
            return None
        if expected is not None:
            try:
                wanted = expected.encode("ascii")
            except UnicodeError:
                return None
            if len(wanted) != _MAC_HEX or not compare_digest(raw[0][:_MAC_HEX], wanted):
                return None
        return self._verified(purpose, name, raw)

    def write(self, folder: str, name: str, purpose: bytes, payload: bytes) -> bool:
        """Store an entry with its MAC, atomically; False when it cannot be written (a cache
        that cannot be stored is only a slower next run)."""
        return self.write_mac(folder, name, purpose, payload) is not None

    def write_mac(self, folder: str, name: str, purpose: bytes, payload: bytes) -> str | None:
        """:meth:`write`, giving the MAC written (hexadecimal), or None when not written."""
        mac = self.mac(purpose, name, payload).hex()
        data = mac.encode() + b"\n" + payload
        try:
            fd = self._subfolder(folder, create=True)
        except OSError:
            return None
        try:
            temporary = self._temporary_file(fd, data, folder)
            try:
                self._replace(temporary, name, fd, folder)
            except OSError:
                self._unlink(temporary, fd, folder)
                return None
            return mac
        except OSError:
            return None
        finally:
            if fd is not None:
                os.close(fd)

    def prune(
        self,
        folder: str,
        suffix: str,
        purpose: bytes,
        keep: int,
        chosen: Callable[[str], bool] = lambda name: True,
        companions: Sequence[tuple[str, bytes]] = (),
    ) -> list[str]:
        """Delete the entries of ``folder`` beyond the ``keep`` most recent among those whose
        name ``chosen`` accepts; the names deleted. Only kpolicy's own entries go: plain
        files (never a link, never followed) named as kpolicy names them, with a valid MAC.
        ``companions``: (suffix, purpose) of the files kept beside an entry (its name with
        that suffix instead of ``suffix``), deleted with it under the same conditions."""
        removed: list[str] = []
        try:
            fd = self._subfolder(folder, create=False)
        except OSError:
            return removed
        try:
            candidates: list[tuple[int, str]] = []
            with os.scandir(fd if fd is not None else os.path.join(self.root, folder)) as listing:
                for entry in listing:
                    if not _valid_name(entry.name, suffix) or not chosen(entry.name):
                        continue
                    try:
                        if not entry.is_file(follow_symlinks=False):
                            continue
                        candidates.append(
                            (entry.stat(follow_symlinks=False).st_mtime_ns, entry.name)
                        )
                    except OSError:
                        continue
            candidates.sort(reverse=True)
            for _, name in candidates[keep:]:
                if not self._remove_own(name, purpose, fd, folder):
                    continue  # not kpolicy's: left alone
                removed.append(name)
                stem = name[: -len(suffix)]
                for other, other_purpose in companions:
                    if _valid_name(stem + other, other):
                        self._remove_own(stem + other, other_purpose, fd, folder)
        except OSError:
            pass
        finally:
            if fd is not None:
                os.close(fd)
        return removed

    def _raw(self, name: str, fd: int | None, folder: str) -> tuple[bytes, bytes] | None:
        """The bytes of ``name`` in ``folder`` (opened as ``fd``, or the cache's own) when it
        is a plain file (not followed) no larger than an entry may be, else None: as its
        first line's bytes (the MAC, where it is one) and the rest (the payload), read apart.
        Slicing the payload off the whole would copy it: a report's pages, touched afresh,
        were a twentieth of a replay."""
        try:
            opened, status = open_regular(
                self._path(name, folder), NOFOLLOW, fd if fd is not None else self._fd
            )
        except (OSError, ValueError):
            return None
        with os.fdopen(opened, "rb", buffering=0) as handle:
            if status.st_size > MAX_ENTRY_BYTES:
                return None
            try:
                head = read_at_most(handle, _MAC_HEX)  # read at most a byte past the limit
                payload = read_at_most(handle, MAX_ENTRY_BYTES - len(head))
            except (OSError, ValueError):
                return None
        if len(head) + len(payload) > MAX_ENTRY_BYTES:  # grew, or a size the system does not know
            return None
        return head, payload

    def _remove_own(self, name: str, purpose: bytes, fd: int | None, folder: str) -> bool:
        """Delete ``name`` when it is a plain file (not followed) with a valid MAC for
        ``purpose``; whether it was."""
        raw = self._raw(name, fd, folder)
        if raw is None or self._verified(purpose, name, raw) is None:
            return False
        self._unlink(name, fd, folder)
        return True


# ---------------------------------------------------------------------------------------
# replayed lint runs

_ENTRY_FORMAT = 6
_MAX_ENTRIES = 64
_RUNS = "results/lint"
_ALIASES = "results/argv"
RUN_PURPOSE = b"kpolicy.run"
# the report of a run, as UTF-8 bytes in a file of its own beside its entry (KEY.report): a
# replay reads it as it is instead of unescaping it from a JSON string of the entry
REPORT_PURPOSE = b"kpolicy.report"
REPORT_SUFFIX = ".report"
ALIAS_PURPOSE = b"kpolicy.argv"
# a file modified this close to the start of a run may be modified again within the same
# timestamp tick without its mtime changing: such a run is not stored ("racy git")
_RACY_NS = 2_000_000_000
# the packages whose behaviour shows in a report
_DEPENDENCIES = ("yaml", "_yaml", "jsonschema", "referencing", "typer", "click")


@memo  # kpolicy's files do not change during a run
def code_fingerprint() -> str:
    """kpolicy's own files (code, rules, schemas) and the libraries that shape its output,
    by name, size and modification time: an edit (in place too: a folder's time does not
    change then), an upgrade or a reinstall changes it."""
    from kpolicy.fsutil import data_folder  # kpolicy.resources's, one import less

    package = os.path.dirname(os.path.realpath(__file__))
    hasher = blake2b(digest_size=20)
    hasher.update(f"{sys.version}|{sys.executable}|{_ENTRY_FORMAT}\n".encode())
    for root in (package, data_folder("rules"), data_folder("schemas")):
        hasher.update(_tree_stamp(root).encode("utf-8", "surrogateescape"))
    for name in _DEPENDENCIES:
        try:
            spec = _find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        try:
            found = os.stat(origin) if origin else None
        except OSError:
            found = None
        stamp = f"{found.st_size}|{found.st_mtime_ns}" if found else "-"
        hasher.update(f"{name}|{origin}|{stamp}\n".encode("utf-8", "surrogateescape"))
    return hasher.hexdigest()


def _find_spec(name: str) -> Any:
    """:func:`importlib.util.find_spec` of a top-level module, by the function it calls (the
    import system's own search of ``sys.meta_path``), without importing importlib.util:
    with contextlib, functools and collections, its imports, a tenth of a replay above the
    interpreter's start. A module imported already is its ``__spec__`` (None where
    find_spec raises ValueError: the caller takes either as no module)."""
    if name in sys.modules:
        module = sys.modules[name]
        return None if module is None else getattr(module, "__spec__", None)
    search = getattr(sys.modules.get("_frozen_importlib"), "_find_spec", None)
    if search is None:  # pragma: no cover - another Python implementation
        import importlib.util

        return importlib.util.find_spec(name)
    return search(name, None)


# statuses taken relative to an open folder (everywhere but Windows)
_STAT_AT = os.stat in os.supports_dir_fd and os.scandir in os.supports_fd


def _tree_stamp(root: str) -> str:
    """Every file under ``root``, one line each: its path, size and modification time, in the
    order of the paths (``__pycache__`` and temporary files left out; a folder reached twice,
    through a link loop, walked once).

    Each folder is opened once and its files' statuses taken relative to it where the system
    allows (as ``os.stat(entry.path)`` would take them, through links: one folder of the
    path to resolve instead of all of them)."""
    lines: list[str] = []
    pending = [root]
    visited: set[tuple[int, int]] = set()
    stamp_folder = _compiled_walk("stamp_folder") if _STAT_AT else None
    if stamp_folder is not None:  # the loop below, a folder at a time in C (a third faster)
        while pending:
            stamp_folder(pending.pop(), visited, pending, lines)
        lines.sort()
        return "".join(lines)
    status_of = os.stat
    while pending:
        folder = pending.pop()
        fd: int | None = None
        try:
            if _STAT_AT:
                fd = os.open(folder, _DIR_FLAGS)
                status = os.fstat(fd)
            else:
                status = os.stat(folder)
        except OSError:
            if fd is not None:
                os.close(fd)
            continue
        try:
            if (status.st_dev, status.st_ino) in visited:
                continue
            visited.add((status.st_dev, status.st_ino))
            prefix = folder if folder.endswith("/") else folder + "/"  # what entry.path joins
            with os.scandir(folder if fd is None else fd) as entries:
                for entry in entries:
                    name = entry.name
                    if name == "__pycache__" or name.startswith(".tmp-"):
                        continue
                    try:
                        if entry.is_dir():
                            pending.append(prefix + name if fd is not None else entry.path)
                            continue
                        found = status_of(name, dir_fd=fd) if fd is not None else entry.stat()
                        path = prefix + name if fd is not None else entry.path
                        lines.append(f"{path}|{found.st_size}|{found.st_mtime_ns}\n")
                    except OSError:
                        continue
        except OSError:
            continue
        finally:
            if fd is not None:
                os.close(fd)
    lines.sort()
    return "".join(lines)


def _file_state(
    path: str,
    known: tuple[str, Signature] | None = None,
    limit: int = DEFAULT_FILE_LIMIT,
    walked: Signature | None = None,
) -> tuple[str | None, Signature | None]:
    """(digest of the bytes or None when unreadable, the file's signature), from one open file.

    With ``known`` (a digest and the signature the file had when it was hashed), a file whose
    size, modification and change times, inode and device are all unchanged keeps that digest
    without being read, as git's index does; the racy case (a change within the same timestamp
    tick) cannot arise, since :meth:`RunCache.store` records no file modified within two
    seconds of the run. Only regular files are opened, without blocking: a FIFO would block,
    a device never ends (the run refuses them, and the entry records what they are instead).
    Bytes are hashed a MiB at a time and never past ``limit``: a larger file is refused by the
    run, so its state is its size.

    ``walked``: the signature of the file's status (through links, of a regular file) that
    the caller has just taken, as the folder walk does for every file it finds
    (:func:`kpolicy.discover.discover_names`); else the status is taken here. Either way a
    file that is read is judged by the status of its open descriptor.
    """
    try:
        if walked is not None:
            signature = walked
        else:
            status = os.stat(path)
            if not stat.S_ISREG(status.st_mode):
                return f"mode {stat.S_IFMT(status.st_mode):o}", None
            signature = _signature(status)
        if known is not None and tuple(known[1]) == signature:
            return known[0], signature
        fd, status = open_regular(path)
        with os.fdopen(fd, "rb") as handle:
            if status.st_size > limit:
                return f"over the limit of {limit} bytes: {status.st_size}", _signature(status)
            state = hash_stream(path, handle, limit)
    except NotRegular as exc:
        return str(exc), None
    except (OSError, ValueError):
        return None, None
    if state is None:
        return None, None  # grew past the limit while read: unknown, and nothing is stored
    return state, _signature(status)


def hash_stream(path: str, handle: Any, limit: int) -> str | None:
    """The digest of what ``handle`` holds, read a MiB at a time; None past ``limit``."""
    hasher = blake2b(digest_size=20)
    total = 0
    while True:
        chunk = handle.read(1 << 20)
        if not chunk:
            return str(hasher.hexdigest())
        total += len(chunk)
        if total > limit:
            return None
        hasher.update(chunk)


def _tree_state(path: str, suffixes: tuple[str, ...], recursive: bool) -> str | None:
    """The names and contents of the files of a folder that the run reads (policies:
    ``*.yaml`` at its top; ``--schema-dir``: ``*.json`` at any depth), listed as the run
    lists them (:func:`kpolicy.fsutil.tree_files`)."""
    from kpolicy.fsutil import tree_files

    if not os.path.isdir(path):
        return _file_state(path)[0]
    hasher = blake2b(digest_size=20)
    for name in tree_files(path, suffixes, recursive):
        hasher.update(f"{name}\0{_file_state(name)[0]}\n".encode("utf-8", "surrogateescape"))
    return hasher.hexdigest()


def _described(item: Input) -> str | list[object]:
    """An input as an entry records it: its name alone for a file found by walking a folder
    (its location is that name), else [name, location, named on the command line]."""
    display = item.display
    if not item.explicit and item.location == display:
        return display
    return [display, item.location, item.explicit]


def _described_all(items: Sequence[Input | str]) -> list[str | list[object]]:
    """:func:`_described` of each item, in one pass (a walked file, given as its name by
    :func:`kpolicy.discover.discover_names`, is its name alone)."""
    return [item if isinstance(item, str) else _described(item) for item in items]


def _unchanged(
    statuses: dict[str, Signature],
    known_files: dict[str, object],
    known_stats: object,
) -> tuple[dict[str, str | None], dict[str, Signature | None]]:
    """The digests and signatures of the files of ``statuses`` (location: signature, as the
    walk took them, all regular files) when they are the first files of the recorded state,
    in its order, each with its recorded signature and a recorded digest: then the recorded digests
    (as :func:`_file_state` gives for each, its signature unchanged). Else ({}, {}): the
    caller takes each file's state on its own. ``known_stats``: the recorded signatures (as
    tuples), a list in the order of ``known_files`` or a map of the paths."""
    count = len(statuses)
    recorded = list(known_files)
    if count == 0 or len(recorded) < count:
        return {}, {}
    paths = _below_working_folder(list(statuses))
    if recorded[:count] != paths:
        return {}, {}
    if isinstance(known_stats, dict):
        known_stats = [known_stats.get(path) for path in paths]
    if not isinstance(known_stats, list) or len(known_stats) < count:
        return {}, {}
    signatures = list(statuses.values())
    if known_stats[:count] != signatures:  # tuples: a list, None or another row differs
        return {}, {}
    digests = list(known_files.values())[:count]
    if set(map(type, digests)) != {str}:
        return {}, {}
    return dict(zip(paths, digests, strict=True)), dict(  # type: ignore[arg-type]
        zip(paths, signatures, strict=True)
    )


# the row of a file without a signature (absent, not a regular file) in packed signatures: no
# file has it (a size of 2**64 - 1), so it is never taken for a file's
_NO_SIGNATURE: Signature = (2**64 - 1,) * 5


def _pack_signatures(rows: Iterable[Signature | None]) -> str | list[list[int] | None]:
    """Signatures as an entry holds them: one hexadecimal string of 64-bit little-endian
    unsigned integers, five a file (parsed by one C call, where a JSON list costs a replay
    the parsing of each nanosecond integer); the JSON lists when a value does not fit (a
    time before 1970)."""
    listed = [_NO_SIGNATURE if row is None else row for row in rows]
    values = [value for row in listed for value in row]
    if all(0 <= value < 2**64 for value in values):
        return b"".join(value.to_bytes(8, "little") for value in values).hex()
    return [None if row == _NO_SIGNATURE else list(row) for row in listed]


def _unpack_signatures(stats: object, count: int) -> list[Signature] | None:
    """The ``count`` signatures :func:`_pack_signatures` gave, as tuples (a file that had
    none: :data:`_NO_SIGNATURE`); None when they are not that."""
    if isinstance(stats, list):
        if len(stats) != count:
            return None
        return [
            (row[0], row[1], row[2], row[3], row[4])
            if isinstance(row, list) and len(row) == 5
            else _NO_SIGNATURE
            for row in stats
        ]
    if not isinstance(stats, str) or len(stats) != count * 80:
        return None
    try:
        packed = bytes.fromhex(stats)
    except ValueError:
        return None
    if len(packed) != count * 40:  # fromhex skips white space: fewer bytes than digits
        return None
    if sys.byteorder == "little":
        values = memoryview(packed).cast("Q").tolist()
    else:  # pragma: no cover - a big-endian machine
        values = [int.from_bytes(packed[i : i + 8], "little") for i in range(0, len(packed), 8)]
    rows = iter(values)
    return list(zip(rows, rows, rows, rows, rows, strict=True))


def _below_working_folder(paths: list[str]) -> list[str]:
    """:func:`os.path.abspath` of each path where the result is a recorded path: a relative
    path is joined to the working folder as it is, which is abspath's answer whenever the
    joined path is a normal one, as every recorded path is (abspath gives the normal form of
    the joined path, and a normal path is its own). A path where that is not so (``..``,
    ``./``) comes out as no recorded path, and the caller then takes each file's state on its
    own. An absolute path is abspath's."""
    if os.name == "nt":  # abspath there is the system's GetFullPathNameW (drives, devices)
        return list(map(os.path.abspath, paths))
    cwd = os.getcwd()
    below = cwd if cwd.endswith("/") else cwd + "/"
    absolute = _absolute_paths()
    return [below + path if path[:1] != "/" else absolute(path) for path in paths]


def _compacted(state: dict[str, object]) -> dict[str, object]:
    """A state as an entry holds it: when its inputs are the names of its first files below
    one folder (a folder walked from the working folder: its files' names are their paths
    below it, and a file's state is kept under its whole path), the inputs are that folder
    and their number instead of each name a second time (:func:`_expanded` gives them
    back); else as it is."""
    inputs, files = state.get("inputs"), state.get("files")
    if not isinstance(inputs, list) or not inputs or not isinstance(files, dict) or not files:
        return state
    first = next(iter(files))
    if not isinstance(first, str) or not isinstance(inputs[0], str):
        return state
    below = first[: len(first) - len(inputs[0])]
    if not below.endswith("/") or below + inputs[0] != first:
        return state
    count = len(inputs)
    if _expanded_inputs(below, count, files) != inputs:
        return state
    return {**state, "inputs": {"below": below, "count": count}}


def _expanded_inputs(below: str, count: int, files: dict[str, object]) -> list[str] | None:
    """The names of the first ``count`` files below ``below``; None when a file is not."""
    names = list(files)[:count]
    if len(names) != count or not all(map(str.startswith, names, [below] * count)):
        return None
    start = len(below)
    return [name[start:] for name in names]


def _expanded(state: object) -> object:
    """A state as :func:`_compacted` had it (a state as it is, or anything else: as it is)."""
    if not isinstance(state, dict):
        return state
    inputs, files = state.get("inputs"), state.get("files")
    if not isinstance(inputs, dict) or not isinstance(files, dict):
        return state
    below, count = inputs.get("below"), inputs.get("count")
    if not isinstance(below, str) or not isinstance(count, int) or count < 1:
        return None
    return {**state, "inputs": _expanded_inputs(below, count, files)}


def _absolute_paths() -> Callable[[str], str]:
    """:func:`os.path.abspath` for many paths at once: on POSIX the working folder is read
    once (``abspath`` reads it for every path: a system call each), with the same result."""
    if os.name == "nt":  # abspath there is the system's GetFullPathNameW (drives, devices)
        return os.path.abspath
    cwd = os.getcwd()
    below = cwd if cwd.endswith("/") else cwd + "/"  # os.path.join(cwd, relative path)
    normpath = os.path.normpath

    def absolute(path: str) -> str:
        if (
            path
            and not path.startswith(("/", "."))
            and "/." not in path
            and "//" not in path
            and not path.endswith("/")
        ):
            # a relative path without ".", ".." or empty parts (as a folder walk makes
            # them) below the working folder, which the system gives normal: normal as it is
            return below + path
        return normpath(path if path.startswith("/") else below + path)

    return absolute


class RunCache:
    """The replay cache of one command line (its parsed options) in one folder.

    ``spec`` says what a run depends on besides kpolicy itself: the paths and context given,
    the stdin name, the exclude globs and policies of the config, an explicit config file, the
    nodes file, the schema folder and the file-size limit. :meth:`fingerprint` turns it into
    the current state of the file system; an entry is replayed only when that state equals the
    recorded one.
    """

    def __init__(self, key: str, folder: CacheFolder, cwd: str | os.PathLike[str]) -> None:
        self.key = key
        self.folder = folder
        self.cwd = os.fspath(cwd)
        self.started_ns = 0
        self._before: dict[str, object] | None = None
        self._stats: dict[str, Signature | None] = {}
        self._spec: dict[str, object] = {}

    @classmethod
    def for_command(
        cls,
        options: dict[str, object],
        paths: Sequence[str],
        cwd: str | os.PathLike[str] | None = None,
    ) -> RunCache | None:
        """The cache of a run that lints ``paths`` (inputs and context); None when there is
        no cache folder, or it is refused (a warning then says why)."""
        cwd = os.fspath(cwd) if cwd else os.getcwd()
        folder = open_cache(paths, cwd)
        if folder is None:
            return None
        return cls(_run_key({"options": options}, cwd), folder, cwd)

    @property
    def name(self) -> str:
        return f"{self.key}.json"

    @property
    def report_name(self) -> str:
        return f"{self.key}{REPORT_SUFFIX}"

    # -- the state of the inputs ---------------------------------------------------------

    def fingerprint(
        self, spec: dict[str, object], known: tuple[object, object] | None = None
    ) -> dict[str, object]:
        """The state of everything the run of ``spec`` reads. ``known``: the digests and
        signatures of an entry, so that a file whose signature is unchanged is not re-read."""
        from kpolicy.discover import discover_names as discover

        known_files = known[0] if known is not None and isinstance(known[0], dict) else {}
        # the recorded signatures: a map of the paths, or a list in the order of known_files
        given_stats = known[1] if known is not None else None
        if not isinstance(given_stats, dict):  # as an entry holds them (_pack_signatures)
            given_stats = _unpack_signatures(given_stats, len(known_files))
        # by path, made when a file is first taken on its own
        known_stats: dict[str, object] | None = (
            given_stats if isinstance(given_stats, dict) else None
        )

        def names(values: object) -> list[str]:
            return [str(v) for v in values] if isinstance(values, list | tuple) else []

        limit = spec.get("limit")
        limit = limit if isinstance(limit, int) and limit > 0 else DEFAULT_FILE_LIMIT
        config_path = spec.get("config")
        if config_path is None:
            config_path = find_config_file(self.cwd)
        exclude = names(spec.get("exclude"))
        base = spec.get("exclude_base")
        base = base if isinstance(base, str) else None
        force_exclude = spec.get("force_exclude") is True
        ignore_files = spec.get("ignore_files") is not False
        # the signature of each file found, from the status discovery took to decide that it
        # is a regular file: compared with the recorded signature without a second stat
        statuses: dict[str, Signature] = {}
        inputs, input_errors = discover(
            names(spec.get("paths")),
            exclude,
            str(spec.get("stdin_name")),
            base=base,
            force_exclude=force_exclude,
            ignore_files=ignore_files,
            signatures=statuses,
        )
        context, context_errors = discover(
            names(spec.get("context")),
            exclude,
            base=base,
            force_exclude=force_exclude,
            ignore_files=ignore_files,
            signatures=statuses,
        )
        files: dict[str, str | None] = {}
        self._stats = {}
        absolute = _absolute_paths()
        items = (*inputs, *context)
        if known_files and len(statuses) == len(items):
            # every input has a status of its own (no stdin, none named twice), in the order
            # of the inputs: when their names and signatures are the recorded ones, in the
            # recorded order, each keeps its recorded digest, compared all at once (what
            # add below decides for each, file by file)
            files, self._stats = _unchanged(statuses, known_files, given_stats)

        def add(path: str, size_limit: int, walked: Signature | None = None) -> None:
            nonlocal known_stats
            if path in files:
                return
            if known_stats is None:
                rows = given_stats if isinstance(given_stats, list) else ()
                known_stats = dict(zip(known_files, rows, strict=False))
            before = known_files.get(path)
            signature = known_stats.get(path)
            hint = None
            if isinstance(before, str) and isinstance(signature, tuple) and len(signature) == 5:
                hint = (before, signature)
            state, current = _file_state(path, hint, size_limit, walked=walked)
            files[path] = state
            self._stats[path] = current

        if not files:
            for item in items:
                # a walked file is its name (kpolicy.discover.discover_names)
                location = item if isinstance(item, str) else item.location
                if location is not None:
                    add(absolute(location), limit, statuses.get(location))
        if isinstance(config_path, str):
            add(absolute(config_path), DEFAULT_FILE_LIMIT)
        nodes = spec.get("nodes")
        if isinstance(nodes, str):
            add(absolute(nodes), limit)
        baseline = spec.get("baseline")
        if isinstance(baseline, str):
            add(absolute(baseline), _BASELINE_LIMIT)
        # what the run read besides its inputs (kustomizations, charts, templates, ignore
        # files), recorded after it: a change there, or a file appearing there, is a miss
        for path in names(spec.get("also")):
            path = absolute(path)
            if lexists(path):
                add(path, DEFAULT_FILE_LIMIT)
            elif path not in files:
                files[path] = _ABSENT  # looked for and not there: one appearing is a miss
                self._stats[path] = None
        trees = {
            **{
                os.path.abspath(p): _tree_state(os.path.abspath(p), (".yaml",), False)
                for p in names(spec.get("policies"))
            },
            **{
                os.path.abspath(p): _tree_state(os.path.abspath(p), (".json",), True)
                for p in names(spec.get("schema_dir"))
            },
        }
        state: dict[str, object] = {
            "config": config_path,
            "inputs": _described_all(inputs),
            "context": _described_all(context),
            "errors": [*input_errors, *context_errors],
            "files": files,
            "trees": trees,
        }
        if spec.get("dated"):
            from kpolicy import dates

            state["today"] = dates.today().isoformat()  # an exemption's until: a day's report
        return state

    # -- replay --------------------------------------------------------------------------

    def replay(self) -> dict[str, object] | None:
        """The recorded outputs when the entry is authentic and the inputs are as they were,
        else None (a miss)."""
        raw = self.folder.read(_RUNS, self.name, RUN_PURPOSE)
        if raw is None:
            return None
        try:
            entry = loads(raw)
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("format") != _ENTRY_FORMAT:
            return None
        spec, recorded, outputs = entry.get("spec"), entry.get("state"), entry.get("outputs")
        if not isinstance(spec, dict) or not isinstance(outputs, dict):
            return None
        recorded = _expanded(recorded)
        known = None
        if isinstance(recorded, dict):
            files, stats = recorded.get("files"), entry.get("stats")
            # the signatures, in the order of the files they belong to (not named again)
            if isinstance(files, dict) and isinstance(stats, list | str):
                known = (files, stats)
        try:
            current = self.fingerprint(spec, known)
        except Exception:  # a broken config, an unreadable folder: run for real
            return None
        if current != recorded:
            return None
        # the report: the file beside the entry whose MAC the entry recorded (not one left by
        # another run of this key, nor another entry's); missing, damaged or other: a miss
        report = self.folder.read(
            _RUNS, self.report_name, REPORT_PURPOSE, expected=str(outputs.get("report_mac"))
        )
        if report is None:
            return None
        if report.isascii():  # as it is: emit writes these bytes where stdout allows
            return {**outputs, "report_bytes": report}
        try:
            text = report.decode("utf-8", "surrogatepass")
        except UnicodeError:  # pragma: no cover - authentic, so written by store
            return None
        return {**outputs, "report": text}

    # -- recording -----------------------------------------------------------------------

    def begin(self, spec: dict[str, object]) -> None:
        """Take the state of the inputs before the run (what the outputs will belong to)."""
        import time

        self.started_ns = time.time_ns()
        self._spec = spec
        try:
            self._before = self.fingerprint(spec)
        except Exception:
            self._before = None

    def watch(self, paths: Iterable[str]) -> None:
        """Add files the run read besides its inputs to what a replay depends on (their state
        now joins the state taken before the run: a file changed since the run started is
        caught by :meth:`store`'s time check)."""
        extra = sorted({os.path.abspath(p) for p in paths})
        if not extra or self._before is None:
            return
        self._spec = {**self._spec, "also": extra}
        files = dict(self._before.get("files", {}))  # type: ignore[call-overload]
        for path in extra:
            if path in files:
                continue
            if lexists(path):
                files[path], self._stats[path] = _file_state(path)
            else:
                files[path], self._stats[path] = _ABSENT, None
        self._before = {**self._before, "files": files}

    def store(self, outputs: dict[str, object], output: Path | None = None) -> bool:
        """Record the outputs, unless an input changed during the run or too recently.
        ``output``: the ``--output`` of this run; only whether there was one is recorded."""
        before = self._before
        if before is None:
            return False
        stats = dict(self._stats)
        for path, signature in stats.items():
            try:
                status = os.stat(path)
            except OSError:
                if signature is not None:
                    return False
                continue
            if signature is None or _signature(status) != signature:
                return False  # changed during the run, or not a regular file
            if signature[1] >= self.started_ns - _RACY_NS:
                return False  # racily clean: a change within the same tick would go unseen
        files = before["files"]
        if not isinstance(files, dict) or any(state is None for state in files.values()):
            return False  # a file that could not be hashed: nothing to compare with later
        recorded = {path: signature for path, signature in stats.items() if signature is not None}
        try:
            # every input's signature was just checked: only new or moved files are read
            after = self.fingerprint(self._spec, (before.get("files"), recorded))
        except Exception:
            return False
        if after != before:
            return False
        kept = {k: v for k, v in outputs.items() if k != "report"}
        report = str(outputs.get("report", "")).encode("utf-8", "surrogatepass")
        # the report first: an entry never names a report that is not there yet
        report_mac = self.folder.write_mac(_RUNS, self.report_name, REPORT_PURPOSE, report)
        if report_mac is None:
            return False
        entry = {
            "format": _ENTRY_FORMAT,
            "spec": self._spec,
            "state": _compacted(before),
            # each file's signature, in the order of state.files (_pack_signatures)
            "stats": _pack_signatures(recorded.get(path) for path in files),
            "outputs": {**kept, "report_mac": report_mac, "to_file": output is not None},
        }
        import json

        # ASCII: a file name that is not UTF-8 (a lone surrogate here) survives the round trip
        data = json.dumps(entry, separators=(",", ":")).encode("ascii")
        stored = self.folder.write(_RUNS, self.name, RUN_PURPOSE, data)
        if stored:
            companions = ((REPORT_SUFFIX, REPORT_PURPOSE),)
            self.folder.prune(_RUNS, ".json", RUN_PURPOSE, _MAX_ENTRIES, companions=companions)
            # reports left without an entry (one that could not be written): as many again
            self.folder.prune(_RUNS, REPORT_SUFFIX, REPORT_PURPOSE, _MAX_ENTRIES)
            _store_alias(self, output)
        return stored


# ---------------------------------------------------------------------------------------
# the command line, before the CLI framework is imported

_this_command_line: list[list[str]] = []  # what replay_command_line saw in this process


def replay_command_line(argv: list[str], cwd: str | os.PathLike[str] | None = None) -> int | None:
    """Replay ``kpolicy lint ARGS`` from the cache if an earlier run with the same command line
    left an entry whose inputs are unchanged; its exit code, or None to run for real.

    Meant for the entry point, before typer and the pipeline are imported: a replay then costs
    the interpreter's start, hashing the inputs and printing. Every argument that names an
    existing path counts as linted for :func:`open_cache` (options' values too: stricter
    than the parsed command line, which decides again when this declines).
    """
    _this_command_line[:] = [list(argv)]
    if not _replayable(argv):
        return None
    cwd = os.fspath(cwd) if cwd else os.getcwd()
    linted = _linted_paths(argv[1:])
    if linted is None:
        return None
    folder = open_cache(linted, cwd, warn=False)
    if folder is None:
        return None
    raw = folder.read(_ALIASES, f"{_command_line_key(argv, cwd)}.json", ALIAS_PURPOSE)
    if raw is None:
        return None
    try:
        alias = loads(raw)
        key, where = alias.get("entry"), alias.get("output")
    except (ValueError, AttributeError):
        return None
    if not isinstance(key, str) or not key.isalnum():
        return None
    target: str | None = None
    if where is not None:
        # the --output of *this* command line: the argument at this index (the alias is
        # authenticated and named after this exact command line)
        if (
            not isinstance(where, list)
            or len(where) != 2
            or not all(isinstance(n, int) for n in where)
            or not 0 < where[0] < len(argv)
        ):
            return None
        target = argv[where[0]][where[1] :]
    outputs = RunCache(key, folder, cwd).replay()
    if outputs is None:
        return None
    return emit(outputs, target)


# options after which a command line is not worth a lookup (or not cacheable)
# (--kustomize runs a build whose inputs kpolicy does not know; --write-baseline writes a file)
_NEVER_REPLAYED = frozenset(
    {"--no-cache", "-", "--debug", "--help", "-h", "--kustomize", "--write-baseline"}
)
# the options of `kpolicy lint` that take no value (kpolicy.cli.lint)
_LINT_FLAGS = frozenset(
    {
        "--show-suppressed",
        "--color",
        "--no-color",
        "--debug",
        "--no-cache",
        "--help",
        "--show-skipped",
        "--no-ignore",
        "--force-exclude",
        "--no-force-exclude",
    }
)
_LINT_SHORT_WITH_VALUE = frozenset("focj")
_LINT_SHORT_FLAGS = frozenset("v")


def _linted_paths(args: list[str]) -> list[str] | None:
    """What ``kpolicy lint ARGS`` lints, for :func:`open_cache`: the positional arguments (or
    ``.``), and every argument that names an existing path (the values of options too, so
    that a mistake here can only refuse more than the parsed command line does); None when
    an argument is not understood."""
    positional: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            positional.extend(args[index + 1 :])
            break
        if arg.startswith("--"):
            if "=" not in arg and arg not in _LINT_FLAGS:
                index += 1  # the option's value
        elif arg.startswith("-") and len(arg) > 1:
            # short options as click reads them: flags (-v), then at most one option whose
            # value is the rest of the argument (-j1, -vfjson) or else the next argument
            position = 1
            while position < len(arg) and arg[position] in _LINT_SHORT_FLAGS:
                position += 1
            if position < len(arg):
                if arg[position] not in _LINT_SHORT_WITH_VALUE:
                    return None
                if position + 1 == len(arg):
                    index += 1
        else:
            positional.append(arg)
        index += 1
    return [*(positional or ["."]), *args]  # _boundaries keeps the paths that exist


def _replayable(argv: list[str]) -> bool:
    """Whether a raw command line may be replayed before the CLI parses it: a ``kpolicy
    lint`` without the options above, and without ``--report``, whose paths only the parsed
    command line knows (it is replayed there, see ``emit``)."""
    return (
        bool(argv)
        and argv[0] == "lint"
        and not any(
            arg.split("=", 1)[0] in _NEVER_REPLAYED
            or arg == "--report"
            or arg.startswith("--report=")
            for arg in argv[1:]
        )
    )


def _command_line_key(argv: list[str], cwd: str) -> str:
    """The key of a raw command line: as :func:`_run_key`, written with ``repr`` (of strings,
    booleans and None: one text each) instead of json, which a replay does not import."""
    described = sorted({"argv": argv, **_run_context(cwd)}.items())
    return digest(repr(described).encode("utf-8", "surrogateescape"))


def _run_key(described: dict[str, object], cwd: str) -> str:
    """A run's key: what it was asked (parsed options), where, to which kind of output, and
    with which kpolicy."""
    import json

    return digest(
        json.dumps({**described, **_run_context(cwd)}, sort_keys=True, default=str).encode(
            "utf-8", "surrogateescape"
        )
    )


def _run_context(cwd: str) -> dict[str, object]:
    """Where a run is, to which kind of output, with which kpolicy."""
    stream = sys.stdout
    return {
        "cwd": str(cwd),
        "tty": bool(getattr(stream, "isatty", lambda: False)()),
        # colour by default follows these (kpolicy.cli.color_by_default)
        "color_env": [os.environ.get("NO_COLOR", ""), os.environ.get("FORCE_COLOR", "")],
        "encoding": getattr(stream, "encoding", None),
        "code": code_fingerprint(),
    }


def emit(
    outputs: dict[str, object],
    output: str | os.PathLike[str] | None,
    reports: Sequence[tuple[str, str | os.PathLike[str]]] = (),
) -> int | None:
    """Print recorded outputs as the run printed them: the report to stdout or to ``output``
    (the ``--output`` of this command line, never a path from the entry), then the messages;
    the recorded exit code. None when the entry does not fit this command line (a report
    recorded to a file, this one to stdout, or the reverse) or the output file cannot be
    written (the real run then reports why).

    ``reports``: the ``--report`` (format, path) pairs of this command line. The recorded run
    wrote the same formats in the same order (else None), and each recorded text goes to this
    command line's path: the entry holds no path to write to.
    """
    recorded = outputs.get("reports", [])
    if not isinstance(recorded, list) or [
        item[0] if isinstance(item, list) and len(item) == 2 else None for item in recorded
    ] != [name for name, _ in reports]:
        return None
    for (_, path), (_, text) in zip(reports, recorded, strict=True):
        if not _write(path, str(text)):
            return None
    raw = outputs.get("report_bytes")  # an ASCII report, as replay read it
    messages = str(outputs.get("stderr", ""))
    if bool(outputs.get("to_file")) != (output is not None):
        return None
    try:
        if output is None and isinstance(raw, bytes) and _stdout_takes_ascii_bytes():
            sys.stdout.flush()
            sys.stdout.buffer.write(raw)  # what writing its text would write, without decoding
        else:
            report = (
                raw.decode("ascii") if isinstance(raw, bytes) else str(outputs.get("report", ""))
            )
            if output is not None:
                if not _write(output, report):
                    return None
            else:
                sys.stdout.write(report)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # as the run itself ends on a reader that went away
    except OSError as exc:
        # a full disk, a closed descriptor: the run's own I/O error (kpolicy.lintcmd._to_stdout)
        reason = exc.strerror or str(exc)
        try:  # (stderr may be as full as stdout: the exit code says it then)
            sys.stderr.write(
                f"kpolicy: error: cannot write the report to standard output: {reason}\n"
            )
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        return 2
    if messages:  # (a full stderr refuses even an empty write)
        try:
            sys.stderr.write(messages)
            sys.stderr.flush()
        except OSError:  # the messages lost, and no stream left to say so: the run's exit code
            return 2
    code = outputs.get("exit")
    return code if isinstance(code, int) else 0


def _stdout_takes_ascii_bytes() -> bool:
    """Whether ASCII text written to ``sys.stdout`` reaches its byte buffer unchanged: the
    process's own stdout (no newline translation off Windows) in an encoding that writes
    ASCII as it is."""
    stream = sys.stdout
    if os.name == "nt" or stream is not sys.__stdout__ or not hasattr(stream, "buffer"):
        return False
    import codecs

    try:
        return codecs.lookup(str(getattr(stream, "encoding", None))).name in (
            "utf-8",
            "ascii",
            "iso8859-1",
        )
    except LookupError:  # pragma: no cover - the stream's own encoding
        return False


def _write(path: str | os.PathLike[str], text: str) -> bool:
    """A report file, atomically and never through a symbolic link (:class:`Output`)."""
    try:
        out = Output(path)
    except OutputError:
        return False
    try:
        out.stream.write(text)
        out.commit()
    except (OSError, UnicodeError):
        out.abort()
        return False
    return True


def _output_argument(argv: list[str], output: Path) -> list[int] | None:
    """Where ``argv`` names ``output``: [index, offset of the path in that argument]; the
    last one (click lets the last ``--output`` win), or None when it cannot be told."""
    from pathlib import Path

    found: list[int] | None = None
    for index, arg in enumerate(argv):
        candidates: list[tuple[int, int]] = []
        if arg in ("-o", "--output") and index + 1 < len(argv):
            candidates.append((index + 1, 0))
        elif arg.startswith("--output="):
            candidates.append((index, len("--output=")))
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            candidates.append((index, 2))
        for position, offset in candidates:
            if Path(argv[position][offset:]) == output:
                found = [position, offset]
    return found


def _store_alias(cache: RunCache, output: Path | None) -> None:
    """Let :func:`replay_command_line` find this run's entry from the raw command line."""
    if not _this_command_line:
        return
    argv = _this_command_line[0]
    if not _replayable(argv):
        return
    where = None
    if output is not None:
        where = _output_argument(argv, output)
        if where is None:
            return  # the parsed --output is not an argument as such: no raw replay
    import json

    name = f"{_command_line_key(argv, cache.cwd)}.json"
    payload = json.dumps({"entry": cache.key, "output": where}).encode()
    if cache.folder.write(_ALIASES, name, ALIAS_PURPOSE, payload):
        cache.folder.prune(_ALIASES, ".json", ALIAS_PURPOSE, _MAX_ENTRIES)
