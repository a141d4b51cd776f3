"""A StatefulSet planned from the live state: Pods at mixed revisions, a partition, and a Pod
that never becomes ready (with ``OrderedReady`` the controller then never proceeds, and a
reverted template is not enough: the broken Pods must be deleted by hand).

The start is the live Pods (ordinal, ``controller-revision-hash``, readiness); the update
revision is the live ``status.updateRevision``, or, when ``new`` changes the template, a new
ControllerRevision — unless an existing one holds the same template (a revert), which the
controller reuses (``getStatefulSetRevisions`` with ``history.FindEqualRevisions``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from kpolicy.plan._fields import _Fields
from kpolicy.plan._steps import _run, _shown_names, _StepLog
from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext, feature_gate_enabled
from kpolicy.plan.data import (
    MAX_SHOWN_NAMES,
    MAX_SIMULATED_PODS,
    ON_DELETE,
    PARALLEL,
    ChangeKind,
    HistoryEntry,
    LivePodState,
    Progress,
    Rejection,
    StatefulSetStart,
    WorkloadPlan,
)
from kpolicy.plan.live import LivePod, LiveRevision, LiveWorkload, images_of, template_matches
from kpolicy.plan.statefulset import (
    _CURRENT,
    _UPDATE,
    _statefulset_parts,
    _StatefulSetSimulation,
    _StatefulSetSpec,
    statefulset_plan,
    statefulset_step,
)

__all__ = ["statefulset_live_plan", "truncate_history"]

# SetDefaults_StatefulSet (apps/v1)
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
_SHOWN_PODS: Final = 5


# follows defaultStatefulSetControl.truncateHistory (stateful_set_control.go): the revisions
# no Pod uses, that are neither the current nor the update revision, beyond the limit go,
# lowest revision first
def truncate_history(
    revisions: Sequence[LiveRevision], in_use: set[str], limit: int
) -> tuple[str, ...]:
    history = [r for r in sorted(revisions, key=lambda r: r.revision) if r.name not in in_use]
    if len(history) <= limit:
        return ()
    return tuple(r.name for r in history[: len(history) - limit])


def _pod_list(pods: Sequence[LivePod]) -> str:
    listed = ", ".join(pod.describe() for pod in pods[:_SHOWN_PODS])
    return listed + (f" and {len(pods) - _SHOWN_PODS} more" if len(pods) > _SHOWN_PODS else "")


def statefulset_live_plan(
    live: LiveWorkload,
    new: Mapping[str, Any] | None = None,
    *,
    assume_ready: bool = False,
    rejections: Sequence[Rejection] = (),
    context: PlanContext = DEFAULT_CONTEXT,
) -> WorkloadPlan:
    """The plan of a live StatefulSet: to ``new`` (a manifest) or to its own spec."""
    target: Mapping[str, Any] = new if isinstance(new, dict) else live.object
    # strategy, bounds, DNS names and the notes on the spec, as for a creation
    base = statefulset_plan(target, None, diff=True, rejections=rejections, context=context)
    kubernetes_version = context.kubernetes_version
    feature_gates = context.feature_gates
    notes = [n for n in base.notes if not n.startswith("on creation")]
    if base.rejected is not None:
        return replace(base, change="none", notes=tuple(notes), start=_start(live, None, {}))

    fields = _Fields(target, [])
    gate = feature_gate_enabled("MaxUnavailableStatefulSet", kubernetes_version, feature_gates)
    replicas, start, strategy_type, partition, policy, _ = _statefulset_parts(fields, gate)
    if not feature_gate_enabled("StatefulSetStartOrdinal", kubernetes_version, feature_gates):
        start = 0
    status = live.status
    current_name = (
        status.get("currentRevision") if isinstance(status.get("currentRevision"), str) else None
    )
    update_name = (
        status.get("updateRevision") if isinstance(status.get("updateRevision"), str) else None
    )
    live_spec = live.object.get("spec") if isinstance(live.object.get("spec"), dict) else {}
    live_template = live_spec.get("template") if isinstance(live_spec, dict) else None
    template = fields.optional_mapping("spec", "template") or {}

    change: ChangeKind = "none"
    new_revision = False
    if new is not None and not template_matches(template, live_template):
        change = "rollout"
        # a revert: an existing ControllerRevision with the same template is reused
        equal = next(
            (r for r in reversed(live.revisions) if template_matches(template, r.template)),
            None,
        )
        if equal is not None:
            update_name = equal.name
            notes.append(
                f"the template is that of ControllerRevision {equal.name} (revision "
                f"{equal.revision}): the controller reuses it as the update revision"
            )
        else:
            update_name = None
            new_revision = True
    live_replicas = live_spec.get("replicas") if isinstance(live_spec, dict) else None
    if isinstance(live_replicas, int) and live_replicas != replicas:
        change = "rollout+scale" if change == "rollout" else "scale"

    pods: dict[int, str] = {}
    broken: set[int] = set()
    broken_revisions: set[str] = set()
    by_ordinal: dict[int, LivePod] = {}
    for pod in live.pods:
        if pod.ordinal is None or pod.ordinal in by_ordinal:
            continue
        by_ordinal[pod.ordinal] = pod
        token = (
            _UPDATE if (update_name is not None and pod.revision_hash == update_name) else _CURRENT
        )
        pods[pod.ordinal] = token
        if not pod.ready and not assume_ready:
            broken.add(pod.ordinal)
            broken_revisions.add(token)
    start_state = _start(live, update_name, by_ordinal)

    spec = _StatefulSetSpec(
        name=live.name,
        replicas=replicas,
        start=start,
        strategy_type=strategy_type,
        partition=partition or 0,
        policy=policy,
        max_unavailable_gate=gate,
        max_unavailable=base.strategy.max_unavailable or 1,
        template_changed=True,
    )
    steps = _StepLog()
    update_order: tuple[str, ...] = ()
    progress: Progress = "complete"
    stuck_reason: str | None = None
    ready_at_end = start_state.available
    simulation = _StatefulSetSimulation(spec, pods)
    simulation.broken = set(broken)
    simulation.broken_revisions = broken_revisions

    def pod_name(ordinal: int) -> str:
        return f"{live.name}-{ordinal}"

    if len(pods) > MAX_SIMULATED_PODS or replicas > MAX_SIMULATED_PODS:
        notes.append(f"more than {MAX_SIMULATED_PODS} Pods: no step-by-step plan")
    else:

        def record() -> None:
            steps.append(statefulset_step(simulation, pod_name))

        # each step records the Pods updated in it; keep all of them in order
        order: list[int] = []
        sync_once = simulation.sync

        def sync() -> None:
            sync_once()
            order.extend(simulation.update_order)
            simulation.update_order = []

        _run(sync, simulation.state, simulation.state, record, notes, visits=max(len(pods), 1))
        update_order, _ = _shown_names((pod_name(o) for o in order), len(order))
        ready_at_end = sum(1 for o in simulation.pods if o not in simulation.broken)
        remaining = sorted(o for o in simulation.broken if o in simulation.pods)
        held = spec.partition if spec.strategy_type != ON_DELETE else spec.replicas
        outdated = [
            o for o in simulation.pods if simulation.pods[o] != _UPDATE and o >= spec.start + held
        ]
        if remaining:
            progress = "stuck"
            stuck_pods = [by_ordinal[o] for o in remaining if o in by_ordinal] or [
                LivePod(pod_name(o), None, None, False) for o in remaining
            ]
            stuck_reason = _stuck_reason(live, stuck_pods, policy, by_ordinal, update_name)
            notes.append(_forced_rollback_note(live, remaining, simulation.pods, new_revision))
        elif outdated and spec.strategy_type != ON_DELETE:
            progress = "stuck"
            stuck_reason = (
                f"{_pod_list([LivePod(pod_name(o), None, None, True) for o in sorted(outdated)])} "
                "stay at an old revision"
            )

    # the revisions kept: truncateHistory over the live ControllerRevisions
    in_use = {name for name in (current_name, update_name) if name}
    in_use |= {
        by_ordinal[o].revision_hash or ""
        for o in simulation.pods
        if o in by_ordinal and simulation.pods[o] == _CURRENT
    }
    limit = fields.integer("spec", "revisionHistoryLimit")
    limit = DEFAULT_REVISION_HISTORY_LIMIT if limit is None else limit
    dropped = truncate_history(live.revisions, in_use, limit)
    if dropped:
        notes.append(
            f"revisionHistoryLimit {limit} then deletes ControllerRevision " + ", ".join(dropped)
        )
    max_revision = max((r.revision for r in live.revisions), default=0)
    history: list[HistoryEntry] = []
    counts: dict[str | None, int] = {}
    for ordinal, token in simulation.pods.items():
        name = (
            update_name
            if token == _UPDATE
            else (by_ordinal[ordinal].revision_hash if ordinal in by_ordinal else current_name)
        )
        counts[name] = counts.get(name, 0) + 1
    for revision in live.revisions:
        if revision.name in dropped:
            continue
        number = revision.revision
        if revision.name == update_name and change != "none" and number < max_revision:
            number = max_revision + 1  # the controller bumps a reused revision's number
        history.append(
            HistoryEntry(
                number,
                revision.name,
                revision.change_cause,
                revision.images,
                counts.get(revision.name, 0),
            )
        )
    end_revision: int | None
    if new_revision:
        end_revision = max_revision + 1
        history.append(
            HistoryEntry(end_revision, None, None, _images(template), counts.get(None, 0))
        )
    else:
        found = next((h for h in history if h.replica_set == update_name), None)
        end_revision = found.revision if found is not None else None
    history.sort(key=lambda h: h.revision or 0)

    if policy != PARALLEL and not steps.total and progress == "complete" and change == "none":
        notes.append("planned from the live state as it stands: nothing left to do")
    return replace(
        base,
        change=change,
        **steps.fields(),
        update_order=update_order,
        update_order_omitted=0,
        notes=tuple(notes),
        start=start_state,
        progress=progress,
        stuck_reason=stuck_reason,
        revision=end_revision,
        history=tuple(history),
        ready_at_end=ready_at_end,
    )


def _images(template: Mapping[str, Any]) -> tuple[str, ...]:
    return images_of(template)


def _start(
    live: LiveWorkload, update_name: str | None, by_ordinal: Mapping[int, LivePod]
) -> StatefulSetStart:
    pods = sorted(live.pods, key=lambda p: (p.ordinal if p.ordinal is not None else -1, p.name))
    new = sum(1 for p in pods if update_name is not None and p.revision_hash == update_name)
    return StatefulSetStart(
        new=new,
        old=len(pods) - new,
        available=sum(1 for p in pods if p.ready),
        pods=tuple(LivePodState(p.name, p.revision_hash, p.ready) for p in pods[:MAX_SHOWN_NAMES]),
        pods_omitted=max(len(pods) - MAX_SHOWN_NAMES, 0),
    )


def _stuck_reason(
    live: LiveWorkload,
    pods: Sequence[LivePod],
    policy: str,
    by_ordinal: Mapping[int, LivePod],
    update_name: str | None,
) -> str:
    first = pods[0]
    at = f"revision {first.revision_hash}" if first.revision_hash else "a revision"
    which = "the update revision" if first.revision_hash == update_name else "an old revision"
    if policy != PARALLEL:
        # processReplica: with OrderedReady (monotonic) a Pod that is not Running and Ready
        # stops the sync before any later Pod is created, deleted or updated
        return (
            f"{_pod_list(pods)} ({at}, {which}) is not ready and is taken as never becoming "
            "ready (--assume-ready plans as if it does): with OrderedReady the controller "
            "waits for it before it creates, deletes or updates any other Pod, and never "
            "deletes it by itself"
        )
    return (
        f"{_pod_list(pods)} ({at}, {which}) is not ready and is taken as never becoming ready "
        "(--assume-ready plans as if it does): the rolling update waits for it"
    )


def _forced_rollback_note(
    live: LiveWorkload, broken: Sequence[int], pods: Mapping[int, str], new_revision: bool
) -> str:
    names = [f"{live.name}-{o}" for o in broken]
    command = f"kubectl delete pod {' '.join(names)} -n {live.namespace}"
    at_update = all(pods.get(o) == _UPDATE for o in broken)
    if at_update:
        return (
            "forced rollback: revert the template, then delete the broken Pods by hand "
            f"({command}); the controller does not replace a Pod that never becomes ready, "
            "so reverting the template alone is not enough"
        )
    return (
        "reverting the template is not enough: the controller never replaces "
        f"{', '.join(names)}, which is not ready; delete {'them' if len(names) > 1 else 'it'} "
        f"by hand ({command}) and the controller recreates "
        f"{'them' if len(names) > 1 else 'it'} at the update revision"
    )
