"""``kpolicy plan`` as text: per workload a short table of Pods per step, the bounds, the
update order, the DNS names and the notes; the model of time once at the top.

The helpers above :func:`write` (rows, strategy and bounds wording) are shared with the
markdown and SVG formats so that the three say the same thing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from kpolicy import escape
from kpolicy.plan.data import (
    HYPOTHETICAL_NODE_COUNT,
    TIME_MODEL,
    CronPlan,
    HistoryEntry,
    NotPlanned,
    ReplicaSetStep,
    RolloutPlan,
    StatefulSetStart,
    StatefulSetStep,
    WorkloadPlan,
)

if TYPE_CHECKING:
    from kpolicy.plan.data import PlanEntry, PlanReport

WIDTH = 100
# above this many steps the text and markdown tables show the first and last ones only
MAX_TABLE_ROWS = 40
# above this many Pods the DNS names are listed first and last only
MAX_DNS_ROWS = 20


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a plan table: the state after a step (``label`` "start": before any)."""

    label: str
    new: int
    old: int
    old_detail: str  # "8", or "3+2" for several old ReplicaSets (oldest first)
    total: int
    available: int
    pods: str = ""  # StatefulSet: "delete web-2" / "create web-0, web-1"
    omitted: int = 0  # not a step: the steps the plan left out here


def _listed(verb: str, names: Sequence[str], omitted: int) -> str:
    return f"{verb} {', '.join(names)}" + (f" and {omitted} more" if omitted else "")


def step_rows(entry: PlanEntry) -> list[Row]:
    """The starting state (when Pods exist) and every step the plan kept, numbered as in the
    whole plan; where the plan left steps out, a row that counts them (``omitted``)."""
    plan = entry.plan
    new, old = entry.start
    rows: list[Row] = []
    live = plan.start
    if live is not None:
        # from the live state: its readiness, and each old ReplicaSet on its own
        detail = str(live.old_count)
        if isinstance(live, ReplicaSetStep) and len(live.old) > 1:
            detail = "+".join(str(count) for count in live.old)
        rows.append(Row("start", live.new, live.old_count, detail, live.total, live.available))
    elif plan.steps:
        rows.append(Row("start", new, old, str(old), new + old, new + old))
    for position, step in enumerate(plan.steps):
        number = position + 1
        if plan.steps_omitted and position >= plan.steps_omitted_after:
            number += plan.steps_omitted
            if position == plan.steps_omitted_after:
                rows.append(Row("...", 0, 0, "", 0, 0, omitted=plan.steps_omitted))
        detail = str(step.old_count)
        pods = ""
        if isinstance(step, ReplicaSetStep) and len(step.old) > 1:
            detail = "+".join(str(count) for count in step.old)
        if isinstance(step, StatefulSetStep):
            parts = []
            if step.delete:
                parts.append(_listed("delete", step.delete, step.delete_omitted))
            if step.create:
                parts.append(_listed("create", step.create, step.create_omitted))
            pods = "; ".join(parts)
        rows.append(
            Row(str(number), step.new, step.old_count, detail, step.total, step.available, pods)
        )
    return rows


def elide(rows: Sequence[Row], limit: int = MAX_TABLE_ROWS) -> tuple[list[Row], int, int]:
    """The rows to show, how many steps are left out, and how many shown rows come before
    them: the plan's own gap (see :func:`step_rows`) or else the middle of a long list."""
    for index, row in enumerate(rows):
        if row.omitted:
            return [*rows[:index], *rows[index + 1 :]], row.omitted, index
    if len(rows) <= limit:
        return list(rows), 0, len(rows)
    head = limit // 2
    tail = limit - head
    return [*rows[:head], *rows[-tail:]], len(rows) - limit, head


def title(plan: WorkloadPlan) -> str:
    ref = plan.object
    namespace = ref.namespace or "default"
    return f"{ref.kind or '<no kind>'} {namespace}/{ref.name or '<unnamed>'}"


def strategy_text(plan: WorkloadPlan) -> str:
    strategy = plan.strategy
    parts = [strategy.type or "no strategy"]
    if strategy.partition is not None:
        parts.append(f"partition {strategy.partition}")
    if strategy.max_surge is not None:
        parts.append(f"maxSurge {strategy.max_surge}")
    if strategy.max_unavailable is not None:
        parts.append(f"maxUnavailable {strategy.max_unavailable}")
    if strategy.pod_management_policy is not None:
        parts.append(strategy.pod_management_policy)
    return ", ".join(parts)


def size_text(entry: PlanEntry, arrow: str = "->") -> str:
    plan = entry.plan
    unit = "node" if plan.object.kind == "DaemonSet" else "replica"
    count = plan.replicas
    text = f"{count} {unit}{'' if count == 1 else 's'}"
    before = sum(entry.start)
    if plan.change in ("scale", "rollout+scale") and before != count:
        text = f"{before} {arrow} {text}"
    if plan.object.kind == "DaemonSet" and not plan.nodes and count == HYPOTHETICAL_NODE_COUNT:
        text += " (hypothetical: no --nodes)"
    return text


def update_order_text(plan: WorkloadPlan) -> str:
    more = f" and {plan.update_order_omitted} more" if plan.update_order_omitted else ""
    return ", ".join(plan.update_order) + more


def nodes_text(plan: WorkloadPlan) -> str:
    """``3 of 100000 run the daemon``."""
    running = plan.nodes_running
    if running is None:
        running = sum(1 for node in plan.nodes if node.runs)
    return f"{running} of {plan.node_count} run the daemon"


def bounds_text(plan: WorkloadPlan) -> str:
    bounds = plan.bounds
    return f"at most {bounds.max_pods} Pods, at least {bounds.min_available} available"


CHANGE_WORDS = {
    "rollout": "rollout: the Pod template changes",
    "scale": "scale: only the number of Pods changes",
    "rollout+scale": "rollout+scale: the Pod template and the number of Pods change",
    "create": "create: a new workload",
    "delete": "delete: the workload is gone from the new version",
    "none": "none: no change that affects the Pods",
}


def change_text(entry: PlanEntry, diff: bool) -> str:
    change = entry.plan.change
    if entry.plan.rejections:
        kind = entry.plan.object.kind or "object"
        outcome = "nothing is created" if change == "create" else "nothing changes"
        return f"{change}, but the API server rejects the {kind}: {outcome}"
    if entry.plan.rejected:
        return f"{change}, but the API server refuses the update: nothing changes"
    if not diff and change == "rollout":
        return "rollout (a Pod template update from a fully available old revision)"
    return CHANGE_WORDS.get(change, change)


def creation_lines(entry: PlanEntry) -> list[str]:
    """The StatefulSet creation order (no previous version given), as one line or none."""
    if not entry.creation:
        return []
    names = [name for step in entry.creation for name in step]
    how = (
        "all at once (Parallel)"
        if len(entry.creation) == 1 and len(names) > 1
        else "one at a time, each once the one before is Ready (OrderedReady)"
    )
    listed = ", ".join(names[:MAX_DNS_ROWS]) + (", ..." if len(names) > MAX_DNS_ROWS else "")
    return [f"{how}: {listed}"]


def rejection_lines(plan: WorkloadPlan) -> list[str]:
    """Why the API server rejects the workload: one line per finding of ``kpolicy lint``
    (``rejected`` itself when the update is what it refuses)."""
    if not plan.rejections:
        return [plan.rejected] if plan.rejected else []
    lines = [rejection.describe() for rejection in plan.rejections]
    if plan.rejections_omitted:
        lines.append(f"and {plan.rejections_omitted} more")
    return lines


def stall_text(plan: WorkloadPlan) -> str | None:
    """``stalls after step 1: ...`` (or before the first step)."""
    stall = plan.stalled
    if stall is None:
        return None
    where = f"after step {stall.after}" if stall.after else "before the first step"
    return f"the rollout stalls {where}: {stall.reason}"


def progress_text(plan: WorkloadPlan) -> str:
    """``complete (revision 4)``, ``paused: ...``, ``STUCK: why``."""
    revision = f" at revision {plan.revision}" if plan.revision is not None else ""
    if plan.progress == "stuck":
        return f"STUCK{revision}: {plan.stuck_reason or 'the controller stops short of the spec'}"
    if plan.progress == "paused":
        return f"paused{revision}: the rollout goes on when the Deployment is resumed"
    return f"{plan.progress or 'complete'}{revision}"


def live_pods_text(plan: WorkloadPlan) -> str | None:
    """A live StatefulSet's or DaemonSet's Pods: ``web-0 web-aaa ready, web-2 web-bbb NOT
    ready``, ``agent-x2k on node-a 7d9f ready``."""
    start = plan.start
    if not isinstance(start, StatefulSetStart) or not start.pods:
        return None
    pods = ", ".join(
        f"{pod.name}{f' on {pod.node}' if pod.node else ''} {pod.revision or '?'} "
        f"{'ready' if pod.ready else 'NOT ready'}"
        for pod in start.pods
    )
    if start.pods_omitted:
        pods += f" and {start.pods_omitted} more"
    return pods


def live_start_lines(plan: WorkloadPlan) -> list[str]:
    text = live_pods_text(plan)
    return _field("live Pods", text) if text is not None else []


def history_text(entry: HistoryEntry) -> str:
    name = entry.replica_set or "(new)"
    images = ", ".join(entry.images) or "no image"
    cause = f", change-cause {entry.change_cause!r}" if entry.change_cause else ""
    pods = f"{entry.replicas} Pod{'' if entry.replicas == 1 else 's'}"
    return (
        f"{entry.revision if entry.revision is not None else '?'}  {name}  {images}  {pods}{cause}"
    )


def history_lines(plan: WorkloadPlan) -> list[str]:
    if not plan.history:
        return []
    return ["history (once the plan has run)"] + [f"  {history_text(h)}" for h in plan.history]


def service_lines(report: PlanReport) -> list[str]:
    """Each Service's traffic shares at the start and at the end, one line each."""
    lines: list[str] = []
    for service in report.services:
        lines.append(f"{service.describe()} at the start")
        if service.steps:
            last = service.steps[-1]
            lines.append(
                f"  after the plan ({len(service.steps) + service.steps_omitted} "
                f"step{'' if len(service.steps) == 1 else 's'}): "
                + ", ".join(b.describe() for b in last)
            )
    return lines


def warning_lines(entry: PlanEntry) -> list[str]:
    """What the plan warns about, in the order the text format shows it: the rollout stalls,
    or takes the workload down."""
    plan = entry.plan
    warnings: list[str] = []
    stall = stall_text(plan)
    if stall is not None:
        warnings.append(stall)
    down = [row.label for row in step_rows(entry) if row.available == 0 and row.label != "start"]
    if down and plan.replicas and plan.change != "create":
        warnings.append(f"after step {down[0]} no Pod is available: the workload is down")
    return warnings


def shown_notes(plan: WorkloadPlan) -> list[str]:
    """The notes without the list of changed fields, which the formats show on its own."""
    return [
        note for note in plan.notes if not (plan.changed_fields and note.startswith("changed: "))
    ]


def _table(rows: Sequence[Row], statefulset: bool, stalled_after: int | None = None) -> list[str]:
    header = ["step", "new", "old", "total", "available"]
    if statefulset:
        header.append("Pods")
    shown, hidden, before = elide(rows)
    cells = [header]
    for row in shown:
        line = [row.label, str(row.new), row.old_detail, str(row.total), str(row.available)]
        if statefulset:
            line.append(row.pods)
        cells.append(line)
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    out: list[str] = []
    for index, line in enumerate(cells):
        parts = [line[0].ljust(widths[0])]
        parts += [cell.rjust(widths[i]) for i, cell in enumerate(line[1:5], start=1)]
        if statefulset:
            parts.append(line[5])
        text = "  ".join(parts).rstrip()
        if stalled_after is not None and index and line[0] == str(stalled_after):
            text += "  <- stalls here"
        out.append(text)
        if hidden and index == before:
            out.append(f"... {hidden} more steps")
    return out


def _dns_lines(plan: WorkloadPlan) -> list[str]:
    if not plan.pods:
        return []
    lines = []
    if plan.service_domain:
        lines.append(f"DNS names (Service domain {plan.service_domain})")
    else:
        lines.append("DNS names")
    pods = list(plan.pods)
    hidden, before = plan.pods_omitted, plan.pods_omitted_after
    if len(pods) > MAX_DNS_ROWS:
        hidden, before = len(pods) - MAX_DNS_ROWS, MAX_DNS_ROWS - 2
        pods = pods[: MAX_DNS_ROWS - 2] + pods[-2:]
    width = max(len(pod.name or pod.hostname or "") for pod in pods)
    for index, pod in enumerate(pods):
        label = pod.name or "every replica"
        target = pod.fqdn or f"hostname {pod.hostname}, no per-Pod DNS name (see notes)"
        lines.append(f"  {label.ljust(max(width, len(label)))}  {target}")
        if hidden and index == before - 1:
            lines.append(f"  ... {hidden} more")
    return lines


def _field(label: str, text: str) -> list[str]:
    """``label`` and ``text`` in two columns, the text wrapped under itself."""
    if len(label) > 8:
        return textwrap.wrap(
            f"{label}  {text}",
            WIDTH - 4,
            subsequent_indent=" " * (len(label) + 2),
            break_on_hyphens=False,
        )
    return textwrap.wrap(
        text,
        WIDTH - 4,
        initial_indent=label.ljust(10),
        subsequent_indent=" " * 10,
        break_on_hyphens=False,
    )


def entry_lines(entry: PlanEntry, diff: bool) -> list[str]:
    plan = entry.plan
    where = entry.source or ""
    if entry.old_source and entry.old_source != entry.source:
        where += f" (was {entry.old_source})"
    lines = [f"{title(plan)}  {where}".rstrip()]
    body: list[str] = []
    rejections = rejection_lines(plan)
    if len(rejections) == 1:
        body.extend(_field("REJECTED", rejections[0]))
    elif rejections:
        body.append(
            f"REJECTED  by the API server ({len(plan.rejections) + plan.rejections_omitted} "
            "findings of kpolicy lint)"
        )
        for line in rejections:
            body.extend(
                textwrap.wrap(
                    line,
                    WIDTH - 4,
                    initial_indent="  - ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
    body.append(f"change    {change_text(entry, diff)}")
    if plan.changed_fields:
        body.extend(_field("changed", ", ".join(plan.changed_fields)))
    body.append(f"size      {size_text(entry)}")
    body.append(f"strategy  {strategy_text(plan)}")
    if plan.change != "delete":
        body.append(f"bounds    {bounds_text(plan)}")
    if plan.rollback_to is not None:
        back = plan.rollback_to
        body.extend(
            _field(
                "undo",
                f"revision {back.revision} ({back.replica_set}) comes back as revision "
                f"{back.new_revision}",
            )
        )
    body.extend(live_start_lines(plan))
    rows = step_rows(entry)
    if rows:
        stalled_after = plan.stalled.after if plan.stalled is not None else None
        body.extend(_table(rows, plan.object.kind == "StatefulSet", stalled_after))
    elif plan.change not in ("none", "delete") and not plan.rejected:
        body.append("steps     none: the controller changes no Pod")
    if plan.progress is not None:
        body.extend(_field("progress", progress_text(plan)))
    for warning in warning_lines(entry):
        body.extend(
            textwrap.wrap(f"! {warning}", WIDTH - 4, subsequent_indent="  ", break_on_hyphens=False)
        )
    if plan.update_order:
        body.extend(_field("update order", update_order_text(plan)))
    body.extend(history_lines(plan))
    for line in creation_lines(entry):
        body.extend(_field("creation order", line))
    body.extend(_dns_lines(plan))
    if plan.nodes:
        body.append("nodes")
        width = max(len(node.name) for node in plan.nodes)
        for node in plan.nodes:
            state = "runs" if node.runs else f"skipped: {node.reason}"
            body.append(f"  {node.name.ljust(width)}  {state}")
        if plan.nodes_omitted:
            body.append(f"  ... {plan.nodes_omitted} more nodes ({nodes_text(plan)})")
    body.extend(_notes_block(shown_notes(plan)))
    lines.extend(f"  {line}" for line in body)
    return lines


# --- Argo Rollouts, CronJobs and what is not planned (shared with markdown and SVG) ---------

_ZONE_FROM = {
    "timeZone": "spec.timeZone",
    "schedule": "TZ= in the schedule",
    "assumed": "assumed: spec.timeZone is unset",
}
CANARY_HEADER = ("step", "action", "weight", "canary", "stable")


def rollout_facts(plan: RolloutPlan) -> str:
    routing = "with traffic routing" if plan.traffic_routing else "without traffic routing"
    return f"canary, {plan.replicas} replica{'' if plan.replicas == 1 else 's'}, {routing}"


def canary_rows(plan: RolloutPlan) -> list[tuple[str, str, str, str, str]]:
    """One row per canary step (numbered from 1 as in the Rollout's status), then promoted."""
    last = len(plan.steps) - 1
    return [
        (
            "end" if index == last else str(step.index + 1),
            step.action,
            f"{step.weight}%",
            str(step.canary),
            str(step.stable),
        )
        for index, step in enumerate(plan.steps)
    ]


def cron_zone_text(plan: CronPlan) -> str:
    return f"{plan.time_zone} ({_ZONE_FROM[plan.zone_from]})"


def cron_runs(plan: CronPlan) -> list[str]:
    """The run times with their weekday: ``Mon 2026-03-30T09:00:00+02:00``."""
    out = []
    for run in plan.runs:
        try:
            weekday = datetime.fromisoformat(run).strftime("%a")
        except ValueError:
            weekday = ""
        out.append(f"{weekday} {run}".strip())
    return out


def cron_state(plan: CronPlan) -> str:
    if plan.rejected:
        return "no runs: " + plan.rejected
    if plan.suspended:
        return "suspended: no runs until spec.suspend is false"
    if not plan.runs:
        return f"no run after {plan.now}"
    return f"next {len(plan.runs)} run{'' if len(plan.runs) == 1 else 's'} after {plan.now}"


def _notes_block(notes: Sequence[str]) -> list[str]:
    lines = []
    if notes:
        lines.append("notes")
        for note in notes:
            lines.extend(
                textwrap.wrap(
                    note,
                    WIDTH - 4,
                    initial_indent="  - ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
    return lines


def rollout_lines(plan: RolloutPlan) -> list[str]:
    body: list[str] = []
    if plan.rejected:
        body.extend(_field("REJECTED", plan.rejected))
    body.append(f"strategy  {rollout_facts(plan)}")
    rows = [CANARY_HEADER, *canary_rows(plan)] if plan.steps else []
    if rows:
        widths = [max(len(row[i]) for row in rows) for i in range(len(CANARY_HEADER))]
        for row in rows:
            body.append(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
    body.extend(_notes_block(plan.notes))
    head = f"{plan.object.label()}  {plan.source or ''}".rstrip()
    return [head, *(f"  {line}" for line in body)]


def cron_lines(plan: CronPlan) -> list[str]:
    body = [f"schedule  {plan.schedule or '(none)'}", f"time zone {cron_zone_text(plan)}"]
    state = cron_state(plan)
    if plan.rejected:
        body.extend(_field("REJECTED", plan.rejected))
    else:
        body.append(state)
        body.extend(f"  {run}" for run in cron_runs(plan))
    body.extend(_notes_block(plan.notes))
    head = f"{plan.object.label()}  {plan.source or ''}".rstrip()
    return [head, *(f"  {line}" for line in body)]


def not_planned_lines(items: Sequence[NotPlanned]) -> list[str]:
    lines = ["not planned"]
    for item in items:
        lines.append(f"  {item.object.label()}  {item.source or ''}".rstrip())
        lines.extend(
            textwrap.wrap(item.reason, WIDTH - 4, initial_indent="    ", subsequent_indent="    ")
        )
    return lines


def other_lines(report: PlanReport) -> list[str]:
    lines: list[str] = []
    for rollout in report.rollouts:
        lines += ["", *rollout_lines(rollout)]
    for cron in report.cron_jobs:
        lines += ["", *cron_lines(cron)]
    if report.not_planned:
        lines += ["", *not_planned_lines(report.not_planned)]
    return lines


def header_lines(report: PlanReport) -> list[str]:
    first = f"{report.title}; {report.context(separator='; ')}"
    return [
        first,
        *textwrap.wrap(
            f"model of time: {TIME_MODEL}", WIDTH, subsequent_indent="  ", break_on_hyphens=False
        ),
    ]


def write(report: PlanReport, out: TextIO) -> None:
    lines = header_lines(report)
    diff = report.mode != "update"
    others = other_lines(report)
    if not report.entries and not others:
        files = f"{report.files} file{'' if report.files == 1 else 's'}"
        lines += ["", f"no Deployment, StatefulSet or DaemonSet in {files}"]
    for entry in report.entries:
        lines.append("")
        lines.extend(entry_lines(entry, diff))
    services = service_lines(report)
    if services:
        lines += [
            "",
            "traffic (ready Pods behind each Service)",
            *(f"  {line}" for line in services),
        ]
    lines.extend(others)
    # names, labels, file names and values from the input are in these lines: each line is
    # escaped as a whole (kpolicy.escape), so that it stays one line and starts no command
    out.write("\n".join(escape.line(escape.text(line)) for line in lines) + "\n")
