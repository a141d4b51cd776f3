"""Builders of manifests for the plan tests, and the schema check every plan goes through."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from kpolicy.plan import WorkloadPlan, plan_document

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def check(plan: WorkloadPlan | None, **document: Any) -> dict[str, Any]:
    """Validate one plan against ``plan.schema.json`` and return its JSON form."""
    assert plan is not None
    doc = plan_document([plan], **document)
    # the document must survive a JSON round trip unchanged
    assert json.loads(json.dumps(doc)) == doc
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    workload: dict[str, Any] = doc["workloads"][0]
    return workload


def steps(plan: WorkloadPlan) -> list[dict[str, Any]]:
    return [step.to_json() for step in plan.steps]


def counts(plan: WorkloadPlan) -> list[tuple[int, int]]:
    """(new, old) per step, whatever the kind."""
    return [(step.new, step.old_count) for step in plan.steps]


def _template(labels: dict[str, str], image: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": dict(labels)},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def _workload(
    kind: str,
    name: str,
    namespace: str,
    image: str,
    optional: dict[str, Any],
    spec: dict[str, Any],
    replicas: Any = None,
) -> dict[str, Any]:
    """An apps/v1 workload whose selector matches its template, with the ``optional`` fields
    that are not None and ``spec`` on top."""
    labels = {"app": name}
    body: dict[str, Any] = {} if replicas is None else {"replicas": replicas}
    body["selector"] = {"matchLabels": dict(labels)}
    body["template"] = _template(labels, image)
    body.update({key: value for key, value in optional.items() if value is not None})
    body.update(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


def deployment(
    replicas: Any = 10,
    *,
    name: str = "web",
    image: str = "nginx:1.27",
    strategy: Any = None,
    **spec: Any,
) -> dict[str, Any]:
    return _workload("Deployment", name, "default", image, {"strategy": strategy}, spec, replicas)


def statefulset(
    replicas: Any = 3,
    *,
    name: str = "web",
    image: str = "nginx:1.27",
    service_name: str | None = "nginx",
    update_strategy: Any = None,
    **spec: Any,
) -> dict[str, Any]:
    return _workload(
        "StatefulSet",
        name,
        "default",
        image,
        {"serviceName": service_name, "updateStrategy": update_strategy},
        spec,
        replicas,
    )


def daemonset(
    *, name: str = "agent", image: str = "agent:1", update_strategy: Any = None, **pod: Any
) -> dict[str, Any]:
    workload = _workload(
        "DaemonSet", name, "kube-system", image, {"updateStrategy": update_strategy}, {}
    )
    workload["spec"]["template"]["spec"].update(pod)
    return workload


def service(
    name: str = "nginx",
    *,
    namespace: str = "default",
    headless: bool = True,
    selector: Any = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"app": "web"} if selector is None else selector}
    if headless:
        spec["clusterIP"] = "None"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def node(
    name: str, *, labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(labels or {})},
    }
    if taints is not None:
        out["spec"] = {"taints": taints}
    return out


def nodes(count: int) -> list[dict[str, Any]]:
    return [node(f"node-{i}") for i in range(count)]


def changed(obj: dict[str, Any], *path: str | int, value: Any) -> dict[str, Any]:
    """A deep copy of ``obj`` with the value at ``path`` replaced."""
    out = copy.deepcopy(obj)
    target: Any = out
    for step in path[:-1]:
        target = target.setdefault(step, {}) if isinstance(step, str) else target[step]
    target[path[-1]] = value
    return out


def new_image(obj: dict[str, Any], image: str = "nginx:1.28") -> dict[str, Any]:
    return changed(obj, "spec", "template", "spec", "containers", 0, "image", value=image)
