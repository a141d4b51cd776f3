"""One entry point for every workload kind: :func:`plan_for` picks the controller and plans a
deletion as the garbage collector does it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kpolicy.plan.context import DEFAULT_CONTEXT, PlanContext
from kpolicy.plan.daemonset import (
    daemonset_plan,
)
from kpolicy.plan.data import (
    Bounds,
    Rejection,
    WorkloadPlan,
)
from kpolicy.plan.deployment import (
    deployment_plan,
)
from kpolicy.plan.statefulset import (
    statefulset_plan,
)


def plan_for(
    obj: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None = None,
    *,
    diff: bool = False,
    rejections: Sequence[Rejection] = (),
    context: PlanContext = DEFAULT_CONTEXT,
) -> WorkloadPlan | None:
    """The plan of a Deployment, StatefulSet or DaemonSet; None for any other kind.

    ``obj=None`` with an ``old`` object plans its deletion (``diff`` is implied).
    ``rejections``: the lint findings by which the API server refuses ``obj`` as written.
    """
    target = obj if isinstance(obj, dict) else None
    previous = old if isinstance(old, dict) else None
    if target is None:
        if previous is None:
            return None
        plan = plan_for(previous, None, diff=True, context=context)
        if plan is None:
            return None
        return _as_deletion(plan)
    kind = target.get("kind")
    if kind == "Deployment":
        return deployment_plan(target, previous, diff=diff, rejections=rejections, context=context)
    if kind == "StatefulSet":
        return statefulset_plan(target, previous, diff=diff, rejections=rejections, context=context)
    if kind == "DaemonSet":
        return daemonset_plan(target, previous, diff=diff, rejections=rejections, context=context)
    return None


def _as_deletion(plan: WorkloadPlan) -> WorkloadPlan:
    kind = plan.object.kind or "object"
    return WorkloadPlan(
        object=plan.object,
        change="delete",
        replicas=plan.replicas,
        strategy=plan.strategy,
        bounds=Bounds(plan.replicas, 0),
        nodes=plan.nodes,
        notes=(
            f"deleting the {kind} deletes its Pods through the garbage collector; no "
            "controller steps",
        ),
    )
