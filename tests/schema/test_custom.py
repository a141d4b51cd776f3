"""Custom resources: CRDs among the inputs and kubeconform-style schema folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpolicy.schema import (
    RULE_ENUM_INVALID,
    RULE_REQUIRED_MISSING,
    RULE_TYPE_MISMATCH,
    RULE_UNKNOWN_FIELD,
    RULE_VALUE_INVALID,
    SchemaValidator,
    load_schema_dir,
)

from .support import found, load

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.ops.example.com}
spec:
  group: ops.example.com
  scope: Namespaced
  names: {plural: backups, singular: backup, kind: Backup}
  versions:
  - name: v1alpha1
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          spec:
            type: object
            required: [schedule]
            properties:
              schedule: {type: string, pattern: '^(\\S+ ){4}\\S+$'}
              retention: {type: integer, minimum: 1, maximum: 365}
              storage:
                type: string
                enum: [s3, gcs]
              port:
                x-kubernetes-int-or-string: true
                anyOf: [{type: integer}, {type: string}]
              note: {type: string, nullable: true}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
              labels:
                type: object
                additionalProperties: {type: string}
          status:
            type: object
            properties:
              phase: {type: string}
"""

BACKUP = """
apiVersion: ops.example.com/v1
kind: Backup
metadata:
  name: nightly
  labels: {team: ops}
spec:
  schedule: "0 3 * * *"
  retention: 30
  storage: s3
  port: http
  note: null
  extra: {anything: [1, 2, 3]}
  template: {apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {containers: []}}
  labels: {a: b}
"""


@pytest.fixture(scope="module")
def with_backup() -> SchemaValidator:
    return SchemaValidator.for_version("1.37").with_crds([load(CRD)])


def test_crd_itself_is_valid() -> None:
    assert SchemaValidator.for_version("1.37").validate(load(CRD)) == []


def test_custom_resource_validates(with_backup: SchemaValidator) -> None:
    assert with_backup.has_schema("ops.example.com/v1", "Backup")
    assert with_backup.validate(load(BACKUP)) == []


def test_custom_resource_errors(with_backup: SchemaValidator) -> None:
    backup = load(BACKUP)
    spec = backup["spec"]
    del spec["schedule"]
    spec["retention"] = 0
    spec["storage"] = "azure"
    spec["port"] = 1.5
    spec["retension"] = 3
    backup["metadata"]["lables"] = {}
    backup["metadata"]["labels"]["on"] = True
    assert found(with_backup.validate(backup)) == {
        (RULE_REQUIRED_MISSING, ("spec",), "key"),
        (RULE_VALUE_INVALID, ("spec", "retention"), "value"),
        (RULE_ENUM_INVALID, ("spec", "storage"), "value"),
        (RULE_TYPE_MISMATCH, ("spec", "port"), "value"),
        (RULE_UNKNOWN_FIELD, ("spec", "retension"), "key"),
        (RULE_UNKNOWN_FIELD, ("metadata", "lables"), "key"),
        (RULE_TYPE_MISMATCH, ("metadata", "labels", "on"), "value"),
    }
    messages = {p.path: p.message for p in with_backup.validate(backup)}
    assert 'did you mean "retention"' in messages[("spec", "retension")]


def test_unserved_version_and_shared_validator(with_backup: SchemaValidator) -> None:
    assert not with_backup.has_schema("ops.example.com/v1alpha1", "Backup")
    shared = SchemaValidator.for_version("1.37")
    assert not shared.has_schema("ops.example.com/v1", "Backup")
    with pytest.raises(RuntimeError):
        shared.register_crd(load(CRD))


def test_a_crd_cannot_replace_a_builtin_kind() -> None:
    crd = load(CRD)
    crd["spec"]["group"] = "apps"
    crd["spec"]["names"]["kind"] = "Deployment"
    validator = SchemaValidator.for_version("1.37").with_crds([crd])
    assert validator.validate({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"bogus": 1}})


def _packed(crd: dict[str, object]) -> object:
    """``crd`` as a parallel run's parent receives it (kpolicy.lint.run.names_only)."""
    import pickle

    from kpolicy.index import PackedWhole
    from kpolicy.schema.custom import crd_schemas

    packed = PackedWhole({key: crd[key] for key in ("apiVersion", "kind", "metadata")})
    packed.packed = pickle.dumps(crd)
    packed.served = tuple(crd_schemas(crd))
    return packed


def test_a_packed_crd_is_unpacked_only_when_one_of_its_kinds_is_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A definition packed by a worker says which kinds it gives; the parent unpacks it the
    first time an object of one of them is validated, never for a kind of another
    definition, and validates exactly as with the definition itself."""
    import _pickle  # kpolicy.index unpacks with the C unpickler itself

    other = load(CRD)
    other["metadata"]["name"] = "restores.ops.example.com"
    other["spec"]["names"] = {"plural": "restores", "kind": "Restore"}
    unpacked: list[object] = []
    real_loads = _pickle.loads

    def counting(data: bytes) -> object:
        found = real_loads(data)
        unpacked.append(found)
        return found

    monkeypatch.setattr(_pickle, "loads", counting)
    validator = SchemaValidator.for_version("1.37").with_crds([_packed(load(CRD)), _packed(other)])
    assert not validator.has_schema("ops.example.com/v1alpha1", "Backup")  # not served
    assert unpacked == []
    backup = load(BACKUP)
    backup["spec"]["retention"] = 0
    eager = SchemaValidator.for_version("1.37").with_crds([load(CRD)])
    assert validator.validate(backup) == eager.validate(backup) != []
    assert validator.validate(load(BACKUP)) == []
    kinds = [crd["spec"]["names"]["kind"] for crd in unpacked]  # type: ignore[index]
    assert kinds == ["Backup"]
    assert validator.has_schema("ops.example.com/v1", "Restore")
    assert len(unpacked) == 2


@pytest.mark.parametrize(
    "crd",
    [
        None,
        [],
        "text",
        {"kind": "CustomResourceDefinition"},
        {"kind": "CustomResourceDefinition", "spec": {"group": 3, "names": []}},
        {
            "kind": "CustomResourceDefinition",
            "spec": {"group": "g", "names": {"kind": "K"}, "versions": 5},
        },
        {
            "kind": "CustomResourceDefinition",
            "spec": {
                "group": "g",
                "names": {"kind": "K"},
                "versions": [
                    {"name": "v1", "served": True, "schema": {"openAPIV3Schema": {"type": 7}}}
                ],
            },
        },
    ],
)
def test_hostile_crds_are_skipped(crd: object) -> None:
    validator = SchemaValidator.for_version("1.37").with_crds([crd])
    assert validator.validate({"apiVersion": "g/v1", "kind": "K", "spec": 1}) == []


def write(path: Path, schema: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))


WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
    },
}


def test_schema_dir_naming_styles(tmp_path: Path) -> None:
    write(tmp_path / "widget_v1.json", WIDGET_SCHEMA)
    write(tmp_path / "example.com" / "gadget_v1beta1.json", WIDGET_SCHEMA)
    write(tmp_path / "gizmo-things-v2.json", WIDGET_SCHEMA)
    write(tmp_path / "doohickey-v1.json", WIDGET_SCHEMA)
    (tmp_path / "broken_v1.json").write_text("{not json")
    keys = set(load_schema_dir(tmp_path))
    assert keys == {
        (None, "v1", "widget"),
        ("example.com", "v1beta1", "gadget"),
        ("things", "v2", "gizmo"),
        ("", "v1", "doohickey"),
    }
    validator = SchemaValidator.for_version("1.37").with_schema_dir(tmp_path)
    for api_version, kind in [
        ("any.example.org/v1", "Widget"),
        ("example.com/v1beta1", "Gadget"),
        ("things.example.org/v2", "Gizmo"),
        ("v1", "Doohickey"),
    ]:
        assert validator.has_schema(api_version, kind), (api_version, kind)
        bad = {"apiVersion": api_version, "kind": kind, "spec": {"size": "big", "colour": 1}}
        assert found(validator.validate(bad)) == {
            (RULE_TYPE_MISMATCH, ("spec", "size"), "value"),
            (RULE_UNKNOWN_FIELD, ("spec", "colour"), "key"),
        }
    assert not validator.has_schema("other.example.com/v1beta1", "Gadget")
    assert not validator.has_schema("v1", "Broken")


def test_schema_dir_relative_references(tmp_path: Path) -> None:
    write(
        tmp_path / "_definitions.json",
        {"definitions": {"size": {"type": "integer", "minimum": 1}}},
    )
    write(
        tmp_path / "widget_v1.json",
        {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "spec": {
                    "type": "object",
                    "properties": {"size": {"$ref": "_definitions.json#/definitions/size"}},
                },
            },
        },
    )
    validator = SchemaValidator.for_version("1.37").with_schema_dir(tmp_path)
    good = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"size": 3}}
    assert validator.validate(good) == []
    bad = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"size": 0}}
    assert found(validator.validate(bad)) == {(RULE_VALUE_INVALID, ("spec", "size"), "value")}


def test_schema_dir_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        load_schema_dir(tmp_path / "missing")
    (tmp_path / "file.json").write_text("{}")
    with pytest.raises(NotADirectoryError):
        load_schema_dir(tmp_path / "file.json")


def test_convert_custom_keeps_what_it_does_not_know_and_drops_documentation() -> None:
    """A CRD schema node as JSON Schema: documentation, defaults and CEL rules dropped, null
    accepted (pruned by the API server), draft-4 exclusive bounds turned into 2020-12 ones,
    strict fields; keys and values of unexpected shapes copied as they are."""
    from kpolicy.schema.custom import convert_custom

    assert convert_custom(
        {
            "description": "d",
            "default": 1,
            "x-kubernetes-validations": [{"rule": "self > 0"}],
            "type": "integer",
            "enum": [1, 2],
            "format": "int32",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 9,
            "exclusiveMaximum": False,
            7: "a key that is no string",
        }
    ) == {
        "type": ["integer", "null"],
        "enum": [1, 2, None],
        "exclusiveMinimum": 0,
        "maximum": 9,
        7: "a key that is no string",
    }
    assert convert_custom(
        {
            "properties": {"a": {"type": "string", "format": "byte"}, "b": True},
            "items": {"properties": {}},
            "not": {"properties": {"c": {}}},
            "anyOf": [{"properties": {"d": {}}}],
            "format": ["a list"],
        }
    ) == {
        "properties": {"a": {"type": ["string", "null"], "format": "byte"}, "b": True},
        "items": {"properties": {}, "additionalProperties": False},
        "not": {"properties": {"c": {}}},
        "anyOf": [{"properties": {"d": {}}}],
        "additionalProperties": False,
    }
    shapeless = {"properties": ["x"], "allOf": {"y": 1}, "type": 3}
    assert convert_custom(shapeless) == shapeless
    assert convert_custom({"x-kubernetes-int-or-string": True, "anyOf": [{}]}) == {
        "x-kubernetes-int-or-string": True,
        "type": ["integer", "string", "null"],
    }
