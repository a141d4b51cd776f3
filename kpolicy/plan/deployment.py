"""The Deployment controller: rolling update and recreate over ReplicaSets, proportional
scaling (pkg/controller/deployment)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kpolicy.k8s import intstr
from kpolicy.k8s.defaults import apps_v1_defaults
from kpolicy.plan._fields import (
    _Fields,
    _is_zero,
    _object_ref,
)
from kpolicy.plan._steps import _pods, _run, _StepLog
from kpolicy.plan.changes import (
    _rejected_note,
    _rejection_fields,
    change_of,
)
from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext
from kpolicy.plan.data import (
    RECREATE,
    ROLLING_UPDATE,
    Bounds,
    Rejection,
    ReplicaSetStep,
    Strategy,
    WorkloadPlan,
)
from kpolicy.plan.dns import _closing_notes


@dataclass(frozen=True, slots=True)
class ReplicaSetState:
    """A ReplicaSet as the Deployment controller sees it.

    ``available`` is ``status.availableReplicas``; ``desired_replicas``/``max_replicas`` are
    the ``deployment.kubernetes.io/desired-replicas`` and ``max-replicas`` annotations.
    """

    replicas: int
    available: int = 0
    desired_replicas: int | None = None
    max_replicas: int | None = None


@dataclass(slots=True)
class _ReplicaSet:
    """The mutable working copy of a ReplicaSet during a simulation."""

    replicas: int
    available: int = 0
    desired_replicas: int | None = None
    max_replicas: int | None = None
    # its Pods never become available (a live revision with unavailable Pods): those that are
    # available stay so, new ones never count
    stuck: bool = False


@dataclass(frozen=True, slots=True)
class _DeploymentSpec:
    replicas: int
    rolling: bool
    max_surge: object  # int-or-percent, defaulted
    max_unavailable: object


# follows deploymentutil.MaxSurge (pkg/controller/deployment/util/deployment_util.go)
def deployment_max_surge(
    replicas: int, max_surge: object, max_unavailable: object, *, rolling: bool = True
) -> int:
    """The resolved maxSurge of a Deployment; 0 for Recreate. None values take 25%."""
    if not rolling:
        return 0
    return intstr.resolve_fenceposts(max_surge, max_unavailable, replicas)[0]


# follows deploymentutil.MaxUnavailable
def deployment_max_unavailable(
    replicas: int, max_surge: object, max_unavailable: object, *, rolling: bool = True
) -> int:
    """The resolved maxUnavailable: 0 for Recreate or 0 replicas, never above ``replicas``."""
    if not rolling or replicas == 0:
        return 0
    unavailable = intstr.resolve_fenceposts(max_surge, max_unavailable, replicas)[1]
    return min(unavailable, replicas)


def _strategy_and_bounds(spec: _DeploymentSpec) -> tuple[Strategy, Bounds]:
    """The resolved strategy and the controller's bounds: at most ``replicas + maxSurge`` Pods
    and at least ``replicas - maxUnavailable`` available; Recreate: ``replicas`` and none."""
    if not spec.rolling:
        return Strategy(RECREATE), Bounds(spec.replicas, 0)
    surge = deployment_max_surge(spec.replicas, spec.max_surge, spec.max_unavailable)
    unavailable = deployment_max_unavailable(spec.replicas, spec.max_surge, spec.max_unavailable)
    strategy = Strategy(ROLLING_UPDATE, surge, unavailable)
    return strategy, Bounds(spec.replicas + surge, spec.replicas - unavailable)


# follows deploymentutil.NewRSNewReplicas
def new_rs_new_replicas(
    replicas: int,
    max_surge: object,
    all_replicas: Iterable[int],
    new_rs_replicas: int,
    *,
    rolling: bool = True,
) -> int:
    """How many replicas the new ReplicaSet should have now.

    ``all_replicas`` are the spec replicas of every ReplicaSet, the new one included.
    Recreate goes straight to ``replicas``.
    """
    if not rolling:
        return replicas
    surge = intstr.scaled_value(
        intstr.DEPLOYMENT_MAX_SURGE_DEFAULT if max_surge is None else max_surge, replicas, True
    )
    current = sum(all_replicas)
    max_total = replicas + surge
    if current >= max_total:
        return new_rs_replicas
    scale_up = min(max_total - current, replicas - new_rs_replicas)
    return new_rs_replicas + scale_up


def _round_half_away(value: float) -> int:
    # Go's math.Round, as integer.RoundToInt32 uses it
    whole = math.trunc(value)
    if abs(value - whole) >= 0.5:
        whole += int(math.copysign(1, value))
    return int(whole)


# follows deploymentutil.getReplicaSetFraction
def _replica_set_fraction(
    rs: _ReplicaSet, replicas: int, max_surge: int, status_replicas: int
) -> int:
    if replicas == 0:
        return -rs.replicas
    deployment_max = replicas + max_surge
    before = rs.max_replicas
    if before is None or before == 0:
        before = status_replicas
        if before == 0:
            return 0
    new_size = float(rs.replicas * deployment_max) / float(before)
    return _round_half_away(new_size) - rs.replicas


# follows deploymentutil.GetProportion
def _proportion(
    rs: _ReplicaSet, replicas: int, max_surge: int, status_replicas: int, to_add: int, added: int
) -> int:
    if rs.replicas == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, replicas, max_surge, status_replicas)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def _set_replicas(rs: _ReplicaSet, size: int, replicas: int, max_surge: int) -> bool:
    """scaleReplicaSet: set the size and the replicas annotations; True when the size changed."""
    changed = rs.replicas != size
    rs.replicas = size
    rs.desired_replicas = replicas
    rs.max_replicas = replicas + max_surge
    return changed


def deployment_scale(
    replicas: int,
    max_surge: int,
    new: ReplicaSetState | None,
    old: Sequence[ReplicaSetState],
    *,
    rolling: bool = True,
) -> tuple[int | None, tuple[int, ...]]:
    """The sizes the controller gives the ReplicaSets after the Deployment's ``replicas``
    changed: ``(new size or None, old sizes)``. ``old`` is oldest first; ``max_surge`` is the
    resolved maxSurge of the new spec."""
    working_new = (
        None
        if new is None
        else _ReplicaSet(new.replicas, new.available, new.desired_replicas, new.max_replicas)
    )
    working_old = [
        _ReplicaSet(rs.replicas, rs.available, rs.desired_replicas, rs.max_replicas) for rs in old
    ]
    _scale_replica_sets(replicas, max_surge, working_new, working_old, rolling=rolling)
    return (
        None if working_new is None else working_new.replicas,
        tuple(rs.replicas for rs in working_old),
    )


# follows DeploymentController.scale (pkg/controller/deployment/sync.go), with
# deploymentutil.FindActiveOrLatest, IsSaturated and the proportional scaling of
# ReplicaSetsBySizeNewer / ReplicaSetsBySizeOlder
def _scale_replica_sets(
    replicas: int,
    max_surge: int,
    new: _ReplicaSet | None,
    old: Sequence[_ReplicaSet],
    *,
    rolling: bool = True,
) -> bool:
    sets: list[_ReplicaSet] = list(old) + ([new] if new is not None else [])
    order = {id(rs): index for index, rs in enumerate(sets)}  # index = creation order
    status_replicas = sum(rs.replicas for rs in sets)
    active = [rs for rs in sets if rs.replicas > 0]
    # FindActiveOrLatest
    chosen: _ReplicaSet | None = None
    if sets:
        if len(active) == 1:
            chosen = active[0]
        elif not active:
            chosen = new if new is not None else sets[len(old) - 1]
    if chosen is not None:
        if chosen.replicas == replicas:
            return False
        return _set_replicas(chosen, replicas, replicas, max_surge)
    # IsSaturated: the new ReplicaSet alone carries the whole Deployment
    if (
        new is not None
        and new.replicas == replicas
        and new.desired_replicas == replicas
        and new.available == replicas
    ):
        changed = False
        for rs in old:
            if rs.replicas > 0:
                changed = _set_replicas(rs, 0, replicas, max_surge) or changed
        return changed
    if not rolling:
        return False
    allowed = replicas + max_surge if replicas > 0 else 0
    to_add = allowed - sum(rs.replicas for rs in active)
    if to_add > 0:
        active.sort(key=lambda rs: (-rs.replicas, -order[id(rs)]))
    elif to_add < 0:
        active.sort(key=lambda rs: (-rs.replicas, order[id(rs)]))
    sizes: list[int] = []
    added = 0
    for rs in active:
        if to_add != 0:
            proportion = _proportion(rs, replicas, max_surge, status_replicas, to_add, added)
            sizes.append(rs.replicas + proportion)
            added += proportion
        else:
            sizes.append(rs.replicas)
    changed = False
    for index, rs in enumerate(active):
        size = sizes[index]
        if index == 0 and to_add != 0:
            size = max(size + to_add - added, 0)
        changed = _set_replicas(rs, size, replicas, max_surge) or changed
    return changed


class _DeploymentSimulation:
    """The Deployment controller's syncs over ReplicaSet counts (deployment_controller.go)."""

    def __init__(
        self, spec: _DeploymentSpec, paused: bool, old: list[_ReplicaSet], new: _ReplicaSet | None
    ) -> None:
        self.spec = spec
        self.paused = paused
        self.old = old
        self.new = new
        self.surge = deployment_max_surge(
            spec.replicas, spec.max_surge, spec.max_unavailable, rolling=spec.rolling
        )
        self.unavailable = deployment_max_unavailable(
            spec.replicas, spec.max_surge, spec.max_unavailable, rolling=spec.rolling
        )

    def sets(self) -> list[_ReplicaSet]:
        return self.old + ([self.new] if self.new is not None else [])

    def _scale(self, rs: _ReplicaSet, size: int) -> bool:
        # scaleReplicaSetAndRecordEvent: nothing to do when the size is already right
        if rs.replicas == size:
            return False
        return _set_replicas(rs, size, self.spec.replicas, self.surge)

    # follows DeploymentController.isScalingEvent
    def _is_scaling_event(self) -> bool:
        return any(
            rs.replicas > 0
            and rs.desired_replicas is not None
            and rs.desired_replicas != self.spec.replicas
            for rs in self.sets()
        )

    # follows DeploymentController.syncDeployment: paused or scaling → sync, else the strategy
    def sync(self) -> None:
        for rs in self.sets():
            # created last step: available now (unless stuck); deleted: gone, unavailable first
            rs.available = min(rs.available, rs.replicas) if rs.stuck else rs.replicas
        if self.paused or self._is_scaling_event():
            _scale_replica_sets(
                self.spec.replicas, self.surge, self.new, self.old, rolling=self.spec.rolling
            )
            return
        if self.spec.rolling:
            self._rollout_rolling()
        else:
            self._rollout_recreate()

    # follows DeploymentController.getNewReplicaSet: a new ReplicaSet starts at NewRSNewReplicas
    def _create_new(self) -> _ReplicaSet:
        new = _ReplicaSet(0, 0)
        new.replicas = new_rs_new_replicas(
            self.spec.replicas,
            self.spec.max_surge,
            [rs.replicas for rs in self.old],
            0,
            rolling=self.spec.rolling,
        )
        new.desired_replicas = self.spec.replicas
        new.max_replicas = self.spec.replicas + self.surge
        self.new = new
        return new

    # follows DeploymentController.rolloutRolling
    def _rollout_rolling(self) -> None:
        new = self.new if self.new is not None else self._create_new()
        if self._reconcile_new_replica_set(new):
            return
        self._reconcile_old_replica_sets(new)

    # follows DeploymentController.reconcileNewReplicaSet
    def _reconcile_new_replica_set(self, new: _ReplicaSet) -> bool:
        replicas = self.spec.replicas
        if new.replicas == replicas:
            return False
        if new.replicas > replicas:
            return self._scale(new, replicas)
        count = new_rs_new_replicas(
            replicas, self.spec.max_surge, [rs.replicas for rs in self.sets()], new.replicas
        )
        return self._scale(new, count)

    # follows DeploymentController.reconcileOldReplicaSets
    def _reconcile_old_replica_sets(self, new: _ReplicaSet) -> bool:
        active_old = [rs for rs in self.old if rs.replicas > 0]
        if sum(rs.replicas for rs in active_old) == 0:
            return False
        all_pods = sum(rs.replicas for rs in self.sets())
        min_available = self.spec.replicas - self.unavailable
        new_unavailable = new.replicas - new.available
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        cleaned = self._cleanup_unhealthy_replicas(active_old, max_scaled_down)
        scaled = self._scale_down_old_replica_sets_for_rolling_update(
            [*active_old, new], active_old
        )
        return cleaned + scaled > 0

    # follows DeploymentController.cleanupUnhealthyReplicas (old sets oldest first)
    def _cleanup_unhealthy_replicas(self, old: list[_ReplicaSet], limit: int) -> int:
        total = 0
        for rs in old:
            if total >= limit:
                break
            if rs.replicas == 0 or rs.replicas == rs.available:
                continue
            count = min(limit - total, rs.replicas - rs.available)
            self._scale(rs, rs.replicas - count)
            total += count
        return total

    # follows DeploymentController.scaleDownOldReplicaSetsForRollingUpdate
    def _scale_down_old_replica_sets_for_rolling_update(
        self, all_sets: list[_ReplicaSet], old: list[_ReplicaSet]
    ) -> int:
        min_available = self.spec.replicas - self.unavailable
        available = sum(rs.available for rs in all_sets)
        if available <= min_available:
            return 0
        wanted = available - min_available
        total = 0
        for rs in old:
            if total >= wanted:
                break
            if rs.replicas == 0:
                continue
            count = min(rs.replicas, wanted - total)
            self._scale(rs, rs.replicas - count)
            total += count
        return total

    # follows DeploymentController.rolloutRecreate with scaleDownOldReplicaSetsForRecreate and
    # scaleUpNewReplicaSetForRecreate; the old Pods are gone at once in this model, so
    # oldPodsRunning never holds the new ReplicaSet back
    def _rollout_recreate(self) -> None:
        scaled_down = False
        for rs in self.old:
            if rs.replicas > 0:
                scaled_down = self._scale(rs, 0) or scaled_down
        if scaled_down:
            return
        new = self.new if self.new is not None else self._create_new()
        self._scale(new, self.spec.replicas)

    def state(self) -> tuple[object, ...]:
        sets = tuple((rs.replicas, rs.desired_replicas, rs.max_replicas) for rs in self.sets())
        return (*sets, self.new is None)


def _deployment_parts(fields: _Fields) -> tuple[_DeploymentSpec, bool]:
    """The spec the controller sees: wrong or invalid values dropped (each with a note), then
    the apps/v1 defaults filled in (SetDefaults_Deployment)."""
    spec = dict(fields.mapping("spec"))
    spec["replicas"] = fields.integer("spec", "replicas", default_text="1 replica")
    strategy = dict(fields.mapping("spec", "strategy"))
    strategy_type = fields.string("spec", "strategy", "type")
    if strategy_type not in (None, "", ROLLING_UPDATE, RECREATE):
        fields.note(
            ("spec", "strategy", "type"),
            f"spec.strategy.type {strategy_type!r} is not RollingUpdate or Recreate, "
            "which the API server rejects; planned as RollingUpdate",
        )
        strategy_type = None
    strategy["type"] = strategy_type
    if strategy_type == RECREATE:
        if fields.raw("spec", "strategy", "rollingUpdate") is not None:
            fields.note(
                ("spec", "strategy", "rollingUpdate"),
                "spec.strategy.rollingUpdate is set with type Recreate, which the API "
                "server rejects; it is ignored",
            )
        strategy.pop("rollingUpdate", None)
    else:
        rolling_update = dict(fields.mapping("spec", "strategy", "rollingUpdate"))
        for name in ("maxSurge", "maxUnavailable"):
            rolling_update[name] = fields.int_or_percent(
                "spec", "strategy", "rollingUpdate", name, default_text="25%"
            )
        strategy["rollingUpdate"] = rolling_update
    spec["strategy"] = strategy
    spec["minReadySeconds"] = fields.integer("spec", "minReadySeconds")
    defaulted = apps_v1_defaults("Deployment", spec)

    rolling = defaulted["strategy"]["type"] != RECREATE
    replicas: int = defaulted["replicas"]
    max_surge: object = None
    max_unavailable: object = None
    if rolling:
        max_surge = defaulted["strategy"]["rollingUpdate"]["maxSurge"]
        max_unavailable = defaulted["strategy"]["rollingUpdate"]["maxUnavailable"]
        # ValidateRollingUpdateDeployment
        if _is_zero(max_surge) and _is_zero(max_unavailable):
            fields.note(
                ("spec", "strategy", "rollingUpdate"),
                "maxSurge and maxUnavailable are both 0, which the API server rejects; "
                "the controller would let 1 Pod be unavailable",
            )
        for error in intstr.is_not_more_than_100_percent(max_unavailable):
            fields.note(
                ("spec", "strategy", "rollingUpdate", "maxUnavailable"),
                f"spec.strategy.rollingUpdate.maxUnavailable: {error}",
            )
    paused = fields.raw("spec", "paused") is True
    return _DeploymentSpec(replicas, rolling, max_surge, max_unavailable), paused


def deployment_plan(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    *,
    diff: bool = False,
    rejections: Sequence[Rejection] = (),
    context: PlanContext = DEFAULT_CONTEXT,
) -> WorkloadPlan:
    """The rollout plan of a Deployment.

    Without ``old`` (and without ``diff``) the plan is a Pod template update from one fully
    available old ReplicaSet of ``replicas`` Pods. With ``old`` the change between the two
    manifests is planned; ``diff=True`` with ``old=None`` plans the creation of the object.
    ``rejections``: the findings by which the API server refuses ``new`` as written; the plan
    then has no steps.
    """
    notes: list[str] = []
    obj: Mapping[str, Any] = new if isinstance(new, dict) else {}
    fields = _Fields(new, notes)
    spec, paused = _deployment_parts(fields)
    template = fields.optional_mapping("spec", "template")

    old_obj: Mapping[str, Any] | None = old if isinstance(old, dict) else None
    change, changed_fields, rejected = change_of(
        obj,
        old,
        diff=diff,
        rejections=rejections,
        notes=notes,
        calm_start=f"a fully available old ReplicaSet of {_pods(spec.replicas)}",
    )

    strategy, bounds = _strategy_and_bounds(spec)
    if not spec.rolling and spec.replicas > 0:
        notes.append(
            "Recreate deletes every old Pod before it creates a new one: "
            "nothing is available in between"
        )

    # the starting ReplicaSets, oldest first
    old_sets: list[_ReplicaSet] = []
    new_set: _ReplicaSet | None = None
    if old_obj is not None:
        old_spec, _ = _deployment_parts(_Fields(old_obj, []))
        _, old_bounds = _strategy_and_bounds(old_spec)
        current = _ReplicaSet(
            old_spec.replicas, old_spec.replicas, old_spec.replicas, old_bounds.max_pods
        )
        if change in ("rollout", "rollout+scale"):
            old_sets.append(current)
        else:
            new_set = current
    elif not diff:
        old_sets.append(_ReplicaSet(spec.replicas, spec.replicas, spec.replicas, bounds.max_pods))

    steps = _StepLog()
    if rejected is not None:
        notes.append(_rejected_note("Deployment", rejections))
    else:
        if paused:
            notes.append(
                "the Deployment is paused: the controller only scales existing "
                "ReplicaSets, and the rollout starts when it is resumed"
            )
        simulation = _DeploymentSimulation(spec, paused, old_sets, new_set)
        starts: list[int] = []

        def sync() -> None:
            starts[:] = [rs.replicas for rs in simulation.sets()]
            simulation.sync()

        def counts() -> tuple[int, tuple[int, ...]]:
            new_count = simulation.new.replicas if simulation.new is not None else 0
            return new_count, tuple(rs.replicas for rs in simulation.old)

        def record() -> None:
            # a ReplicaSet removes unavailable Pods first; Pods it created this step are not
            # available yet
            available = sum(
                min(before, rs.replicas)
                for before, rs in zip(starts, simulation.sets(), strict=False)
            )
            new_count, old_counts = counts()
            steps.append(ReplicaSetStep(new_count, old_counts, available))

        _run(sync, simulation.state, counts, record, notes)
    dns = _closing_notes(fields, changed_fields, template, old_obj, rejected, obj, context, notes)
    return WorkloadPlan(
        object=_object_ref(obj),
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
        changed_fields=tuple(changed_fields),
    )
