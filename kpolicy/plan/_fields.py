"""The planner's readers of manifest fields, in one place: a value of the wrong type counts as
absent and leaves a note (:class:`_Fields`); the bare helpers read without notes.

These are the readers to swap for the shared typed model of issue 15 (``kpolicy`` rules and
the planner reading Kubernetes fields one way)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kpolicy.k8s import intstr
from kpolicy.model import ObjectRef
from kpolicy.workload import (
    WORKLOAD_KINDS,
    Workload,
    describe_value,
    int_value,
    is_headless,
    label_map,
)

_INT32_MAX: Final = 2**31 - 1


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + step
    return out or "the object"


class _Fields:
    """Reads a manifest; a value of the wrong type counts as absent and leaves a note."""

    def __init__(self, root: object, notes: list[str]) -> None:
        self._root: Any = root if isinstance(root, dict) else {}
        self._notes = notes
        self._noted: set[str] = set()
        if root is not None and not isinstance(root, dict):
            self.note((), f"{describe_value(root)} is not an object; treated as empty")

    def note(self, path: Sequence[str | int], message: str) -> None:
        key = _dotted(path)
        if key in self._noted:
            return
        self._noted.add(key)
        self._notes.append(message)

    def raw(self, *path: str) -> Any:
        current: Any = self._root
        for index, step in enumerate(path):
            if not isinstance(current, dict):
                where = path[:index]
                self.note(
                    where,
                    f"{_dotted(where)} is {describe_value(current)}, not a mapping; "
                    "treated as absent",
                )
                return None
            if step not in current:
                return None
            current = current[step]
        return current

    def mapping(self, *path: str) -> dict[str, Any]:
        value = self.raw(*path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.note(
                path,
                f"{_dotted(path)} is {describe_value(value)}, not a mapping; treated as absent",
            )
            return {}
        return value

    def optional_mapping(self, *path: str) -> dict[str, Any] | None:
        value = self.raw(*path)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.note(
                path,
                f"{_dotted(path)} is {describe_value(value)}, not a mapping; treated as absent",
            )
            return None
        return value

    def string(self, *path: str) -> str | None:
        value = self.raw(*path)
        if value is None:
            return None
        if not isinstance(value, str):
            self.note(
                path, f"{_dotted(path)} is {describe_value(value)}, not a string; treated as absent"
            )
            return None
        return value

    def integer(self, *path: str, minimum: int = 0, default_text: str = "") -> int | None:
        value = self.raw(*path)
        if value is None:
            return None
        number = int_value(value)
        suffix = f" ({default_text})" if default_text else ""
        if number is None:
            self.note(
                path,
                f"{_dotted(path)} is {describe_value(value)}, not an integer; treated "
                f"as absent{suffix}",
            )
            return None
        if number < minimum:
            self.note(
                path,
                f"{_dotted(path)} is {number}, below {minimum}, which the API server "
                f"rejects; treated as absent{suffix}",
            )
            return None
        if number > _INT32_MAX:
            self.note(
                path,
                f"{_dotted(path)} is {number}, more than an int32 holds, which the "
                f"API server rejects; treated as absent{suffix}",
            )
            return None
        return number

    def int_or_percent(self, *path: str, default_text: str = "") -> int | str | None:
        """An int-or-percent value the API server accepts, or None (with a note otherwise)."""
        value = self.raw(*path)
        if value is None:
            return None
        suffix = f" ({default_text})" if default_text else ""
        errors = intstr.validate_int_or_percent(value)
        if errors:
            self.note(path, f"{_dotted(path)}: {errors[0]}; treated as absent{suffix}")
            return None
        number = int_value(value)
        if number is not None:
            return number
        assert isinstance(value, str)
        try:
            intstr.scaled_value(value, 1, True)
        except ValueError:
            # the API server's pattern accepts any digits, but the controllers' strconv.Atoi
            # fails on a percentage past int64 and the sync stops with an error
            self.note(
                path,
                f"{_dotted(path)} {value!r} is too large for the controller to "
                f"resolve (its sync fails); treated as absent{suffix}",
            )
            return None
        return value


def _object_ref(obj: Mapping[str, Any]) -> ObjectRef:
    metadata = obj.get("metadata")
    meta: Mapping[str, Any] = metadata if isinstance(metadata, dict) else {}

    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None

    return ObjectRef(
        api_version=text(obj.get("apiVersion")),
        kind=text(obj.get("kind")),
        namespace=text(meta.get("namespace")),
        name=text(meta.get("name")),
    )


def _namespace(obj: Mapping[str, Any]) -> str:
    namespace = _object_ref(obj).namespace
    return namespace if namespace else "default"


def _name(obj: Mapping[str, Any]) -> str:
    return _object_ref(obj).name or ""


def _spec(obj: Mapping[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _pod_spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    template = _spec(obj).get("template")
    spec = template.get("spec") if isinstance(template, dict) else None
    return spec if isinstance(spec, dict) else {}


def _replicas_of(obj: Mapping[str, Any]) -> int:
    # SetDefaults_Deployment / SetDefaults_StatefulSet: replicas defaults to 1
    number = int_value(_spec(obj).get("replicas"))
    return number if number is not None and number >= 0 else 1


def _start_ordinal_raw(obj: Mapping[str, Any]) -> int:
    return Workload(WORKLOAD_KINDS["StatefulSet"], obj).start_ordinal


def _service_key(service: Mapping[str, Any]) -> tuple[str, str] | None:
    if service.get("kind") not in (None, "Service"):
        return None
    metadata = service.get("metadata")
    if not isinstance(metadata, dict):
        return None
    name = metadata.get("name")
    namespace = metadata.get("namespace")
    if not isinstance(name, str):
        return None
    return (namespace if isinstance(namespace, str) and namespace else "default"), name


def _template_labels(template: Mapping[str, Any]) -> dict[str, str]:
    metadata = template.get("metadata")
    return label_map(metadata.get("labels")) if isinstance(metadata, dict) else {}


def _is_zero(value: object) -> bool:
    return value == 0 or intstr.percent_value(value) == 0


def _headless(service: Mapping[str, Any]) -> bool:
    """Whether a Service is headless, as lint reads it (workload.is_headless: clusterIP, or
    clusterIPs[0] when clusterIP is unset, is ``None``)."""
    return is_headless(service)


def _node_name(node: object, index: int) -> str:
    if isinstance(node, dict):
        metadata = node.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            return str(metadata["name"])
    return f"<node {index + 1}>"
