"""Type-safe access to the parts of an object that rules look at.

Manifests are user input: every accessor tolerates a wrong type anywhere and answers as if the
field were absent, so that rules stay simple and the schema rules report the wrong type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kpolicy.k8s.podtemplates import PodTemplateKind, layout_of
from kpolicy.model import KObject, Path

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
POD_TEMPLATE_KINDS = WORKLOAD_KINDS | {"Job", "ReplicationController"}
POD_SPEC_KINDS = POD_TEMPLATE_KINDS | {"CronJob", "Pod"}


def get(data: object, *path: str | int) -> Any:
    """The value at ``path``, or None when any step is missing or of the wrong type."""
    current: Any = data
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
        elif not isinstance(current, dict):
            return None
        else:
            if step not in current:
                return None
        current = current[step]
    return current


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def spec_of(obj: KObject) -> dict[str, Any] | None:
    """The object's ``spec`` when it is a mapping, else None."""
    spec = obj.data.get("spec")
    return spec if isinstance(spec, dict) else None


def describe_value(value: object, limit: int | None = None) -> str:
    """A value for a message about what is in the wrong place: ``null``, ``the boolean true``,
    ``the number 3``, ``the string 'x'`` (its first ``limit`` characters), ``a list``,
    ``a mapping``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the string {value[:limit]!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def str_map(value: object) -> dict[str, str]:
    """A labels-like map with the entries that are string → string (or scalar)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, str):
            out[k] = v
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, int | float) or v is None:
            out[k] = "" if v is None else str(v)
    return out


def template_path(obj: KObject) -> Path | None:
    """Path of the pod template (metadata + spec) of a workload; ``()`` for a Pod."""
    kind = obj.kind
    if kind in POD_TEMPLATE_KINDS:
        return ("spec", "template")
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template")
    if kind == "Pod":
        return ()
    layout = layout_of(obj)
    return None if layout is None else layout.template


def runs_pods(obj: KObject) -> bool:
    """Whether Pods run from the object's template: a pod-spec kind, or a custom pod-template
    kind other than PodTemplate (which only holds a template for others to use)."""
    if obj.kind in POD_SPEC_KINDS:
        return True
    layout = layout_of(obj)
    return layout is not None and layout.runs_pods


def custom_layout(obj: KObject) -> PodTemplateKind | None:
    """The layout of a pod-template kind outside the built-in workload API (Argo Rollout,
    OpenShift DeploymentConfig, PodTemplate, a configured kind), else None."""
    if obj.kind in POD_SPEC_KINDS:
        return None
    return layout_of(obj)


def pod_template(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    path = template_path(obj)
    if path is None:
        return None
    value = get(obj.data, *path) if path else obj.data
    if not isinstance(value, dict):
        return None
    return path, value


def pod_spec(obj: KObject) -> tuple[Path, dict[str, Any]] | None:
    found = pod_template(obj)
    if found is None:
        return None
    path, template = found
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return None
    return (*path, "spec"), spec


def template_labels(obj: KObject) -> dict[str, str]:
    found = pod_template(obj)
    if found is None:
        return {}
    return str_map(get(found[1], "metadata", "labels"))


def containers(
    spec_path: Path,
    spec: Mapping[str, Any],
    *,
    init: bool = True,
    ephemeral: bool = False,
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each container mapping with its path; init and ephemeral containers on request."""
    groups = ["containers"]
    if init:
        groups.append("initContainers")
    if ephemeral:
        groups.append("ephemeralContainers")
    for group in groups:
        for i, container in enumerate(sequence(spec.get(group))):
            if isinstance(container, dict):
                yield (*spec_path, group, i), container


def int_value(value: object) -> int | None:
    """An integer field's value; bools and non-integral numbers are not integers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return None
