"""Large inputs across cores: worker processes read the files and run the rules on them.

Forked workers take the files from a shared queue (largest first), each the next one as soon
as it is free; the parent is one of the workers (with ``--jobs 2``, the parent and one child),
and the files it takes are never pickled. A worker reads and composes a file, runs the rules'
*local pass* on it (every check, with an index that knows no other object: a check that needs
other objects is deferred), and sends the file and its findings back: one pickled answer per
file, written to a pipe with the others of its batch (256 KB) and then dropped, so that a
worker holds little more than one file at a time. On a small input the parent unpickles
each answer as it arrives, reading the pipes between its own files, in its one thread (a
child holds what its pipe has no room for meanwhile, and never waits for the parent); on a
large one a thread of the parent gathers the answers while the parent does its own share,
and keeps the pickles until every worker is done, in memory maps apart from its heap, then
unpickles them and unmaps them (:data:`UNPICKLE_EARLY_BYTES` says where and why). The queue
is written whole before the fork where its pipe holds it.

The parent, once it holds every object, builds the index and runs only the deferred checks
(Services and the workloads they select, PodDisruptionBudgets, autoscalers, custom resources
and their CRDs). Nothing is forked after the objects are loaded: a forked process copies every
page of the parent's heap that it reads (CPython writes reference counts), which at 20x the
corpus cost more memory than the work it saved.

The parent puts the answers back in input order and sorts as a serial run does, so the output
is the same byte for byte (``tests/test_parallel.py`` compares them). Where ``fork`` does not
exist (Windows) or a worker raises, the run is serial: slower, never different. A worker killed
by a signal (the out-of-memory killer, most often) ends the run with an internal error
(:class:`WorkerKilled`, exit code 3): the same work in the parent would only meet the same end.
"""

from __future__ import annotations

import gc
import io  # (the interpreter's own: imported as it starts)
import os
import struct
import sys

# pickle's C functions, without pickle.py (its pure-Python pickler and unpickler: 4M
# instructions to import, before the fork, of which a run uses nothing); protocol -1 is
# pickle.HIGHEST_PROTOCOL
from _pickle import Pickler, Unpickler
from _pickle import dumps as _dumps
from _pickle import loads as _loads
from collections.abc import Callable, Sequence

from kpolicy.errors import InternalError

# Imported where they are used, not before the fork (what the parent imports there is serial
# time of every parallel run): traceback (a worker's failure), signal (a killed worker),
# selectors and threading (the parent's collector, once the children run), mmap (the pickles
# of a large input kept apart from the heap) and typing (annotations only, as elsewhere on the
# lint path).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import mmap
    from typing import Any, TypeVar

    T = TypeVar("T")
    R = TypeVar("R")

# below this many bytes of input, forking costs more than it saves
MIN_PARALLEL_BYTES = 256 * 1024
MIN_PARALLEL_FILES = 8

# Up to this many bytes of input, the parent unpickles each answer as soon as it arrives (in
# its collector thread, while the workers run); above it, only once every worker is done.
# Unpickling is the parent's: after the workers, every millisecond of it is one of the run's
# (the corpus's 1.9 MB of answers take 14 ms, the many-findings corpus's 4.4 MB 48 ms). But
# early, it builds the parent's heap (3.1-3.4 bytes of objects a byte of pickle) while the
# workers' memory is still there, where the deferred order never adds the two: at 20x the
# corpus (60 MB of input, 38 MB of pickles) that would be ~85 MB more at the peak, against the
# 200 MB target (issue 20) that the deferred order meets with a few MB to spare. At 4 MB the
# peak stays far below it, also on input dense with findings (four copies of the
# many-findings corpus, 4.0 MB: 130 MB summed over the processes, 124 MB deferred).
UNPICKLE_EARLY_BYTES = 4 << 20


def unpickles_early(total: int) -> bool:
    """Whether the parent unpickles the answers of an input of ``total`` bytes as they come
    (:data:`UNPICKLE_EARLY_BYTES`)."""
    return total <= UNPICKLE_EARLY_BYTES


def available_cores(root: str = "/") -> int:
    """The CPUs this process may use: those of its affinity mask (``taskset``, a cpuset), no
    more than its cgroup's CPU quota allows (a container's ``--cpus``, a pod's CPU limit)."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cores = max(1, os.cpu_count() or 1)
    quota = cgroup_cpu_quota(root)
    if quota is not None:
        # a fractional quota rounds down: a worker throttled for part of every period holds
        # back the run, which waits for its slowest worker
        cores = max(1, min(cores, int(quota)))
    return cores


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _own_cgroups(root: str) -> dict[str, str]:
    """This process's cgroup path per controller ("" for the unified v2 hierarchy)."""
    paths: dict[str, str] = {}
    for line in (_read(os.path.join(root, "proc/self/cgroup")) or "").splitlines():
        _, controllers, path = ([*line.split(":", 2), "", ""])[:3]
        for controller in controllers.split(","):
            paths.setdefault(controller, path)
    return paths


def _ancestors(base: str, path: str) -> list[str]:
    """``base``/``path`` and every folder above it up to ``base``, the deepest first (a limit
    set on any ancestor applies; inside a cgroup namespace the path is "/")."""
    parts = [part for part in path.split("/") if part and part not in (".", "..")]
    return [os.path.join(base, *parts[:depth]) for depth in range(len(parts), -1, -1)]


def cgroup_cpu_quota(root: str = "/") -> float | None:
    """The CPU quota of this process's cgroup in CPUs (the smallest along its ancestors), or
    None when there is none: cgroup v2 ``cpu.max`` ("max 100000", or "150000 100000" for 1.5
    CPUs), else cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: none)."""
    cgroups = _own_cgroups(root)
    fs = os.path.join(root, "sys/fs/cgroup")
    quotas: list[float] = []
    for folder in _ancestors(fs, cgroups.get("", "/")):
        fields = (_read(os.path.join(folder, "cpu.max")) or "").split()
        if len(fields) == 2 and fields[0] != "max":
            try:  # noqa: SIM105 - contextlib is not imported at start-up
                quotas.append(int(fields[0]) / int(fields[1]))
            except (ValueError, ZeroDivisionError):
                pass
    if not quotas:
        for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
            for folder in _ancestors(os.path.join(fs, mount), cgroups.get("cpu", "/")):
                quota = _read(os.path.join(folder, "cpu.cfs_quota_us"))
                period = _read(os.path.join(folder, "cpu.cfs_period_us"))
                try:
                    if int(quota or "") > 0:
                        quotas.append(int(quota or "") / int(period or ""))
                except (TypeError, ValueError, ZeroDivisionError):
                    pass
    quotas = [quota for quota in quotas if quota > 0]
    return min(quotas) if quotas else None


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def idle_cores(root: str = "/") -> int:
    """Cores not busy with other work (like ``make -l``): on a machine whose cores are all
    taken, workers only add the cost of forking and pickling."""
    cores = available_cores(root)
    busy = others_running(root)
    if busy is None:
        return cores
    return max(1, min(cores, int(cores - busy)))


def _stat_fields(path: str) -> list[bytes]:
    """The fields of a ``/proc`` stat file after the command name (which is in parentheses
    and may hold spaces and parentheses itself): the state first, the thread count 18th, the
    rest of the line unsplit as the 19th (split, its thirty-odd fields were a third of the
    cost of reading the file, for each of the container's processes, before the fork)."""
    # os.open and one os.read, not open(): no file object and buffer made and dropped for each
    # of the container's processes and threads (a few hundred on a busy machine), before the
    # fork, where every millisecond is serial
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return []
    try:
        return os.read(fd, 4096).rpartition(b")")[2].split(None, 18)
    except OSError:
        return []
    finally:
        os.close(fd)


_PF_KTHREAD = 0x00200000  # the kernel-thread bit of a task's flags (the stat file's 9th field)


# the inode of the machine's first PID namespace (the kernel's PROC_PID_INIT_INO): a process
# in it is in no container of its own, and its /proc lists every task of the machine
_INITIAL_PID_NAMESPACE = b"pid:[4026531836]"


def _running_on_the_machine(proc: str) -> int | None:
    """The machine's threads in state R less this process's own thread, from the running
    count of ``/proc/loadavg`` (instantaneous, as the kernel's run queues hold it): the count
    that reading every ``/proc/PID/stat`` gives (a millisecond for a hundred processes,
    before the fork) when this process is in the machine's first PID namespace and has one
    thread; else None."""
    try:
        if os.readlink(os.fsencode(f"{proc}/self/ns/pid")) != _INITIAL_PID_NAMESPACE:
            return None
        own = _stat_fields(f"{proc}/self/stat")
        if len(own) < 18 or own[17] != b"1":
            return None  # another thread of its own may be running: the tasks are counted
        fd = os.open(f"{proc}/loadavg", os.O_RDONLY)
        try:
            fields = os.read(fd, 256).split()
        finally:
            os.close(fd)
        running = int(fields[3].partition(b"/")[0])
    except (OSError, IndexError, ValueError):
        return None
    return max(0, running - 1)


def others_running(root: str = "/", own: int | None = None) -> float | None:
    """How many other tasks of this container want a core now: the threads in state R
    (running or runnable) in ``/proc``, less this process's own. Inside a container ``/proc``
    shows the container's processes only, whereas ``/proc/loadavg`` is the host's whole load
    (a busy CI host would make every container serial); in the machine's own PID namespace
    the two count the same tasks, and when ``/proc/loadavg`` counts none but this process
    (:func:`_running_on_the_machine`), ``/proc`` is not read; when it counts others, they may
    be kernel threads, which ``/proc`` tells apart and which are not counted (the kernel's
    work for a moment). The instantaneous count matters: a load average still
    counts work that ended seconds ago (a previous kpolicy run, say). Elsewhere (no
    ``/proc``), the one-minute load average less one."""
    proc = os.path.join(root, "proc")
    if own is None and _running_on_the_machine(proc) == 0:
        return 0
    try:
        entries = os.listdir(proc)
    except OSError:
        entries = None
    if entries is not None:
        own_entry = str(os.getpid() if own is None else own)
        running = 0
        seen = False
        for entry in entries:
            if not entry.isdigit():
                continue
            if entry == own_entry:
                # a /proc that lists this process lists its container's tasks: kpolicy alone in
                # its container (its PID 1) has no other, where the host's load average would
                # count every container's
                seen = True
                continue
            fields = _stat_fields(f"{proc}/{entry}/stat")
            if len(fields) < 18:
                continue
            seen = True
            if fields[0] == b"R" and fields[6].isdigit() and int(fields[6]) & _PF_KTHREAD:
                # a kernel thread (on a VM or host, where /proc shows them): the kernel's work
                # for a moment, not a task of this container's; counted, one runnable at the
                # instant of the look made a run serial now and then on an idle machine
                continue
            if fields[17] == b"1":  # one thread: the process's state is the thread's
                running += fields[0] == b"R"
                continue
            try:
                tasks = os.listdir(f"{proc}/{entry}/task")
            except OSError:
                continue
            for task in tasks:
                running += _stat_fields(f"{proc}/{entry}/task/{task}/stat")[:1] == [b"R"]
        if seen:
            return running
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


def dispatch_order(costs: Sequence[int]) -> list[int]:
    """The order in which workers take the items: the costliest first, so that no worker is
    left with a large file at the end while the others wait (input order among equals)."""
    return sorted(range(len(costs)), key=lambda i: -costs[i])


class WorkerFailed(Exception):
    """A worker raised or left without answering; the caller falls back to a serial run."""


class WorkerKilled(InternalError):
    """A worker was killed by a signal (most often the out-of-memory killer): the run ends
    with an internal error (exit 3) rather than doing the same work again in the parent."""


_TASK = struct.Struct("<I")


def run_forked(
    order: Sequence[int],
    workers: int,
    work: Callable[[int], Any],
    dumps: Callable[[Any], bytes] | None = None,
    loads: Callable[[bytes], Any] | None = None,
    parent: Callable[[int], Any] | None = None,
    early: bool = False,
    pack: Callable[[Any], object] | None = None,
    unpack: Callable[[Any], Any] | None = None,
) -> dict[int, Any]:
    """``work(index)`` for every index of ``order``, by ``workers`` forked children that take
    the next index from a shared queue when they are free; the answers by index. With
    ``parent``, the parent is one of the ``workers``: it forks one child fewer and takes
    indexes from the same queue, computing ``parent(index)``, whose answers are never pickled;
    it gathers the children's answers between its own items when it unpickles them as they
    come (``early``: no thread, and a child never waits for it, :class:`_Sender`), else a
    thread of the parent gathers them meanwhile.

    The queue is a pipe of 4-byte indexes that the parent writes whole before the fork when
    the pipe holds it (else a thread writes it, one index at a time), and that every child
    reads 4 bytes at a time: reads of that size are atomic, so each index goes to exactly one
    child, and a
    child that meets a cheap file simply takes more (the cost of a file is only guessed from
    its size). A child sends its answers (frames: index, length, pickle) a batch at a time and
    drops them; the parent unpickles each as it comes (``early``) or keeps the pickles and
    unpickles them once every child is done (see :class:`_Gatherer`). A child leaves with
    ``os._exit``, so that it never flushes the parent's buffered output nor runs its exit
    handlers.
    """
    # Without dumps and loads of its own, an answer travels as ``pack`` makes it (``unpack``
    # undoes it in the parent). Taken as they come (``early``), a child's answers are pickled
    # by one pickler, whose memo lasts from answer to answer, and unpickled by one unpickler
    # a child: what the answers share (the classes, the severities, the rules' names, the
    # messages and paths that repeat from file to file) is sent once and made once in the
    # parent, where a pickle an answer looked every class up again and rebuilt every enum
    # member by Python calls (the many-findings corpus's child: 46M instructions pickling
    # and 47M unpickling, 40M and 44M so). Only then: a memo holds the objects of what it
    # pickled (till it forgets them, every _MEMO_BYTES of pickles), and taken as they come,
    # the answers are few (:data:`UNPICKLE_EARLY_BYTES`).
    shared = early and dumps is None and loads is None
    if dumps is None:
        if pack is None:
            dumps = lambda value: _dumps(value, protocol=-1)  # noqa: E731
        else:
            to_parent = pack
            dumps = lambda value: _dumps(to_parent(value), protocol=-1)  # noqa: E731
    if loads is None:
        if unpack is None:
            loads = _loads
        else:
            from_child = unpack
            loads = lambda data: from_child(_loads(data))  # noqa: E731
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []
    reaped: set[int] = set()
    # the parent gathers between its own items, in its one thread (see _Gatherer.drain)
    inline = parent is not None and early
    tasks_read, tasks_write = os.pipe()
    # the whole queue written now when the pipe holds it: no feeder thread
    queued = _queue(tasks_write, order)
    if queued:
        os.close(tasks_write)
        tasks_write = -1
    feeder: threading.Thread | None = None
    collector: threading.Thread | None = None
    gatherer: _Gatherer | None = None
    finished = False
    # what the children inherit is never collected by them (see _child): out of their sight
    gc.freeze()
    try:
        forks = max(1, min(workers, len(order)) - (parent is not None))
        for _ in range(forks):
            read_end, write_end = os.pipe()
            _widen(write_end)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, measured by the tests' output
                os.close(read_end)
                if tasks_write != -1:
                    os.close(tasks_write)
                out = _SharedDumps(pack) if shared else dumps
                _child(tasks_read, work, out, write_end, collect=not early, hold=inline)
            os.close(write_end)
            children.append((pid, read_end))
        if parent is None:
            os.close(tasks_read)
            tasks_read = -1
        gc.unfreeze()
        if tasks_write != -1:
            import threading  # the parent's alone: after the fork

            # forked first, then the thread: a fork must never copy a running thread's state
            thread = threading.Thread(target=_feed, args=(tasks_write, list(order)), daemon=True)
            thread.start()
            feeder = thread  # joined once started (a thread that failed to start is not)
        pids = {fd: pid for pid, fd in children}

        def killed(fd: int) -> None:
            """A pipe closed without the child's last frame: raise WorkerKilled when a signal
            ended the child (it is reaped here, so its status is known)."""
            pid = pids[fd]
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                return
            reaped.add(pid)
            if os.WIFSIGNALED(status):
                raise WorkerKilled(_killed_message(pid, os.WTERMSIG(status)))

        fds = [fd for _, fd in children]
        gatherer = _Gatherer(
            fds,
            loads,
            killed,
            early,
            nonblocking=inline,
            each=(lambda: _SharedLoads(unpack)) if shared else None,
        )
        if parent is None:
            answers = gatherer.gather()
        elif inline:
            own = _take_share(tasks_read, parent, gatherer.drain)
            answers = gatherer.gather()
            answers.update(own)
        else:
            import threading  # the parent's alone: after the fork

            gathered: list[dict[int, Any] | BaseException] = []
            gather_all = gatherer.gather

            def gather() -> None:
                try:
                    gathered.append(gather_all())
                except BaseException as exc:  # raised again by the parent, below
                    gathered.append(exc)

            def stop_on_failure() -> None:
                """A child's failure, once the collector has it, ends the parent's share too:
                the others' work is lost anyway (a worker killed early on a large input left
                the parent working through the whole queue alone before saying so)."""
                if gathered and isinstance(gathered[0], BaseException):
                    raise gathered[0]

            thread = threading.Thread(target=gather, daemon=True)
            thread.start()
            collector = thread
            own = _take_share(tasks_read, parent, stop_on_failure)
            collector.join()
            if isinstance(gathered[0], BaseException):
                raise gathered[0]
            answers = gathered[0]
            answers.update(own)
        finished = True
        return answers
    finally:
        gc.unfreeze()
        if not finished:  # the others' work is lost anyway: do not wait for it
            import signal

            for pid, _ in children:
                if pid not in reaped:
                    try:  # noqa: SIM105 - contextlib is not imported at start-up
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        if tasks_read != -1:  # before the feeder is joined: it may wait for a reader
            os.close(tasks_read)
        if feeder is not None:
            feeder.join()
        elif tasks_write != -1:
            os.close(tasks_write)
        if collector is not None:
            collector.join()
        if gatherer is not None:
            gatherer.close()
        # a child that said it was done is not waited for by a one-shot lint process (it
        # ends soon, and its exited children with it): its exit frees its memory meanwhile
        from kpolicy.lifetime import keeping

        options = os.WNOHANG if finished and keeping() else 0
        for pid, _ in children:
            if pid not in reaped:
                try:  # noqa: SIM105 - contextlib is not imported at start-up
                    os.waitpid(pid, options)
                except ChildProcessError:
                    pass


def _queue(fd: int, order: Sequence[int]) -> bool:
    """Write the whole queue to the empty pipe ``fd`` at once when the pipe holds it (widened
    where it must be and may: :func:`_widen`); whether it did. Else a feeder thread writes it
    (:func:`_feed`): a thread that, in a parent busy with its own share, waited for the GIL
    after every write, so that the children, their queue written a few items at a time,
    waited for it (a tenth of a child's time on the many-findings corpus)."""
    data = b"".join(map(_TASK.pack, order))
    room = 4096  # what an empty pipe holds at least on the systems where fork exists
    try:
        import fcntl

        if len(data) > 65536:
            _widen(fd, len(data))
        room = max(room, fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ))
    except (ImportError, AttributeError, OSError):
        pass
    if len(data) > room:
        return False
    _write(fd, data)
    return True


def _widen(fd: int, size: int = 0) -> None:
    """Let the pipe ``fd`` hold ``size`` bytes (``_PIPE_BYTES`` at most, the default) where the
    system allows (Linux's ``F_SETPIPE_SZ``, up to ``/proc/sys/fs/pipe-max-size``); else it
    stays as it is."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(size, _PIPE_BYTES) if size else _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _take_share(
    tasks: int, work: Callable[[int], Any], between: Callable[[], None] | None = None
) -> dict[int, Any]:
    """The parent's share of the queue: ``work(index)`` for each index it takes, till the
    queue is empty, and ``between()`` after each. A failure is a :class:`WorkerFailed`, as a
    child's is."""
    answers: dict[int, Any] = {}
    while True:
        task = os.read(tasks, _TASK.size)
        if len(task) < _TASK.size:
            return answers
        (index,) = _TASK.unpack(task)
        try:
            answers[index] = work(index)
        except Exception as exc:
            import traceback

            raise WorkerFailed(traceback.format_exc()) from exc
        if between is not None:
            between()


def _killed_message(pid: int, number: int) -> str:
    import signal

    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    hint = " (most often the out-of-memory killer)" if number == signal.SIGKILL else ""
    return (
        f"worker process {pid} was killed by {name}{hint}; nothing was reported "
        "(--jobs 1 runs in one process)"
    )


def _feed(fd: int, order: list[int]) -> None:
    """Write the queue, then close it: the children read end-of-file once it is empty."""
    try:
        for index in order:
            os.write(fd, _TASK.pack(index))
    except OSError:  # every child is gone (EPIPE): the collector reports why
        pass
    finally:
        os.close(fd)


# the most a read of a child's pipe takes: a quarter of what the pipe may hold, as a read
# takes ~25 KB on the many-findings corpus (the batches of a worker whose parent gathers
# between its own items are 32 KB); the buffer is zeroed, a page fault a page, when made
_READ_SIZE = 256 * 1024
# the most a read takes where the parent drains the pipes between its own items
# (:meth:`_Gatherer.drain`, reading till a read takes less): what one of its items lets a
# child send is a few of the child's 32 KB batches at most (_HELD_BATCH_BYTES)
_DRAIN_READ_SIZE = 64 * 1024
# a worker writes its answers once they add up to this many bytes (and at the end), to a pipe
# that holds 1 MB where the system allows (the Linux default is 64 KB): a batch never waits
# for the parent to read part of it
_BATCH_BYTES = 256 * 1024
# the batches of a worker whose parent gathers between its own items (``hold``): that parent
# is never woken by them, and the last one, unpickled after the others' work, stays short
_HELD_BATCH_BYTES = 32 * 1024
_PIPE_BYTES = 1 << 20
# a worker on a large input collects once its answers since the last collection add up to
# this many bytes of pickles (see _child)
_COLLECT_BYTES = 1 << 20
_HEADER = struct.Struct("<qQ")  # index (-1: the child failed, with a traceback), length
_DONE = -2
# a header alone: the child's shared pickler forgot what it sent (its memo cleared), and so
# does the parent's unpickler of that child (see _child)
_FORGET = -3
# a child's shared pickler forgets what it sent once its pickles since add up to this many
# bytes: its memo holds every object it pickled (four copies of the many-findings corpus,
# taken as they come: a child of 50 MB where it was 24 MB, against 26 MB now)
_MEMO_BYTES = 1 << 20


def _child(
    tasks: int,
    work: Callable[[int], Any],
    dumps: Callable[[Any], bytes],
    fd: int,
    collect: bool = True,
    hold: bool = False,
) -> None:  # pragma: no cover - runs in the child
    status = 0
    # The answers go out a batch at a time: the parent, woken for every answer, spent more on
    # being woken (its caches cold from the workers on the same cores) than on the frames.
    batch = bytearray()
    out = _Sender(fd, hold)
    batch_bytes = _HELD_BATCH_BYTES if hold else _BATCH_BYTES
    uncollected = 0  # the bytes of the answers sent since the last collection
    forget = getattr(dumps, "forget", None)  # a shared pickler's (_SharedDumps)
    remembered = 0  # the bytes of the answers its memo holds the objects of
    try:
        try:
            while True:
                task = os.read(tasks, _TASK.size)
                if len(task) < _TASK.size:  # end of the queue (never a torn read: see above)
                    break
                (index,) = _TASK.unpack(task)
                payload = dumps(work(index))
                batch += _HEADER.pack(index, len(payload))
                if len(batch) + len(payload) < batch_bytes:
                    batch += payload
                    out.flush()
                else:  # a large answer is written as it is, not copied
                    out.send(batch)
                    out.send(payload)
                    batch.clear()
                uncollected += len(payload)
                remembered += len(payload)
                del payload
                if forget is not None and remembered >= _MEMO_BYTES:
                    remembered = 0
                    forget()
                    batch += _HEADER.pack(_FORGET, 0)
                # The answers' objects are gone (the run's collector is off: kpolicy.lint): a
                # collection once they add up to _COLLECT_BYTES of pickles frees what cycles
                # they left. What survives it (caches, compiled schemas, the rules' plans) lives
                # until the worker ends: frozen, so that the next collection walks only what
                # the next files make (walking the survivors again after every file cost a
                # tenth of the worker). One a file cost a fortieth of the worker's time at 20x
                # the many-findings corpus, for the same peak (30 MB, the parent's 148 MB).
                # Not on a small input (``collect`` False: the parent takes the answers as they
                # come, UNPICKLE_EARLY_BYTES), where the worker's memory is far from any limit.
                if collect and uncollected >= _COLLECT_BYTES:
                    uncollected = 0
                    gc.collect()
                    gc.freeze()
            batch += _HEADER.pack(_DONE, 0)
            out.send(batch)
            out.finish()
        except BaseException:
            import traceback

            payload = traceback.format_exc().encode("utf-8", "replace")
            out.finish()
            _write(fd, _HEADER.pack(-1, len(payload)) + payload)
            status = 1
    finally:
        os._exit(status)


class _Sender:
    """A worker's writes to its pipe. With ``hold`` (a parent that reads the pipe only between
    its own items, :meth:`_Gatherer.drain`), a write never waits for the parent: what the
    pipe has no room for is held here and written when there is (:meth:`flush`, after each
    item), and at the end (:meth:`finish`, waiting then)."""

    def __init__(self, fd: int, hold: bool) -> None:  # pragma: no cover - runs in the child
        self.fd = fd
        self.hold = hold
        self.held = bytearray()
        if hold:
            os.set_blocking(fd, False)

    def send(self, data: bytes | bytearray) -> None:  # pragma: no cover - runs in the child
        if not self.hold:
            _write(self.fd, data)
            return
        if not self.held:
            # written as it is where nothing waits before it (as a rule: the parent drains
            # the pipe often), only what the pipe has no room for is copied and held (each
            # batch copied into the held bytes, then out of them, was a copy of every answer)
            try:
                written = os.write(self.fd, data)
            except BlockingIOError:
                written = 0
            if written < len(data):
                with memoryview(data) as view:
                    self.held += view[written:]
            return
        self.held += data
        self.flush()

    def flush(self) -> None:  # pragma: no cover - runs in the child
        held = self.held
        while held:
            try:
                written = os.write(self.fd, held)
            except BlockingIOError:
                return
            del held[:written]

    def finish(self) -> None:  # pragma: no cover - runs in the child
        if self.hold:
            os.set_blocking(self.fd, True)
            self.hold = False
        _write(self.fd, self.held)
        self.held.clear()


def _write(fd: int, data: bytes | bytearray) -> None:  # pragma: no cover - runs in the child
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _SharedDumps:
    """A child's ``dumps``, made in the child: each answer (as ``pack`` makes it) pickled by
    one pickler, whose memo lasts as long as the child, or till :meth:`forget` (see
    :func:`run_forked`). The pickler hands what it wrote to a list's ``append`` (a bytes
    object it makes, as ``dumps`` does; a memory file copied it in and out again)."""

    def __init__(
        self, pack: Callable[[Any], object] | None
    ) -> None:  # pragma: no cover - runs in the child
        self.written: list[bytes] = []
        self.pickler = Pickler(_Out(self.written.append), protocol=-1)
        self.pack = pack

    def __call__(self, value: Any) -> bytes:  # pragma: no cover - runs in the child
        written = self.written
        self.pickler.dump(value if self.pack is None else self.pack(value))
        payload = b"".join(written)  # (one part, as a rule: that very object)
        written.clear()
        return payload

    def forget(self) -> None:  # pragma: no cover - runs in the child
        """Forget what was pickled (the parent is told: a ``_FORGET`` frame)."""
        self.pickler.clear_memo()


class _Out:
    """A file for a pickler: its ``write`` is the callable given."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self.write = write


class _SharedLoads:
    """The parent's ``loads`` of one child's answers, pickled by :class:`_SharedDumps`: one
    unpickler, whose memo lasts as long as the child's pickler's, reads each frame in the
    order the child sent them, from a memory file (whose reads are C's: a file object of
    Python's own, which handed the unpickler views of the frame, cost more in its calls than
    the copies cost)."""

    def __init__(self, unpack: Callable[[Any], Any] | None) -> None:
        self.stream = io.BytesIO()
        self.unpickler = Unpickler(self.stream)
        self.unpack = unpack

    def __call__(self, frame: bytes | memoryview) -> Any:
        # written over the frames before it, never truncated: the unpickler stops at the
        # frame's STOP, and a stream truncated for each frame shrank its buffer to nothing
        # and grew it again (a reallocation a frame, fresh pages for the larger ones)
        stream = self.stream
        stream.seek(0)
        stream.write(frame)
        stream.seek(0)
        value = self.unpickler.load()
        return value if self.unpack is None else self.unpack(value)

    def forget(self) -> None:
        """Forget what was unpickled, as the child's pickler did (a ``_FORGET`` frame): a
        new unpickler (a memo set empty keeps the count of the old one's entries, where the
        next pickle's are numbered from 0)."""
        self.unpickler = Unpickler(self.stream)


class _Gatherer:
    """The answers in the frames of each child's pipe, unpickled as they come when ``early``,
    else kept (:class:`_Pickles`) and unpickled once every child is done. :meth:`gather`
    reads the pipes as they fill (so that no child blocks) till every child is done;
    :meth:`drain`, with ``nonblocking`` pipes, reads what they hold now and returns (the
    parent calls it between its own items, in its one thread: a thread of its own gathering
    while the parent worked waited for the GIL, and the child, its pipe full, for it).
    ``on_lost(fd)`` is told of a pipe that closed before its child said it was done (and may
    raise: the pipes still open are then closed, :meth:`close`)."""

    def __init__(
        self,
        fds: list[int],
        loads: Callable[[bytes], Any],
        on_lost: Callable[[int], None] = lambda fd: None,
        early: bool = False,
        nonblocking: bool = False,
        each: Callable[[], Callable[[bytes], Any]] | None = None,
    ) -> None:
        self.loads = loads
        # each child's frames are unpickled by what ``each`` makes, when given (early only)
        self.loads_of = {fd: loads if each is None else each() for fd in fds}
        self.on_lost = on_lost
        self.early = early
        self.answers: dict[int, Any] = {}
        self.store = _Pickles()
        self.pending = {fd: bytearray() for fd in fds}
        self.done: set[int] = set()  # the children that said they finished
        self.still_open = set(fds)
        self.order = list(fds)
        self.failure: str | None = None
        # read into one buffer, reused: a fresh 1 MB bytes object a read was a memory map of
        # its own, mapped, touched and unmapped again for every read
        # (a smaller one where the parent drains the pipes between its own items: zeroed as
        # it is made, right after the fork, a page fault a page, where its reads take less)
        self.scratch = bytearray(_DRAIN_READ_SIZE if nonblocking else _READ_SIZE)
        if nonblocking:
            for fd in fds:
                os.set_blocking(fd, False)

    def drain(self) -> None:
        """Read what the (non-blocking) pipes hold now; raise :class:`WorkerFailed` as soon as
        a child did."""
        for fd in self.order:
            if fd in self.still_open:
                while (count := self._read(fd)) == len(self.scratch):
                    pass
                if count == 0 or self._said_done(fd):
                    self._end(fd)
        if self.failure is not None:
            raise WorkerFailed(self.failure)

    def gather(self) -> dict[int, Any]:
        """Read the pipes till every child is done; the answers by index."""
        import selectors  # the parent's collector alone: after the fork

        with selectors.DefaultSelector() as selector:
            for fd in self.still_open:
                selector.register(fd, selectors.EVENT_READ)
            while self.still_open:
                for key, _ in selector.select():
                    fd = key.fd
                    if self._read(fd) == 0 or self._said_done(fd):
                        selector.unregister(fd)
                        self._end(fd)
        if self.failure is not None:
            raise WorkerFailed(self.failure)
        answers = self.answers
        if self.early:
            return answers
        # Unpickled only now: while the workers run, the parent holds the compact pickles (a
        # third of the objects' size), so that the workers' memory and the parent's full heap
        # never add up.
        # in the order they were kept, so that each map is unmapped once it is read
        loads, store = self.loads, self.store
        for index, place in answers.items():
            answers[index] = loads(store.take(place))
        return answers

    def _read(self, fd: int) -> int:
        """One read of ``fd`` and the frames it completes: the bytes read (0 at its end, which
        the caller ends, :meth:`_end`; -1 when a non-blocking pipe holds nothing now). The
        frames are read where the read put them; only a frame that the read leaves unfinished
        is copied (``pending``), and completed by the reads to come. Each read copied whole
        onto the pending bytes, and the frames cut off their front, made the buffer move to
        fresh memory again and again (a copy of the answers and, as a rule, a page fault for
        each of their pages: ~1,000 of the parent's on the many-findings corpus)."""
        with memoryview(self.scratch) as into:
            try:
                count = os.readv(fd, (into,))
            except BlockingIOError:
                return -1
            if not count:
                return 0
            buffer = self.pending[fd]
            with into[:count] as data:
                at = 0
                while buffer:
                    # the frame begun by an earlier read: as many bytes as it lacks
                    wanted = _HEADER.size - len(buffer)
                    if wanted <= 0:
                        index, length = _HEADER.unpack_from(buffer)
                        wanted = 0 if index in (_DONE, _FORGET) else wanted + length
                    if wanted > 0:
                        piece = min(wanted, count - at)
                        buffer += data[at : at + piece]
                        at += piece
                        if piece < wanted:
                            break  # the reads to come have the rest
                        if len(buffer) == _HEADER.size:
                            continue  # its header just completed: its length is known
                    with memoryview(buffer) as whole:
                        taken = self._frames(fd, whole)
                    del buffer[:taken]
                if at < count:
                    with data[at:] as rest:
                        taken = self._frames(fd, rest)
                        if taken < len(rest):
                            buffer += rest[taken:]
        return count

    def _frames(self, fd: int, data: memoryview) -> int:
        """The whole frames at the start of ``data``, taken; the bytes they fill."""
        at = 0
        end = len(data)
        size = _HEADER.size
        while end - at >= size:
            index, length = _HEADER.unpack_from(data, at)
            if index == _DONE:
                self.done.add(fd)
                at += size
                continue
            if index == _FORGET:
                forget = getattr(self.loads_of[fd], "forget", None)
                if forget is not None:
                    forget()
                at += size
                continue
            start = at + size
            if end - start < length:
                break
            if index == -1:
                self.failure = bytes(data[start : start + length]).decode("utf-8", "replace")
            elif self.early:
                with data[start : start + length] as frame:
                    self.answers[index] = self.loads_of[fd](frame)  # type: ignore[arg-type]
            else:
                self.answers[index] = self.store.keep(data, start, length)
            at = start + length
        return at

    def _said_done(self, fd: int) -> bool:
        """Whether the child of ``fd`` sent its last frame, and every frame before it was read:
        its pipe is then ended at once, not at its end of file, which comes only once the
        kernel has freed the child's memory as it exits (a few milliseconds of a large run's
        critical path, the parent waiting on the last child)."""
        return fd in self.done and not self.pending[fd]

    def _end(self, fd: int) -> None:
        """The pipe ``fd`` is at its end: closed, and its child lost unless it said it was done
        and sent every frame."""
        os.close(fd)
        self.still_open.discard(fd)
        if fd not in self.done or self.pending[fd]:
            self.failure = self.failure or "a worker died"
            self.on_lost(fd)

    def close(self) -> None:
        self.store.close()
        for fd in self.still_open:
            try:  # noqa: SIM105 - contextlib is not imported at start-up
                os.close(fd)
            except OSError:
                pass
        self.still_open.clear()


class _Pickles:
    """The answers' pickles, kept apart from the heap: in anonymous memory maps that are
    unmapped once every answer is unpickled. Kept as ``bytes`` (each its own allocation from
    the C heap, amid the objects made from the earlier ones) they left holes that the
    objects could not fill: the parent's peak grew by a fifth of the pickles' size."""

    CHUNK = 8 << 20

    def __init__(self) -> None:
        self._maps: list[mmap.mmap] = []
        self._free = 0  # bytes left in the last map

    def keep(self, buffer: bytearray | memoryview, start: int, length: int) -> tuple[int, int, int]:
        """Copy ``buffer[start : start + length]``; where it is (map, offset, length)."""
        if length > self._free:
            import mmap  # a large input's alone

            self._maps.append(mmap.mmap(-1, max(self.CHUNK, length)))
            self._free = len(self._maps[-1])
        chunk = self._maps[-1]
        offset = len(chunk) - self._free
        with memoryview(buffer) as view:
            chunk[offset : offset + length] = view[start : start + length]
        self._free -= length
        return len(self._maps) - 1, offset, length

    def take(self, place: tuple[int, int, int]) -> bytes:
        """The pickle kept at ``place``; the maps before its own, all taken (answers are taken
        in the order they were kept), are unmapped."""
        which, offset, length = place
        for done in range(which):
            if not self._maps[done].closed:
                self._maps[done].close()
        return self._maps[which][offset : offset + length]

    def close(self) -> None:
        for chunk in self._maps:
            chunk.close()
        self._maps.clear()


def map_forked(
    items: Sequence[T], costs: Sequence[int], jobs: int, fn: Callable[[T], R], **options: Any
) -> list[R]:
    """``[fn(item) for item in items]`` computed by ``jobs`` forked workers, in input order
    (``options``: those of :func:`run_forked`)."""
    answers = run_forked(dispatch_order(costs), jobs, lambda index: fn(items[index]), **options)
    if len(answers) != len(items):
        raise WorkerFailed("a worker left without answering")
    return [answers[index] for index in range(len(items))]


def load_files(
    items: Sequence[T],
    costs: Sequence[int],
    jobs: int,
    read: Callable[[T], R],
    pack: Callable[[R], object] | None = None,
    unpack: Callable[[Any], R] | None = None,
    own: Callable[[R], R] | None = None,
    mine: Callable[[T], R] | None = None,
) -> list[R]:
    """``[read(item) for item in items]`` in ``jobs`` processes: the parent and ``jobs - 1``
    forked workers (``read`` returns loaded files, alone or with what was found in them, which
    ``lint.run`` packs flat: their compact position tables as the bytes of their arrays). The
    parent's share is neither pickled nor unpickled, and one process fewer copies the
    parent's pages. A child's answer travels as
    ``pack`` makes it, which ``unpack`` undoes (both: the answer as it is). ``costs`` are the
    items' sizes in bytes: the children's answers are unpickled as they come when the sizes add
    up to :data:`UNPICKLE_EARLY_BYTES` at most. ``own`` completes each of the parent's own
    answers (what ``unpack`` adds to a child's, for one, which a child need not make); the
    parent reads its own items by ``mine`` where given (what a child makes of an item only
    for it to travel, the parent's own answers need not have)."""
    options: dict[str, Any] = {}
    if pack is not None and unpack is not None:
        options["pack"] = pack
        options["unpack"] = unpack  # our own child's
    take = read if mine is None else mine
    return map_forked(
        items,
        costs,
        jobs,
        read,
        parent=(lambda index: take(items[index]))
        if own is None
        else lambda index: own(take(items[index])),
        early=unpickles_early(sum(costs)),
        **options,
    )
