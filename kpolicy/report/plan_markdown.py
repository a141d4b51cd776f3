"""``kpolicy plan --format markdown``: a summary fit for a pull-request comment.

A summary table first (one line per workload), then a section per workload with its table of
Pods per step and its notes; the long lists (DNS names, nodes) fold into ``<details>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from kpolicy import escape
from kpolicy.plan.data import TIME_MODEL
from kpolicy.report.plan_text import (
    CANARY_HEADER,
    MAX_DNS_ROWS,
    bounds_text,
    canary_rows,
    change_text,
    creation_lines,
    cron_runs,
    cron_state,
    cron_zone_text,
    elide,
    history_text,
    live_pods_text,
    nodes_text,
    progress_text,
    rejection_lines,
    rollout_facts,
    shown_notes,
    size_text,
    step_rows,
    strategy_text,
    warning_lines,
)

if TYPE_CHECKING:
    from kpolicy.model import ObjectRef
    from kpolicy.plan.data import PlanEntry, PlanReport


# text safe inside a table cell or inline, and inline code (kpolicy.escape)
cell = escape.markdown
code = escape.markdown_code


def _summary(report: PlanReport) -> list[str]:
    lines = ["| workload | change | size | steps | bounds |", "|---|---|---|---:|---|"]
    for entry in report.entries:
        plan = entry.plan
        change = cell(plan.change)
        if plan.rejected:
            change = f"**rejected** ({change})"
        elif plan.stalled is not None:
            change = f"{change}, **stalls** after step {plan.stalled.after}"
        elif plan.progress == "stuck":
            change = f"{change}, **stuck**"
        lines.append(
            f"| {cell(plan.object.kind)} {code(_name(entry))} | {change} | "
            f"{cell(size_text(entry, '→'))} | {plan.step_count} | "
            f"{cell(bounds_text(plan)) if plan.change != 'delete' else ''} |"
        )
    return lines


def _name(entry: PlanEntry) -> str:
    ref = entry.plan.object
    return f"{ref.namespace or 'default'}/{ref.name or '<unnamed>'}"


def _table(entry: PlanEntry) -> list[str]:
    rows = step_rows(entry)
    if not rows:
        return []
    statefulset = entry.plan.object.kind == "StatefulSet"
    header = "| step | new | old | total | available |" + (" Pods |" if statefulset else "")
    rule = "|---|---:|---:|---:|---:|" + ("---|" if statefulset else "")
    shown, hidden, before = elide(rows)
    lines = [header, rule]
    for index, row in enumerate(shown):
        available = str(row.available)
        if row.available == 0 and row.label != "start" and entry.plan.change != "create":
            available = "**0**"
        label = row.label
        stall = entry.plan.stalled
        if stall is not None and row.label == str(stall.after) and row.label != "start":
            label += " **(stalls)**"
        line = f"| {label} | {row.new} | {row.old_detail} | {row.total} | {available} |"
        if statefulset:
            line += f" {cell(row.pods)} |"
        lines.append(line)
        if hidden and index == before - 1:
            lines.append(f"| … | | | | |{' |' if statefulset else ''}")
    if hidden:
        lines += ["", f"_{hidden} steps in the middle are not shown._"]
    return lines


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def _section(entry: PlanEntry, diff: bool) -> list[str]:
    plan = entry.plan
    outcome = ""
    if plan.rejected:
        outcome = ", rejected"
    elif plan.stalled is not None:
        outcome = ", stalls"
    lines = [f"### {cell(plan.object.kind)} {code(_name(entry))}: {cell(plan.change)}{outcome}", ""]
    where = code(entry.source) if entry.source else ""
    if entry.old_source and entry.old_source != entry.source:
        where += f" (was {code(entry.old_source)})"
    if where:
        lines += [where, ""]
    rejections = rejection_lines(plan)
    if len(rejections) == 1:
        lines += [f"> **Rejected by the API server:** {cell(rejections[0])}", ""]
    elif rejections:
        lines += [
            "> **Rejected by the API server:**",
            ">",
            *(f"> - {cell(line)}" for line in rejections),
            "",
        ]
    facts = [f"- **Change:** {cell(change_text(entry, diff))}"]
    if plan.changed_fields:
        facts.append("- **Changed fields:** " + ", ".join(code(f) for f in plan.changed_fields))
    facts.append(f"- **Size:** {cell(size_text(entry, '→'))}")
    facts.append(f"- **Strategy:** {cell(strategy_text(plan))}")
    if plan.change != "delete":
        facts.append(f"- **Bounds:** {cell(bounds_text(plan))}")
    if plan.update_order:
        more = f" and {plan.update_order_omitted} more" if plan.update_order_omitted else ""
        facts.append("- **Update order:** " + ", ".join(code(n) for n in plan.update_order) + more)
    facts.extend(f"- **Creation order:** {cell(line)}" for line in creation_lines(entry))
    if plan.rollback_to is not None:
        back = plan.rollback_to
        facts.append(
            f"- **Undo:** revision {back.revision} ({code(back.replica_set)}) comes back as "
            f"revision {back.new_revision}"
        )
    live_pods = live_pods_text(plan)
    if live_pods is not None:
        facts.append(f"- **Live Pods:** {cell(live_pods)}")
    if plan.progress is not None:
        facts.append(f"- **Progress:** {cell(progress_text(plan))}")
    lines += [*facts, ""]
    table = _table(entry)
    if table:
        lines += [*table, ""]
    elif plan.change not in ("none", "delete") and not plan.rejected:
        lines += ["No steps: the controller changes no Pod.", ""]
    for warning in warning_lines(entry):
        lines += [f"> **Warning:** {cell(warning)}", ""]
    if plan.pods:
        pods = list(plan.pods)
        body = ["| Pod | hostname | FQDN |", "|---|---|---|"]
        for index, pod in enumerate(pods[:MAX_DNS_ROWS]):
            if plan.pods_omitted and index == plan.pods_omitted_after:
                body.append(f"| … {plan.pods_omitted} more | | |")
            body.append(
                f"| {code(pod.name) or 'every replica'} | {code(pod.hostname)} | "
                f"{code(pod.fqdn) if pod.fqdn else 'none (see notes)'} |"
            )
        if len(pods) > MAX_DNS_ROWS:
            body.append(f"| … {len(pods) - MAX_DNS_ROWS} more | | |")
        if plan.service_domain:
            body = [f"Service domain {code(plan.service_domain)}", "", *body]
        lines += [*_details(f"DNS names ({len(pods) + plan.pods_omitted})", body), ""]
    if plan.nodes:
        body = ["| node | runs | why not |", "|---|---|---|"]
        for node in plan.nodes:
            body.append(
                f"| {code(node.name)} | {'yes' if node.runs else 'no'} | "
                f"{cell(node.reason or '')} |"
            )
        if plan.nodes_omitted:
            body.append(f"| … {plan.nodes_omitted} more | | |")
        lines += [*_details(f"Nodes ({nodes_text(plan)})", body), ""]
    if plan.history:
        body = [f"- {cell(history_text(h))}" for h in plan.history]
        lines += [*_details(f"History once the plan has run ({len(plan.history)})", body), ""]
    notes = shown_notes(plan)
    if notes:
        lines += ["**Notes**", "", *(f"- {cell(note)}" for note in notes), ""]
    return lines


def _ref(ref: ObjectRef) -> str:
    name = f"{ref.namespace or 'default'}/{ref.name or '<unnamed>'}"
    return f"{cell(ref.kind)} {code(name)}"


def _where(source: str | None) -> str:
    return f" ({code(source)})" if source else ""


def _notes(notes: Sequence[str]) -> list[str]:
    return ["**Notes**", "", *(f"- {cell(note)}" for note in notes), ""] if notes else []


def _others(report: PlanReport) -> list[str]:
    lines: list[str] = []
    for rollout in report.rollouts:
        lines += [f"### {_ref(rollout.object)}{_where(rollout.source)}", ""]
        if rollout.rejected:
            lines += [f"**Rejected:** {cell(rollout.rejected)}", ""]
        lines += [f"- **Strategy:** {cell(rollout_facts(rollout))}", ""]
        if rollout.steps:
            lines += ["| " + " | ".join(CANARY_HEADER) + " |", "|---|---|---:|---:|---:|"]
            lines += [
                "| " + " | ".join(cell(c) for c in row) + " |" for row in canary_rows(rollout)
            ]
            lines.append("")
        lines += _notes(rollout.notes)
    for cron in report.cron_jobs:
        lines += [f"### {_ref(cron.object)}{_where(cron.source)}", ""]
        lines += [
            f"- **Schedule:** {code(cron.schedule)}",
            f"- **Time zone:** {cell(cron_zone_text(cron))}",
            "",
        ]
        if cron.rejected:
            lines += [f"**Rejected:** {cell(cron.rejected)}", ""]
        else:
            state = cron_state(cron)
            lines += [cell(state[0].upper() + state[1:]) + (":" if cron.runs else "."), ""]
            if cron.runs:
                lines += [*(f"- {code(run)}" for run in cron_runs(cron)), ""]
        lines += _notes(cron.notes)
    if report.not_planned:
        lines += ["### Not planned", "", "| object | why |", "|---|---|"]
        for item in report.not_planned:
            lines.append(f"| {_ref(item.object)}{_where(item.source)} | {cell(item.reason)} |")
        lines.append("")
    return lines


def _services(report: PlanReport) -> list[str]:
    if not report.services:
        return []
    lines = ["### Traffic", "", "| Service | start | after the plan |", "|---|---|---|"]
    for service in report.services:
        start = ", ".join(b.describe() for b in service.backends)
        end = ", ".join(b.describe() for b in service.steps[-1]) if service.steps else start
        lines.append(f"| {code(service.object.name or '')} | {cell(start)} | {cell(end)} |")
    return [*lines, ""]


def write(report: PlanReport, out: TextIO) -> None:
    lines = [f"## {report.title}", ""]
    lines += [report.context(show=code) + ".", "", f"> **Model of time:** {cell(TIME_MODEL)}.", ""]
    others = _others(report)
    if not report.entries and not others:
        lines += ["No Deployment, StatefulSet or DaemonSet in the inputs."]
    elif report.entries:
        lines += [*_summary(report), ""]
        for entry in report.entries:
            lines += _section(entry, report.mode != "update")
        lines += _services(report)
    lines += others
    out.write("\n".join(lines).rstrip("\n") + "\n")
