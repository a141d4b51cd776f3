"""tools/gen_schemas.py on a tiny fake kubernetes-validate wheel."""

from __future__ import annotations

import importlib.util
import json
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def gen_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_schemas", ROOT / "tools" / "gen_schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_definitions_are_deduplicated_across_versions(tmp_path: Path) -> None:
    gen = gen_module()
    wheel = tmp_path / "kubernetes_validate-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for index, version in enumerate(gen.KUBERNETES_VERSIONS):
            definitions = {
                "io.k8s.api.core.v1.ConfigMap": {
                    "description": f"changes every release {index}",
                    "type": ["object", "null"],
                    "properties": {
                        "data": {"$ref": "#/$defs/io.k8s.example.Data"},
                        "port": {"$ref": f"#/$defs/{gen.INT_OR_STRING}"},
                    },
                    "x-kubernetes-group-version-kind": [
                        {"group": "", "kind": "ConfigMap", "version": "v1"}
                    ],
                },
                "io.k8s.example.Data": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "x-kubernetes-map-type": "atomic",
                },
                gen.INT_OR_STRING: {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "io.k8s.example.Unused": {"type": "string"},
            }
            name = (
                f"kubernetes_validate/kubernetes-json-schema/v{version}.0-local/_definitions.json"
            )
            archive.writestr(name, json.dumps({"$defs": definitions}))
    out = tmp_path / "out"
    gen.generate(wheel, out)
    store = json.loads((out / "definitions.json").read_text())
    versions = json.loads((out / "versions.json").read_text())
    assert list(versions) == list(gen.KUBERNETES_VERSIONS)
    assert versions["1.37"]["kinds"] == {"v1": {"ConfigMap": "io.k8s.api.core.v1.ConfigMap"}}
    assert "io.k8s.example.Unused" not in versions["1.37"]["definitions"]
    # the ConfigMap differs only in its description: stored once after normalisation
    assert len(store) == 3
    int_or_string = store[versions["1.32"]["definitions"][gen.INT_OR_STRING]]
    assert int_or_string == {
        "type": ["integer", "string", "null"],
        "x-kubernetes-int-or-string": True,
    }
