"""What a one-shot ``kpolicy lint`` process keeps until it ends: its run's objects (the files
read, the findings, the report), which the process then ends without freeing
(:func:`kpolicy.entry.command`). Freeing them as each function of the run returns, and the
interpreter's own freeing as it ends, were about 15 ms of a large run's serial tail (object by
object, for memory the process gives back at once when it ends).

Nothing is kept unless the process's entry point asked for it (:func:`keep_until_end`): a test
or the language server that calls the pipeline's functions frees their objects as usual."""

from __future__ import annotations

_KEPT: list[object] = []
_KEEPING = [False]


def keep_until_end() -> None:
    """From now on, :func:`keep` holds what it is given till the process ends."""
    _KEEPING[0] = True


def populate_arenas() -> bool:
    """Have the heap's arenas (obmalloc's 256 KiB to 1 MiB blocks of small objects) made
    populated, each by the one system call that maps it, rather than page by page as the
    process first touches each (:func:`kpolicy._cload.populate_arenas`, on Linux): on a
    virtual machine a page's fault cost about twice what populating it does, and a large lint
    touches some ten thousand (its heap only grows till the process ends). For a one-shot lint
    process only: a long-lived one (the language server) keeps the default. Whether they now
    are: not where the C extension is not built or KPOLICY_PURE_PYTHON is set."""
    import os

    if os.environ.get("KPOLICY_PURE_PYTHON"):
        return False
    try:
        from kpolicy._cload import populate_arenas as populate
    except ImportError:
        return False
    return bool(populate())


def hand_off_teardown() -> bool:
    """Have this process's memory unmapped after it ends rather than as it ends
    (:func:`kpolicy._cload.hand_off_teardown`, on Linux): the unmapping of a large lint's heap
    was ~3 ms between its last write and the moment whoever started it learned that it ended.
    Every descriptor of the process is closed then (the helper must hold none): called right
    before ``os._exit``, by a one-shot process only, its streams flushed. Whether it was: not
    where the C extension is not built, KPOLICY_PURE_PYTHON is set, or KPOLICY_NO_HAND_OFF is
    (for a container whose init never reaps an orphan: there the helper would stay a zombie)."""
    import os

    if os.environ.get("KPOLICY_PURE_PYTHON") or os.environ.get("KPOLICY_NO_HAND_OFF"):
        return False
    try:
        from kpolicy._cload import hand_off_teardown as hand_off
    except ImportError:
        return False
    pid: int = hand_off()
    return pid > 0


def keeping() -> bool:
    return _KEEPING[0]


def keep(*objects: object) -> None:
    """Hold ``objects`` until the process ends, when it was asked to (:func:`keep_until_end`);
    else nothing."""
    if _KEEPING[0]:
        _KEPT.append(objects)
