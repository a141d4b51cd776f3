"""How the controllers' syncs are run and recorded: the sync loop with its safety limits and
the step log that keeps the first and last steps of a long plan."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from kpolicy.plan.data import (
    MAX_SHOWN_NAMES,
    MAX_SIMULATED_VISITS,
    MAX_STEPS,
    STEPS_SHOWN_EACH_END,
    Step,
)


class _StepLog:
    """The steps of a plan as they are recorded: the first and the last STEPS_SHOWN_EACH_END
    are kept, the ones between only counted."""

    __slots__ = ("head", "tail", "total")

    def __init__(self) -> None:
        self.head: list[Step] = []
        self.tail: deque[Step] = deque(maxlen=STEPS_SHOWN_EACH_END)
        self.total = 0

    def append(self, step: Step) -> None:
        self.total += 1
        if len(self.head) < STEPS_SHOWN_EACH_END:
            self.head.append(step)
        else:
            self.tail.append(step)

    def fields(self) -> dict[str, Any]:
        """The ``steps``, ``steps_omitted`` and ``steps_omitted_after`` of a WorkloadPlan."""
        omitted = self.total - len(self.head) - len(self.tail)
        return {
            "steps": (*self.head, *self.tail),
            "steps_omitted": omitted,
            "steps_omitted_after": len(self.head) if omitted else 0,
        }


def _shown_names(names: Iterable[str], count: int) -> tuple[tuple[str, ...], int]:
    """The first MAX_SHOWN_NAMES of ``count`` names (an iterator is not read further), and
    how many are left out."""
    return tuple(itertools.islice(names, MAX_SHOWN_NAMES)), max(count - MAX_SHOWN_NAMES, 0)


def _pods(count: int) -> str:
    return f"{count} Pod" if count == 1 else f"{count} Pods"


def _run(
    sync: Callable[[], None],
    state: Callable[[], object],
    counts: Callable[[], object],
    record: Callable[[], None],
    notes: list[str],
    visits: int = 1,
) -> None:
    """Sync until a sync changes nothing; record a step whenever the Pod counts changed.

    ``visits``: how many Pods or nodes one sync visits; the syncs stop early rather than
    visit more than MAX_SIMULATED_VISITS in all.
    """
    previous_state = state()
    previous_counts = counts()
    allowed = min(MAX_STEPS, max(MAX_SIMULATED_VISITS // max(visits, 1), 1))
    for _ in range(allowed):
        sync()
        current_state = state()
        if current_state == previous_state:
            return
        current_counts = counts()
        if current_counts != previous_counts:
            record()
            previous_counts = current_counts
        previous_state = current_state
    if allowed < MAX_STEPS:
        notes.append(
            f"the plan stops after {allowed} controller syncs: each visits {visits} "
            f"Pods or nodes, and kpolicy simulates {MAX_SIMULATED_VISITS:,} visits at "
            "most"
        )
    else:
        notes.append(f"the plan stops after {MAX_STEPS} controller syncs")
