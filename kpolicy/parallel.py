"""Large inputs across cores: files are read in worker processes, rules run in worker processes.

Two phases, each in forked children that write one pickled answer to a pipe and exit:

1. **load**: the files are dealt to the workers (largest first, each to the least loaded
   worker); each reads and composes its files and sends them back. A position table travels
   packed (its pointers joined in one string, its spans in an array) and is unpacked only by
   the process that asks it for a position.
2. **check**: once the parent holds every object and has built the index, it forks again; each
   child inherits the index, the rules and the schemas as they are (copy-on-write, nothing is
   sent) and checks a share of the reported files, returning their diagnostics.

The parent puts the answers back in input order and sorts as a serial run does, so the output
is the same byte for byte (``tests/test_parallel.py`` compares them). Where ``fork`` does not
exist (Windows) or a worker fails in any way, the run is serial: slower, never different.
"""

from __future__ import annotations

import array
import contextlib
import io
import os
import pickle
import selectors
import struct
import sys
import traceback
import types
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kpolicy.model import LoadedFile, PositionTable, Span

T = TypeVar("T")
R = TypeVar("R")

# below this many bytes of input, forking costs more than it saves
MIN_PARALLEL_BYTES = 256 * 1024
MIN_PARALLEL_FILES = 8


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def idle_cores() -> int:
    """Cores not busy with other work (like ``make -l``): on a machine whose cores are all
    taken, workers only add the cost of forking and pickling."""
    cores = available_cores()
    busy = others_running()
    if busy is None:
        return cores
    return max(1, min(cores, int(cores - busy)))


def others_running() -> float | None:
    """How many other tasks want a core now: on Linux the runnable count of ``/proc/loadavg``
    less this process, which is running as it reads it; elsewhere the one-minute load average
    less one. The instantaneous count matters: the one-minute average still counts work that
    ended seconds ago (a previous kpolicy run, say) and would make this one serial."""
    try:
        with open("/proc/loadavg", "rb") as handle:
            runnable = handle.read().split()[3].split(b"/")[0]
        return max(0, int(runnable) - 1)
    except (OSError, IndexError, ValueError):
        pass
    try:
        return max(0.0, os.getloadavg()[0] - 1)
    except (AttributeError, OSError):
        return None


def plan_jobs(requested: int | None, sizes: Sequence[int]) -> int:
    """How many workers for files of these sizes: 1 (serial) for small inputs, where starting
    workers costs more than it saves; ``requested`` when given; else one per idle core."""
    if requested == 1 or not can_fork():
        return 1
    if requested in (None, 0):
        if sum(sizes) < MIN_PARALLEL_BYTES or len(sizes) < MIN_PARALLEL_FILES:
            return 1
        jobs = idle_cores()
    else:
        jobs = requested
    return max(1, min(jobs, len(sizes)))


# A forked checker shares the parent's loaded objects copy-on-write, but CPython writes to
# every object it reads (reference counts), so each worker ends up copying the pages it
# touches: about a third of the heap each (measured at 20x the corpus: 83 MB of 250 MB). Past
# this resident size, the automatic choice checks in the parent alone, trading a little time
# for memory (loading is still parallel: its workers hold one file at a time).
MAX_FORKED_CHECK_RSS = 160 * 1024 * 1024


def resident_bytes() -> int | None:
    """This process's resident set now (Linux), else its peak, else None."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):
        return None
    return peak if sys.platform == "darwin" else peak * 1024


def check_jobs(requested: int | None, jobs: int) -> int:
    """Workers for the rules, once the files are loaded: ``jobs`` (the loading's choice), unless
    it was automatic and forking would copy too much of a large heap (see above)."""
    if jobs <= 1 or requested not in (None, 0):
        return jobs
    size = resident_bytes()
    return 1 if size is not None and size > MAX_FORKED_CHECK_RSS else jobs


def deal(costs: Sequence[int], workers: int) -> list[list[int]]:
    """Indexes of ``costs`` split in ``workers`` shares of similar total, each in input order."""
    shares: list[list[int]] = [[] for _ in range(workers)]
    totals = [0] * workers
    for index in sorted(range(len(costs)), key=lambda i: -costs[i]):
        lightest = totals.index(min(totals))
        shares[lightest].append(index)
        totals[lightest] += costs[index] + 1
    return [sorted(share) for share in shares if share]


class WorkerFailed(Exception):
    """A worker died or raised; the caller falls back to a serial run."""


def run_forked(
    shares: Sequence[Sequence[int]],
    work: Callable[[int], Any],
    dumps: Callable[[Any], bytes] | None = None,
    loads: Callable[[bytes], Any] | None = None,
) -> dict[int, Any]:
    """``work(index)`` for every index of every share, one forked child per share; the
    answers by index.

    A child sends each answer as soon as it has it (a frame: index, length, pickle) and drops
    it, and the parent unpickles each frame as it arrives: neither holds a whole share's
    answers as bytes. A child leaves with ``os._exit``, so that it never flushes the parent's
    buffered output nor runs its exit handlers.
    """
    dumps = dumps or (lambda value: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    loads = loads or pickle.loads
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []
    try:
        for share in shares:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, measured by the tests' output
                os.close(read_end)
                _child(share, work, dumps, write_end)
            os.close(write_end)
            children.append((pid, read_end))
        return _collect([fd for _, fd in children], loads)
    finally:
        for pid, _ in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


_HEADER = struct.Struct("<qQ")  # index (-1: the child failed, with a traceback), length
_DONE = -2


def _child(share: Sequence[int], work: Callable[[int], Any], dumps: Callable[[Any], bytes],
           fd: int) -> None:  # pragma: no cover - runs in the child
    status = 0
    try:
        try:
            for index in share:
                payload = dumps(work(index))
                _write(fd, _HEADER.pack(index, len(payload)) + payload)
            _write(fd, _HEADER.pack(_DONE, 0))
        except BaseException:
            payload = traceback.format_exc().encode("utf-8", "replace")
            _write(fd, _HEADER.pack(-1, len(payload)) + payload)
            status = 1
    finally:
        os._exit(status)


def _write(fd: int, data: bytes) -> None:  # pragma: no cover - runs in the child
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _collect(fds: list[int], loads: Callable[[bytes], Any]) -> dict[int, Any]:
    """The answers in the frames of each pipe, read as they come so that no child blocks."""
    answers: dict[int, Any] = {}
    pending = {fd: bytearray() for fd in fds}
    done: set[int] = set()  # the children that said they finished
    closed = 0
    failure: str | None = None
    with selectors.DefaultSelector() as selector:
        for fd in fds:
            selector.register(fd, selectors.EVENT_READ)
        while closed < len(fds):
            for key, _ in selector.select():
                fd = key.fd
                data = os.read(fd, 1 << 20)
                if not data:
                    selector.unregister(fd)
                    os.close(fd)
                    closed += 1
                    if fd not in done or pending[fd]:
                        failure = failure or "a worker died"
                    continue
                buffer = pending[fd]
                buffer += data
                while len(buffer) >= _HEADER.size:
                    index, length = _HEADER.unpack_from(buffer)
                    if index == _DONE:
                        done.add(fd)
                        del buffer[: _HEADER.size]
                        continue
                    if len(buffer) < _HEADER.size + length:
                        break
                    payload = bytes(buffer[_HEADER.size : _HEADER.size + length])
                    del buffer[: _HEADER.size + length]
                    if index == -1:
                        failure = payload.decode("utf-8", "replace")
                    else:
                        answers[index] = loads(payload)
    if failure is not None:
        raise WorkerFailed(failure)
    return answers


def map_forked(items: Sequence[T], costs: Sequence[int], jobs: int,
               fn: Callable[[T], R], **codec: Any) -> list[R]:
    """``[fn(item) for item in items]`` computed by ``jobs`` forked workers, in input order."""
    shares = deal(costs, jobs)
    answers = run_forked(shares, lambda index: fn(items[index]), **codec)
    if len(answers) != len(items):
        raise WorkerFailed("a worker left without answering")
    return [answers[index] for index in range(len(items))]


# ---------------------------------------------------------------------------------------
# position tables, packed for the trip from a load worker


def _pack_table(table: PositionTable) -> tuple[Any, ...]:
    entries = table.entries
    lengths = array.array("i")
    numbers = array.array("i")
    pointers = []
    for pointer, (key_span, value_span) in entries.items():
        pointers.append(pointer)
        lengths.append(len(pointer))
        if key_span is None:
            numbers.extend((-1, 0, 0, 0))
        else:
            numbers.extend((key_span.line, key_span.column, key_span.end_line, key_span.end_column))
        numbers.extend((value_span.line, value_span.column, value_span.end_line,
                        value_span.end_column))
    return (_packed_positions, ("".join(pointers), lengths, numbers))


# A position table that is a dict of Span objects (one per node) is packed for the trip; a
# table that is already compact (arrays) pickles fast as it is.
_ENTRIES = PositionTable.__dict__.get("entries")
_PACK = isinstance(_ENTRIES, types.MemberDescriptorType)


class PackedPositions(PositionTable):
    """A position table that unpacks its entries on first use."""

    __slots__ = ("_packed",)

    def __init__(self, packed: tuple[str, array.array[int], array.array[int]]) -> None:
        self._packed: tuple[str, array.array[int], array.array[int]] | None = packed

    @property
    def entries(self) -> dict[str, tuple[Span | None, Span]]:
        try:
            return _ENTRIES.__get__(self, PositionTable)  # type: ignore[no-any-return,union-attr]
        except AttributeError:
            pass
        assert self._packed is not None
        joined, lengths, numbers = self._packed
        entries: dict[str, tuple[Span | None, Span]] = {}
        start = 0
        for index, length in enumerate(lengths):
            pointer = joined[start : start + length]
            start += length
            base = index * 8
            key_span = None
            if numbers[base] != -1:
                key_span = Span(numbers[base], numbers[base + 1], numbers[base + 2],
                                numbers[base + 3])
            entries[pointer] = (
                key_span,
                Span(numbers[base + 4], numbers[base + 5], numbers[base + 6], numbers[base + 7]),
            )
        _ENTRIES.__set__(self, entries)  # type: ignore[union-attr]
        self._packed = None
        return entries

    @entries.setter
    def entries(self, value: dict[str, tuple[Span | None, Span]]) -> None:
        _ENTRIES.__set__(self, value)  # type: ignore[union-attr]
        self._packed = None

    def __reduce__(self) -> Any:
        return _pack_table(self)


def _packed_positions(
    joined: str, lengths: array.array[int], numbers: array.array[int]
) -> PackedPositions:
    return PackedPositions((joined, lengths, numbers))


def dumps_loaded(value: Any) -> bytes:
    """Pickle with position tables packed (a table of Span objects pickles 20 times slower)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    if _PACK:
        pickler.dispatch_table = {PositionTable: _pack_table}
    pickler.dump(value)
    return buffer.getvalue()


def load_files(
    items: Sequence[T], costs: Sequence[int], jobs: int, read: Callable[[T], LoadedFile | str]
) -> list[LoadedFile | str]:
    """``[read(item) for item in items]`` in ``jobs`` workers, position tables packed."""
    return map_forked(items, costs, jobs, read, dumps=dumps_loaded)
