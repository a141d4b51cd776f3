"""The hover text of a workload: its rollout plan (bounds, steps) and Pod DNS names."""

from __future__ import annotations

from kpolicy import escape
from kpolicy.plan import (
    DaemonSetStep,
    ReplicaSetStep,
    StatefulSetStep,
    Step,
    WorkloadPlan,
)

MAX_STEPS_SHOWN = 12
MAX_PODS_SHOWN = 10


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _strategy(plan: WorkloadPlan) -> str:
    strategy = plan.strategy
    parts = [strategy.type or "no strategy"]
    if strategy.pod_management_policy:
        parts.append(f"podManagementPolicy {strategy.pod_management_policy}")
    if strategy.partition:
        parts.append(f"partition {strategy.partition}")
    if strategy.max_surge is not None:
        parts.append(f"maxSurge {strategy.max_surge}")
    if strategy.max_unavailable is not None:
        parts.append(f"maxUnavailable {strategy.max_unavailable}")
    return " · ".join(parts)


def _step(step: Step) -> str:
    if isinstance(step, StatefulSetStep):
        actions = [f"delete {', '.join(step.delete)}"] if step.delete else []
        if step.create:
            actions.append(f"create {', '.join(step.create)}")
        what = "; ".join(actions) or "no change"
        return f"{what} ({step.new} new, {step.old} old, {step.available} available)"
    if isinstance(step, ReplicaSetStep):
        old = "+".join(str(n) for n in step.old) if len(step.old) > 1 else str(step.old_count)
        return f"new ReplicaSet {step.new}, old {old} ({step.available} available)"
    if isinstance(step, DaemonSetStep):
        return (
            f"{_plural(step.new, 'node')} with a new Pod, {step.old} with an old one "
            f"({step.available} available)"
        )
    return str(step)  # pragma: no cover - the plan module makes only these three


def plan_markdown(plan: WorkloadPlan, *, markdown: bool = True) -> str:
    """The plan as hover text; ``markdown=False`` for clients that show plain text only."""
    # names and messages come from the manifest: escaped like every other output
    code = escape.markdown_code if markdown else escape.text
    shown = escape.markdown if markdown else escape.text
    bold = (lambda s: f"**{s}**") if markdown else (lambda s: s)
    ref = plan.object
    kind = ref.kind or "workload"
    name = code(ref.name or "<unnamed>")
    out = [f"{bold(f'{kind} {name}')}: rollout plan", ""]
    if plan.rejections:
        out += ["The API server rejects this workload as written:", ""]
        out += [f"- {shown(rejection.describe())}" for rejection in plan.rejections]
        if plan.rejections_omitted:
            out.append(f"- … and {plan.rejections_omitted} more")
        out.append("")
    elif plan.rejected:
        out += [f"The API server rejects this: {shown(plan.rejected)}", ""]
    out.append(_strategy(plan))
    bounds = plan.bounds
    unit = "nodes" if kind == "DaemonSet" else "replicas"
    out += [
        "",
        f"{plan.replicas} {unit} · at most {_plural(bounds.max_pods, 'Pod')} · at least "
        f"{bounds.min_available} available during the update",
    ]
    if plan.steps:
        out += ["", f"Steps (one per controller sync), {plan.step_count} in all:"]
        for number, step in enumerate(plan.steps[:MAX_STEPS_SHOWN], start=1):
            out.append(f"{number}. {_step(step)}")
        if plan.step_count > MAX_STEPS_SHOWN:
            out.append(f"- … and {plan.step_count - MAX_STEPS_SHOWN} more")
    if plan.stalled is not None:
        out += [
            "",
            f"{bold('The rollout stalls')} after step {plan.stalled.after}: "
            f"{shown(plan.stalled.reason)}",
        ]
    if plan.pods:
        where = f" (Service domain {code(plan.service_domain)})" if plan.service_domain else ""
        out += ["", f"Pod DNS names{where}:"]
        for pod in plan.pods[:MAX_PODS_SHOWN]:
            name = pod.name or pod.hostname or "<generated>"
            if pod.fqdn:
                out.append(f"- {code(pod.fqdn)}")
            else:
                out.append(f"- {code(name)}: hostname {shown(pod.hostname or name)}, no DNS record")
        total = len(plan.pods) + plan.pods_omitted
        if total > MAX_PODS_SHOWN:
            out.append(f"- … and {total - MAX_PODS_SHOWN} more")
    if plan.notes:
        out += ["", "Notes:"]
        out += [f"- {shown(note)}" for note in plan.notes]
    return "\n".join(out) + "\n"
