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
    (out).mkdir()
    (out / "versions.json").write_text("{}")  # the old format is removed
    gen.generate(wheel, out)
    assert sorted(path.name for path in out.iterdir()) == ["definitions.jsonl", "index.json"]
    index = json.loads((out / "index.json").read_text())
    lines = (out / "definitions.jsonl").read_text().splitlines()
    store = dict(json.loads(line) for line in lines)
    assert index["versions"] == list(gen.KUBERNETES_VERSIONS)
    first, last = (
        int(v.split(".")[1]) for v in (gen.KUBERNETES_VERSIONS[0], gen.KUBERNETES_VERSIONS[-1])
    )
    assert index["kinds"] == {"v1": {"ConfigMap": [[first, last, "io.k8s.api.core.v1.ConfigMap"]]}}
    assert "io.k8s.example.Unused" not in index["definitions"]
    # the ConfigMap differs only in its description: stored once after normalisation, and
    # listed once for every release
    assert len(store) == 3
    assert len(index["definitions"]["io.k8s.api.core.v1.ConfigMap"]) == 1
    assert (
        "x-kubernetes-group-version-kind"
        not in store[index["definitions"]["io.k8s.api.core.v1.ConfigMap"][0][2]]
    )
    int_or_string = store[index["definitions"][gen.INT_OR_STRING][0][2]]
    assert int_or_string == {
        "type": ["integer", "string", "null"],
        "x-kubernetes-int-or-string": True,
    }


def test_ranges_follow_consecutive_releases() -> None:
    gen = gen_module()
    assert gen.ranges({29: "a", 30: "a", 31: "b", 33: "b", 34: "a"}) == [
        [29, 30, "a"],
        [31, 31, "b"],
        [33, 33, "b"],
        [34, 34, "a"],
    ]


def test_list_wrappers_and_meta_types_are_not_kinds() -> None:
    gen = gen_module()
    definitions = {
        "io.k8s.api.core.v1.Pod": {
            "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}]
        },
        "io.k8s.api.core.v1.PodList": {
            "x-kubernetes-group-version-kind": [{"group": "", "kind": "PodList", "version": "v1"}]
        },
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions": {
            "x-kubernetes-group-version-kind": [
                {"group": "apps", "kind": "DeleteOptions", "version": "v1"}
            ]
        },
        "io.k8s.api.storage.v1.StorageClass": {
            "x-kubernetes-group-version-kind": [
                {"group": "storage.k8s.io", "kind": "StorageClass", "version": "v1"}
            ]
        },
    }
    assert gen.kind_roots(definitions) == {
        "v1": {"Pod": "io.k8s.api.core.v1.Pod"},
        "storage.k8s.io/v1": {"StorageClass": "io.k8s.api.storage.v1.StorageClass"},
    }
