"""The one Kubernetes model (kpolicy/workload.py): its readers, and lint and plan agreeing on
every fact both state (headless, partition effect, resolved maxSurge/maxUnavailable, replicas,
DNS names) for generated workloads and Services."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kpolicy.k8s import intstr
from kpolicy.lint import LintOptions, Session, build_session, check_files
from kpolicy.load import load_text
from kpolicy.model import Diagnostic, SourceFile
from kpolicy.plan.command import PlanOptions, build_report
from kpolicy.workload import (
    PLANNED_KINDS,
    POD_SPEC_KINDS,
    WORKLOAD_KINDS,
    Workload,
    cluster_ip,
    int32_value,
    int_or_string,
    int_value,
    is_headless,
    template_path,
)

EXAMPLES = int(os.environ.get("KPOLICY_HYPOTHESIS_EXAMPLES", "150")) // 3 or 1

# --------------------------------------------------------------------------------------------
# the readers


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), (3.0, 3), (1e3, 1000), (-2.0, -2), (3.5, None), ("3", None), (True, None),
     (None, None), (float("inf"), None), (float("nan"), None), ([3], None)],
)  # fmt: skip
def test_int_value_decodes_as_the_api_server(value: object, expected: int | None) -> None:
    assert int_value(value) == expected


def test_int32_value_is_bounded() -> None:
    assert int32_value(2**31 - 1) == 2**31 - 1
    assert int32_value(2**31) is None
    assert int32_value(-(2**31)) == -(2**31)
    assert int32_value(float(2**31)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("25%", "25%"), (2, 2), (2.0, 2), (2.5, None), (False, None), (None, None)],
)
def test_int_or_string(value: object, expected: int | str | None) -> None:
    assert int_or_string(value) == expected


@pytest.mark.parametrize(
    ("spec", "headless", "path"),
    [
        ({"clusterIP": "None"}, True, ("spec", "clusterIP")),
        ({"clusterIPs": ["None"]}, True, ("spec", "clusterIPs", 0)),
        ({"clusterIP": "", "clusterIPs": ["None"]}, True, ("spec", "clusterIPs", 0)),
        ({"clusterIP": "10.0.0.1", "clusterIPs": ["None"]}, False, ("spec", "clusterIP")),
        ({"clusterIPs": ["10.0.0.1", "None"]}, False, ("spec", "clusterIPs", 0)),
        ({"clusterIP": "none"}, False, ("spec", "clusterIP")),
        ({}, False, ("spec", "clusterIP")),
        ({"clusterIPs": "None"}, False, ("spec", "clusterIP")),
    ],
)
def test_headless(spec: dict[str, Any], headless: bool, path: tuple[Any, ...]) -> None:
    service = {"kind": "Service", "spec": spec}
    assert is_headless(service) is headless
    assert cluster_ip(service)[1] == path


def test_one_registry_of_pod_template_kinds() -> None:
    assert {"Deployment", "StatefulSet", "DaemonSet"} == PLANNED_KINDS
    assert set(WORKLOAD_KINDS) | {"Pod"} == POD_SPEC_KINDS
    assert WORKLOAD_KINDS["CronJob"].template == ("spec", "jobTemplate", "spec", "template")
    assert WORKLOAD_KINDS["DaemonSet"].replicas is None
    assert WORKLOAD_KINDS["ReplicationController"].selector_map


def test_workload_view() -> None:
    doc = {
        "kind": "StatefulSet",
        "spec": {
            "replicas": 3.0,
            "updateStrategy": {"rollingUpdate": {"partition": 2.0}},
            "ordinals": {"start": 5},
            "template": {
                "metadata": {"labels": {"app": "x", "n": 1}},
                "spec": {"containers": [{"name": "a"}], "initContainers": [{"name": "b"}]},
            },
        },
    }
    view = Workload.of(doc)
    assert view is not None
    assert (view.replicas, view.partition, view.start_ordinal) == (3, 2, 5)
    assert view.strategy_type == "RollingUpdate"
    assert view.pod_management_policy == "OrderedReady"
    assert view.template_labels == {"app": "x", "n": "1"}
    assert [p for p, _ in view.containers()] == [
        ("spec", "template", "spec", "containers", 0),
        ("spec", "template", "spec", "initContainers", 0),
    ]
    assert Workload.of({"kind": "Service"}) is None
    assert Workload.of({"kind": "StatefulSet", "spec": {"replicas": "3"}}).replicas is None  # type: ignore[union-attr]
    assert Workload.of({"kind": "Deployment"}).replicas == 1  # type: ignore[union-attr]
    assert Workload.of({"kind": "DaemonSet"}).replicas is None  # type: ignore[union-attr]


def test_template_path_from_the_registry() -> None:
    from kpolicy.model import KObject

    texts = {"CronJob": ("spec", "jobTemplate", "spec", "template"), "Pod": (), "Service": None}
    for kind, expected in texts.items():
        text = f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: a}}\n"
        loaded = load_text(SourceFile("x.yaml", text))
        obj: KObject = loaded.objects[0]
        assert template_path(obj) == expected


def test_pod_template_and_spec_are_worked_out_once_while_an_object_is_checked() -> None:
    """While the engine checks an object (``checking``), its pod template and spec are worked
    out once for all its checks; any other object, or the same one after, is read afresh."""
    from kpolicy import workload

    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n"
        "spec: {template: {spec: {containers: [{name: c, image: i}]}}}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n"
    )
    deployment, pod = load_text(SourceFile("x.yaml", text)).objects
    template = deployment.data["spec"]["template"]
    workload.checking(deployment)
    try:
        assert workload.pod_template(deployment) == (("spec", "template"), template)
        first = workload.pod_spec(deployment)
        assert first == (("spec", "template", "spec"), template["spec"])
        assert workload.pod_spec(deployment) is first  # remembered
        assert workload.pod_spec(pod) == (("spec",), pod.data["spec"])  # another: afresh
        assert workload.pod_spec(pod) is not workload.pod_spec(pod)
    finally:
        workload.checking(None)
    template["spec"] = {"containers": []}  # what it holds after the checks is read again
    assert workload.pod_spec(deployment) == (("spec", "template", "spec"), {"containers": []})
    assert workload.pod_spec(deployment) is not workload.pod_spec(deployment)


# --------------------------------------------------------------------------------------------
# lint and plan on the same files


@cache
def _session() -> Session:
    return build_session(LintOptions(use_config_discovery=False))


def _lint(folder: Path) -> list[Diagnostic]:
    session = _session()
    files = [
        load_text(SourceFile(str(p), p.read_text(encoding="utf-8")), session.limits)
        for p in sorted(folder.glob("*.yaml"))
    ]
    result, _ = check_files(files, [], session)
    return list(result.diagnostics)


def _plan(folder: Path) -> list[dict[str, Any]]:
    run = build_report(PlanOptions(paths=[str(folder)], cwd=folder))
    workloads: list[dict[str, Any]] = run.report.document()["workloads"]
    return workloads


def _write(folder: Path, docs: list[dict[str, Any]]) -> None:
    (folder / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def _statefulset(
    replicas: object = 3, partition: object = None, service: str = "web", **spec: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "serviceName": service,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        },
    }
    if replicas is not None:
        body["replicas"] = replicas
    if partition is not None:
        body["updateStrategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"partition": partition},
        }
    body.update(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web"},
        "spec": body,
    }


def _service(name: str = "web", **spec: Any) -> dict[str, Any]:
    body = {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


def _rules(diagnostics: list[Diagnostic], rule: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.rule == rule]


# the first disagreement of issue 15: lint called this Service headless, the plan did not
def test_clusterips_none_is_headless_for_lint_and_plan(tmp_path: Path) -> None:
    _write(tmp_path, [_service(clusterIPs=["None"]), _statefulset()])
    assert _rules(_lint(tmp_path), "statefulset-service-not-headless") == []
    (plan,) = _plan(tmp_path)
    assert [p["fqdn"] for p in plan["pods"]] == [
        f"web-{i}.web.default.svc.cluster.local" for i in range(3)
    ]


# the second: replicas 3.0 reaches the API server as 3 (sigs.k8s.io/yaml), so partition 3
# updates no Pod; the plan said so and the rule stayed silent
def test_integral_float_replicas_lint_and_plan_agree_on_the_partition(tmp_path: Path) -> None:
    _write(tmp_path, [_service(clusterIP="None"), _statefulset(replicas=3.0, partition=3)])
    found = _rules(_lint(tmp_path), "statefulset-partition-exceeds-replicas")
    assert [d.message for d in found] == [
        "partition 3 is not below replicas 3: only ordinals from 0 + 3 = 3 up are updated, so a "
        "template change does not update Pods web-0 to web-2"
    ]
    (plan,) = _plan(tmp_path)
    assert plan["replicas"] == 3
    assert plan["steps"] == []
    assert "partition 3 is not below replicas 3: no Pod is updated" in plan["notes"]


def test_fractional_replicas_are_not_decoded(tmp_path: Path) -> None:
    _write(tmp_path, [_service(clusterIP="None"), _statefulset(replicas=3.5, partition=3)])
    assert _rules(_lint(tmp_path), "statefulset-partition-exceeds-replicas") == []


# the governing Service is the nearest one for both: of two Services named web, the one in
# the StatefulSet's own folder, not the first one read
def test_governing_service_is_the_nearest_for_lint_and_plan(tmp_path: Path) -> None:
    other = tmp_path / "a-other"
    here = tmp_path / "b-app"
    other.mkdir()
    here.mkdir()
    _write(other, [_service()])
    (here / "sts.yaml").write_text(
        yaml.safe_dump_all([_service(clusterIP="None"), _statefulset(replicas=1)]),
        encoding="utf-8",
    )
    session = _session()
    files = [
        load_text(SourceFile(str(p), p.read_text(encoding="utf-8")), session.limits)
        for p in sorted(tmp_path.rglob("*.yaml"))
    ]
    lint = list(check_files(files, [], session)[0].diagnostics)
    assert _rules(lint, "statefulset-service-not-headless") == []
    (plan,) = [
        w
        for w in build_report(PlanOptions(paths=[str(tmp_path)], cwd=tmp_path)).report.document()[
            "workloads"
        ]
    ]
    assert plan["pods"][0]["fqdn"] == "web-0.web.default.svc.cluster.local"


# --------------------------------------------------------------------------------------------
# the property: generated workloads and Services


_INTS = st.one_of(
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=6).map(float),
    st.sampled_from([2.5, "3", True, -1, None]),
)
_INT_OR_PERCENT = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=0, max_value=4).map(float),
    st.sampled_from(["0%", "25%", "50%", "100%", "30%", 1.5]),
)


@st.composite
def _service_doc(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    form = draw(st.sampled_from(["ip", "none", "ips-none", "empty+ips-none", "ips-ip", "absent"]))
    if form == "none":
        spec["clusterIP"] = "None"
    elif form == "ip":
        spec["clusterIP"] = "10.0.0.9"
    elif form == "ips-none":
        spec["clusterIPs"] = ["None"]
    elif form == "empty+ips-none":
        spec.update(clusterIP="", clusterIPs=["None"])
    elif form == "ips-ip":
        spec["clusterIPs"] = ["10.0.0.9"]
    if draw(st.booleans()):
        spec["selector"] = {"app": draw(st.sampled_from(["web", "other"]))}
    return _service(**spec)


@st.composite
def _workload_doc(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["StatefulSet", "Deployment", "DaemonSet"]))
    doc = _statefulset(replicas=draw(_INTS))
    spec = doc["spec"]
    doc["kind"] = kind
    if kind == "StatefulSet":
        rolling: dict[str, Any] = {}
        if (partition := draw(_INTS)) is not None:
            rolling["partition"] = partition
        if (unavailable := draw(_INT_OR_PERCENT)) is not None:
            rolling["maxUnavailable"] = unavailable
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": rolling}
    else:
        del spec["serviceName"]
        if kind == "DaemonSet":
            spec.pop("replicas", None)
        rolling = {}
        for key in ("maxSurge", "maxUnavailable"):
            if (value := draw(_INT_OR_PERCENT)) is not None:
                rolling[key] = value
        strategy_key = "strategy" if kind == "Deployment" else "updateStrategy"
        spec[strategy_key] = {"type": "RollingUpdate", "rollingUpdate": rolling}
        if draw(st.booleans()):
            spec["template"]["spec"].update(hostname="h", subdomain="web")
    return doc


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(workload=_workload_doc(), services=st.lists(_service_doc(), min_size=1, max_size=1))
def test_lint_and_plan_agree(
    tmp_path: Path, workload: dict[str, Any], services: list[dict[str, Any]]
) -> None:
    _write(tmp_path, [*services, workload])
    lint = _lint(tmp_path)
    rules = {d.rule for d in lint}
    rejected = any(d.rejects for d in lint)
    plans = _plan(tmp_path)
    assert len(plans) == 1
    plan = plans[0]
    assert bool(plan.get("rejected")) is rejected  # both say whether the API server refuses it
    event(f"{workload['kind']} {'rejected' if rejected else 'accepted'}")
    if rejected:
        return  # the plan changes nothing and says why
    view = Workload.of(workload)
    assert view is not None

    # replicas: the plan's count is the decoded one
    if view.kind.replicas is not None and view.replicas is not None and view.replicas >= 0:
        assert plan["replicas"] == view.replicas
    # headless and DNS names
    headless_finding = "statefulset-service-not-headless" in rules
    if workload["kind"] == "StatefulSet" and services:
        service_headless = is_headless(services[0])
        event(f"StatefulSet with a Service, headless: {service_headless}")
        assert headless_finding is (not service_headless)
        fqdns = [p["fqdn"] for p in plan["pods"]]
        selects = services[0]["spec"].get("selector") == {"app": "web"}
        if not service_headless or not selects:
            assert all(f is None for f in fqdns), (fqdns, services)
        else:
            assert "statefulset-service-selector-mismatch" not in rules
            assert fqdns == [f"web-{i}.web.default.svc.cluster.local" for i in range(len(fqdns))]
    if workload["kind"] != "StatefulSet" and plan["pods"]:
        fqdn = plan["pods"][0]["fqdn"]
        if (
            services
            and is_headless(services[0])
            and services[0]["spec"].get("selector") == {"app": "web"}
        ):
            assert fqdn == "h.web.default.svc.cluster.local"
        else:
            assert fqdn is None
    # partition effect
    if workload["kind"] == "StatefulSet":
        partition, replicas = view.partition, view.replicas
        exceeds = "statefulset-partition-exceeds-replicas" in rules
        event(f"partition exceeds replicas: {exceeds}")
        plan_says = any("no Pod is updated" in n for n in plan["notes"])
        if partition is not None and replicas is not None and replicas > 0:
            assert exceeds is (partition > 0 and partition >= replicas)
            assert plan_says is (partition >= replicas)
            assert plan["strategy"]["partition"] == partition
    # resolved maxSurge/maxUnavailable: the plan's values are the controllers' resolution of
    # the decoded fields, and rollout-takes-all-down fires exactly when that covers every Pod
    strategy = plan["strategy"]
    rolling = view.rolling_update or {}
    replicas = plan["replicas"]
    all_down = "rollout-takes-all-down" in rules
    event(f"rollout-takes-all-down: {all_down}")
    written = int_or_string(rolling.get("maxUnavailable")) is not None
    if workload["kind"] == "Deployment" and replicas > 0:
        # deployment/util.MaxUnavailable: ResolveFenceposts, clamped to the replicas
        surge = int_or_string(rolling.get("maxSurge"))
        unavailable = int_or_string(rolling.get("maxUnavailable"))
        resolved = intstr.resolve_fenceposts(
            "25%" if surge is None else surge,
            "25%" if unavailable is None else unavailable,
            replicas,
        )
        assert (strategy["maxSurge"], strategy["maxUnavailable"]) == (
            resolved[0],
            min(resolved[1], replicas),
        )
        assert all_down is (written and replicas > 1 and strategy["maxUnavailable"] >= replicas)
    elif workload["kind"] == "StatefulSet" and (view.partition or 0) == 0:
        assert all_down is (written and replicas > 1 and strategy["maxUnavailable"] >= replicas), (
            rolling,
            strategy,
            replicas,
        )
