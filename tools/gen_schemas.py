"""Regenerate the offline Kubernetes schema bundle under ``schemas/k8s/``.

The source is the ``kubernetes-validate`` wheel on PyPI (Apache-2.0), which ships
JSON Schemas converted from the Kubernetes OpenAPI documents, one folder per
Kubernetes release (``kubernetes-json-schema/v1.37.0-local/_definitions.json``). Those
documents are generated with every API group version enabled, alpha and beta included,
so a kind is in a release's folder exactly when that release's API server can serve it.

What this script does, per Kubernetes version:

1. takes every kind of the release (each definition with an
   ``x-kubernetes-group-version-kind``), except the ``...List`` wrappers and the
   apimachinery meta types (``DeleteOptions``, ``Status``, ``WatchEvent``...) that every
   group lists but nobody writes as a manifest, and every definition they reach through
   ``$ref``;
2. normalises them mechanically: drops descriptions, the group-version-kind lists and the
   ``x-kubernetes-*`` patch/list annotations (not used for validation), turns the published
   ``oneOf: [string, integer]`` of ``IntOrString`` into one type list marked
   ``x-kubernetes-int-or-string`` and the ``oneOf: [string, number]`` of ``Quantity`` into
   one type list (``oneOf`` fails on ``null``, which matches both branches);
3. stores each distinct definition once, content-addressed by a hash of its canonical JSON.

Two files come out:

- ``definitions.jsonl``: one ``["<hash>", <definition>]`` per line, sorted by hash, so that
  kpolicy parses only the lines of the definitions a run needs;
- ``index.json``: the versions, and for each (apiVersion, kind) and each definition name the
  releases it has in which form, as ``[first minor, last minor, root name or hash]`` ranges:
  a definition that does not change across releases is listed once.

Strict field validation and the documented corrections of ``schemas/overlay.yaml``
are applied when the bundle is loaded (``kpolicy/schema/``), not here, so the
bundle stays a faithful, smaller copy of the published schemas.

Usage::

    python tools/gen_schemas.py                       # pip-downloads the wheel
    python tools/gen_schemas.py --wheel path/to/kubernetes_validate-*.whl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

KUBERNETES_VALIDATE_VERSION = "1.37.0"
KUBERNETES_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37")
# the meta types of k8s.io/apimachinery carry a group-version-kind for every group (so that
# DeleteOptions can be sent to each), but they are request and response bodies, not objects
META_PREFIX = "io.k8s.apimachinery.pkg.apis.meta."
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# Schema keywords kept; everything else (descriptions, merge-patch and list-type
# annotations, union discriminators, group-version-kind lists) is not needed to validate a
# manifest.
KEPT_KEYWORDS = {
    "type",
    "properties",
    "additionalProperties",
    "items",
    "required",
    "enum",
    "format",
    "$ref",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
}
HASH_LENGTH = 16
GENERATED_KEY = "generated"
REPO_ROOT = Path(__file__).resolve().parent.parent


def download_wheel(directory: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            f"kubernetes-validate=={KUBERNETES_VALIDATE_VERSION}",
            "-d",
            str(directory),
        ],
        check=True,
    )
    return next(directory.glob("kubernetes_validate-*.whl"))


def read_definitions(wheel: zipfile.ZipFile, version: str) -> dict[str, Any]:
    name = f"kubernetes_validate/kubernetes-json-schema/v{version}.0-local/_definitions.json"
    document = json.loads(wheel.read(name))
    definitions: dict[str, Any] = document["$defs"]
    return definitions


def normalise(schema: Any) -> Any:
    """Keep only the validation keywords of one schema node, recursively."""
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in KEPT_KEYWORDS:
            continue
        if key == "properties":
            result[key] = {name: normalise(sub) for name, sub in value.items()}
        elif key in ("additionalProperties", "items"):
            result[key] = normalise(value)
        else:
            result[key] = value
    return result


def normalise_definition(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    if name == INT_OR_STRING:
        return {"type": ["integer", "string", "null"], "x-kubernetes-int-or-string": True}
    if name == QUANTITY:
        return {"type": ["number", "string", "null"]}
    normalised: dict[str, Any] = normalise(schema)
    return normalised


def references(schema: Any) -> list[str]:
    """Definition names that one schema node refers to."""
    found: list[str] = []
    if not isinstance(schema, dict):
        return found
    ref = schema.get("$ref")
    if isinstance(ref, str):
        found.append(ref.rsplit("/", 1)[-1])
    for sub in (schema.get("properties") or {}).values():
        found.extend(references(sub))
    for key in ("additionalProperties", "items"):
        found.extend(references(schema.get(key)))
    for sub in schema.get("oneOf") or ():
        found.extend(references(sub))
    return found


def is_kind_root(name: str, kind: str) -> bool:
    return not name.startswith(META_PREFIX) and not kind.endswith("List")


def kind_roots(definitions: dict[str, Any]) -> dict[str, dict[str, str]]:
    """apiVersion -> kind -> root definition name, for every kind of a release."""
    roots: dict[str, dict[str, str]] = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            kind = gvk.get("kind")
            if not isinstance(kind, str) or not is_kind_root(name, kind):
                continue
            group, version = gvk.get("group", ""), gvk["version"]
            api_version = f"{group}/{version}" if group else version
            roots.setdefault(api_version, {})[kind] = name
    return roots


def content_hash(schema: Any) -> str:
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]


def minor(version: str) -> int:
    return int(version.split(".")[1])


def ranges(per_version: dict[int, str]) -> list[list[Any]]:
    """``{29: a, 30: a, 31: b}`` -> ``[[29, 30, a], [31, 31, b]]``: runs of consecutive
    minors with the same value."""
    runs: list[list[Any]] = []
    for version in sorted(per_version):
        value = per_version[version]
        if runs and runs[-1][2] == value and runs[-1][1] == version - 1:
            runs[-1][1] = version
        else:
            runs.append([version, version, value])
    return runs


def _lines(entries: Iterable[tuple[str, Any]], indent: str) -> str:
    return ",\n".join(f"{indent}{json.dumps(key)}: {json.dumps(value)}" for key, value in entries)


def generate(wheel_path: Path, out: Path) -> None:
    store: dict[str, Any] = {}
    kinds: dict[tuple[str, str], dict[int, str]] = {}
    names: dict[str, dict[int, str]] = {}
    with zipfile.ZipFile(wheel_path) as wheel:
        for version in KUBERNETES_VERSIONS:
            definitions = read_definitions(wheel, version)
            roots = kind_roots(definitions)
            pending = []
            for api_version, by_kind in roots.items():
                for kind, name in by_kind.items():
                    kinds.setdefault((api_version, kind), {})[minor(version)] = name
                    pending.append(name)
            seen: set[str] = set()
            while pending:
                name = pending.pop()
                if name in seen:
                    continue
                seen.add(name)
                schema = normalise_definition(name, definitions[name])
                digest = content_hash(schema)
                if store.setdefault(digest, schema) != schema:
                    raise SystemExit(f"hash collision on {digest}: lengthen HASH_LENGTH")
                names.setdefault(name, {})[minor(version)] = digest
                pending.extend(references(definitions[name]))
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("versions.json", "definitions.json"):  # the format before 1.29 was added
        (out / stale).unlink(missing_ok=True)
    (out / "definitions.jsonl").write_text(
        "".join(
            json.dumps([digest, store[digest]], sort_keys=True, separators=(",", ":")) + "\n"
            for digest in sorted(store)
        )
    )
    by_api: dict[str, list[tuple[str, Any]]] = {}
    for (api_version, kind), per_version in sorted(kinds.items()):
        by_api.setdefault(api_version, []).append((kind, ranges(per_version)))
    kinds_text = ",\n".join(
        f"  {json.dumps(api_version)}: {{\n{_lines(entries, '   ')}\n  }}"
        for api_version, entries in by_api.items()
    )
    definitions_text = _lines(
        ((name, ranges(per_version)) for name, per_version in sorted(names.items())), "  "
    )
    source = (
        f"kubernetes-validate {KUBERNETES_VALIDATE_VERSION}: "
        "kubernetes-json-schema/v<version>.0-local/_definitions.json"
    )
    (out / "index.json").write_text(
        "{\n"
        f' "source": {json.dumps(source)},\n'
        f' "versions": {json.dumps(list(KUBERNETES_VERSIONS))},\n'
        f' "kinds": {{\n{kinds_text}\n }},\n'
        f' "definitions": {{\n{definitions_text}\n }}\n'
        "}\n"
    )


def write_overlay_json(schemas: Path) -> Path:
    """schemas/overlay.yaml (the corrections, written and commented by hand) as
    schemas/overlay.json, which kpolicy reads: JSON parses in a fraction of the YAML's time."""
    import yaml

    overlay = yaml.safe_load((schemas / "overlay.yaml").read_text(encoding="utf-8"))
    generated = {GENERATED_KEY: "from overlay.yaml by tools/gen_schemas.py --overlay: edit that"}
    parts = []
    for key, value in {**generated, **overlay}.items():
        if key == "patches":  # one correction per line keeps the diffs readable
            lines = ",\n  ".join(json.dumps(entry, ensure_ascii=False) for entry in value)
            parts.append(f' "patches": [\n  {lines}\n ]')
        else:
            parts.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    target = schemas / "overlay.json"
    target.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded kubernetes_validate wheel")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "schemas" / "k8s")
    parser.add_argument(
        "--overlay",
        action="store_true",
        help="only write schemas/overlay.json from schemas/overlay.yaml (no download)",
    )
    args = parser.parse_args(argv)
    write_overlay_json(REPO_ROOT / "schemas")
    if args.overlay:
        return 0
    if args.wheel is not None:
        generate(args.wheel, args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(download_wheel(Path(tmp)), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
