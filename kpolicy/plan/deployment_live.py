"""A Deployment planned from the live state (``kpolicy plan --live``): rollover, proportional
scaling, paused Deployments, stuck rollouts, ``kubectl rollout undo`` and the revisions that
``revisionHistoryLimit`` keeps.

The start is the live ReplicaSets (spec.replicas, status.availableReplicas and the
desired/max-replicas annotations); the steps are the controller's syncs, as in
:func:`kpolicy.plan.deployment_plan`, with one addition to the model of time: the Pods of a
revision that has unavailable Pods in the live state never become available (unless
``assume_ready``), so the plan stops where the controller stops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kpolicy.plan._fields import _Fields, _object_ref
from kpolicy.plan._steps import _pods, _run, _StepLog
from kpolicy.plan.changes import _refusal, _rejected_note, _rejection_fields, _update_kind
from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext
from kpolicy.plan.data import (
    Bounds,
    HistoryEntry,
    Progress,
    Rejection,
    ReplicaSetStep,
    RollbackTo,
    WorkloadPlan,
)
from kpolicy.plan.deployment import (
    _deployment_parts,
    _DeploymentSimulation,
    _ReplicaSet,
    _strategy_and_bounds,
)
from kpolicy.plan.dns import _closing_notes
from kpolicy.plan.live import (
    POD_TEMPLATE_HASH,
    LiveReplicaSet,
    LiveWorkload,
    images_of,
    template_matches,
)

__all__ = [
    "DEFAULT_PROGRESS_DEADLINE_SECONDS",
    "DEFAULT_REVISION_HISTORY_LIMIT",
    "UndoError",
    "cleanup_deployment",
    "deployment_live_plan",
    "find_new_replica_set",
    "rollback_target",
]

# SetDefaults_Deployment (apps/v1)
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS: Final = 600
_SHOWN_PODS: Final = 5


class UndoError(ValueError):
    """``kubectl rollout undo`` refuses: the message is kubectl's reason."""


# follows deploymentutil.FindNewReplicaSet: the oldest ReplicaSet whose template equals the
# Deployment's, ignoring the pod-template-hash label (EqualIgnoreHash); ReplicaSetsByCreationTimestamp
def find_new_replica_set(
    template: object, replica_sets: Sequence[LiveReplicaSet]
) -> LiveReplicaSet | None:
    for rs in sorted(replica_sets, key=lambda rs: (rs.created, rs.name)):
        if template_matches(template, rs.template):
            return rs
    return None


# follows kubectl's deploymentRevision (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/
# rollback.go): revision 0 is the one before the latest
def rollback_target(live: LiveWorkload, to_revision: int | None) -> LiveReplicaSet:
    """The ReplicaSet whose template ``kubectl rollout undo [--to-revision N]`` brings back."""
    spec = live.object.get("spec")
    if isinstance(spec, dict) and spec.get("paused") is True:
        # DeploymentRollbacker.Rollback
        raise UndoError(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
            "resume' and try again"
        )
    numbered = [rs for rs in live.replica_sets if rs.revision is not None]
    if to_revision:
        for rs in numbered:
            if rs.revision == to_revision:
                return rs
        known = ", ".join(str(rs.revision) for rs in numbered) or "none"
        raise UndoError(
            f"unable to find specified revision {to_revision} in history (known revisions of "
            f"deployment/{live.name}: {known})"
        )
    ordered = sorted(numbered, key=lambda rs: rs.revision or 0)
    if len(ordered) < 2:
        raise UndoError(f'no rollout history found for deployment "{live.name}"')
    return ordered[-2]


def _template_without_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    # DeploymentRollbacker.Rollback deletes the pod-template-hash label before it patches
    copy = dict(template)
    metadata = dict(copy.get("metadata") or {}) if isinstance(copy.get("metadata"), dict) else {}
    labels = metadata.get("labels")
    if isinstance(labels, dict):
        metadata["labels"] = {k: v for k, v in labels.items() if k != POD_TEMPLATE_HASH}
    copy["metadata"] = metadata
    return copy


def undo_target(live: LiveWorkload, rs: LiveReplicaSet) -> dict[str, Any]:
    """The live Deployment with the template of ``rs``, as ``kubectl rollout undo`` patches
    it (the change-cause of the ReplicaSet comes back with it)."""
    target = dict(live.object)
    spec = dict(target.get("spec") or {}) if isinstance(target.get("spec"), dict) else {}
    spec["template"] = _template_without_hash(rs.template)
    target["spec"] = spec
    return target


# follows DeploymentController.cleanupDeployment (sync.go): the old ReplicaSets beyond
# revisionHistoryLimit, lowest revision first, that have no Pods left
def cleanup_deployment(
    old: Sequence[tuple[int | None, str, int, int]], limit: int
) -> tuple[str, ...]:
    """Which old ReplicaSets ``(revision, name, spec.replicas, status.replicas)`` the
    controller deletes: among the ``len(old) - limit`` of lowest revision, those with no
    replicas in spec and status."""
    excess = len(old) - limit
    if excess <= 0:
        return ()
    ordered = sorted(old, key=lambda item: (item[0] if item[0] is not None else -1, item[1]))
    return tuple(
        name for _, name, replicas, current in ordered[:excess] if replicas == 0 and current == 0
    )


@dataclass(slots=True)
class _Tracked:
    """A ReplicaSet of the simulation with what the plan reports about it."""

    working: _ReplicaSet
    live: LiveReplicaSet | None  # None: created by the plan
    revision: int | None


def _revision_history_limit(fields: _Fields) -> int:
    limit = fields.integer("spec", "revisionHistoryLimit")
    return DEFAULT_REVISION_HISTORY_LIMIT if limit is None else limit


def _unavailable_text(rs: LiveReplicaSet) -> str:
    pods = rs.unavailable_pods()
    if not pods:
        return f"{rs.unavailable} unavailable Pod{'' if rs.unavailable == 1 else 's'}"
    reasons = {pod.reason for pod in pods}
    if len(reasons) == 1 and None not in reasons:
        # one reason for all: said once
        listed = ", ".join(pod.name for pod in pods[:_SHOWN_PODS])
        why = f" ({reasons.pop()})"
    else:
        listed = ", ".join(pod.describe() for pod in pods[:_SHOWN_PODS])
        why = ""
    more = f" and {len(pods) - _SHOWN_PODS} more" if len(pods) > _SHOWN_PODS else ""
    plural = "" if rs.unavailable == 1 else "s"
    return f"{rs.unavailable} unavailable Pod{plural}{why}: {listed}{more}"


def _progressing_condition(live: LiveWorkload) -> Mapping[str, Any] | None:
    conditions = live.status.get("conditions")
    if not isinstance(conditions, list):
        return None
    for condition in conditions:
        if isinstance(condition, dict) and condition.get("type") == "Progressing":
            return condition
    return None


def deployment_live_plan(
    live: LiveWorkload,
    new: Mapping[str, Any] | None = None,
    *,
    undo: bool = False,
    to_revision: int | None = None,
    assume_ready: bool = False,
    rejections: Sequence[Rejection] = (),
    context: PlanContext = DEFAULT_CONTEXT,
) -> WorkloadPlan:
    """The plan of a live Deployment: to ``new`` (a manifest), to its own spec (``new`` None),
    or back to a revision (``undo``; raises :class:`UndoError` as kubectl refuses)."""
    notes: list[str] = []
    rollback: LiveReplicaSet | None = None
    if undo:
        rollback = rollback_target(live, to_revision)
        target: Mapping[str, Any] = undo_target(live, rollback)
    else:
        target = new if isinstance(new, dict) else live.object
    fields = _Fields(target, notes)
    spec, paused = _deployment_parts(fields)
    template = fields.optional_mapping("spec", "template") or {}
    live_spec = live.object.get("spec")
    if not isinstance(live_spec, dict):
        live_spec = {}
    live_template = live_spec.get("template")

    # which live ReplicaSet carries the template the plan goes to, and the one the live
    # Deployment is rolling out now
    target_rs = find_new_replica_set(template, live.replica_sets)
    current_rs = find_new_replica_set(live_template, live.replica_sets)
    template_changed = new is not None or undo
    template_changed = template_changed and not template_matches(template, live_template)
    live_replicas = live_spec.get("replicas")
    scaled = isinstance(live_replicas, int) and live_replicas != spec.replicas

    rejected = _refusal(rejections)
    strategy, bounds = _strategy_and_bounds(spec)

    # the live ReplicaSets, oldest revision first; the target's (if any) is the new one
    tracked: list[_Tracked] = []
    new_tracked: _Tracked | None = None
    stuck_sets: list[LiveReplicaSet] = []
    for rs in live.replica_sets:
        stuck = rs.unavailable > 0 and not assume_ready
        working = _ReplicaSet(
            rs.replicas,
            min(rs.available, rs.replicas),
            rs.desired_replicas,
            rs.max_replicas,
            stuck=stuck,
        )
        item = _Tracked(working, rs, rs.revision)
        if stuck and rs.replicas > 0:
            stuck_sets.append(rs)
        if rs is target_rs:
            new_tracked = item
        else:
            tracked.append(item)
    max_revision = max((rs.revision or 0 for rs in live.replica_sets), default=0)

    # rollover: the template differs from the one being rolled out, so the ReplicaSet that was
    # new becomes old at once
    rolling_out = current_rs is not None and any(
        rs.replicas > 0 for rs in live.replica_sets if rs is not current_rs
    )
    if (
        template_changed
        and not paused
        and rolling_out
        and current_rs is not None
        and current_rs is not target_rs
    ):
        notes.append(
            f"rollover: {current_rs.name} (revision {current_rs.revision}) was the new "
            "ReplicaSet; it becomes an old one at once and is scaled down without waiting "
            "for its rollout to finish"
        )
    if rollback is not None:
        notes.append(
            f"kubectl rollout undo brings back the template of {rollback.name} "
            f"(revision {rollback.revision}, images {', '.join(rollback.images) or 'none'})"
            + (
                f", change-cause {rollback.change_cause!r}"
                if rollback.change_cause is not None
                else ""
            )
        )
    if target_rs is not None and template_changed and rollback is None:
        notes.append(
            f"the template is that of the live {target_rs.name} (revision {target_rs.revision}): "
            "the controller scales it up again instead of creating a ReplicaSet"
        )

    change = _update_kind(template_changed=template_changed, scaled=scaled)

    steps = _StepLog()
    start = _step(new_tracked, tracked)
    progress: Progress | None = None
    stuck_reason: str | None = None
    end_revision: int | None = None
    rollback_to: RollbackTo | None = None
    history: tuple[HistoryEntry, ...] = ()
    ready_at_end: int | None = start.available
    if rejected is not None:
        notes.append(_rejected_note("Deployment", rejections))
    else:
        simulation = _DeploymentSimulation(
            spec,
            paused,
            [item.working for item in tracked],
            new_tracked.working if new_tracked is not None else None,
        )
        if paused:
            notes.append(
                "the Deployment is paused: the controller only scales the existing "
                "ReplicaSets (in proportion to their size), and the rollout starts when it is "
                "resumed"
            )

        def counts() -> tuple[int, tuple[int, ...]]:
            new_count = simulation.new.replicas if simulation.new is not None else 0
            return new_count, tuple(rs.replicas for rs in simulation.old)

        def record() -> None:
            new_count, old_counts = counts()
            available = sum(min(rs.available, rs.replicas) for rs in simulation.sets())
            steps.append(ReplicaSetStep(new_count, old_counts, available))

        _run(simulation.sync, simulation.state, counts, record, notes)
        # one more look at availability, as the next sync would see it
        for working in simulation.sets():
            working.available = (
                min(working.available, working.replicas) if working.stuck else working.replicas
            )

        ready_at_end = sum(min(rs.available, rs.replicas) for rs in simulation.sets())
        created = simulation.new is not None and (
            new_tracked is None or simulation.new is not new_tracked.working
        )
        if created and simulation.new is not None:
            new_tracked = _Tracked(simulation.new, None, None)
        # getNewReplicaSet: the new ReplicaSet gets the revision after the old ones' highest
        if new_tracked is not None:
            max_old = max((item.revision or 0 for item in tracked), default=0)
            if new_tracked.revision is None or new_tracked.revision <= max_old:
                new_tracked.revision = max_old + 1
            end_revision = new_tracked.revision
        else:
            end_revision = max_revision or None
        if rollback is not None and rollback.revision is not None and end_revision is not None:
            rollback_to = RollbackTo(rollback.revision, rollback.name, end_revision)
            if end_revision != rollback.revision:
                notes.append(
                    f"revision {rollback.revision} becomes revision {end_revision}: "
                    f"{rollback.name} keeps its Pods' hash, and revision {rollback.revision} "
                    "leaves the history"
                )

        new_working = simulation.new
        complete = (
            new_working is not None
            and new_working.replicas == spec.replicas
            and new_working.available >= spec.replicas
            and all(rs.replicas == 0 for rs in simulation.old)
        )
        if paused:
            progress = "paused"
        elif complete:
            progress = "complete"
        else:
            progress = "stuck"
            stuck_reason = _stuck_reason(simulation, stuck_sets, spec.replicas, bounds)
            deadline = fields.integer("spec", "progressDeadlineSeconds")
            deadline = DEFAULT_PROGRESS_DEADLINE_SECONDS if deadline is None else deadline
            condition = _progressing_condition(live)
            # follows DeploymentController.syncRolloutStatus and deploymentutil.DeploymentTimedOut
            # (progress.go): no rollback happens by itself
            if condition is not None and condition.get("reason") == "ProgressDeadlineExceeded":
                notes.append(
                    "the live Deployment already reports Progressing=False "
                    "(ProgressDeadlineExceeded); the controller does not roll back by itself"
                )
            else:
                notes.append(
                    f"after progressDeadlineSeconds ({deadline}s) without progress the "
                    "controller sets the Progressing condition to False with reason "
                    "ProgressDeadlineExceeded; it does not roll back by itself "
                    f"(kubectl rollout undo deployment/{live.name} does)"
                )

        # cleanupDeployment runs once the rollout is complete (rolloutRolling), or in sync()
        # while paused
        limit = _revision_history_limit(fields)
        deleted: tuple[str, ...] = ()
        if progress in ("complete", "paused"):
            deleted = cleanup_deployment(
                [
                    (
                        item.revision,
                        item.live.name if item.live else "",
                        item.working.replicas,
                        item.working.replicas,
                    )
                    for item in tracked
                ],
                limit,
            )
            if deleted:
                notes.append(
                    f"revisionHistoryLimit {limit} then deletes "
                    + ", ".join(
                        f"{item.live.name} (revision {item.revision})"
                        for item in tracked
                        if item.live is not None and item.live.name in deleted
                    )
                )
        kept = [item for item in tracked if item.live is None or item.live.name not in deleted]
        if new_tracked is not None:
            kept.append(new_tracked)
        history = tuple(
            _history_entry(item, target)
            for item in sorted(kept, key=lambda item: item.revision or 0)
        )
        if change == "none" and steps.total:
            # planned as it stands: a rollout (or a scaling) still under way
            change = "rollout" if target_rs is None or any(start.old) else "scale"

    if not spec.rolling and spec.replicas > 0:
        notes.append(
            "Recreate deletes every old Pod before it creates a new one: nothing is "
            "available in between"
        )
    if not template_changed and not undo and new is None:
        notes.append(
            f"planned from the live state as it stands: what the controller still does to "
            f"reach the spec of {_pods(spec.replicas)}"
        )
    dns = _closing_notes(fields, [], template, None, rejected, target, context, notes)
    return WorkloadPlan(
        object=_object_ref(target),
        change=change,
        replicas=spec.replicas,
        strategy=strategy,
        bounds=bounds,
        **steps.fields(),
        pods=dns.pods,
        service_domain=dns.service_domain,
        rejected=rejected,
        **_rejection_fields(rejections),
        notes=tuple(notes),
        start=start,
        progress=progress,
        stuck_reason=stuck_reason,
        revision=end_revision,
        rollback_to=rollback_to,
        history=history,
        ready_at_end=ready_at_end,
    )


def _step(new: _Tracked | None, old: Sequence[_Tracked]) -> ReplicaSetStep:
    sets = [item.working for item in old] + ([new.working] if new is not None else [])
    return ReplicaSetStep(
        new.working.replicas if new is not None else 0,
        tuple(item.working.replicas for item in old),
        sum(min(rs.available, rs.replicas) for rs in sets),
    )


def _history_entry(item: _Tracked, target: Mapping[str, Any]) -> HistoryEntry:
    if item.live is not None:
        return HistoryEntry(
            item.revision,
            item.live.name,
            item.live.change_cause,
            item.live.images,
            item.working.replicas,
        )
    # copyDeploymentAnnotationsToReplicaSet: the new ReplicaSet takes the Deployment's
    # change-cause
    metadata = target.get("metadata") if isinstance(target.get("metadata"), dict) else {}
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    cause = annotations.get("kubernetes.io/change-cause") if isinstance(annotations, dict) else None
    spec = target.get("spec") if isinstance(target.get("spec"), dict) else {}
    template = spec.get("template") if isinstance(spec, dict) else None
    return HistoryEntry(
        item.revision,
        None,
        cause if isinstance(cause, str) else None,
        images_of(template),
        item.working.replicas,
    )


def _stuck_reason(
    simulation: _DeploymentSimulation,
    stuck_sets: Sequence[LiveReplicaSet],
    replicas: int,
    bounds: Bounds,
) -> str:
    new_count = simulation.new.replicas if simulation.new is not None else 0
    old_count = sum(rs.replicas for rs in simulation.old)
    available = sum(min(rs.available, rs.replicas) for rs in simulation.sets())
    where = (
        f"the controller stops with {new_count} new and {old_count} old Pods, {available} available"
    )
    limits = []
    if new_count + old_count >= bounds.max_pods:
        limits.append(f"no Pod may be created beyond {bounds.max_pods} (replicas + maxSurge)")
    new_unavailable = (
        simulation.new.replicas - simulation.new.available if simulation.new is not None else 0
    )
    if old_count and new_count + old_count - bounds.min_available - new_unavailable <= 0:
        limits.append(
            f"no old Pod may be deleted while {new_unavailable} new ones are unavailable "
            f"(at least {bounds.min_available} must stay available: replicas - "
            "maxUnavailable)"
        )
    if limits:
        where += "; " + ", and ".join(limits)
    if not stuck_sets:
        return where
    causes = "; ".join(
        f"revision {rs.revision} ({rs.name}) has {_unavailable_text(rs)}" for rs in stuck_sets
    )
    return (
        f"{causes}; taken as never becoming available (--assume-ready plans as if they do): {where}"
    )
