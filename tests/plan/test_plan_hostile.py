"""Malformed manifests never raise: wrong types count as absent and the plan says so."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.plan import PlanContext, classify_change, deployment_plan, plan_for, statefulset_plan
from tests.helpers import examples

from .support import changed, check, daemonset, deployment, service, statefulset

HOSTILE_VALUES: list[Any] = [
    None,
    "three",
    "",
    "25",
    "5.5%",
    "-1%",
    "%",
    -3,
    2**40,
    1.5,
    3.0,
    True,
    [],
    [1, 2],
    {},
    {"a": 1},
    float("inf"),
]

DEPLOYMENT_PATHS: list[tuple[str | int, ...]] = [
    ("spec",),
    ("spec", "replicas"),
    ("spec", "template"),
    ("spec", "template", "spec"),
    ("spec", "template", "metadata"),
    ("spec", "strategy"),
    ("spec", "strategy", "type"),
    ("spec", "strategy", "rollingUpdate"),
    ("spec", "strategy", "rollingUpdate", "maxSurge"),
    ("spec", "strategy", "rollingUpdate", "maxUnavailable"),
    ("spec", "selector"),
    ("spec", "paused"),
    ("spec", "minReadySeconds"),
    ("metadata",),
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("kind",),
]

STATEFULSET_PATHS: list[tuple[str | int, ...]] = [
    ("spec", "replicas"),
    ("spec", "serviceName"),
    ("spec", "ordinals"),
    ("spec", "ordinals", "start"),
    ("spec", "podManagementPolicy"),
    ("spec", "updateStrategy"),
    ("spec", "updateStrategy", "type"),
    ("spec", "updateStrategy", "rollingUpdate"),
    ("spec", "updateStrategy", "rollingUpdate", "partition"),
    ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
    ("spec", "template"),
    ("spec", "template", "metadata", "labels"),
    ("spec", "volumeClaimTemplates"),
]

DAEMONSET_PATHS: list[tuple[str | int, ...]] = [
    ("spec", "updateStrategy"),
    ("spec", "updateStrategy", "type"),
    ("spec", "updateStrategy", "rollingUpdate"),
    ("spec", "updateStrategy", "rollingUpdate", "maxSurge"),
    ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
    ("spec", "template"),
    ("spec", "template", "spec"),
    ("spec", "template", "spec", "nodeSelector"),
    ("spec", "template", "spec", "tolerations"),
    ("spec", "template", "spec", "affinity"),
    ("spec", "template", "spec", "hostname"),
    ("spec", "template", "spec", "subdomain"),
]


def _plan_all(obj: Any) -> None:
    """Every way of planning ``obj``: alone, created, against a clean and a broken version."""
    for kind_default in ("Deployment", "StatefulSet", "DaemonSet"):
        if not isinstance(obj, dict) or obj.get("kind") != kind_default:
            continue
        clean = {"Deployment": deployment, "StatefulSet": statefulset, "DaemonSet": daemonset}[
            kind_default
        ]()
        context = PlanContext(
            services=[service(), "junk", {"spec": []}], nodes=[{"metadata": {"name": "n"}}, 7]
        )
        for old in (None, clean):
            for diff in (False, True):
                check(plan_for(obj, old, diff=diff, context=context))
        check(plan_for(clean, obj, context=context))
        check(plan_for(None, obj, context=context))
        classify_change(obj, clean)
        classify_change(clean, obj)


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
@pytest.mark.parametrize("path", DEPLOYMENT_PATHS, ids=lambda p: "/".join(map(str, p)))
def test_hostile_deployment_fields(path: tuple[str | int, ...], value: Any) -> None:
    _plan_all(changed(deployment(), *path, value=value))


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
@pytest.mark.parametrize("path", STATEFULSET_PATHS, ids=lambda p: "/".join(map(str, p)))
def test_hostile_statefulset_fields(path: tuple[str | int, ...], value: Any) -> None:
    _plan_all(changed(statefulset(), *path, value=value))


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
@pytest.mark.parametrize("path", DAEMONSET_PATHS, ids=lambda p: "/".join(map(str, p)))
def test_hostile_daemonset_fields(path: tuple[str | int, ...], value: Any) -> None:
    _plan_all(changed(daemonset(), *path, value=value))


def test_replicas_as_a_word_is_noted() -> None:
    plan = deployment_plan(deployment("three"))
    check(plan)
    assert plan.replicas == 1
    assert any("spec.replicas is the string 'three', not an integer" in n for n in plan.notes)


def test_template_as_a_string_is_noted() -> None:
    plan = deployment_plan(changed(deployment(), "spec", "template", value="nginx"))
    check(plan)
    assert any("spec.template is the string 'nginx', not a mapping" in n for n in plan.notes)


def test_strategy_as_a_list_is_noted_once() -> None:
    plan = deployment_plan(changed(deployment(4), "spec", "strategy", value=[{"type": "x"}]))
    check(plan)
    assert plan.strategy.type == "RollingUpdate"
    assert sum("spec.strategy is a list" in n for n in plan.notes) == 1


def test_invalid_int_or_percent_falls_back_to_the_default() -> None:
    manifest = deployment(10, strategy={"rollingUpdate": {"maxSurge": "25", "maxUnavailable": -1}})
    plan = deployment_plan(manifest)
    check(plan)
    assert (plan.strategy.max_surge, plan.strategy.max_unavailable) == (3, 2)
    assert any("maxSurge" in n and "treated as absent (25%)" in n for n in plan.notes)


def test_unknown_strategy_type_is_noted() -> None:
    plan = deployment_plan(deployment(2, strategy={"type": "BlueGreen"}))
    assert plan.strategy.type == "RollingUpdate"
    assert any("'BlueGreen'" in n for n in plan.notes)


def test_negative_and_huge_replicas() -> None:
    assert deployment_plan(deployment(-2)).replicas == 1
    assert deployment_plan(deployment(2**31)).replicas == 1


def test_huge_statefulset_is_not_simulated_pod_by_pod() -> None:
    plan = statefulset_plan(statefulset(1_000_000))
    check(plan)
    assert plan.steps == () and plan.pods == ()
    assert any("no step-by-step plan" in n for n in plan.notes)


def test_long_deployment_rollout_stops_at_the_cap() -> None:
    manifest = deployment(
        1_000_000, strategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    )
    plan = deployment_plan(manifest)
    assert any("stops after" in n for n in plan.notes)


def test_not_an_object_at_all() -> None:
    for junk in ("Deployment", 3, None, [deployment()]):
        plan = deployment_plan(junk)  # type: ignore[arg-type]
        check(plan)
    assert plan_for("Deployment") is None  # type: ignore[arg-type]


def test_bad_kubernetes_version_is_noted() -> None:
    plan = statefulset_plan(statefulset(2), context=PlanContext(kubernetes_version="latest"))
    assert any("'latest' is not X.Y" in n for n in plan.notes)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 50)
    | st.text(max_size=6)
    | st.sampled_from(["25%", "100%", "0%", "Parallel", "OnDelete", "Recreate", "None"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["a", "spec", "template", "replicas", "type"]), children, max_size=3
        )
    ),
    max_leaves=8,
)


@settings(
    max_examples=examples(full=150, quick=60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["Deployment", "StatefulSet", "DaemonSet"]),
    paths=st.lists(
        st.sampled_from(DEPLOYMENT_PATHS + STATEFULSET_PATHS + DAEMONSET_PATHS), max_size=3
    ),
    values=st.lists(_json, min_size=3, max_size=3),
)
def test_random_damage_never_raises(
    kind: str, paths: list[tuple[str | int, ...]], values: list[Any]
) -> None:
    obj = {"Deployment": deployment, "StatefulSet": statefulset, "DaemonSet": daemonset}[kind]()
    obj = copy.deepcopy(obj)
    for path, value in zip(paths, values, strict=False):
        target: Any = obj
        for step in path[:-1]:
            if not isinstance(target, dict):
                break
            target = target.setdefault(step, {})
        else:
            if isinstance(target, dict):
                target[path[-1]] = value
    obj["kind"] = kind
    _plan_all(obj)
