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


def keeping() -> bool:
    return _KEEPING[0]


def keep(*objects: object) -> None:
    """Hold ``objects`` until the process ends, when it was asked to (:func:`keep_until_end`);
    else nothing."""
    if _KEEPING[0]:
        _KEPT.append(objects)
