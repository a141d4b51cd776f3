"""Schemas of custom resources: CustomResourceDefinitions (OpenAPI v3 structural schemas
converted to JSON Schema 2020-12) and kubeconform-style ``--schema-dir`` folders."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from kpolicy.schema.bundle import make_strict
from kpolicy.schema.formats import CUSTOM_FORMATS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # --schema-dir only: a plain run does without pathlib
    from typing import Any, Final

# what convert_custom leaves out of a node: documentation, defaults, CEL rules (checked by the
# API server, not here), OpenAPI's nullable (see below), draft-4 ids
_DROPPED: Final = frozenset(
    {
        "description",
        "default",
        "example",
        "externalDocs",
        "x-kubernetes-validations",
        "nullable",
        "id",
        "$schema",
    }
)
# what convert_custom converts in a node (the other keys are copied), and how
_PROPERTIES, _SUBSCHEMA, _SUBSCHEMAS, _FORMAT = range(4)
_CONVERTED: Final = {
    **dict.fromkeys(_DROPPED),
    "properties": _PROPERTIES,
    "items": _SUBSCHEMA,
    "additionalProperties": _SUBSCHEMA,
    "not": _SUBSCHEMA,
    "allOf": _SUBSCHEMAS,
    "anyOf": _SUBSCHEMAS,
    "oneOf": _SUBSCHEMAS,
    "format": _FORMAT,
}


def convert_custom(node: object, structural: bool = True) -> Any:
    """An OpenAPI v3 structural schema (CRD) as a JSON Schema 2020-12 with strict fields."""
    if type(node) is not dict and not isinstance(node, Mapping):
        return node if isinstance(node, bool) else {}
    result: dict[str, Any] = {}
    converted = _CONVERTED
    for key, value in node.items():
        how = converted.get(key, -1)
        if how == -1:
            result[key] = value
        elif how is None:
            continue
        elif how == _PROPERTIES:
            if isinstance(value, Mapping):
                result[key] = {
                    str(name): convert_custom(sub, structural) for name, sub in value.items()
                }
            else:
                result[key] = value
        elif how == _SUBSCHEMA:
            result[key] = convert_custom(value, structural and key != "not")
        elif how == _SUBSCHEMAS:
            if isinstance(value, list):
                result[key] = [convert_custom(sub, structural=False) for sub in value]
            else:
                result[key] = value
        elif value in CUSTOM_FORMATS:  # format
            result[key] = value
    # OpenAPI v3.0 / draft 4: exclusiveMinimum is a boolean that modifies minimum
    if "exclusiveMinimum" in result or "exclusiveMaximum" in result:
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(result.get(bound), bool) and result.pop(bound) and limit in result:
                result[bound] = result.pop(limit)
    if node.get("x-kubernetes-int-or-string"):
        result["type"] = ["integer", "string"]
        for key in ("anyOf", "oneOf"):
            result.pop(key, None)
    # a null value of a custom resource is pruned before validation unless the field is
    # nullable (apiextensions-apiserver pkg/apiserver/schema/pruning), so null always passes
    types = result.get("type")
    if type(types) is str:
        result["type"] = [types, "null"]
        if isinstance(result.get("enum"), list):
            result["enum"] = [*result["enum"], None]
    elif isinstance(types, str | list):
        result["type"] = [types, "null"] if isinstance(types, str) else [*types, "null"]
        if isinstance(result.get("enum"), list):
            result["enum"] = [*result["enum"], None]
    if node.get("x-kubernetes-embedded-resource") and isinstance(result.get("properties"), dict):
        for name in ("apiVersion", "kind"):
            result["properties"].setdefault(name, {"type": "string"})
        result["properties"].setdefault("metadata", {"type": "object"})
    if structural:
        make_strict(result)
    return result


def custom_root(schema: object, object_meta: Any) -> dict[str, Any]:
    root = convert_custom(schema)
    if not isinstance(root, dict):
        root = {}
    properties = root.get("properties")
    if isinstance(properties, dict):
        # apiVersion, kind and the standard metadata are always accepted and checked
        properties["apiVersion"] = {"type": "string"}
        properties["kind"] = {"type": "string"}
        properties["metadata"] = object_meta if object_meta is not None else {"type": "object"}
    return root


def crd_schemas(crd: object) -> dict[tuple[str, str], Any]:
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


def crd_name(crd: object) -> str:
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
    from pathlib import Path

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


def folder_registry(roots: Iterable[Path]) -> Any:
    """Resolves ``file:`` references to JSON files inside the schema folders ``roots``."""
    from pathlib import Path
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


def dir_lookup(
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
