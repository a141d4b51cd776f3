"""Plans for the kinds outside the built-in workload planner: an Argo Rollout's canary steps, an
OpenShift DeploymentConfig or a configured pod-template kind planned as a Deployment, and a
CronJob's next run times. Pure functions over manifests; ``kpolicy plan`` is to show them (the
planner package, kpolicy/plan/, takes them in once it has landed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from kpolicy.k8s.cron import CronField, CronSchedule
from kpolicy.k8s.podtemplates import DEPLOYMENT_CONFIG, ROLLOUT, PodTemplateKind
from kpolicy.model import KObject
from kpolicy.workload import custom_layout, get, int_value, mapping, sequence


@dataclass(frozen=True, slots=True)
class CanaryStep:
    """One canary step and the replica counts the controller aims for while it is current."""

    index: int  # 0-based position in spec.strategy.canary.steps; len(steps) for the end
    action: str  # "setWeight 20", "pause", "pause 30s", "promoted", ...
    weight: int  # the canary weight in force (the last setWeight at or before the step)
    canary: int  # desired replicas of the new ReplicaSet
    stable: int  # desired replicas of the stable ReplicaSet


def canary_replicas(replicas: int, weight: int, traffic_routing: bool) -> tuple[int, int]:
    """(canary, stable) desired replica counts at ``weight`` percent.

    Follows DesiredReplicaCountsForCanary (argo-rollouts utils/replicaset/canary.go): both
    counts round up, so that neither side drops to zero while the weight is strictly between
    0 and 100; with traffic routing the stable side stays fully scaled until the end.
    """
    canary = math.ceil(replicas * weight / 100)
    stable = replicas if traffic_routing else math.ceil(replicas * (1 - weight / 100))
    return canary, stable


def _step_action(step: dict[str, Any]) -> str:
    if step.get("setWeight") is not None:
        return f"setWeight {step['setWeight']}"
    pause = step.get("pause")
    if pause is not None:
        duration = mapping(pause).get("duration")
        return "pause (until promoted)" if duration is None else f"pause {duration}"
    for name in step:
        return name
    return "empty step"


def canary_steps(obj: KObject) -> list[CanaryStep] | None:
    """The canary steps of an Argo Rollout with their desired replica counts, then the end
    state (100%); None when it is no canary Rollout or its replicas or weights are unreadable.

    The weight in force at a step is the last setWeight at or before it, 0 before the first
    (GetCurrentSetWeight); after the last step the weight is 100 and the stable ReplicaSet is
    scaled down. ``spec.replicas`` defaults to 1 (defaults.GetReplicasOrDefault).
    """
    if custom_layout(obj) is not ROLLOUT:
        return None
    canary = get(obj.data, "spec", "strategy", "canary")
    if not isinstance(canary, dict):
        return None
    raw = get(obj.data, "spec", "replicas")
    replicas = 1 if raw is None else int_value(raw)
    if replicas is None or replicas < 0:
        return None
    routing = canary.get("trafficRouting") is not None
    weight = 0
    out = []
    steps = sequence(canary.get("steps"))
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            return None
        value = step.get("setWeight")
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                return None  # rollout-step-invalid: the controller refuses the Rollout
            weight = value
        new, stable = canary_replicas(replicas, weight, routing)
        out.append(CanaryStep(index, _step_action(step), weight, new, stable))
    out.append(CanaryStep(len(steps), "promoted", 100, replicas, 0))
    return out


# --- planned as a Deployment ------------------------------------------------------------------

_DEFAULT_PERCENT: Final = "25%"


def as_deployment(obj: KObject) -> tuple[dict[str, Any] | None, str]:
    """A Deployment with the object's template, replicas and (for a DeploymentConfig) rolling
    parameters, for the Deployment planner; or (None, why it is not planned).

    A DeploymentConfig's Rolling strategy is a rolling update of ReplicationControllers with
    rollingParams.maxSurge and maxUnavailable, each 25% by default (openshift/api apps/v1
    defaults), Recreate scales the old one down first; a Custom strategy runs the user's own
    deployer Pod, which nothing can plan. A configured kind is planned when its template and
    replicas are known.
    """
    layout: PodTemplateKind | None = custom_layout(obj)
    if layout is None or not layout.runs_pods or layout is ROLLOUT:
        return None, "not a kind planned as a Deployment"
    template = get(obj.data, *layout.template)
    if not isinstance(template, dict):
        return None, "not planned: no pod template"
    if layout.replicas is None:
        return None, "not planned: the replica count's field is not configured"
    raw = get(obj.data, *layout.replicas)
    replicas = 1 if raw is None and layout is DEPLOYMENT_CONFIG else int_value(raw)
    if replicas is None:
        return None, "not planned: the replica count is missing or not a whole number"
    strategy: dict[str, Any] = {"type": "RollingUpdate"}
    if layout is DEPLOYMENT_CONFIG:
        kind = get(obj.data, "spec", "strategy", "type")
        if kind in (None, "Rolling"):
            params = mapping(get(obj.data, "spec", "strategy", "rollingParams"))
            strategy = {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": params.get("maxSurge", _DEFAULT_PERCENT),
                    "maxUnavailable": params.get("maxUnavailable", _DEFAULT_PERCENT),
                },
            }
        elif kind == "Recreate":
            strategy = {"type": "Recreate"}
        else:
            return None, f"not planned: strategy {kind!r} runs a custom deployer"
    labels = mapping(get(template, "metadata", "labels"))
    metadata = {"name": obj.name}
    if obj.ref.namespace:
        metadata["namespace"] = obj.ref.namespace
    return (
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata,
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": dict(labels)},
                "strategy": strategy,
                "template": template,
            },
        },
        "",
    )


# --- CronJob run times ------------------------------------------------------------------------

# SpecSchedule.Next gives up after five years without a match (robfig/cron/v3 spec.go)
_YEARS: Final = 5


def _day_matches(schedule: CronSchedule, day: datetime) -> bool:
    """robfig/cron/v3 dayMatches: day of month AND day of week when either is written with a
    star, else OR."""
    dom = day.day in schedule.dom.values
    dow = (day.weekday() + 1) % 7 in schedule.dow.values  # Sunday is 0
    if schedule.dom.star or schedule.dow.star:
        return dom and dow
    return dom or dow


def _sorted(field: CronField) -> list[int]:
    return sorted(field.values)


def next_runs(
    schedule: CronSchedule, now: datetime, zone: ZoneInfo, count: int = 5
) -> list[datetime]:
    """The next ``count`` run times after ``now`` (aware), in ``zone``.

    Follows SpecSchedule.Next and ConstantDelaySchedule.Next (robfig/cron/v3), which the
    CronJob controller calls (mostRecentScheduleTime / nextScheduleTime in
    pkg/controller/cronjob/utils.go) in the CronJob's time zone. A wall-clock time that a
    daylight-saving change skips does not occur and is left out.
    """
    local = now.astimezone(zone)
    if schedule.every_seconds is not None:
        start = local.replace(microsecond=0)
        step = timedelta(seconds=schedule.every_seconds)
        return [start + step * (i + 1) for i in range(count)]
    out: list[datetime] = []
    first = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = first.replace(hour=0, minute=0, tzinfo=None)
    end = day.replace(year=day.year + _YEARS)
    hours, minutes = _sorted(schedule.hour), _sorted(schedule.minute)
    while day < end and len(out) < count:
        if day.month in schedule.month.values and _day_matches(schedule, day):
            for hour in hours:
                for minute in minutes:
                    wall = day.replace(hour=hour, minute=minute)
                    when = wall.replace(tzinfo=zone)
                    # a time in a daylight-saving gap does not round-trip through UTC
                    if (
                        when.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
                        != wall
                    ):
                        continue
                    if when >= first and len(out) < count:
                        out.append(when)
        day += timedelta(days=1)
    return out
