"""The on-disk cache of replayed ``kpolicy lint`` runs.

It lives in ``.kpolicy_cache/`` in the current folder (``KPOLICY_CACHE_DIR/results`` when that
is set), like ``.ruff_cache`` or ``.mypy_cache``: one per project, found by pre-commit and CI
caches, removed with the folder. It ignores itself (a ``.gitignore`` of ``*`` inside), and
folder walks skip it because its name starts with a dot. ``--no-cache`` neither reads nor
writes it. (The bundled schemas need no cache: each run parses only the definitions of the
kinds it validates, see kpolicy/schema.py.)

A lint result is a *replay*: the exact report, messages and exit code of an earlier run,
stored with everything that run depended on (the command line, the current folder, kpolicy's
own files, the bytes of every input, context, config, policy, ``--nodes`` and ``--schema-dir``
file, and the file lists of the folders that were walked). A later run with the same command
line replays it only when every one of those is unchanged; any difference is a miss, never a
stale answer.

Nothing here can execute code from a cache file: entries are JSON (a cloned repository could
ship a ``.kpolicy_cache/``).

Writes go to a temporary file in the same folder and are moved into place with
:func:`os.replace`, which is atomic: concurrent runs each see a whole entry or none.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import stat
import sys
from pathlib import Path

try:  # the module hashlib takes BLAKE2 from, without loading OpenSSL (3 ms of a replay)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

CACHE_ENV = "KPOLICY_CACHE_DIR"
PROJECT_CACHE_NAME = ".kpolicy_cache"
_GITIGNORE = "# created by kpolicy: this folder is a cache\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by kpolicy.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def project_cache_dir(cwd: Path | None = None) -> Path:
    """Where lint results are kept: ``.kpolicy_cache/`` in ``cwd`` unless overridden."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override) / "results"
    return (cwd or Path.cwd()) / PROJECT_CACHE_NAME


def digest(data: bytes) -> str:
    return blake2b(data, digest_size=20).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (OSError, ValueError):
        return None


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`.

    False (and nothing written) when the folder cannot be created or written: a cache that
    cannot be stored is only a slower next run.
    """
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def ensure_project_cache(folder: Path) -> bool:
    """Create the results folder with its self-ignoring ``.gitignore`` and CACHEDIR.TAG."""
    if (folder / ".gitignore").is_file():
        return True
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    ok = write_atomic(folder / ".gitignore", _GITIGNORE.encode())
    return write_atomic(folder / "CACHEDIR.TAG", _CACHEDIR_TAG.encode()) and ok


# ---------------------------------------------------------------------------------------
# replayed lint runs

_ENTRY_FORMAT = 2
_MAX_ENTRIES = 64
# a file modified this close to the start of a run may be modified again within the same
# timestamp tick without its mtime changing: such a run is not stored ("racy git")
_RACY_NS = 2_000_000_000
# the packages whose behaviour shows in a report
_DEPENDENCIES = ("yaml", "_yaml", "jsonschema", "referencing", "typer", "click")


@functools.cache  # kpolicy's files do not change during a run
def code_fingerprint() -> str:
    """kpolicy's own files (code, rules, schemas) and the libraries that shape its output,
    by name, size and modification time: an edit, an upgrade or a reinstall changes it."""
    import importlib.util

    from kpolicy.resources import data_dir

    package = Path(__file__).resolve().parent
    hasher = blake2b(digest_size=20)
    hasher.update(f"{sys.version}|{sys.executable}|{_ENTRY_FORMAT}".encode())
    for root in (package, data_dir("rules"), data_dir("schemas")):
        for path, status in _tree_stats(root):
            hasher.update(f"{path}|{status.st_size}|{status.st_mtime_ns}\n".encode())
    for name in _DEPENDENCIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        try:
            found = os.stat(origin) if origin else None
        except OSError:
            found = None
        stamp = f"{found.st_size}|{found.st_mtime_ns}" if found else "-"
        hasher.update(f"{name}|{origin}|{stamp}\n".encode())
    return hasher.hexdigest()


def _tree_stats(root: Path) -> list[tuple[str, os.stat_result]]:
    found: list[tuple[str, os.stat_result]] = []
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name == "__pycache__" or entry.name.startswith(".tmp-"):
                        continue
                    if entry.is_dir(follow_symlinks=True):
                        pending.append(entry.path)
                    else:
                        try:
                            found.append((entry.path, entry.stat(follow_symlinks=True)))
                        except OSError:
                            continue
        except OSError:
            continue
    found.sort(key=lambda item: item[0])
    return found


Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def _signature(status: os.stat_result) -> Signature:
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino,
            status.st_dev)


def _file_state(path: str, known: tuple[str, Signature] | None = None
                ) -> tuple[str | None, Signature | None]:
    """(digest of the bytes or None when unreadable, the file's signature), from one open file.

    With ``known`` (a digest and the signature the file had when it was hashed), a file whose
    size, modification and change times, inode and device are all unchanged keeps that digest
    without being read, as git's index does; the racy case (a change within the same timestamp
    tick) cannot arise, since :meth:`RunCache.store` records no file modified within two
    seconds of the run. Only regular files are opened: a FIFO would block, a device never ends
    (the run refuses them, and the entry records what they are instead).
    """
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return f"mode {stat.S_IFMT(status.st_mode):o}", None
        if known is not None and tuple(known[1]) == _signature(status):
            return known[0], _signature(status)
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):  # replaced between stat and open
                return f"mode {stat.S_IFMT(status.st_mode):o}", None
            data = handle.read()
    except (OSError, ValueError):
        return None, None
    return digest(data), _signature(status)


def _tree_state(path: str) -> str | None:
    """The names and contents of every file under a folder (policies, --schema-dir)."""
    if not os.path.isdir(path):
        state = _file_state(path)
        return state[0]
    hasher = blake2b(digest_size=20)
    for name, _ in _tree_stats(Path(path)):
        hasher.update(f"{name}\0{_file_state(name)[0]}\n".encode())
    return hasher.hexdigest()


class RunCache:
    """The replay cache of one command line (its parsed options) in one folder.

    ``spec`` says what a run depends on besides kpolicy itself: the paths and context given,
    the stdin name, the exclude globs and policies of the config, an explicit config file, the
    nodes file and the schema folder. :meth:`fingerprint` turns it into the current state of
    the file system; an entry is replayed only when that state equals the recorded one.
    """

    def __init__(self, key: str, folder: Path, cwd: Path) -> None:
        self.key = key
        self.folder = folder
        self.cwd = cwd
        self.started_ns = 0
        self._before: dict[str, object] | None = None
        self._stats: dict[str, Signature | None] = {}

    @classmethod
    def for_command(cls, options: dict[str, object], cwd: Path | None = None) -> RunCache:
        cwd = cwd or Path.cwd()
        return cls(_run_key({"options": options}, cwd), project_cache_dir(cwd), cwd)

    @property
    def path(self) -> Path:
        return self.folder / "lint" / f"{self.key}.json"

    # -- the state of the inputs ---------------------------------------------------------

    def fingerprint(self, spec: dict[str, object],
                    known: tuple[object, object] | None = None) -> dict[str, object]:
        """The state of everything the run of ``spec`` reads. ``known``: the digests and
        signatures of an entry, so that a file whose signature is unchanged is not re-read."""
        from kpolicy.discover import discover

        known_files = known[0] if known is not None and isinstance(known[0], dict) else {}
        known_stats = known[1] if known is not None and isinstance(known[1], dict) else {}

        def names(values: object) -> list[str]:
            return [str(v) for v in values] if isinstance(values, list | tuple) else []

        config_path = spec.get("config")
        if config_path is None:
            from kpolicy.configfile import find_config

            found = find_config(self.cwd)
            config_path = str(found) if found is not None else None
        exclude = names(spec.get("exclude"))
        inputs, input_errors = discover(names(spec.get("paths")), exclude,
                                        str(spec.get("stdin_name")))
        context, context_errors = discover(names(spec.get("context")), exclude)
        files: dict[str, str | None] = {}
        self._stats = {}

        def add(path: str) -> None:
            if path in files:
                return
            before = known_files.get(path)
            signature = known_stats.get(path)
            hint = None
            if isinstance(before, str) and isinstance(signature, list) and len(signature) == 5:
                hint = (before, tuple(signature))
            state, current = _file_state(path, hint)
            files[path] = state
            self._stats[path] = current

        for item in (*inputs, *context):
            if item.path is not None:
                add(os.path.abspath(item.path))
        for path in (config_path, spec.get("nodes")):
            if isinstance(path, str):
                add(os.path.abspath(path))
        trees = {
            os.path.abspath(p): _tree_state(os.path.abspath(p))
            for p in (*names(spec.get("policies")), *names(spec.get("schema_dir")))
        }
        return {
            "config": config_path,
            "inputs": [[i.display, str(i.path) if i.path else None, i.explicit] for i in inputs],
            "context": [[i.display, str(i.path) if i.path else None, i.explicit] for i in context],
            "errors": [*input_errors, *context_errors],
            "files": files,
            "trees": trees,
        }

    # -- replay --------------------------------------------------------------------------

    def replay(self) -> dict[str, object] | None:
        """The recorded outputs when the inputs are as they were, else None."""
        raw = read_bytes(self.path)
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("format") != _ENTRY_FORMAT:
            return None
        spec, recorded, outputs = entry.get("spec"), entry.get("state"), entry.get("outputs")
        if not isinstance(spec, dict) or not isinstance(outputs, dict):
            return None
        known = (recorded.get("files"), entry.get("stats")) if isinstance(recorded, dict) else None
        try:
            current = self.fingerprint(spec, known)
        except Exception:  # a broken config, an unreadable folder: run for real
            return None
        if current != recorded:
            return None
        return outputs

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

    def store(self, outputs: dict[str, object]) -> bool:
        """Record the outputs, unless an input changed during the run or too recently."""
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
        recorded = {path: list(signature) for path, signature in stats.items()
                    if signature is not None}
        try:
            # every input's signature was just checked: only new or moved files are read
            after = self.fingerprint(self._spec, (before.get("files"), recorded))
        except Exception:
            return False
        if after != before:
            return False
        entry = {"format": _ENTRY_FORMAT, "spec": self._spec, "state": before,
                 "stats": recorded,
                 "outputs": outputs}
        if not ensure_project_cache(self.folder):
            return False
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        stored = write_atomic(self.path, data)
        if stored:
            _prune(self.path.parent)
            _store_alias(self)
        return stored


def _prune(folder: Path) -> None:
    """Keep the most recently written entries."""
    try:
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for stale in entries[_MAX_ENTRIES:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


# ---------------------------------------------------------------------------------------
# the command line, before the CLI framework is imported

_RAW = "argv"
_this_command_line: list[list[str]] = []  # what replay_command_line saw in this process


def replay_command_line(argv: list[str], cwd: Path | None = None) -> int | None:
    """Replay ``kpolicy lint ARGS`` from the cache if an earlier run with the same command line
    left an entry whose inputs are unchanged; its exit code, or None to run for real.

    Meant for the entry point, before typer and the pipeline are imported: a replay then costs
    the interpreter's start, hashing the inputs and printing.
    """
    _this_command_line[:] = [list(argv)]
    if not argv or argv[0] != "lint" or any(arg in _NEVER_REPLAYED for arg in argv[1:]):
        return None
    cwd = cwd or Path.cwd()
    alias = project_cache_dir(cwd) / _RAW / f"{_command_line_key(argv, cwd)}.json"
    raw = read_bytes(alias)
    if raw is None:
        return None
    try:
        key = json.loads(raw).get("entry")
    except (ValueError, AttributeError):
        return None
    if not isinstance(key, str) or not key.isalnum():
        return None
    cache = RunCache(key, project_cache_dir(cwd), cwd)
    outputs = cache.replay()
    if outputs is None:
        return None
    return emit(outputs)


# options after which a command line is not worth a lookup (or not cacheable)
_NEVER_REPLAYED = frozenset({"--no-cache", "-", "--debug", "--help", "-h"})


def _command_line_key(argv: list[str], cwd: Path) -> str:
    return _run_key({"argv": argv}, cwd)


def _run_key(described: dict[str, object], cwd: Path) -> str:
    """A run's key: what it was asked (parsed options, or the raw command line), where, to
    which kind of output, and with which kpolicy."""
    stream = sys.stdout
    return digest(json.dumps({
        **described,
        "cwd": str(cwd),
        "tty": bool(getattr(stream, "isatty", lambda: False)()),
        "encoding": getattr(stream, "encoding", None),
        "code": code_fingerprint(),
    }, sort_keys=True, default=str).encode())


def emit(outputs: dict[str, object]) -> int | None:
    """Print recorded outputs as the run printed them: the report to stdout or to its
    ``--output`` file, then the messages; the recorded exit code. None when the output file
    cannot be written (the real run then reports why)."""
    report, messages = str(outputs.get("report", "")), str(outputs.get("stderr", ""))
    target = outputs.get("output")
    if isinstance(target, str):
        try:
            with open(target, "w", encoding="utf-8") as out:
                out.write(report)
        except OSError:
            return None
    else:
        sys.stdout.write(report)
    sys.stderr.write(messages)
    sys.stdout.flush()
    code = outputs.get("exit")
    return code if isinstance(code, int) else 0


def _store_alias(cache: RunCache) -> None:
    """Let :func:`replay_command_line` find this run's entry from the raw command line."""
    if not _this_command_line:
        return
    argv = _this_command_line[0]
    if not argv or argv[0] != "lint" or any(arg in _NEVER_REPLAYED for arg in argv[1:]):
        return
    path = cache.folder / _RAW / f"{_command_line_key(argv, cache.cwd)}.json"
    if write_atomic(path, json.dumps({"entry": cache.key}).encode()):
        _prune(path.parent)
