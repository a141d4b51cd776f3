"""The DaemonSet controller: which nodes run the daemon, and the rolling update with
maxUnavailable or maxSurge over them (pkg/controller/daemon)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kpolicy.k8s import intstr
from kpolicy.k8s.defaults import apps_v1_defaults
from kpolicy.k8s.scheduling import (
    HostPort,
    daemon_placement,
    daemon_pod_tolerations,
    host_ports,
    host_ports_conflict,
)
from kpolicy.plan._fields import (
    _Fields,
    _is_zero,
    _node_name,
    _object_ref,
    _pod_spec_of,
    _spec,
)
from kpolicy.plan._steps import _run, _StepLog
from kpolicy.plan.changes import (
    _rejected_note,
    _rejection_fields,
    change_of,
)
from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext
from kpolicy.plan.data import (
    HYPOTHETICAL_NODE_COUNT,
    MAX_SHOWN_NODES,
    MAX_SHOWN_REJECTIONS,
    ON_DELETE,
    ROLLING_UPDATE,
    Bounds,
    DaemonSetStep,
    NodePlacement,
    Rejection,
    Stall,
    Strategy,
    WorkloadPlan,
)
from kpolicy.plan.dns import _closing_notes


@dataclass(slots=True)
class _NodePods:
    old: bool = False
    new: bool = False


class _DaemonSetSimulation:
    """The DaemonSet controller's syncs over nodes (daemon_controller.go, update.go)."""

    def __init__(
        self,
        should_run: list[bool],
        should_continue: list[bool],
        pods: list[_NodePods],
        rolling: bool,
        max_surge: int,
        max_unavailable: int,
        port_blocked: bool = False,
    ) -> None:
        self.should_run = should_run
        # the new Pod asks for a host port the old one holds: while both are on a node, the
        # scheduler's NodePorts filter leaves the new one Pending, never available
        self.port_blocked = port_blocked
        self.should_continue = should_continue
        self.pods = pods
        self.rolling = rolling
        self.surge = max_surge
        self.unavailable = max_unavailable
        self.available_old: set[int] = set()
        self.available_new: set[int] = set()

    # follows DaemonSetsController.updateDaemonSet: manage, then rollingUpdate (the controller
    # observes its own writes at once, as in its unit tests, so its expectations are met in the
    # same sync)
    def sync(self) -> None:
        self.available_old = {i for i, p in enumerate(self.pods) if p.old}
        self.available_new = {
            i for i, p in enumerate(self.pods) if p.new and not (self.port_blocked and p.old)
        }
        self._manage()
        if self.rolling:
            self._rolling_update()

    # follows DaemonSetsController.manage and podsShouldBeOnNode
    def _manage(self) -> None:
        surge = self.surge > 0
        for index, node in enumerate(self.pods):
            exists = node.old or node.new
            if self.should_run[index] and not exists:
                node.new = True
            elif self.should_continue[index]:
                if node.old and node.new:
                    if not surge:
                        # more than one Pod without surge: all but the oldest (the old one) go
                        node.new = False
                    elif index in self.available_new:
                        node.old = False
            elif exists:
                node.old = False
                node.new = False

    # follows DaemonSetsController.rollingUpdate
    def _rolling_update(self) -> None:
        nodes = [i for i, p in enumerate(self.pods) if p.old or p.new or self.should_run[i]]
        if self.surge == 0:
            self._rolling_update_unavailable(nodes)
        else:
            self._rolling_update_surge(nodes)

    def _rolling_update_unavailable(self, nodes: list[int]) -> None:
        unavailable = 0
        replacements: list[int] = []
        candidates: list[int] = []
        for index in nodes:
            node = self.pods[index]
            if node.old == node.new:
                unavailable += 1
            elif node.new:
                if index not in self.available_new:
                    unavailable += 1
            elif index not in self.available_old:
                replacements.append(index)
                unavailable += 1
            elif unavailable < self.unavailable:
                candidates.append(index)
        remaining = min(max(self.unavailable - unavailable, 0), len(candidates))
        for index in replacements + candidates[:remaining]:
            self.pods[index].old = False

    def _rolling_update_surge(self, nodes: list[int]) -> None:
        surged = 0
        available = 0
        allowed: list[int] = []
        candidates: list[int] = []
        to_delete: list[int] = []
        not_run_to_delete: list[int] = []
        for index in nodes:
            node = self.pods[index]
            if node.old:
                available += int(index in self.available_old)
            elif node.new:
                available += int(index in self.available_new)
            if not node.old:
                continue
            if not node.new:
                if index not in self.available_old:
                    if self.should_run[index]:
                        allowed.append(index)
                    else:
                        to_delete.append(index)
                elif not self.should_run[index]:
                    not_run_to_delete.append(index)
                elif surged < self.surge:
                    candidates.append(index)
            elif index not in self.available_new:
                surged += 1
            else:
                to_delete.append(index)
        # with surge a node that no longer fits gives up its Pod only while enough others are
        # available
        deletable = min(max(available - sum(self.should_run), 0), len(not_run_to_delete))
        to_delete += not_run_to_delete[:deletable]
        remaining = min(max(self.surge - surged, 0), len(candidates))
        for index in to_delete:
            self.pods[index].old = False
        for index in allowed + candidates[:remaining]:
            self.pods[index].new = True

    def state(self) -> tuple[tuple[bool, bool], ...]:
        return tuple((p.old, p.new) for p in self.pods)


# follows DaemonSetsController.rollingUpdate (pkg/controller/daemon/update.go), surge branch: a
# node whose old Pod is available gets a new Pod while fewer than maxSurge new Pods are not yet
# available, and the old Pod is deleted only once the new one on its node is available. A new
# Pod that asks for a host port the old Pod holds stays Pending (the scheduler's NodePorts
# filter), so it never becomes available, counts against maxSurge for good, and the update
# goes no further.
def _port_stall_reason(blocking: Sequence[HostPort], waiting: int, surge: int) -> str:
    ports = ", ".join(port.describe() for port in blocking[:MAX_SHOWN_REJECTIONS])
    if len(blocking) > MAX_SHOWN_REJECTIONS:
        ports += f" and {len(blocking) - MAX_SHOWN_REJECTIONS} more"
    noun = "host port" if len(blocking) == 1 else "host ports"
    nodes = "node" if waiting == 1 else "nodes"
    return (
        f"maxSurge {surge} starts a new Pod beside the old one on {waiting} {nodes}, but "
        f"the new Pod asks for {noun} {ports} that the old one holds: the scheduler cannot "
        "place it (NodePorts), the controller deletes an old Pod only once its replacement "
        "is available, and no more new Pods start (daemonset-surge-with-host-port; set "
        "maxSurge: 0 and maxUnavailable: 1 to replace Pods in place)"
    )


def _tolerations(pod_spec: Mapping[str, Any]) -> list[dict[str, object]] | None:
    try:
        return daemon_pod_tolerations(pod_spec)
    except (TypeError, ValueError, AttributeError, KeyError):
        return None  # each placement then works them out, and says what fails


def _placement(
    node: Mapping[str, Any],
    pod_spec: Mapping[str, Any],
    tolerations: list[dict[str, object]] | None = None,
) -> tuple[bool, bool, str]:
    """(should run, should continue running, reason) of a daemon Pod on a node."""
    try:
        placement = daemon_placement(node, pod_spec, tolerations)
    except (TypeError, ValueError, AttributeError, KeyError) as error:  # hostile node objects
        return False, False, f"the node could not be read: {error}"
    return placement.should_run, placement.should_continue_running, placement.reason


def _daemonset_parts(fields: _Fields) -> tuple[str, object, object]:
    """update strategy type, maxSurge and maxUnavailable: wrong or invalid values dropped (each
    with a note), then the apps/v1 defaults filled in (SetDefaults_DaemonSet)."""
    spec = dict(fields.mapping("spec"))
    strategy = dict(fields.mapping("spec", "updateStrategy"))
    strategy_type = fields.string("spec", "updateStrategy", "type")
    if strategy_type not in (None, "", ROLLING_UPDATE, ON_DELETE):
        fields.note(
            ("spec", "updateStrategy", "type"),
            f"spec.updateStrategy.type {strategy_type!r} is not RollingUpdate or "
            "OnDelete, which the API server rejects; planned as RollingUpdate",
        )
        strategy_type = None
    strategy["type"] = strategy_type
    if strategy_type == ON_DELETE:
        strategy.pop("rollingUpdate", None)
    else:
        rolling_update = dict(fields.mapping("spec", "updateStrategy", "rollingUpdate"))
        rolling_update["maxSurge"] = fields.int_or_percent(
            "spec", "updateStrategy", "rollingUpdate", "maxSurge", default_text="0"
        )
        rolling_update["maxUnavailable"] = fields.int_or_percent(
            "spec", "updateStrategy", "rollingUpdate", "maxUnavailable", default_text="1"
        )
        strategy["rollingUpdate"] = rolling_update
    spec["updateStrategy"] = strategy
    defaulted = apps_v1_defaults("DaemonSet", spec)
    strategy_type = defaulted["updateStrategy"]["type"]
    max_surge: object = None
    max_unavailable: object = None
    if strategy_type == ROLLING_UPDATE:
        max_surge = defaulted["updateStrategy"]["rollingUpdate"]["maxSurge"]
        max_unavailable = defaulted["updateStrategy"]["rollingUpdate"]["maxUnavailable"]
        # ValidateRollingUpdateDaemonSet: exactly one of the two must be non-zero; an unset
        # maxUnavailable defaults to 1, so surge needs an explicit maxUnavailable: 0
        if not _is_zero(max_surge) and not _is_zero(max_unavailable):
            fields.note(
                ("spec", "updateStrategy", "rollingUpdate"),
                f"maxSurge {max_surge!r} with maxUnavailable {max_unavailable!r} (1 when "
                "unset): the API server rejects both non-zero; set maxUnavailable: 0 "
                "to surge",
            )
        elif _is_zero(max_surge) and _is_zero(max_unavailable):
            fields.note(
                ("spec", "updateStrategy", "rollingUpdate"),
                "maxSurge and maxUnavailable are both 0, which the API server rejects; "
                "the controller would let 1 Pod be unavailable",
            )
    return strategy_type, max_surge, max_unavailable


def _strategy_and_bounds(
    rolling: bool, raw_surge: object, raw_unavailable: object, desired: int
) -> tuple[Strategy, Bounds]:
    """The resolved strategy and the bounds over the ``desired`` nodes that should run the
    daemon (maxSurge and maxUnavailable as the controller's updatedDesiredNodeCounts scales
    them); OnDelete: neither."""
    if not rolling:
        return Strategy(ON_DELETE), Bounds(desired, desired)
    try:
        surge, unavailable = intstr.daemonset_surge_and_unavailable(
            raw_surge, raw_unavailable, desired
        )
    except ValueError:
        surge, unavailable = 0, 1 if desired else 0
    strategy = Strategy(ROLLING_UPDATE, surge, unavailable)
    return strategy, Bounds(desired + surge, max(desired - unavailable, 0))


def daemonset_plan(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    *,
    diff: bool = False,
    rejections: Sequence[Rejection] = (),
    context: PlanContext = DEFAULT_CONTEXT,
) -> WorkloadPlan:
    """Which nodes run the daemon and how many nodes run a new or an old Pod at each step.

    Without ``nodes`` the plan assumes :data:`HYPOTHETICAL_NODE_COUNT` nodes that all accept
    the Pods (and says so in a note); ``nodes`` lists no placement then. A surge rollout whose
    new Pod asks for a host port the old Pod holds stalls (``stalled``).
    """
    nodes = context.nodes
    notes: list[str] = []
    obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    fields = _Fields(new, notes)
    strategy_type, raw_surge, raw_unavailable = _daemonset_parts(fields)
    template = fields.optional_mapping("spec", "template") or {}
    pod_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    assert isinstance(pod_spec, dict)

    old_obj: Mapping[str, Any] | None = old if isinstance(old, dict) else None
    change, changed_fields, rejected = change_of(
        obj,
        old,
        diff=diff,
        rejections=rejections,
        notes=notes,
        calm_start="an old Pod on every node that runs the daemon",
    )

    placements: list[NodePlacement] = []
    should_run: list[bool] = []
    should_continue: list[bool] = []
    old_runs: list[bool] = []
    if nodes is None:
        should_run = [True] * HYPOTHETICAL_NODE_COUNT
        should_continue = list(should_run)
        old_runs = list(should_run)
        notes.append(
            f"no nodes given (--nodes): planned over {HYPOTHETICAL_NODE_COUNT} "
            "hypothetical nodes that all accept the Pods"
        )
    else:
        old_template = _spec(old_obj).get("template") if old_obj is not None else None
        old_pod_spec: Mapping[str, Any] = {}
        if isinstance(old_template, dict) and isinstance(old_template.get("spec"), dict):
            old_pod_spec = old_template["spec"]
        # the same for every node: worked out once, not per node
        tolerations = _tolerations(pod_spec)
        old_tolerations = _tolerations(old_pod_spec) if old_obj is not None else None
        for index, node in enumerate(nodes):
            # only the first MAX_SHOWN_NODES placements are kept (and named); the rest counted
            shown = index < MAX_SHOWN_NODES
            if not isinstance(node, dict):
                if shown:
                    placements.append(
                        NodePlacement(_node_name(node, index), False, "not a Node object")
                    )
                should_run.append(False)
                should_continue.append(False)
                old_runs.append(False)
                continue
            runs, stays, reason = _placement(node, pod_spec, tolerations)
            if shown:
                placements.append(
                    NodePlacement(_node_name(node, index), runs, None if runs else reason)
                )
            should_run.append(runs)
            should_continue.append(stays)
            old_runs.append(
                _placement(node, old_pod_spec, old_tolerations)[0] if old_obj is not None else runs
            )
    desired = sum(should_run)

    rolling = strategy_type == ROLLING_UPDATE
    strategy, bounds = _strategy_and_bounds(rolling, raw_surge, raw_unavailable, desired)
    surge = strategy.max_surge or 0
    unavailable = strategy.max_unavailable or 0

    template_changed = change in ("rollout", "rollout+scale")
    # the host ports the new Pods ask for that the old ones hold (with no previous version,
    # the old template's are taken to be the same): a surge Pod cannot be placed beside an
    # old one on the same node
    blocking: list[HostPort] = []
    if rolling and surge > 0 and template_changed:
        old_ports = host_ports(_pod_spec_of(old_obj)) if old_obj is not None else None
        new_ports = host_ports(pod_spec)
        blocking = host_ports_conflict(new_ports, new_ports if old_ports is None else old_ports)
    start: list[_NodePods] = []
    for index, runs in enumerate(should_run):
        if old_obj is not None:
            running = old_runs[index]
            start.append(
                _NodePods(old=running and template_changed, new=running and not template_changed)
            )
        else:
            start.append(_NodePods(old=runs and not diff))
    simulation = _DaemonSetSimulation(
        should_run, should_continue, start, rolling, surge, unavailable, port_blocked=bool(blocking)
    )
    steps = _StepLog()
    stalled: Stall | None = None
    if rejected is not None:
        notes.append(_rejected_note("DaemonSet", rejections))
    else:
        before: list[tuple[bool, bool]] = []

        def sync() -> None:
            before[:] = [(p.old, p.new) for p in simulation.pods]
            simulation.sync()

        def counts() -> tuple[int, int]:
            return (
                sum(1 for p in simulation.pods if p.new),
                sum(1 for p in simulation.pods if p.old),
            )

        def record() -> None:
            available = sum(
                int(was_old and node.old)
                + int(was_new and node.new and not (blocking and node.old))
                for (was_old, was_new), node in zip(before, simulation.pods, strict=True)
            )
            new_count, old_count = counts()
            steps.append(DaemonSetStep(new_count, old_count, available))

        _run(sync, simulation.state, counts, record, notes, visits=len(should_run))
        waiting = sum(1 for node in simulation.pods if node.old and node.new)
        if blocking and waiting:
            stalled = Stall(steps.total, _port_stall_reason(blocking, waiting, surge))
        if not rolling and template_changed:
            notes.append(
                "OnDelete: the controller replaces no Pod by itself; a node gets the "
                "new template when you delete its Pod"
            )
    dns = _closing_notes(fields, changed_fields, template, old_obj, rejected, obj, context, notes)
    return WorkloadPlan(
        object=_object_ref(obj),
        change=change,
        replicas=desired,
        strategy=strategy,
        bounds=bounds,
        **steps.fields(),
        pods=dns.pods,
        service_domain=dns.service_domain,
        nodes=tuple(placements),
        nodes_omitted=len(should_run) - len(placements) if nodes is not None else 0,
        nodes_running=desired if nodes is not None else None,
        rejected=rejected,
        **_rejection_fields(rejections),
        stalled=stalled,
        notes=tuple(notes),
        changed_fields=tuple(changed_fields),
    )
