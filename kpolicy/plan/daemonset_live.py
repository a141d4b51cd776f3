"""A DaemonSet planned from the live state: the nodes its Pods run on (and ``--nodes``), each
Pod's revision and readiness, Pods at old revisions, and a rolling update that spends its
maxUnavailable or maxSurge budget on the Pods that are not ready.

The update revision is the ControllerRevision whose template is the live DaemonSet's (the
controller's ``constructHistory`` with ``Match``), or, when ``new`` changes the template, a new
one, unless an existing ControllerRevision holds the same template (a revert, reused with a
higher revision number). A Pod is at the update revision when its ``controller-revision-hash``
label is that revision's hash (``findUpdatedPodsOnNode`` with ``util.IsPodUpdated``).

The time model is the planner's, with the live plans' addition: a Pod that is not ready in the
live state never becomes ready, and when a Pod at the update revision is not ready, no Pod of
that revision ever becomes ready (``--assume-ready`` plans as if they do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from kpolicy.plan._fields import _Fields
from kpolicy.plan._steps import _run, _StepLog
from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext
from kpolicy.plan.daemonset import (
    _daemonset_parts,
    _DaemonSetSimulation,
    _NodePods,
    _placement,
    _strategy_and_bounds,
    _tolerations,
    daemonset_plan,
)
from kpolicy.plan.data import (
    MAX_SHOWN_NAMES,
    MAX_SHOWN_NODES,
    ROLLING_UPDATE,
    ChangeKind,
    DaemonSetStart,
    DaemonSetStep,
    HistoryEntry,
    LivePodState,
    NodePlacement,
    Progress,
    Rejection,
    WorkloadPlan,
)
from kpolicy.plan.live import LivePod, LiveRevision, LiveWorkload, images_of, template_matches
from kpolicy.plan.statefulset_live import truncate_history

__all__ = ["daemonset_live_plan"]

# SetDefaults_DaemonSet (apps/v1)
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
_SHOWN_PODS: Final = 5


def _revision_hash(live: LiveWorkload, revision: LiveRevision) -> str:
    """The hash a DaemonSet's Pods carry for a ControllerRevision: its
    ``controller-revision-hash`` label, else its name less the ``<daemonset>-`` prefix
    (``snapshot`` names it ``ds.Name + "-" + hash``)."""
    if revision.hash:
        return revision.hash
    prefix = f"{live.name}-"
    return revision.name[len(prefix) :] if revision.name.startswith(prefix) else revision.name


def _current_revision(live: LiveWorkload, template: object) -> LiveRevision | None:
    """The ControllerRevision holding ``template``, the highest revision first
    (``constructHistory``/``dedupCurHistories`` keep the highest of equal ones)."""
    for revision in sorted(live.revisions, key=lambda r: r.revision, reverse=True):
        if template_matches(template, revision.template):
            return revision
    return None


def _pod_list(pods: Sequence[LivePod]) -> str:
    listed = ", ".join(
        f"{pod.describe()} on {pod.node}" if pod.node else pod.describe()
        for pod in pods[:_SHOWN_PODS]
    )
    return listed + (f" and {len(pods) - _SHOWN_PODS} more" if len(pods) > _SHOWN_PODS else "")


class _LiveDaemonSetSimulation(_DaemonSetSimulation):
    """The DaemonSet controller's syncs from live Pods: an old Pod that is not ready stays
    unavailable until deleted, and the new Pods of a broken revision never become available
    (but those Ready in the live state)."""

    def __init__(
        self,
        *args: Any,
        unready_old: set[int],
        ready_new: set[int],
        new_broken: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.unready_old = unready_old
        self.ready_new = ready_new
        self.new_broken = new_broken

    def new_available(self, index: int) -> bool:
        node = self.pods[index]
        if not node.new or (self.port_blocked and node.old):
            return False
        return not self.new_broken or index in self.ready_new

    def sync(self) -> None:
        # IsPodAvailable over each node's Pods as they stand at the start of the sync
        self.available_old = {
            i for i, p in enumerate(self.pods) if p.old and i not in self.unready_old
        }
        self.available_new = {i for i in range(len(self.pods)) if self.new_available(i)}
        self._manage()
        self.ready_new = {i for i in self.ready_new if self.pods[i].new}
        # a node that lost its old Pod has no unready old Pod any more
        self.unready_old = {i for i in self.unready_old if self.pods[i].old}
        if self.rolling:
            self._rolling_update()
        self.unready_old = {i for i in self.unready_old if self.pods[i].old}

    def available_now(self) -> int:
        return sum(
            1
            for i, p in enumerate(self.pods)
            if (p.old and i not in self.unready_old) or self.new_available(i)
        )


def daemonset_live_plan(
    live: LiveWorkload,
    new: Mapping[str, Any] | None = None,
    *,
    assume_ready: bool = False,
    rejections: Sequence[Rejection] = (),
    context: PlanContext = DEFAULT_CONTEXT,
) -> WorkloadPlan:
    """The plan of a live DaemonSet: to ``new`` (a manifest) or to its own spec."""
    target: Mapping[str, Any] = new if isinstance(new, dict) else live.object
    # strategy, the notes on the spec and the rejections, as for a creation over no nodes
    base = daemonset_plan(
        target, None, diff=True, rejections=rejections, context=replace(context, nodes=[])
    )
    notes = [n for n in base.notes if not n.startswith("no nodes given")]
    fields = _Fields(target, [])
    template = fields.optional_mapping("spec", "template") or {}
    live_spec = live.object.get("spec") if isinstance(live.object.get("spec"), dict) else {}
    live_template = live_spec.get("template") if isinstance(live_spec, dict) else None

    # the update revision: the live one, or the one `new` brings
    current = _current_revision(live, live_template)
    if current is None and live.revisions:
        current = max(live.revisions, key=lambda r: r.revision)
        notes.append(
            f"no ControllerRevision holds the live template: {current.name} (revision "
            f"{current.revision}), the highest, is taken as the update revision"
        )
    update: LiveRevision | None = current
    change: ChangeKind = "none"
    new_revision = False
    if new is not None and not template_matches(template, live_template):
        change = "rollout"
        update = _current_revision(live, template)
        if update is not None:
            notes.append(
                f"the template is that of ControllerRevision {update.name} (revision "
                f"{update.revision}): the controller reuses it as the update revision"
            )
        else:
            new_revision = True
    update_hash = _revision_hash(live, update) if update is not None else None

    def at_update(pod: LivePod) -> bool:
        return update is not None and pod.revision_hash in (update_hash, update.name)

    # the nodes: --nodes with the placement of the target template, then those of live Pods
    # that --nodes does not name; without --nodes, the nodes of the live Pods
    pod_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    assert isinstance(pod_spec, dict)
    names: list[str] = []
    should_run: list[bool] = []
    should_continue: list[bool] = []
    placements: list[NodePlacement] = []
    if context.nodes is not None:
        tolerations = _tolerations(pod_spec)
        for node in context.nodes:
            if not isinstance(node, dict):
                continue
            metadata = node.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            if not isinstance(name, str) or not name or name in names:
                continue
            runs, stays, reason = _placement(node, pod_spec, tolerations)
            names.append(name)
            should_run.append(runs)
            should_continue.append(stays)
            if len(placements) < MAX_SHOWN_NODES:
                placements.append(NodePlacement(name, runs, None if runs else reason))
    unplaced = [pod for pod in live.pods if pod.node is None]
    missing = sorted({pod.node for pod in live.pods if pod.node and pod.node not in names})
    for name in missing:
        names.append(name)
        should_run.append(True)
        should_continue.append(True)
    if context.nodes is None:
        notes.append(
            f"nodes from the live Pods ({len(names)}): a node that runs no Pod of the "
            "DaemonSet is not known (give --nodes)"
        )
    elif missing:
        notes.append(
            f"{len(missing)} node{'' if len(missing) == 1 else 's'} of live Pods not in "
            f"--nodes ({', '.join(missing[:_SHOWN_PODS])}"
            f"{' and more' if len(missing) > _SHOWN_PODS else ''}) taken as running the daemon"
        )
    if unplaced:
        notes.append(
            f"{_pod_list(unplaced)}: no node (neither spec.nodeName nor the controller's node "
            "affinity); left out"
        )
    desired_status = live.status.get("desiredNumberScheduled")
    if (
        context.nodes is None
        and isinstance(desired_status, int)
        and not isinstance(desired_status, bool)
        and desired_status > sum(should_run)
    ):
        notes.append(
            f"status.desiredNumberScheduled is {desired_status} but live Pods are on "
            f"{sum(should_run)} nodes: the others are not planned (give --nodes)"
        )

    index_of = {name: i for i, name in enumerate(names)}
    pods = [_NodePods() for _ in names]
    unready_old: set[int] = set()
    ready_new: set[int] = set()
    broken_new: list[LivePod] = []
    unready: list[LivePod] = []
    for pod in live.pods:
        if pod.node is None:
            continue
        i = index_of[pod.node]
        if at_update(pod):
            pods[i].new = True
            if pod.ready:
                ready_new.add(i)
            else:
                unready.append(pod)
                if not assume_ready:
                    broken_new.append(pod)
        else:
            pods[i].old = True
            if not pod.ready:
                unready.append(pod)
                if not assume_ready:
                    unready_old.add(i)
    shown = sorted(live.pods, key=lambda p: (p.node or "", p.name))
    start = DaemonSetStart(
        new=sum(1 for p in pods if p.new),
        old=sum(1 for p in pods if p.old),
        available=sum(1 for p in live.pods if p.node is not None and p.ready),
        pods=tuple(
            LivePodState(p.name, p.revision_hash, p.ready, p.node) for p in shown[:MAX_SHOWN_NAMES]
        ),
        pods_omitted=max(len(shown) - MAX_SHOWN_NAMES, 0),
    )
    if base.rejected is not None:
        return replace(base, change="none", notes=tuple(notes), start=start)

    desired = sum(should_run)
    rolling = base.strategy.type == ROLLING_UPDATE
    # maxSurge and maxUnavailable over the nodes that should run the daemon now (the base plan
    # counted none)
    _, raw_surge, raw_unavailable = _daemonset_parts(_Fields(target, []))
    strategy, bounds = _strategy_and_bounds(rolling, raw_surge, raw_unavailable, desired)
    surge = strategy.max_surge or 0
    max_unavailable = strategy.max_unavailable or 0
    simulation = _LiveDaemonSetSimulation(
        should_run,
        should_continue,
        pods,
        rolling,
        surge,
        max_unavailable,
        unready_old=unready_old,
        ready_new=ready_new,
        new_broken=bool(broken_new),
    )
    steps = _StepLog()

    def counts() -> tuple[int, int]:
        return (
            sum(1 for p in simulation.pods if p.new),
            sum(1 for p in simulation.pods if p.old),
        )

    before: list[tuple[bool, bool]] = []

    def sync() -> None:
        before[:] = simulation.state()
        simulation.sync()

    def record() -> None:
        # a Pod created in this step is ready only at the start of the next (the time model)
        new_count, old_count = counts()
        available = sum(
            int(was_old and node.old and i not in simulation.unready_old)
            + int(was_new and simulation.new_available(i))
            for i, ((was_old, was_new), node) in enumerate(
                zip(before, simulation.pods, strict=True)
            )
        )
        steps.append(DaemonSetStep(new_count, old_count, available))

    _run(sync, simulation.state, counts, record, notes, visits=max(len(names), 1))

    # where the plan ends: every node that should run the daemon at the update revision and
    # available, else stuck (kubectl rollout status waits for updatedNumberScheduled and
    # numberAvailable to reach desiredNumberScheduled)
    progress: Progress = "complete"
    stuck_reason: str | None = None
    outdated = [
        i for i, p in enumerate(simulation.pods) if p.old and (should_run[i] or should_continue[i])
    ]
    if broken_new:
        progress = "stuck"
        stuck_reason = _broken_reason(update_hash, broken_new, len(outdated), surge, rolling)
    elif outdated and rolling:
        progress = "stuck"
        unready_names = [p for p in live.pods if not p.ready and not at_update(p)]
        stuck_reason = (
            f"{len(outdated)} node{'' if len(outdated) == 1 else 's'} keep a Pod at an old "
            "revision" + (f" ({_pod_list(unready_names)} not ready)" if unready_names else "")
        )
    elif outdated:
        notes.append(
            "OnDelete: the controller replaces no Pod by itself; a node gets the new "
            "template when you delete its Pod"
        )
    if unready and assume_ready:
        notes.append(f"{_pod_list(unready)} not ready: planned as if ready (--assume-ready)")
    min_ready = fields.integer("spec", "minReadySeconds")
    if min_ready:
        notes.append(
            f"minReadySeconds {min_ready}: a live Pod that is Ready is taken as available "
            "(its minReadySeconds passed)"
        )

    # the revisions kept: cleanupHistory deletes, oldest first, the old ControllerRevisions
    # beyond revisionHistoryLimit whose hash no live Pod carries
    in_use = {
        r.name
        for r in live.revisions
        if any(p.revision_hash in (_revision_hash(live, r), r.name) for p in live.pods)
    }
    if update is not None:
        in_use.add(update.name)
    limit = fields.integer("spec", "revisionHistoryLimit")
    limit = DEFAULT_REVISION_HISTORY_LIMIT if limit is None else limit
    dropped = truncate_history(live.revisions, in_use, limit)
    if dropped:
        notes.append(
            f"revisionHistoryLimit {limit} then deletes ControllerRevision " + ", ".join(dropped)
        )
    max_revision = max((r.revision for r in live.revisions), default=0)
    end_new = sum(1 for p in simulation.pods if p.new)
    history: list[HistoryEntry] = []
    for revision in live.revisions:
        if revision.name in dropped:
            continue
        number = revision.revision
        is_update = update is not None and revision.name == update.name
        if is_update and change != "none" and number < max_revision:
            number = max_revision + 1  # constructHistory bumps a reused revision's number
        pods_at = (
            end_new
            if is_update
            else sum(
                1
                for p in live.pods
                if p.node is not None
                and p.revision_hash in (_revision_hash(live, revision), revision.name)
                and simulation.pods[index_of[p.node]].old
            )
        )
        history.append(
            HistoryEntry(number, revision.name, revision.change_cause, revision.images, pods_at)
        )
    end_revision: int | None
    if new_revision:
        end_revision = max_revision + 1
        history.append(HistoryEntry(end_revision, None, None, images_of(template), end_new))
    else:
        found = next(
            (h for h in history if update is not None and h.replica_set == update.name), None
        )
        end_revision = found.revision if found is not None else None
    history.sort(key=lambda h: h.revision or 0)
    if not steps.total and progress == "complete" and change == "none":
        notes.append("planned from the live state as it stands: nothing left to do")
    return replace(
        base,
        change=change,
        replicas=desired,
        strategy=strategy,
        bounds=bounds,
        **steps.fields(),
        nodes=tuple(placements),
        nodes_omitted=max(len(names) - len(missing) - len(placements), 0)
        if context.nodes is not None
        else 0,
        nodes_running=desired if context.nodes is not None else None,
        notes=tuple(notes),
        start=start,
        progress=progress,
        stuck_reason=stuck_reason,
        revision=end_revision,
        history=tuple(history),
        ready_at_end=simulation.available_now(),
    )


def _broken_reason(
    update_hash: str | None, broken: Sequence[LivePod], outdated: int, surge: int, rolling: bool
) -> str:
    at = f"revision {update_hash}" if update_hash else "the update revision"
    one = len(broken) == 1
    text = (
        f"{_pod_list(broken)} ({at}, the update revision) {'is' if one else 'are'} not ready "
        f"and taken as never becoming ready (--assume-ready plans as if "
        f"{'it does' if one else 'they do'}): no Pod of that revision becomes available"
    )
    if not rolling or not outdated:
        return text
    # rollingUpdate: without surge, a new Pod that is not available counts against
    # maxUnavailable and no more old Pods are deleted; with surge, it counts against maxSurge
    # and its node's old Pod is kept
    budget = f"maxSurge {surge}" if surge else "maxUnavailable"
    nodes = "node" if outdated == 1 else "nodes"
    uses = "it uses" if len(broken) == 1 else "they use"
    return f"{text}; {uses} up {budget} and {outdated} {nodes} keep a Pod at an old revision"
