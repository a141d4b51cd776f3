"""``kpolicy plan --format svg``: one self-contained SVG with a timeline chart per workload.

Each chart stacks the Pods of the old revision (grey) and of the new revision (blue) after
every step, draws the available Pods as a line, and the controller's bounds (``maxPods``,
``minAvailable``) as dashed lines. No scripts, no external fonts or images: a browser, an
image viewer or a pull-request page shows it as it is. Hovering a bar shows its numbers
(``<title>``).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from kpolicy import escape
from kpolicy.plan.data import TIME_MODEL
from kpolicy.report.plan_text import (
    Row,
    bounds_text,
    creation_lines,
    cron_lines,
    history_text,
    live_pods_text,
    not_planned_lines,
    progress_text,
    rejection_lines,
    rollout_lines,
    shown_notes,
    size_text,
    step_rows,
    strategy_text,
    title,
    update_order_text,
    warning_lines,
)

if TYPE_CHECKING:
    from kpolicy.plan.data import Backend, PlanEntry, PlanReport

WIDTH = 820
MARGIN = 16
PLOT_LEFT = 64
PLOT_RIGHT = WIDTH - 128  # room on the right for the labels of the bound lines
PLOT_HEIGHT = 180
CHART_HEIGHT = 310
EMPTY_HEIGHT = 86
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

OLD_COLOR = "#a0aec0"
NEW_COLOR = "#3182ce"
AVAILABLE_COLOR = "#2f855a"
MAX_PODS_COLOR = "#c53030"
MIN_AVAILABLE_COLOR = "#dd6b20"
TEXT_COLOR = "#1a202c"
MUTED_COLOR = "#4a5568"
GRID_COLOR = "#e2e8f0"

# most bars get a hover title; a plan of thousands of steps does without (file size)
MAX_TITLED_BARS = 400
MAX_X_LABELS = 20
# the rejections, warnings and notes under a chart: wrapped at this many characters, and at
# most this many lines in all (the text and JSON formats have them whole)
MESSAGE_WIDTH = 120
MAX_MESSAGE_LINES = 16
LINE_HEIGHT = 15


def _text(value: object) -> str:
    return escape.xml(value)


def _attr(value: object) -> str:
    return f'"{escape.xml(value, quote_marks=True)}"'


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _label(
    x: float,
    y: float,
    text: object,
    *,
    size: int = 12,
    color: str = TEXT_COLOR,
    anchor: str = "start",
    weight: str = "normal",
    extra: str = "",
) -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{color}" '
        f'text-anchor="{anchor}" font-weight="{weight}"{extra}>{_text(text)}</text>'
    )


def nice_ticks(top: int) -> list[int]:
    """0 up to at least ``top`` in steps of 1, 2 or 5 × 10^k, at most about six ticks."""
    top = max(top, 1)
    raw = top / 5
    magnitude = 10 ** max(math.floor(math.log10(raw)), 0) if raw >= 1 else 1
    step = magnitude
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if top / step <= 6:
            break
    step = max(int(step), 1)
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def _header(report: PlanReport) -> tuple[list[str], float]:
    parts = [
        _label(MARGIN, 26, report.title, size=18, weight="bold"),
        _label(MARGIN, 46, report.context(), size=12, color=MUTED_COLOR),
    ]
    y = 64.0
    for line in textwrap.wrap(f"Model of time: {TIME_MODEL}.", 120):
        parts.append(_label(MARGIN, y, line, size=11, color=MUTED_COLOR))
        y += 15
    return parts, y + 6


def _legend(x: float, y: float) -> list[str]:
    items = [
        ("rect", OLD_COLOR, "old revision"),
        ("rect", NEW_COLOR, "new revision"),
        ("line", AVAILABLE_COLOR, "available"),
        ("dash", MAX_PODS_COLOR, "maxPods"),
        ("dash", MIN_AVAILABLE_COLOR, "minAvailable"),
    ]
    parts: list[str] = []
    for shape, color, text in items:
        if shape == "rect":
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="12" height="10" fill="{color}"/>'
            )
        else:
            dash = ' stroke-dasharray="5 3"' if shape == "dash" else ""
            parts.append(
                f'<line x1="{_num(x)}" y1="{_num(y - 4)}" x2="{_num(x + 14)}" '
                f'y2="{_num(y - 4)}" stroke="{color}" stroke-width="2"{dash}/>'
            )
        parts.append(_label(x + 18, y, text, size=11, color=MUTED_COLOR))
        x += 24 + 6.5 * len(text) + 14
    return parts


def _bars(rows: Sequence[Row], y_of: object, left: float, slot: float) -> list[str]:
    assert callable(y_of)
    width = min(max(slot * 0.62, 0.6), 56)
    titled = len(rows) <= MAX_TITLED_BARS
    parts: list[str] = []
    base = y_of(0)
    for index, row in enumerate(rows):
        x = left + slot * index + (slot - width) / 2
        old_top = y_of(row.old)
        new_top = y_of(row.old + row.new)
        tip = ""
        if titled:
            what = "before the first step" if row.label == "start" else f"after step {row.label}"
            text = (
                f"{what}: {row.new} new, {row.old} old, {row.total} in all, "
                f"{row.available} available"
            )
            if row.pods:
                text += f" ({row.pods})"
            tip = f"<title>{_text(text)}</title>"
        parts.append(f"<g>{tip}")
        if row.old:
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(old_top)}" width="{_num(width)}" '
                f'height="{_num(base - old_top)}" fill="{OLD_COLOR}"/>'
            )
        if row.new:
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(new_top)}" width="{_num(width)}" '
                f'height="{_num(old_top - new_top)}" fill="{NEW_COLOR}"/>'
            )
        parts.append("</g>")
    return parts


def _chart(entry: PlanEntry, rows: list[Row], top: float, diff: bool) -> list[str]:
    plan = entry.plan
    parts = _titles(entry, top, diff)
    plot_top = top + 74
    plot_bottom = plot_top + PLOT_HEIGHT
    parts += _legend(PLOT_LEFT, top + 60)
    highest = max([plan.bounds.max_pods, *(row.total for row in rows), 1])
    ticks = nice_ticks(highest)
    scale = PLOT_HEIGHT / ticks[-1]

    def y_of(count: float) -> float:
        return plot_bottom - count * scale

    # grid and y axis
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{PLOT_LEFT}" y1="{_num(y)}" x2="{PLOT_RIGHT}" y2="{_num(y)}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
        )
        parts.append(_label(PLOT_LEFT - 6, y + 4, tick, size=11, color=MUTED_COLOR, anchor="end"))
    middle = (plot_top + plot_bottom) / 2
    parts.append(
        _label(
            MARGIN + 8,
            middle,
            "Pods",
            size=12,
            color=MUTED_COLOR,
            anchor="middle",
            extra=f' transform="rotate(-90 {MARGIN + 8} {_num(middle)})"',
        )
    )
    slot = (PLOT_RIGHT - PLOT_LEFT) / len(rows)
    parts += _bars(rows, y_of, PLOT_LEFT, slot)
    # axes on top of the bars
    parts.append(
        f'<line x1="{PLOT_LEFT}" y1="{_num(plot_bottom)}" x2="{PLOT_RIGHT}" '
        f'y2="{_num(plot_bottom)}" stroke="{MUTED_COLOR}" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{PLOT_LEFT}" y1="{_num(plot_top)}" x2="{PLOT_LEFT}" '
        f'y2="{_num(plot_bottom)}" stroke="{MUTED_COLOR}" stroke-width="1"/>'
    )
    # x labels: the step numbers, thinned out for long plans
    every = max(math.ceil(len(rows) / MAX_X_LABELS), 1)
    last = len(rows) - 1
    for index, row in enumerate(rows):
        # every so many steps, and the last one (whose label no other one may crowd)
        if index != last and (index % every or last - index < max(every * 0.6, 1)):
            continue
        x = PLOT_LEFT + slot * (index + 0.5)
        parts.append(
            _label(x, plot_bottom + 15, row.label, size=10, color=MUTED_COLOR, anchor="middle")
        )
    parts.append(
        _label(
            (PLOT_LEFT + PLOT_RIGHT) / 2,
            plot_bottom + 33,
            "step (one controller sync)",
            size=11,
            color=MUTED_COLOR,
            anchor="middle",
        )
    )
    # available Pods
    points = " ".join(
        f"{_num(PLOT_LEFT + slot * (i + 0.5))},{_num(y_of(row.available))}"
        for i, row in enumerate(rows)
    )
    parts.append(
        f'<polyline points="{points}" fill="none" stroke="{AVAILABLE_COLOR}" '
        'stroke-width="2" stroke-linejoin="round"/>'
    )
    if len(rows) <= 60:
        for i, row in enumerate(rows):
            parts.append(
                f'<circle cx="{_num(PLOT_LEFT + slot * (i + 0.5))}" '
                f'cy="{_num(y_of(row.available))}" r="3" fill="{AVAILABLE_COLOR}"/>'
            )
    # where the rollout stalls: after the bar of that step
    stall = plan.stalled
    if stall is not None:
        where = next((i for i, row in enumerate(rows) if row.label == str(stall.after)), None)
        if where is not None:
            x = PLOT_LEFT + slot * (where + 1)
            parts.append(
                f'<line x1="{_num(x)}" y1="{_num(plot_top)}" x2="{_num(x)}" '
                f'y2="{_num(plot_bottom)}" stroke="{MAX_PODS_COLOR}" stroke-width="2" '
                'stroke-dasharray="3 3"/>'
            )
            parts.append(
                _label(x + 4, plot_top + 12, "stalls", size=11, color=MAX_PODS_COLOR, weight="bold")
            )
    # a stuck rollout: the controller stops after the last bar
    if plan.progress == "stuck" and stall is None and rows:
        x = PLOT_LEFT + slot * len(rows)
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(plot_top)}" x2="{_num(x)}" '
            f'y2="{_num(plot_bottom)}" stroke="{MAX_PODS_COLOR}" stroke-width="2" '
            'stroke-dasharray="3 3"/>'
        )
        parts.append(
            _label(
                x - 4,
                plot_top + 12,
                "stuck",
                size=11,
                color=MAX_PODS_COLOR,
                weight="bold",
                anchor="end",
            )
        )
    # the bounds, labelled at the right; labels that would overlap are pushed apart
    max_y = y_of(plan.bounds.max_pods)
    min_y = y_of(plan.bounds.min_available)
    max_label_y, min_label_y = max_y + 4, min_y + 4
    if abs(min_label_y - max_label_y) < 13:
        min_label_y = max_label_y + 13
    for y, label_y, color, text in (
        (max_y, max_label_y, MAX_PODS_COLOR, f"maxPods {plan.bounds.max_pods}"),
        (min_y, min_label_y, MIN_AVAILABLE_COLOR, f"minAvailable {plan.bounds.min_available}"),
    ):
        parts.append(
            f'<line x1="{PLOT_LEFT}" y1="{_num(y)}" x2="{PLOT_RIGHT}" y2="{_num(y)}" '
            f'stroke="{color}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(_label(PLOT_RIGHT + 6, label_y, text, size=11, color=color))
    return parts


def _titles(entry: PlanEntry, top: float, diff: bool) -> list[str]:
    plan = entry.plan
    heading = f"{title(plan)}: {plan.change}"
    if plan.rejected:
        heading += " (rejected by the API server)"
    elif plan.stalled is not None:
        heading += f" (stalls after step {plan.stalled.after})"
    elif plan.progress == "stuck":
        heading += " (stuck)"
    where = entry.source or ""
    facts = [size_text(entry, "→"), strategy_text(plan)]
    if plan.change != "delete":
        facts.append(bounds_text(plan))
    parts = [
        _label(MARGIN, top + 20, heading, size=15, weight="bold"),
        _label(WIDTH - MARGIN, top + 20, where, size=11, color=MUTED_COLOR, anchor="end"),
        _label(MARGIN, top + 38, " · ".join(facts), size=12, color=MUTED_COLOR),
    ]
    return parts


def _empty(entry: PlanEntry, top: float, diff: bool) -> tuple[list[str], float]:
    plan = entry.plan
    parts = _titles(entry, top, diff)
    if plan.rejected:
        message = "No steps: the API server rejects " + (
            f"the {plan.object.kind or 'object'} as written" if plan.rejections else "the update"
        )
    elif plan.change == "delete":
        message = "No steps: the Pods go with the workload (garbage collector)"
    elif plan.change == "none":
        message = "No steps: nothing that affects the Pods changed"
    else:
        message = "No steps: the controller changes no Pod"
        notes = [n for n in plan.notes if "no Pod is updated" in n or "OnDelete" in n]
        if notes:
            message += f" ({notes[0]})"
    lines = textwrap.wrap(message, 118)[:4] or [""]
    for index, line in enumerate(lines):
        parts.append(
            _label(
                MARGIN,
                top + 60 + 15 * index,
                line,
                size=12,
                color=MAX_PODS_COLOR if plan.rejected else TEXT_COLOR,
            )
        )
    return parts, EMPTY_HEIGHT + 15 * (len(lines) - 1)


def _messages(entry: PlanEntry, top: float) -> tuple[list[str], float]:
    """The plan's rejections and warnings (red) and notes (grey) under its chart, from
    ``top``; the height they take."""
    plan = entry.plan
    items: list[tuple[str, str, str]] = []  # (prefix, text, colour)
    items += [("Rejected: ", line, MAX_PODS_COLOR) for line in rejection_lines(plan)]
    items += [("! ", line, MAX_PODS_COLOR) for line in warning_lines(entry)]
    if plan.rollback_to is not None:
        back = plan.rollback_to
        items.append(
            (
                "Undo: ",
                f"revision {back.revision} ({back.replica_set}) comes back as revision "
                f"{back.new_revision}",
                TEXT_COLOR,
            )
        )
    live_pods = live_pods_text(plan)
    if live_pods is not None:
        items.append(("Live Pods: ", live_pods, TEXT_COLOR))
    if plan.progress is not None:
        color = MAX_PODS_COLOR if plan.progress == "stuck" else TEXT_COLOR
        items.append(("Progress: ", progress_text(plan), color))
    items += [("History: ", history_text(h), MUTED_COLOR) for h in plan.history]
    items += [("• ", note, MUTED_COLOR) for note in shown_notes(plan)]
    lines: list[tuple[str, str]] = []
    for prefix, text, color in items:
        wrapped = textwrap.wrap(
            prefix + text, MESSAGE_WIDTH, subsequent_indent="   ", break_on_hyphens=False
        ) or [prefix]
        lines += [(line, color) for line in wrapped]
    if len(lines) > MAX_MESSAGE_LINES:
        hidden = len(lines) - (MAX_MESSAGE_LINES - 1)
        lines = [
            *lines[: MAX_MESSAGE_LINES - 1],
            (f"… {hidden} more lines (the text and JSON formats show them all)", MUTED_COLOR),
        ]
    parts = [
        _label(
            MARGIN,
            top + LINE_HEIGHT * (index + 1) - 4,
            text,
            size=11,
            color=color,
            extra=' xml:space="preserve"',
        )
        for index, (text, color) in enumerate(lines)
    ]
    return parts, LINE_HEIGHT * len(lines) + (6 if lines else 0)


# the lines of one Rollout, CronJob or the not-planned list an SVG shows at most
MAX_OTHER_LINES = 40


def _other_blocks(report: PlanReport) -> list[list[str]]:
    """The Rollouts, CronJobs and the not-planned list as the text format words them."""
    blocks = [rollout_lines(plan) for plan in report.rollouts]
    blocks += [cron_lines(plan) for plan in report.cron_jobs]
    if report.not_planned:
        blocks.append(not_planned_lines(report.not_planned))
    return blocks


def _block(lines: list[str], top: float) -> tuple[list[str], float]:
    if len(lines) > MAX_OTHER_LINES:
        hidden = len(lines) - (MAX_OTHER_LINES - 1)
        lines = [
            *lines[: MAX_OTHER_LINES - 1],
            f"  … {hidden} more lines (the text and JSON formats show them all)",
        ]
    parts = [
        f'<line x1="{MARGIN}" y1="{_num(top)}" x2="{WIDTH - MARGIN}" y2="{_num(top)}" '
        f'stroke="{GRID_COLOR}" stroke-width="1"/>',
        _label(MARGIN, top + 20, lines[0], size=15, weight="bold"),
    ]
    y = top + 20
    for line in lines[1:]:
        y += LINE_HEIGHT
        parts.append(
            _label(
                MARGIN,
                y,
                line,
                size=12,
                color=MAX_PODS_COLOR if "REJECTED" in line else TEXT_COLOR,
                extra=' xml:space="preserve" font-family="monospace"',
            )
        )
    return parts, y - top + 14


SHARE_BAR_WIDTH = 360
SHARE_COLORS = ("#3182ce", "#a0aec0", "#2f855a", "#dd6b20", "#805ad5", "#d53f8c")


def _share_bar(backends: Sequence[Backend], x: float, y: float) -> list[str]:
    """One stacked bar of traffic shares; hovering a part shows its numbers."""
    parts: list[str] = []
    left = x
    for index, backend in enumerate(backends):
        width = SHARE_BAR_WIDTH * backend.share
        if width <= 0:
            continue
        parts.append(
            f'<rect x="{_num(left)}" y="{_num(y)}" width="{_num(width)}" height="12" '
            f'fill="{SHARE_COLORS[index % len(SHARE_COLORS)]}">'
            f"<title>{_text(backend.describe())}</title></rect>"
        )
        left += width
    if left == x:
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{SHARE_BAR_WIDTH}" height="12" '
            f'fill="none" stroke="{MAX_PODS_COLOR}"/>'
        )
    return parts


def _services(report: PlanReport, top: float) -> tuple[list[str], float]:
    """The traffic shares of each Service: at the start and after the plan, as stacked bars
    with their numbers beside them."""
    parts = [
        f'<line x1="{MARGIN}" y1="{_num(top)}" x2="{WIDTH - MARGIN}" y2="{_num(top)}" '
        f'stroke="{GRID_COLOR}" stroke-width="1"/>',
        _label(MARGIN, top + 20, "Traffic: ready Pods behind each Service", size=15, weight="bold"),
    ]
    y = top + 30
    for service in report.services:
        parts.append(
            _label(MARGIN, y + 14, f"Service {service.object.name}", size=12, weight="bold")
        )
        y += 20
        states = [("start", service.backends)]
        if service.steps:
            states.append(("after the plan", service.steps[-1]))
        for label, backends in states:
            parts.append(_label(MARGIN + 8, y + 10, label, size=11, color=MUTED_COLOR))
            parts += _share_bar(backends, MARGIN + 110, y)
            text = ", ".join(b.describe() for b in backends)
            parts.append(
                _label(MARGIN + 120 + SHARE_BAR_WIDTH, y + 10, textwrap.shorten(text, 48), size=11)
            )
            y += 18
    return parts, y - top + 6


def write(report: PlanReport, out: TextIO) -> None:
    parts, y = _header(report)
    diff = report.mode != "update"
    others = _other_blocks(report)
    if not report.entries and not others:
        parts.append(
            _label(
                MARGIN, y + 20, "No Deployment, StatefulSet or DaemonSet in the inputs.", size=13
            )
        )
        y += 40
    for entry in report.entries:
        parts.append(
            f'<line x1="{MARGIN}" y1="{_num(y)}" x2="{WIDTH - MARGIN}" y2="{_num(y)}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
        )
        # the gap the plan left in a long list of steps is not drawn; the step numbers jump
        rows = [row for row in step_rows(entry) if not row.omitted]
        if rows:
            parts += _chart(entry, rows, y, diff)
            height: float = CHART_HEIGHT
            extra = [f"creation order: {line}" for line in creation_lines(entry)]
            if entry.plan.update_order:
                extra.insert(0, "update order: " + update_order_text(entry.plan))
            for line in extra[:2]:
                parts.append(
                    _label(
                        MARGIN,
                        y + height - 6,
                        textwrap.shorten(line, 130),
                        size=11,
                        color=MUTED_COLOR,
                    )
                )
                height += 16
            y += height
        else:
            empty, height = _empty(entry, y, diff)
            parts += empty
            y += height
        messages, height = _messages(entry, y - 6)
        parts += messages
        y += height
    if report.services:
        service_parts, height = _services(report, y)
        parts += service_parts
        y += height
    for lines in others:
        block, height = _block(lines, y)
        parts += block
        y += height
    height = math.ceil(y + MARGIN)
    svg_title = "kpolicy plan: rollout timelines"
    out.write(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family={_attr(FONT)} role="img">\n'
        f"<title>{_text(svg_title)}</title>\n"
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>\n'
        + "\n".join(parts)
        + "\n</svg>\n"
    )
