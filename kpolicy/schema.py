"""Validate manifests against the Kubernetes JSON Schemas, as the API server would decode them.

The schemas come from the offline bundle in ``schemas/k8s/`` (see ``tools/gen_schemas.py``),
corrected by ``schemas/overlay.yaml``. On top of the published schemas this module applies what
the API server's strict field validation (``kubectl apply``'s default) does: an unknown field is
an error everywhere except in maps (labels, annotations, ``data``) and in free-form objects.

``SchemaValidator.for_version("1.37")`` is built once per process and version; each kind's
schema is built from the bundle and compiled on its first use. ``validate(obj)`` returns every
problem of a document, each as a :class:`SchemaProblem` with the JSON path of the node that is
wrong.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import difflib
import functools
import json
import math
import numbers
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from kpolicy.index import NeedsIndex
from kpolicy.k8s.validation import is_valid_percent, is_valid_port_name
from kpolicy.patterns import (
    PATTERN_TIMEOUT,
    PatternError,
    PatternTimeout,
    bounded_validator,
    compile_pattern,
    has_unbounded_patterns,
    path_of_value,
)
from kpolicy.resources import data_dir
from kpolicy.schemalite import LiteError
from kpolicy.schemalite import iter_errors as schemalite_errors

if TYPE_CHECKING:  # jsonschema is imported on first use: a valid document never needs it
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

__all__ = [
    "RULE_ENUM_INVALID",
    "RULE_FORMAT_INVALID",
    "RULE_REQUIRED_MISSING",
    "RULE_TYPE_MISMATCH",
    "RULE_UNKNOWN_FIELD",
    "RULE_VALUE_INVALID",
    "SCHEMA_RULES",
    "SchemaProblem",
    "SchemaValidator",
    "UnsupportedVersion",
    "is_valid_quantity",
    "load_schema_dir",
    "normalize_version",
    "served_minors",
    "supported_versions",
]

RULE_UNKNOWN_FIELD: Final = "schema-unknown-field"
RULE_TYPE_MISMATCH: Final = "schema-type-mismatch"
RULE_REQUIRED_MISSING: Final = "schema-required-missing"
RULE_ENUM_INVALID: Final = "schema-enum-invalid"
RULE_FORMAT_INVALID: Final = "schema-format-invalid"
# constraints that only custom schemas (CRDs, --schema-dir) carry: pattern, minimum,
# maxLength, minItems, ... and the value of a port number
RULE_VALUE_INVALID: Final = "schema-value-invalid"
SCHEMA_RULES: Final = (
    RULE_UNKNOWN_FIELD,
    RULE_TYPE_MISMATCH,
    RULE_REQUIRED_MISSING,
    RULE_ENUM_INVALID,
    RULE_FORMAT_INVALID,
    RULE_VALUE_INVALID,
)

SCHEMAS_DIR: Final = data_dir("schemas")
BUNDLE_DIR: Final = SCHEMAS_DIR / "k8s"
OVERLAY_PATH: Final = SCHEMAS_DIR / "overlay.yaml"
OVERLAY_JSON_PATH: Final = SCHEMAS_DIR / "overlay.json"

PathElement = str | int
At = Literal["value", "key"]

# A document whose tree (with YAML aliases expanded) has more nodes than this is not
# validated: aliases can make a small file expand exponentially ("billion laughs").
MAX_NODES: Final = 2_000_000
_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)
_OBJECT_META: Final = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
# the kinds compile_builtin prepares: the workloads (they share the large PodSpec) and the
# objects around them
_PREPARED_KINDS: Final = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Pod"),
    ("v1", "PodTemplate"),
    ("v1", "ReplicationController"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Namespace"),
    ("policy/v1", "PodDisruptionBudget"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
)


@dataclass(frozen=True)
class SchemaProblem:
    """One schema error: ``path`` names the wrong value, the unknown key, or (for a missing
    field) the mapping that should hold it; ``at`` says whether the value or the key is wrong."""

    rule: str
    path: tuple[PathElement, ...]
    at: At
    message: str
    # a fix, when one is clear: the one known field an unknown key is a typo of, or (a YAML
    # 1.1 boolean or number where a string belongs) that the value's own text be quoted
    rename: str | None = None
    quote: bool = False


class UnsupportedVersion(ValueError):
    """A Kubernetes version the bundle has no schemas for."""

    def __init__(self, version: str, supported: list[str]) -> None:
        self.version = version
        self.supported = supported
        super().__init__(
            f"unsupported Kubernetes version {version!r}: supported versions are "
            + ", ".join(supported)
        )


# ---------------------------------------------------------------------------------------
# the bundle
#
# ``index.json`` says, per (apiVersion, kind) and per definition name, which releases have
# it and in which form (``[first minor, last minor, root name or content hash]``);
# ``definitions.jsonl`` holds each distinct definition once, one ``["<hash>", {...}]`` per
# line. Only the index is parsed up front; a definition's line is parsed when a kind that
# reaches it is first validated (see :class:`_Version`).


@functools.cache
def _index() -> dict[str, Any]:
    loaded = json.loads((BUNDLE_DIR / "index.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@functools.cache
def _store_lines() -> dict[str, str]:
    """Content hash -> its line of ``definitions.jsonl``, unparsed."""
    lines: dict[str, str] = {}
    text = (BUNDLE_DIR / "definitions.jsonl").read_text(encoding="utf-8")
    for line in text.splitlines():
        # ["0123456789abcdef",{...}]: the hash sits at a fixed place
        if line.startswith('["'):
            lines[line[2 : line.index('"', 2)]] = line
    return lines


def _stored(digest: str) -> dict[str, Any]:
    """A new copy of one stored definition (the caller may change it)."""
    loaded = json.loads(_store_lines()[digest])
    definition = loaded[1]
    assert isinstance(definition, dict)
    return definition


def _pick(ranges: object, minor: int) -> str | None:
    """The value of the ``[first, last, value]`` range holding ``minor``."""
    for first, last, value in ranges:  # type: ignore[attr-defined]
        if first <= minor <= last:
            return str(value)
    return None


@functools.cache
def _overlay() -> dict[str, Any]:
    """schemas/overlay.yaml as written to schemas/overlay.json by tools/gen_schemas.py
    (``--overlay``): parsing the YAML itself took longer than building a kind's schemas."""
    loaded = json.loads(OVERLAY_JSON_PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def supported_versions() -> list[str]:
    """Kubernetes minor versions with bundled schemas, oldest first (``"1.29"``...)."""
    return sorted(_index()["versions"], key=_version_key)


def served_minors(api_version: str, kind: str) -> tuple[int, ...]:
    """The minor releases among the bundled ones whose API server serves this kind at this
    apiVersion (when its group version is enabled), oldest first; () for none."""
    by_kind = _index()["kinds"].get(api_version)
    ranges = by_kind.get(kind) if isinstance(by_kind, dict) else None
    if not ranges:
        return ()
    return tuple(minor for first, last, _ in ranges for minor in range(first, last + 1))


def normalize_version(version: str) -> str:
    """``"v1.37.2"``, ``"1.37"`` -> ``"1.37"``; raises :class:`UnsupportedVersion`."""
    match = re.fullmatch(r"\s*v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?\s*", str(version))
    supported = supported_versions()
    if match is None:
        raise UnsupportedVersion(str(version), supported)
    minor = f"{int(match.group(1))}.{int(match.group(2))}"
    if minor not in supported:
        raise UnsupportedVersion(str(version), supported)
    return minor


# ---------------------------------------------------------------------------------------
# formats: each check returns None when the value is fine, else (rule, message)

FormatResult = tuple[str, str] | None
_QUANTITY_HINTS: Final = {
    "ki": "Ki",
    "mi": "Mi",
    "gi": "Gi",
    "ti": "Ti",
    "pi": "Pi",
    "ei": "Ei",
    "kb": "k (or Ki)",
    "mb": "M (or Mi)",
    "gb": "G (or Gi)",
    "tb": "T (or Ti)",
    "pb": "P (or Pi)",
    "eb": "E (or Ei)",
}


@functools.cache
def _quantity_checker() -> Callable[[str], bool]:
    try:
        from kpolicy.k8s.quantity import is_valid_quantity as checker
    except ImportError:  # the regex of the overlay follows the same grammar
        pass
    else:
        return checker
    pattern = re.compile(_overlay()["formats"]["quantity"]["pattern"])

    def matches(text: str) -> bool:
        text = text.strip()
        if not text or pattern.fullmatch(text) is None:
            return False
        exponent = re.search(r"[eE]([+-]?\d+)$", text)
        # suffixer.interpret parses the exponent with strconv.ParseInt(..., 64)
        return exponent is None or _INT64[0] <= int(exponent.group(1)) <= _INT64[1]

    return matches


def is_valid_quantity(value: object) -> bool:
    """Whether ``resource.ParseQuantity`` (through ``Quantity.UnmarshalJSON``) accepts it."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return bool(_quantity_checker()(value))
    return False


def _quantity_problem(value: object) -> FormatResult:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None  # the type check reports it
    if is_valid_quantity(value):
        return None
    if isinstance(value, float):
        return RULE_FORMAT_INVALID, f"{_show(value)} is not a valid quantity"
    digits = sum(1 for char in str(value) if char.isdigit()) if isinstance(value, str) else 0
    if digits > _QUANTITY_DIGITS:
        return RULE_FORMAT_INVALID, (
            f"{_show(value)} has {digits} digits: kpolicy reads quantities of at most "
            f"{_QUANTITY_DIGITS} digits, and no real amount has more"
        )
    message = f"{_show(value)} is not a valid quantity"
    suffix = re.fullmatch(r"\s*[+-]?[0-9.]*\s*([A-Za-z]+)\s*", str(value))
    hint = _QUANTITY_HINTS.get(suffix.group(1).lower()) if suffix else None
    if suffix and hint:
        message += f": did you mean the suffix {hint}?"
    else:
        message += " (examples: 500Mi, 1Gi, 0.5, 100m, 1e3)"
    return RULE_FORMAT_INVALID, message


def _resource_quantity_problem(value: object) -> FormatResult:
    problem = _quantity_problem(value)
    if problem is not None:
        return problem
    if isinstance(value, bool) or value is None:
        return None
    negative = (isinstance(value, int | float) and value < 0) or (
        isinstance(value, str) and value.strip().startswith("-") and _nonzero(value)
    )
    if negative:
        return RULE_VALUE_INVALID, f"{_show(value)} must be greater than or equal to 0"
    return None


_QUANTITY_DIGITS: Final = 4_000  # kpolicy.k8s.quantity.MAX_DIGITS


def _nonzero(text: str) -> bool:
    return re.search(r"[1-9]", text.split("e")[0].split("E")[0]) is not None


def _port_text_problem(value: str) -> FormatResult:
    if re.fullmatch(r"\s*[0-9]+\s*", value):
        return (
            RULE_TYPE_MISMATCH,
            f"port {_show(value)} is a string, not a number: remove the quotes "
            "(a port given as a string must be a port name)",
        )
    errors = is_valid_port_name(value)
    if errors:
        return (
            RULE_TYPE_MISMATCH,
            f"port {_show(value)} is a string but not a valid port name: " + "; ".join(errors),
        )
    return None


def _port_number_problem(value: object, allow_zero: bool = False) -> FormatResult:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if 1 <= value <= 65535 or (allow_zero and value == 0):
        return None
    return RULE_VALUE_INVALID, f"port {value} must be between 1 and 65535, inclusive"


def _port_or_name_problem(value: object, allow_zero: bool = False) -> FormatResult:
    if isinstance(value, str):
        return _port_text_problem(value)
    return _port_number_problem(value, allow_zero)


def _port_name_problem(value: object) -> FormatResult:
    if not isinstance(value, str) or value == "":
        return None
    errors = is_valid_port_name(value)
    if errors:
        return RULE_FORMAT_INVALID, f"{_show(value)} is not a valid port name: " + "; ".join(errors)
    return None


def _int_or_percent_problem(value: object) -> FormatResult:
    if isinstance(value, str):
        if re.fullmatch(r"\s*[0-9]+\s*", value):
            return (
                RULE_TYPE_MISMATCH,
                f"{_show(value)} is a string, not a number: remove the quotes, "
                f'or write a percentage such as "{value.strip()}%"',
            )
        errors = is_valid_percent(value)
        if errors:
            return RULE_FORMAT_INVALID, f"{_show(value)} is not an integer or a percentage: " + (
                "; ".join(errors)
            )
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return RULE_VALUE_INVALID, f"{value} must be greater than or equal to 0"
    return None


def _byte_problem(value: object) -> FormatResult:
    if not isinstance(value, str):
        return None
    try:
        base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return (
            RULE_FORMAT_INVALID,
            f"{_show(_clip(value))} is not valid base64 (plain text belongs under stringData)",
        )
    return None


def _int_range_problem(bounds: tuple[int, int], bits: int) -> Callable[[object], FormatResult]:
    def check(value: object) -> FormatResult:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        if bounds[0] <= value <= bounds[1]:
            return None
        return RULE_TYPE_MISMATCH, f"{value} does not fit in a {bits}-bit integer"

    return check


_FORMATS: Final[dict[str, Callable[[object], FormatResult]]] = {
    "quantity": _quantity_problem,
    "resource-quantity": _resource_quantity_problem,
    "port-or-name": _port_or_name_problem,
    "target-port": lambda value: _port_or_name_problem(value, allow_zero=True),
    "port-number": _port_number_problem,
    "port-name": _port_name_problem,
    "int-or-percent": _int_or_percent_problem,
    "byte": _byte_problem,
    "int32": _int_range_problem(_INT32, 32),
    "int64": _int_range_problem(_INT64, 64),
}
# custom resources: kube-openapi checks string formats only; int32/int64 are not enforced
_CUSTOM_FORMATS: Final = ("byte",)


def _format_checker(names: Iterable[str]) -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name in names:
        check = _FORMATS[name]
        checker.checks(name)(functools.partial(_passes, check))
    return checker


def _passes(check: Callable[[object], FormatResult], value: object) -> bool:
    return check(value) is None


# ---------------------------------------------------------------------------------------
# building one version's schemas


def _applies(entry: Mapping[str, Any], version: str) -> bool:
    since, until = entry.get("since"), entry.get("until")
    key = _version_key(version)
    if since is not None and key < _version_key(str(since)):
        return False
    return not (until is not None and key > _version_key(str(until)))


def _apply_patch(definition: dict[str, Any], entry: Mapping[str, Any]) -> None:
    """One overlay entry on the definition it names."""
    if "drop_required" in entry:
        required = [
            name for name in definition.get("required", ()) if name not in entry["drop_required"]
        ]
        if required:
            definition["required"] = required
        else:
            definition.pop("required", None)
    node: dict[str, Any] | None = definition
    if "property" in entry:
        node = definition.get("properties", {}).get(entry["property"])
    if node is None:
        return
    target = entry.get("target", "value")
    if target in ("items", "values"):
        key = "items" if target == "items" else "additionalProperties"
        if not isinstance(node.get(key), dict):
            return
        node = node[key]
    if "enum" in entry:
        allowed = list(entry["enum"])
        if entry.get("empty_ok", True):
            allowed += ["", None]
        elif entry.get("null_ok", False):
            allowed.append(None)
        node["enum"] = allowed
    if "format" in entry:
        node["format"] = entry["format"]


def _children(node: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(container, key) of each subschema directly under ``node``."""
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name in properties:
            yield properties, name
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield node, key  # type: ignore[misc]


def _ref_name(node: object) -> str | None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return ref[len("#/$defs/") :]
    return None


def _drop_required(definition: dict[str, Any]) -> None:
    """Remove ``required`` from one definition. The published schemas say ``required`` only
    at the top of a definition (nested objects are references; tests/schema/test_versions.py
    checks it), so that is the one place to look."""
    definition.pop("required", None)


def _make_strict(node: dict[str, Any]) -> None:
    # the API server's strict field validation: an object with known fields rejects others
    if (
        isinstance(node.get("properties"), dict)
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False


class _Roots(Mapping[tuple[str, str], dict[str, Any]]):
    """(apiVersion, kind) -> the kind's schema: membership and iteration come from the index,
    a schema is built on first access."""

    def __init__(self, version: _Version) -> None:
        self._version = version

    def __getitem__(self, key: tuple[str, str]) -> dict[str, Any]:
        return self._version.root(key)

    def __contains__(self, key: object) -> bool:
        return key in self._version.kinds

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._version.kinds)

    def __len__(self) -> int:
        return len(self._version.kinds)


class _Version:
    """The schemas of one Kubernetes version, built kind by kind as a run needs them.

    A kind's schema is its root definition with every ``$ref`` replaced by the definition
    object itself (shared, cycles allowed), after the overlay's corrections and with strict
    fields. Definitions are parsed from the bundle and corrected once per version, on the
    first kind that reaches them; kinds built later share them (PodSpec is one object under
    Deployment, Pod and Job), and so do the fast checks compiled from them.

    Under a kind's ``status`` every definition is a second, relaxed copy without ``required``:
    the API server resets the status of a new object (each strategy's PrepareForCreate, for
    example pkg/registry/apps/deployment/strategy.go sets ``deployment.Status = {}``), so a
    field required there is never enforced, while unknown fields and wrong types are still
    decode errors.
    """

    def __init__(self, version: str) -> None:
        self.version = version
        self.minor = _version_key(version)[1]
        index = _index()
        self.kinds: dict[tuple[str, str], str] = {}
        for api_version, by_kind in index["kinds"].items():
            for kind, ranges in by_kind.items():
                root = _pick(ranges, self.minor)
                if root is not None:
                    self.kinds[(api_version, kind)] = root
        self._root_names = frozenset(self.kinds.values())
        self._ranges: dict[str, Any] = index["definitions"]
        overlay = _overlay()
        self._relax_status = bool(overlay.get("drop_required_under_status"))
        self._patches: dict[str, list[Mapping[str, Any]]] = {}
        for entry in overlay.get("patches", ()):
            if _applies(entry, version):
                self._patches.setdefault(entry["definition"], []).append(entry)
        self._built: dict[tuple[str, bool], dict[str, Any]] = {}
        self._pending: list[tuple[dict[str, Any], bool, bool]] = []
        self._merged: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
        self.built_roots: dict[tuple[str, str], dict[str, Any]] = {}
        self.roots: Mapping[tuple[str, str], dict[str, Any]] = _Roots(self)
        self.compiled: dict[tuple[str, str], Validator] = {}
        self.lock = threading.RLock()
        # (apiVersion, kind) -> the pass/fail check of _compile_fast, or None when that kind's
        # schema uses a keyword the fast check does not know (jsonschema then decides alone)
        self.fast: dict[tuple[str, str], Callable[[Any], bool] | None] = {}
        # schema node (by id) -> its compiled check, shared by every kind of the version: the
        # definitions are shared objects (PodSpec is one node under Deployment, Pod, Job, ...)
        self.fast_memo: dict[int, Callable[[Any], bool]] = {}

    def root(self, key: tuple[str, str]) -> dict[str, Any]:
        """The schema of one kind of this version; KeyError for a kind it does not serve."""
        found = self.built_roots.get(key)
        if found is not None:
            return found
        with self.lock:
            found = self.built_roots.get(key)
            if found is None:
                found = self._definition(self.kinds[key], relaxed=False)
                self._resolve()
                assert found is not None
                self.built_roots[key] = found
            return found

    def definition(self, name: str) -> dict[str, Any] | None:
        """One definition of this version, built (ObjectMeta for custom resources)."""
        with self.lock:
            found = self._definition(name, relaxed=False)
            self._resolve()
            return found

    def _definition(self, name: str, relaxed: bool) -> dict[str, Any] | None:
        built = self._built.get((name, relaxed))
        if built is not None:
            return built
        ranges = self._ranges.get(name)
        digest = _pick(ranges, self.minor) if ranges is not None else None
        if digest is None:
            return None
        schema = _stored(digest)
        for entry in self._patches.get(name, ()):
            _apply_patch(schema, entry)
        is_root = name in self._root_names
        if relaxed:
            _drop_required(schema)
        elif is_root and self._relax_status and "status" in schema.get("required", ()):
            # a kind that lists its status as required (StorageVersion): never enforced either
            schema["required"] = [field for field in schema["required"] if field != "status"]
            if not schema["required"]:
                del schema["required"]
        _make_strict(schema)
        self._built[(name, relaxed)] = schema
        self._pending.append((schema, relaxed, is_root))
        return schema

    def _resolve(self) -> None:
        """Replace the ``$ref``s of the definitions built so far by the definitions."""
        while self._pending:
            definition, relaxed, is_root = self._pending.pop()
            stack: list[tuple[dict[str, Any], bool]] = [(definition, relaxed)]
            while stack:
                node, node_relaxed = stack.pop()
                for container, key in list(_children(node)):
                    child = container[key]
                    child_relaxed = node_relaxed or (
                        self._relax_status
                        and is_root
                        and node is definition
                        and key == "status"
                        and container is node.get("properties")
                    )
                    name = _ref_name(child)
                    if name is None:
                        stack.append((child, child_relaxed))
                        continue
                    target = self._definition(name, child_relaxed)
                    if target is None:  # not in the bundle: left as a reference
                        continue
                    siblings = {k: v for k, v in child.items() if k != "$ref"}
                    if siblings:
                        # a corrected reference (a format on an IntOrString): a copy, filled
                        # again below once the target itself is resolved
                        merged = {**target, **siblings}
                        container[key] = merged
                        self._merged.append((merged, target, siblings))
                    else:
                        container[key] = target
        for merged, target, siblings in self._merged:
            merged.update(target)
            merged.update(siblings)
        self._merged.clear()


@functools.cache
def _load_version(version: str) -> _Version:
    return _Version(version)


@functools.cache
def _builtin_format_checker() -> FormatChecker:
    return _format_checker(_FORMATS)


@functools.cache
def _custom_format_checker() -> FormatChecker:
    return _format_checker(_CUSTOM_FORMATS)


# ---------------------------------------------------------------------------------------
# custom resources


def _convert_custom(node: object, structural: bool = True) -> Any:
    """An OpenAPI v3 structural schema (CRD) as a JSON Schema 2020-12 with strict fields."""
    if not isinstance(node, Mapping):
        return node if isinstance(node, bool) else {}
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in (
            "description",
            "default",
            "example",
            "externalDocs",
            "x-kubernetes-validations",
            "nullable",
            "id",
            "$schema",
        ):
            continue
        if key == "properties" and isinstance(value, Mapping):
            result[key] = {
                str(name): _convert_custom(sub, structural) for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties", "not"):
            result[key] = _convert_custom(value, structural and key != "not")
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            result[key] = [_convert_custom(sub, structural=False) for sub in value]
        elif key == "format" and value not in _CUSTOM_FORMATS:
            continue
        else:
            result[key] = value
    # OpenAPI v3.0 / draft 4: exclusiveMinimum is a boolean that modifies minimum
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(result.get(bound), bool) and result.pop(bound) and limit in result:
            result[bound] = result.pop(limit)
    if node.get("x-kubernetes-int-or-string"):
        result["type"] = ["integer", "string"]
        for key in ("anyOf", "oneOf"):
            result.pop(key, None)
    # a null value of a custom resource is pruned before validation unless the field is
    # nullable (apiextensions-apiserver pkg/apiserver/schema/pruning), so null always passes
    if isinstance(result.get("type"), str | list):
        types = [result["type"]] if isinstance(result["type"], str) else list(result["type"])
        result["type"] = [*types, "null"]
        if isinstance(result.get("enum"), list):
            result["enum"] = [*result["enum"], None]
    if node.get("x-kubernetes-embedded-resource") and isinstance(result.get("properties"), dict):
        for name in ("apiVersion", "kind"):
            result["properties"].setdefault(name, {"type": "string"})
        result["properties"].setdefault("metadata", {"type": "object"})
    if structural:
        _make_strict(result)
    return result


def _custom_root(schema: object, object_meta: Any) -> dict[str, Any]:
    root = _convert_custom(schema)
    if not isinstance(root, dict):
        root = {}
    properties = root.get("properties")
    if isinstance(properties, dict):
        # apiVersion, kind and the standard metadata are always accepted and checked
        properties["apiVersion"] = {"type": "string"}
        properties["kind"] = {"type": "string"}
        properties["metadata"] = object_meta if object_meta is not None else {"type": "object"}
    return root


def _crd_schemas(crd: object) -> dict[tuple[str, str], Any]:
    """(apiVersion, kind) -> openAPIV3Schema of each served version of a CRD."""
    found: dict[tuple[str, str], Any] = {}
    if not isinstance(crd, Mapping) or crd.get("kind") != "CustomResourceDefinition":
        return found
    spec = crd.get("spec")
    if not isinstance(spec, Mapping):
        return found
    group, names = spec.get("group"), spec.get("names")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return found
    validation = spec.get("validation")
    shared = validation.get("openAPIV3Schema") if isinstance(validation, Mapping) else None
    versions = spec.get("versions")
    if not isinstance(versions, list):
        versions = [{"name": spec.get("version"), "served": True}]
    for entry in versions:
        if not isinstance(entry, Mapping) or entry.get("served") is not True:
            continue
        name = entry.get("name")
        if not isinstance(name, str):
            continue
        schema = entry.get("schema")
        openapi = schema.get("openAPIV3Schema") if isinstance(schema, Mapping) else shared
        if isinstance(openapi, Mapping):
            found[(f"{group}/{name}", kind)] = openapi
    return found


def _crd_name(crd: object) -> str:
    metadata = crd.get("metadata") if isinstance(crd, Mapping) else None
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return (
        f"CustomResourceDefinition {name!r}"
        if isinstance(name, str)
        else ("a CustomResourceDefinition")
    )


def load_schema_dir(path: str | Path) -> dict[tuple[str | None, str, str], dict[str, Any]]:
    """JSON Schemas named like kubeconform's, keyed by (group or None, version, kind lower-case).

    ``{kind}_{version}.json`` (lower-case; the group is the parent folder when its name has a
    dot, as in the CRDs catalog, else unknown) and ``{kind}-{group}-{version}.json`` (the group
    may be shortened to its first label: ``deployment-apps-v1.json``,
    ``clusterrole-rbac-v1.json``; ``service-v1.json`` is the core group).
    """
    from kpolicy.fsutil import read_regular, tree_files
    from kpolicy.model import Limits

    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")
    found: dict[tuple[str | None, str, str], dict[str, Any]] = {}
    # links to folders are not followed, nor links to files outside the folder (the run
    # cache hashes the same list); a FIFO or a file past the default size limit is skipped
    for file in sorted(map(Path, tree_files(str(root), (".json",), recursive=True))):
        stem = file.stem.lower()
        key: tuple[str | None, str, str] | None = None
        if "_" in stem:
            kind, _, version = stem.rpartition("_")
            parent = file.parent.name.lower() if file.parent != root else ""
            key = (parent if "." in parent else None, version, kind)
        elif "-" in stem:
            parts = stem.split("-")
            if len(parts) == 2:
                key = ("", parts[1], parts[0])
            else:
                key = ("-".join(parts[1:-1]), parts[-1], parts[0])
        if key is None or not key[2]:
            continue
        try:
            loaded = json.loads(read_regular(file, Limits().max_file_bytes).decode("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(loaded, dict):
            # a base URI, so that relative $refs ("_definitions.json#/...") find their files
            loaded.setdefault("$id", file.resolve().as_uri())
            found[key] = loaded
    return found


def _folder_registry(roots: Iterable[Path]) -> Any:
    """Resolves ``file:`` references to JSON files inside the schema folders ``roots``."""
    from urllib.parse import unquote, urlsplit

    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    from kpolicy.fsutil import read_regular
    from kpolicy.model import Limits

    allowed = [root.resolve() for root in roots]

    def retrieve(uri: str) -> Any:
        parts = urlsplit(uri)
        target = Path(unquote(parts.path)).resolve()
        inside = any(target.is_relative_to(root) for root in allowed)
        if parts.scheme != "file" or target.suffix != ".json" or not inside:
            raise LookupError(uri)
        try:
            data = read_regular(target, Limits().max_file_bytes)
        except OSError:
            raise LookupError(uri) from None
        contents = json.loads(data.decode("utf-8"))
        return Resource.from_contents(contents, default_specification=DRAFT7)

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


def _dir_lookup(
    schemas: Mapping[tuple[str | None, str, str], dict[str, Any]], api_version: str, kind: str
) -> dict[str, Any] | None:
    group, _, version = api_version.rpartition("/")
    group = group.lower()
    candidates: list[tuple[str | None, str, str]] = [(group, version.lower(), kind.lower())]
    if "." in group:
        candidates.append((group.split(".")[0], version.lower(), kind.lower()))
    candidates.append((None, version.lower(), kind.lower()))
    for candidate in candidates:
        if candidate in schemas:
            return schemas[candidate]
    return None


# ---------------------------------------------------------------------------------------
# the validator


class SchemaValidator:
    """Schema validation for one Kubernetes version, plus any custom resource schemas."""

    def __init__(self, version: str) -> None:
        self.version = normalize_version(version)
        self._builtin = _load_version(self.version)
        self._custom: dict[tuple[str, str], dict[str, Any]] = {}
        self._custom_compiled: dict[tuple[str, str], Validator | None] = {}
        self._custom_fast: dict[tuple[str, str], FastCheck | None] = {}
        self._schema_dir: Mapping[tuple[str | None, str, str], dict[str, Any]] = {}
        self._schema_roots: tuple[Path, ...] = ()
        self._frozen = False

    @classmethod
    def for_version(cls, version: str) -> SchemaValidator:
        """The shared validator of a version (``"1.37"``, ``"v1.37.2"``), built once."""
        return _shared_validator(normalize_version(version))

    # -- custom schemas -------------------------------------------------------------------

    def _derive(self) -> SchemaValidator:
        derived = SchemaValidator(self.version)
        derived._custom = dict(self._custom)
        derived._custom_compiled = dict(self._custom_compiled)
        derived._custom_fast = dict(self._custom_fast)
        derived._schema_dir = self._schema_dir
        derived._schema_roots = self._schema_roots
        return derived

    def with_crds(self, crds: Iterable[object]) -> SchemaValidator:
        """A new validator that also validates the custom resources of these CRDs."""
        derived = self._derive()
        for crd in crds:
            derived.register_crd(crd)
        return derived

    def with_schema_dir(self, path: str | Path) -> SchemaValidator:
        """A new validator that also uses the kubeconform-style schemas of a folder."""
        derived = self._derive()
        derived._schema_dir = {**self._schema_dir, **load_schema_dir(path)}
        derived._schema_roots = (*self._schema_roots, Path(path))
        derived._custom_compiled = {}
        return derived

    def register_crd(self, crd: object) -> list[tuple[str, str]]:
        """Add the served versions of a CustomResourceDefinition; returns their (apiVersion, kind).

        Not allowed on the shared validators of :meth:`for_version`: use :meth:`with_crds`.
        """
        if self._frozen:
            raise RuntimeError("the shared validator is read-only: use with_crds() instead")
        added: list[tuple[str, str]] = []
        try:
            schemas = _crd_schemas(crd)
        except Exception:  # a hostile CRD is skipped, never fatal
            return added
        name = _crd_name(crd)
        for key, openapi in schemas.items():
            if key in self._builtin.roots:
                continue  # a CRD cannot replace a built-in kind
            self._custom[key] = {"openapi": openapi, "origin": name}
            self._custom_compiled.pop(key, None)
            self._custom_fast.pop(key, None)
            added.append(key)
        return added

    def has_schema(self, api_version: object, kind: object) -> bool:
        """Whether objects of this apiVersion and kind are validated."""
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return False
        if (api_version, kind) in self._builtin.roots:
            return True
        return self._validator_for(api_version, kind) is not None

    # -- compiling ------------------------------------------------------------------------

    def compile_builtin(self) -> None:
        """Build and compile now the fast checks of the kinds most inputs have (a few
        milliseconds, their definitions being shared), e.g. before forking workers that would
        each compile them. Any other kind is built where it is first met."""
        for key in _PREPARED_KINDS:
            if key in self._builtin.roots:
                self._fast_for(key)

    def is_builtin(self, api_version: object, kind: object) -> bool:
        """Whether the bundled schemas of this version cover this apiVersion and kind."""
        return (api_version, kind) in self._builtin.roots

    def _validator_for(self, api_version: str, kind: str) -> Validator | None:
        key = (api_version, kind)
        if key in self._builtin.roots:
            state = self._builtin
            compiled = state.compiled.get(key)
            if compiled is None:
                with state.lock:
                    compiled = state.compiled.get(key)
                    if compiled is None:
                        from jsonschema import Draft202012Validator

                        compiled = Draft202012Validator(
                            state.roots[key], format_checker=_builtin_format_checker()
                        )
                        state.compiled[key] = compiled
            return compiled
        if key in self._custom_compiled:
            return self._custom_compiled[key]
        custom = self._custom.get(key)
        compiled_custom: Validator | None = None
        if custom is not None:
            try:
                compiled_custom = self._compile_custom(self._custom_root(custom))
            except RecursionError:  # a schema nested deeper than Python recurses: not validated
                compiled_custom = None
        else:
            from_dir = _dir_lookup(self._schema_dir, api_version, kind)
            if from_dir is not None:
                compiled_custom = self._compile_dir_schema(from_dir)
        self._custom_compiled[key] = compiled_custom
        return compiled_custom

    def _custom_root(self, custom: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema of a CRD version's custom resources, built once."""
        root = custom.get("root")
        if root is None:
            root = _custom_root(custom["openapi"], self._builtin.definition(_OBJECT_META))
            custom["root"] = root
        return root

    def _custom_fast_for(self, key: tuple[str, str]) -> FastCheck | None:
        """The pass/fail check of a CRD's custom resources (None: jsonschema always decides)."""
        try:
            return self._custom_fast[key]
        except KeyError:
            pass
        custom = self._custom.get(key)
        fast = None
        if custom is not None:
            try:
                fast = _compile_fast(self._custom_root(custom))
            except Exception:  # a hostile CRD: jsonschema's answer stands
                fast = None
        self._custom_fast[key] = fast
        return fast

    def _compile_custom(self, schema: dict[str, Any]) -> Validator | None:
        # No check_schema here: checking a CRD schema (with ObjectMeta inlined) against the
        # metaschema costs seconds; a broken schema fails inside validate(), which treats a
        # custom kind's failure as "not validated".
        from jsonschema import Draft202012Validator

        cls = bounded_validator(Draft202012Validator)
        return cls(schema, format_checker=_custom_format_checker())

    def _compile_dir_schema(self, schema: dict[str, Any]) -> Validator | None:
        import jsonschema

        converted = _convert_custom(schema)
        if has_unbounded_patterns(converted):
            return None  # jsonschema would match some of its patterns without a bound
        try:
            cls = bounded_validator(
                jsonschema.validators.validator_for(converted, default=jsonschema.Draft7Validator)
            )
            cls.check_schema(converted)
        except Exception:  # an unusable schema file validates nothing
            return None
        validator: Validator = cls(
            converted,
            format_checker=_custom_format_checker(),
            registry=_folder_registry(self._schema_roots),
        )
        return validator

    # -- validating -----------------------------------------------------------------------

    def _fast_for(self, key: tuple[str, str]) -> Callable[[Any], bool] | None:
        state = self._builtin
        try:
            return state.fast[key]
        except KeyError:
            pass
        with state.lock:
            if key not in state.fast:
                state.fast[key] = _compile_fast(state.roots[key], state.fast_memo)
            return state.fast[key]

    def validate(self, obj: object) -> list[SchemaProblem]:
        """Every schema problem of one document; ``[]`` for kinds without a schema.

        A built-in kind is first checked by its compiled pass/fail check (a few hundred
        nanoseconds a node); jsonschema, which explains, only sees the documents that fail it.
        """
        if not isinstance(obj, Mapping):
            return []
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return []
        builtin = (api_version, kind) in self._builtin.roots
        if builtin:
            return self._validate(obj, api_version, kind, True)
        try:
            return self._validate(obj, api_version, kind, False)
        except PatternTimeout as exc:
            return [self._timeout_problem(obj, api_version, kind, exc)]

    def _timeout_problem(
        self, obj: Mapping[str, Any], api_version: str, kind: str, exc: PatternTimeout
    ) -> SchemaProblem:
        custom = self._custom.get((api_version, kind))
        origin = custom.get("origin") if custom is not None else None
        origin = origin or f"the --schema-dir schema of {api_version} {kind}"
        path = exc.path if exc.path is not None else path_of_value(obj, exc.value)
        shown = _show(exc.pattern)
        return SchemaProblem(
            PATTERN_TIMEOUT,
            tuple(path),
            "value",
            f"pattern {shown} of {origin} {exc.reason} on this value; this {kind} is not "
            "validated against its schema",
        )

    def _validate(
        self, obj: Mapping[str, Any], api_version: str, kind: str, builtin: bool
    ) -> list[SchemaProblem]:
        validator: Validator | None = None
        if not builtin:
            custom_fast = self._custom_fast_for((api_version, kind))
            if custom_fast is not None:
                # as for built-in kinds, a pass is final; jsonschema explains a failure
                try:
                    if custom_fast(obj):
                        return []
                except PatternTimeout:
                    raise
                except Exception:  # noqa: S110 - the fast check only short-cuts a pass; jsonschema below decides
                    pass
            validator = self._validator_for(api_version, kind)
            if validator is None:
                return []
        plain: bool | None = None
        if builtin:
            fast = self._fast_for((api_version, kind))
            if fast is not None:
                # A pass is final: the check fails wherever a value is not plain JSON, and a
                # document too big or too deep for _tree_size, or cyclic, also gives [] below.
                try:
                    if fast(obj):
                        return []
                    plain = _is_plain_tree(obj)
                    if plain:
                        root = self._builtin.roots[api_version, kind]
                        return _problems(list(_explain(root, obj)))
                except Exception:  # noqa: S110 - too deep, or a format check that raises: jsonschema decides
                    pass
            validator = self._validator_for(api_version, kind)
        # what the loader makes is already the JSON the API server reads: no copy needed
        if plain is None:
            plain = _is_plain_tree(obj)
        assert validator is not None
        if not plain and _tree_size(obj) > MAX_NODES:
            return []
        try:
            instance = obj if plain else _as_json(obj, {})
            return _problems(validator.iter_errors(instance))
        except RecursionError:
            return []
        except PatternTimeout:
            raise
        except Exception:  # custom schemas may hold anything
            if builtin:
                raise
            return []


class LocalSchemaValidator:
    """The schema service of a worker's local pass (see :class:`kpolicy.index.LocalIndex`): it
    validates the built-in kinds, whose schemas no input can change, and raises ``NeedsIndex``
    for any other kind, whose schema may come from a CustomResourceDefinition in another file
    or from ``--schema-dir``."""

    def __init__(self, validator: SchemaValidator) -> None:
        self._validator = validator

    def validate(self, obj: object) -> list[SchemaProblem]:
        if not isinstance(obj, Mapping):
            return []
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return []
        if not self._validator.is_builtin(api_version, kind):
            raise NeedsIndex(kind)
        return self._validator.validate(obj)

    def has_schema(self, api_version: object, kind: object) -> bool:
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return False
        if not self._validator.is_builtin(api_version, kind):
            raise NeedsIndex(kind)
        return True


@functools.cache
def _shared_validator(version: str) -> SchemaValidator:
    validator = SchemaValidator(version)
    validator._frozen = True
    return validator


# ---------------------------------------------------------------------------------------
# the fast pass/fail check
#
# Each schema node becomes a closure that answers whether a value passes, with the semantics
# of jsonschema's Draft 2020-12 keywords for the subset the built-in schemas use (type,
# properties, additionalProperties, items, required, enum, format). It never passes a value
# that jsonschema would reject: where it is unsure (a keyword it does not know, an enum value
# that is not a string or null) it fails, and jsonschema decides. A schema with an unknown
# keyword gives no check at all.

FastCheck = Callable[[Any], bool]


class _Unsupported(Exception):
    pass


# keywords that never fail a value: annotations
_ANNOTATION_KEYWORDS: Final = frozenset(
    {
        "description",
        "title",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_FAST_KEYWORDS: Final = frozenset(
    {
        "type",
        "properties",
        "additionalProperties",
        "items",
        "required",
        "enum",
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)


def _fast_always(value: object) -> bool:
    return True


def _fast_never(value: object) -> bool:
    return False


def _is_integer(value: object) -> bool:
    # jsonschema's draft 6+ type checker: a float with an integral value is an integer
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPE_CHECKS: Final[dict[str, Callable[[object], bool]]] = {
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
}


# the classes of the values each JSON type accepts without further test (bool is not an
# integer, and a float is an integer only when integral, so neither is listed there)
_TYPE_CLASSES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _compile_fast(schema: object, memo: dict[int, FastCheck] | None = None) -> FastCheck | None:
    """The pass/fail check of a root schema, or None when it uses an unsupported keyword.

    ``memo`` (schema node id → check) may be shared by roots whose nodes are shared, while
    those nodes are alive; it is left as it was when the schema is unsupported.
    """
    work = dict(memo) if memo is not None else {}
    try:
        check = _fast_node(schema, work)
    except (_Unsupported, RecursionError):
        return None
    if memo is not None:
        memo.update(work)
    return check


def _fast_node(schema: object, memo: dict[int, FastCheck]) -> FastCheck:
    if schema is True:
        return _fast_always
    if schema is False:
        return _fast_never
    if not isinstance(schema, dict):
        raise _Unsupported(repr(schema)[:40])
    known = memo.get(id(schema))
    if known is not None:
        return known
    # inlined $refs make cycles: a reference met again while compiling goes through a cell
    cell: list[FastCheck] = []

    def deferred(value: object) -> bool:
        return cell[0](value)

    memo[id(schema)] = deferred
    check = _fast_build(schema, memo)
    cell.append(check)
    memo[id(schema)] = check
    return check


def _fast_build(schema: dict[str, Any], memo: dict[int, FastCheck]) -> FastCheck:
    for keyword in schema:
        if (
            keyword not in _FAST_KEYWORDS
            and keyword not in _ANNOTATION_KEYWORDS
            and not (isinstance(keyword, str) and keyword.startswith("x-"))
        ):
            raise _Unsupported(keyword)
    type_check = _fast_type(schema.get("type")) if "type" in schema else None
    enum_check = _fast_enum(schema["enum"]) if "enum" in schema else None
    format_check: Callable[[object], FormatResult] | None = None
    if "format" in schema:
        name = schema["format"]
        if not isinstance(name, str):
            raise _Unsupported("format")
        format_check = _FORMATS.get(name)  # an unknown format passes, as in jsonschema
    properties: dict[str, FastCheck] | None = None
    if "properties" in schema:
        raw = schema["properties"]
        if not isinstance(raw, dict):
            raise _Unsupported("properties")
        properties = {name: _fast_node(sub, memo) for name, sub in raw.items()}
    additional: FastCheck | None = None
    if "additionalProperties" in schema:
        additional = _fast_node(schema["additionalProperties"], memo)
        if additional is _fast_always:
            additional = None
    required: tuple[str, ...] = ()
    if "required" in schema:
        if not isinstance(schema["required"], list) or not all(
            isinstance(name, str) for name in schema["required"]
        ):
            raise _Unsupported("required")
        required = tuple(schema["required"])
    items: FastCheck | None = None
    if "items" in schema:
        items = _fast_node(schema["items"], memo)
        if items is _fast_always:
            items = None
    checks_object = bool(properties) or additional is not None or bool(required)
    props_get = (properties or {}).get
    bounds = _fast_bounds(schema)

    def check(value: Any) -> bool:
        if type_check is not None and not type_check(value):
            return False
        if enum_check is not None and not enum_check(value):
            return False
        if format_check is not None and format_check(value) is not None:
            return False
        if bounds is not None and not bounds(value):
            return False
        cls = value.__class__
        if cls is dict:
            if checks_object:
                for name in required:
                    if name not in value:
                        return False
                for name, item in value.items():
                    if name.__class__ is not str:
                        return False  # _as_json would turn it into a string first
                    sub = props_get(name)
                    if sub is None:
                        if additional is not None and not additional(item):
                            return False
                    elif not sub(item):
                        return False
        elif cls is list:
            if items is not None:
                for item in value:
                    if not items(item):
                        return False
        elif isinstance(value, dict | list):  # subclasses: let jsonschema decide
            return False
        return True

    return check


def _fast_bounds(schema: Mapping[str, Any]) -> Callable[[Any], bool] | None:
    """``pattern`` and the length, size and number bounds of a schema node, as jsonschema's
    keyword functions apply them (each only to strings, lists or numbers); None without any."""
    checks: list[Callable[[Any], bool]] = []
    if "pattern" in schema:
        try:
            # jsonschema: re.search(pattern, instance), bounded (a CRD's pattern is input)
            search = compile_pattern(schema["pattern"]).search
        except PatternError:
            raise _Unsupported("pattern") from None
        checks.append(lambda value: not isinstance(value, str) or search(value))
    for keyword, kind, below in (
        ("minLength", str, True),
        ("maxLength", str, False),
        ("minItems", list, True),
        ("maxItems", list, False),
    ):
        if keyword in schema:
            limit = schema[keyword]
            if not isinstance(limit, int) or isinstance(limit, bool):
                raise _Unsupported(keyword)
            checks.append(_fast_size(kind, limit, below))
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if keyword in schema:
            bound = schema[keyword]
            if not _is_number(bound):
                raise _Unsupported(keyword)
            checks.append(_fast_number(keyword, bound))
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


def _fast_size(kind: type[str] | type[list[Any]], limit: int, below: bool) -> Callable[[Any], bool]:
    if below:
        return lambda value: not isinstance(value, kind) or len(value) >= limit
    return lambda value: not isinstance(value, kind) or len(value) <= limit


def _fast_number(keyword: str, bound: float) -> Callable[[Any], bool]:
    def passes(value: Any) -> bool:
        if not _is_number(value):
            # another kind of number (Decimal): unsure, let jsonschema decide
            return value.__class__ is bool or not isinstance(value, numbers.Number)
        if keyword == "minimum":
            return bool(value >= bound)
        if keyword == "maximum":
            return bool(value <= bound)
        if keyword == "exclusiveMinimum":
            return bool(value > bound)
        return bool(value < bound)

    return passes


def _fast_type(declared: object) -> Callable[[object], bool]:
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not names:
        raise _Unsupported("type")
    checks = []
    for name in names:
        if name not in _TYPE_CHECKS:
            raise _Unsupported(f"type {name!r}")
        checks.append(_TYPE_CHECKS[name])
    if len(checks) == 1:
        return checks[0]
    # several types (int-or-string, nullable): the exact classes the loader makes are looked up
    # in one set; anything else (a subclass, an integral float) takes the general path
    exact = frozenset(cls for name in names for cls in _TYPE_CLASSES[name])

    def check(value: object) -> bool:
        return value.__class__ in exact or any(check(value) for check in checks)

    return check


def _fast_enum(allowed: object) -> Callable[[object], bool]:
    if not isinstance(allowed, list):
        raise _Unsupported("enum")
    strings = frozenset(value for value in allowed if isinstance(value, str))
    allows_null = any(value is None for value in allowed)

    # anything but a string or null is left to jsonschema's own notion of equality
    def check(value: object) -> bool:
        if isinstance(value, str):
            return value in strings
        return value is None and allows_null

    return check


# deeper than this, jsonschema's own recursion may fail where this would not: let it decide
_EXPLAIN_DEPTH: Final = 100


def _explain(schema: Any, instance: Any) -> Iterator[LiteError]:
    """The errors jsonschema's Draft 2020-12 validator yields for a document that failed the
    fast check, in its order, with the built-in format checks; ``Unsupported`` for a keyword
    that kpolicy.schemalite does not evaluate (jsonschema then explains)."""
    return schemalite_errors(schema, instance, formats=_FORMATS, max_depth=_EXPLAIN_DEPTH)


# ---------------------------------------------------------------------------------------
# the instance as the API server decodes it


def _is_plain_tree(obj: object) -> bool:
    """Whether ``obj`` already is what :func:`_as_json` would make of it, within the bounds of
    :func:`_tree_size`: dicts with string keys, lists and JSON scalars, no node reached twice,
    at most MAX_NODES nodes and 500 levels. What the loader makes always is."""
    if obj.__class__ is not dict:
        return False
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(obj, 0)]
    count = 1
    scalars = (str, int, float)  # bool is an int
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return False
        seen.add(id(node))
        if not node:
            continue
        count += len(node)
        if count > MAX_NODES or depth >= 500:
            return False
        if node.__class__ is dict:
            for key in node:
                if not isinstance(key, str):
                    return False
            children = node.values()
        else:
            children = node
        for child in children:
            if child is None or isinstance(child, scalars):
                continue
            if child.__class__ is dict or child.__class__ is list:
                stack.append((child, depth + 1))
            else:
                return False
    return True


def _tree_size(obj: object) -> int:
    sizes: dict[int, int] = {}

    def size(node: object, depth: int) -> int:
        if depth > 500:
            raise RecursionError
        if isinstance(node, Mapping | list | tuple | set):
            known = sizes.get(id(node))
            if known is not None:
                return known
            sizes[id(node)] = MAX_NODES + 1  # a cycle counts as too big
            children: Iterable[object] = node.values() if isinstance(node, Mapping) else node
            total = 1
            for child in children:
                total += size(child, depth + 1)
                if total > MAX_NODES:
                    break
            sizes[id(node)] = total
            return total
        return 1

    try:
        return size(obj, 0)
    except RecursionError:
        return MAX_NODES + 1


def _key_text(key: object) -> str:
    # sigs.k8s.io/yaml turns non-string keys into their YAML text
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _as_json(node: object, memo: dict[int, Any]) -> Any:
    """The document as the JSON the API server receives (dates as text, keys as strings)."""
    if isinstance(node, str | bool | int | float) or node is None:
        return node
    known = memo.get(id(node))
    if known is not None:
        return known
    result: Any
    if isinstance(node, Mapping):
        result = {}
        memo[id(node)] = result
        for key, value in node.items():
            result[_key_text(key)] = _as_json(value, memo)
    elif isinstance(node, list | tuple):
        result = []
        memo[id(node)] = result
        result.extend(_as_json(item, memo) for item in node)
    elif isinstance(node, set):
        result = {_key_text(item): None for item in node}
    elif isinstance(node, datetime.datetime | datetime.date):
        # go-yaml v2 keeps timestamps as strings when decoding into interface{}
        result = node.isoformat()
    elif isinstance(node, bytes):
        result = base64.b64encode(node).decode()
    else:
        result = str(node)
    return result


# ---------------------------------------------------------------------------------------
# errors to problems


def _problems(errors: Iterable[ValidationError | LiteError]) -> list[SchemaProblem]:
    problems: list[SchemaProblem] = []
    seen_required: set[tuple[PathElement, ...]] = set()
    for error in errors:
        path = tuple(error.absolute_path)
        validator = error.validator
        if validator == "additionalProperties":
            problems.extend(_unknown_fields(error, path))
        elif validator == "required":
            if path in seen_required:
                continue
            seen_required.add(path)
            problems.extend(_missing_fields(error, path))
        elif validator == "type" and error.instance is None and path and isinstance(path[-1], str):
            # only required fields are not nullable; decoding null leaves the zero value,
            # which the required check of the validation code then rejects
            message = f"required field {_show(path[-1])} is null"
            problems.append(SchemaProblem(RULE_REQUIRED_MISSING, path, "value", message))
        elif validator == "type":
            problems.append(
                SchemaProblem(
                    RULE_TYPE_MISMATCH,
                    path,
                    "value",
                    _type_message(error),
                    quote=_read_as_not_string(error),
                )
            )
        elif validator == "enum":
            problems.append(SchemaProblem(RULE_ENUM_INVALID, path, "value", _enum_message(error)))
        elif validator == "format":
            check = _FORMATS.get(str(error.validator_value))
            result = check(error.instance) if check else None
            if result is None:
                result = (
                    RULE_FORMAT_INVALID,
                    f"{_show(error.instance)} is not a valid {error.validator_value}",
                )
            problems.append(SchemaProblem(result[0], path, "value", result[1]))
        else:
            problems.append(
                SchemaProblem(RULE_VALUE_INVALID, path, "value", _generic_message(error))
            )
    return problems


def _unknown_fields(error: ValidationError, path: tuple[PathElement, ...]) -> list[SchemaProblem]:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, Mapping) or not isinstance(schema, Mapping):
        return []
    allowed = list(schema.get("properties") or {})
    problems = []
    for key in instance:
        if key in allowed:
            continue
        message = f"unknown field {_show(key)}"
        suggestion = _did_you_mean(str(key), allowed)
        if suggestion:
            message += f", did you mean {_show(suggestion)}?"
        clear = (
            suggestion is not None
            and suggestion not in instance
            and len(difflib.get_close_matches(str(key), allowed, n=2, cutoff=0.75)) <= 1
        )
        problems.append(
            SchemaProblem(
                RULE_UNKNOWN_FIELD,
                (*path, key),
                "key",
                message,
                rename=suggestion if clear else None,
            )
        )
    return problems


def _read_as_not_string(error: ValidationError) -> bool:
    """A boolean or number where only a string belongs: YAML 1.1 read an unquoted scalar
    (on, yes, 0777, 1.10) as something else, and quoting its text is what was meant."""
    expected_raw = error.validator_value
    expected = [expected_raw] if isinstance(expected_raw, str) else list(expected_raw or ())
    if "string" not in expected or "integer" in expected or "number" in expected:
        return False
    return isinstance(error.instance, bool | int | float)


def _did_you_mean(key: str, allowed: list[str]) -> str | None:
    folded = {name.lower(): name for name in allowed}
    if key.lower() in folded:
        return folded[key.lower()]
    squashed = {re.sub(r"[-_]", "", name.lower()): name for name in allowed}
    if re.sub(r"[-_]", "", key.lower()) in squashed:
        return squashed[re.sub(r"[-_]", "", key.lower())]
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    if close:
        return close[0]
    close = difflib.get_close_matches(key.lower(), list(folded), n=1, cutoff=0.75)
    return folded[close[0]] if close else None


def _missing_fields(error: ValidationError, path: tuple[PathElement, ...]) -> list[SchemaProblem]:
    instance = error.instance
    required = error.validator_value
    if not isinstance(instance, Mapping) or not isinstance(required, list):
        return []
    return [
        SchemaProblem(RULE_REQUIRED_MISSING, path, "key", f"missing required field {_show(name)}")
        for name in required
        if name not in instance
    ]


_TYPE_NAMES: Final = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "a mapping",
    "array": "a list",
}


def _type_message(error: ValidationError) -> str:
    expected_raw = error.validator_value
    expected = [expected_raw] if isinstance(expected_raw, str) else list(expected_raw or ())
    expected = [name for name in expected if name != "null"]
    wanted = " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in expected)
    value = error.instance
    message = f"expected {wanted}, got {_describe(value)}"
    if "string" in expected and "integer" not in expected and "number" not in expected:
        if isinstance(value, bool):
            return (
                message + ": YAML 1.1 reads an unquoted yes/no/on/off/true/false as a boolean, "
                "quote it"
            )
        if isinstance(value, int | float):
            return (
                message + ": an unquoted number (such as 0777, 1e3 or 1.10) is read as a "
                "number, quote it"
            )
    numeric = "integer" in expected or "number" in expected
    if numeric and isinstance(value, str) and len(value) > 4_300 and value.strip().isdigit():
        # the loader keeps a number with more digits than Python converts as text
        return (
            f"expected {wanted}, got a number of {len(value.strip())} digits, far more than "
            "a 64-bit integer holds"
        )
    if numeric and isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+(\.[0-9]*)?\s*", value):
        return message + ": remove the quotes"
    if "boolean" in expected and isinstance(value, str) and value.lower() in ("true", "false"):
        return message + ": remove the quotes"
    return message


def _enum_message(error: ValidationError) -> str:
    allowed = [value for value in error.validator_value if value not in ("", None)]
    message = f"{_show(error.instance)} is not a supported value: " + ", ".join(
        str(value) for value in allowed
    )
    if isinstance(error.instance, str):
        for value in allowed:
            if isinstance(value, str) and value.lower() == error.instance.lower():
                return message + f" (did you mean {_show(value)}?)"
    return message


def _generic_message(error: ValidationError) -> str:
    message = str(error.message)
    return message[:1].lower() + message[1:] if message else "invalid value"


def _clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _show(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(_clip(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int | float):
        return repr(value)
    return _describe(value)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"boolean {_show(value)}"
    if isinstance(value, int | float):
        return f"number {_show(value)}"
    if isinstance(value, str):
        return f"string {_show(value)}"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
