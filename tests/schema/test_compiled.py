"""The compiled form of the bundled schemas (schemas/compiled/, tools/gen_compiled_schemas.py)
gives the kinds that building from the bundle gives, node for node and shared alike."""

from __future__ import annotations

import json
import marshal
from pathlib import Path
from typing import Any

import pytest

from kpolicy.schema import BUNDLE_DIR, SchemaValidator, bundle, served_minors, supported_versions
from kpolicy.schema.bundle import (
    COMPILED_DIR,
    COMPILED_FORMAT,
    OBJECT_META,
    PREPARED_KINDS,
    Version,
    compiled_payload,
    prepared_version,
)

DEPLOYMENT = ("apps/v1", "Deployment")


def shape(*roots: object) -> list[Any]:
    """The roots as one walk: a dict or list as its entries (in their order) the first time it
    is met and as its number after that, any other value with its type. Two sets of roots
    have the same shape when they hold equal values shared in the same places (cycles too)."""
    numbers: dict[int, int] = {}

    def walk(node: object) -> object:
        if isinstance(node, dict | list):
            number = numbers.get(id(node))
            if number is not None:
                return ("met", number)
            numbers[id(node)] = len(numbers)
            if isinstance(node, dict):
                return ("dict", [(key, walk(value)) for key, value in node.items()])
            return ("list", [walk(value) for value in node])
        return (type(node).__name__, node)

    return [walk(root) for root in roots]


def unfolded(node: object, ancestors: tuple[int, ...] = ()) -> object:
    """The tree a node stands for, whatever is shared below it: a dict or list as its entries,
    a node met again on the way down (a cycle) as how far up it is."""
    if isinstance(node, dict | list):
        if id(node) in ancestors:
            return ("up", len(ancestors) - ancestors.index(id(node)))
        below = (*ancestors, id(node))
        if isinstance(node, dict):
            return ("dict", [(key, unfolded(value, below)) for key, value in node.items()])
        return ("list", [unfolded(value, below) for value in node])
    return (type(node).__name__, node)


@pytest.mark.parametrize("version", supported_versions())
def test_the_compiled_form_is_what_building_from_the_bundle_gives(version: str) -> None:
    """After a change to the bundle, the overlay or how kinds are built: python
    tools/gen_compiled_schemas.py (`make docs`)."""
    compiled = Version(version)
    built = prepared_version(version)
    assert not compiled._read, "no compiled form for this version: run the generator"
    assert compiled.kinds == built.kinds
    assert list(compiled.built_roots) == [key for key in PREPARED_KINDS if key in built.kinds]
    # every kind: the compiled ones as they are, the others built from the bundle onto them,
    # on both sides
    keys = list(built.kinds)
    mine = [compiled.root(key) for key in keys]
    theirs = [built.root(key) for key in keys]
    assert shape(*mine, compiled.definition(OBJECT_META)) == shape(
        *theirs, built.definition(OBJECT_META)
    )


@pytest.mark.parametrize("version", ["1.29", "1.34", "1.37"])
def test_each_kind_is_the_tree_that_building_from_the_bundle_alone_gives(version: str) -> None:
    """Sharing the leaves changes no value: each kind, compiled or built onto the compiled
    ones, is the tree that building it alone from the bundle gives (cycles in the same
    places)."""
    compiled = Version(version)
    for key in compiled.kinds:
        alone = Version(version, compiled=False)
        assert unfolded(compiled.root(key)) == unfolded(alone.root(key)), key


def test_the_common_kinds_are_read_compiled_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    version = Version("1.37")
    for key in PREPARED_KINDS:
        version.root(key)
    # nothing of the bundle or the overlay was read for them
    assert not version._read and not version._pending
    deployment = version.root(DEPLOYMENT)
    pod = version.root(("v1", "Pod"))
    template = deployment["properties"]["spec"]["properties"]["template"]["properties"]["spec"]
    assert pod["properties"]["spec"] is template  # PodSpec is one object, as when built
    # a kind of another kind of input is built where it is first met, onto the compiled ones,
    # from its definitions alone: the index and overlay come compiled too
    monkeypatch.setattr(bundle, "_index", refuse)
    monkeypatch.setattr(bundle, "load_overlay", refuse)
    monkeypatch.setattr(bundle, "_store_lines", refuse)
    storage_class = version.root(("storage.k8s.io/v1", "StorageClass"))
    assert version._read
    assert storage_class["properties"]["metadata"] is deployment["properties"]["metadata"]


def refuse() -> None:
    raise AssertionError("read from the bundle")


def test_every_supported_version_has_a_compiled_form_and_nothing_else_is_there() -> None:
    expected = {
        f"{version}{suffix}"
        for version in supported_versions()
        for suffix in (".marshal", ".sources.marshal")
    }
    assert {path.name for path in Path(COMPILED_DIR).iterdir()} == {*expected, "served.marshal"}
    # small enough to load in about a millisecond, and for the wheel
    assert sum(path.stat().st_size for path in Path(COMPILED_DIR).iterdir()) < 1_200_000


@pytest.mark.parametrize(
    "content",
    [
        None,  # missing
        b"",
        b"\x00not marshal data",
        marshal.dumps(("another format", "1.37", {}, {}, {})),
        marshal.dumps((COMPILED_FORMAT, "1.36", {}, {}, {})),  # another version's
        marshal.dumps((COMPILED_FORMAT, "1.37", {}, [], {})),
        marshal.dumps((COMPILED_FORMAT, "1.37", {}, {}, {}, {})),
        marshal.dumps([COMPILED_FORMAT, "1.37", {}, {}, {}]),
    ],
)
def test_without_a_readable_compiled_form_every_kind_is_built_from_the_bundle(
    content: bytes | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if content is not None:
        (tmp_path / "1.37.marshal").write_bytes(content)
    monkeypatch.setattr(bundle, "COMPILED_DIR", tmp_path)
    version = Version("1.37")
    assert version.built_roots == {}
    expected = Version("1.37", compiled=False)
    assert version.kinds == expected.kinds
    assert shape(version.root(DEPLOYMENT)) == shape(expected.root(DEPLOYMENT))


@pytest.mark.parametrize(
    "content",
    [
        None,
        b"\x00",
        marshal.dumps((COMPILED_FORMAT, "1.36", False, {}, {})),
        marshal.dumps((COMPILED_FORMAT, "1.37", 0, {}, {})),
        marshal.dumps((COMPILED_FORMAT, "1.37", False, {}, [])),
    ],
)
def test_without_the_compiled_sources_other_kinds_are_built_from_the_bundle(
    content: bytes | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "1.37.marshal").write_bytes((Path(COMPILED_DIR) / "1.37.marshal").read_bytes())
    if content is not None:
        (tmp_path / "1.37.sources.marshal").write_bytes(content)
    monkeypatch.setattr(bundle, "COMPILED_DIR", tmp_path)
    version = Version("1.37")
    assert DEPLOYMENT in version.built_roots
    expected = prepared_version("1.37")
    keys = [key for key in expected.kinds if key not in expected.built_roots]
    assert shape(*map(version.root, keys)) == shape(*map(expected.root, keys))


def test_a_compiled_form_validates_as_the_built_one() -> None:
    document = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": 1}},
        "spec": {
            "replicas": "2",
            "strategy": {"type": "Sometimes"},
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "imagePullPolicy": "Often"}]},
            },
        },
        "status": {"replicas": "one"},
    }
    compiled = SchemaValidator("1.37")
    compiled._builtin = Version("1.37")  # fresh ones, not the shared validator's
    found = [(p.rule, p.path, p.message) for p in compiled.validate(document)]
    assert not compiled._builtin._read
    built = SchemaValidator("1.37")
    built._builtin = Version("1.37", compiled=False)
    assert [(p.rule, p.path, p.message) for p in built.validate(document)] == found
    assert len(found) == 5


def test_the_definitions_are_found_by_bisecting_their_sorted_lines() -> None:
    lines = bundle._store_text().splitlines()
    digests = [line[2:18] for line in lines]
    assert digests == sorted(digests) and len(set(map(len, digests))) == 1
    for line, digest in zip(lines, digests, strict=True):
        assert bundle._store_line(digest) == line
    with pytest.raises(KeyError):
        bundle._store_line("0" * 16 + "x")


def test_the_releases_that_serve_each_kind_are_the_index_s(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle._served.cache_clear()
    monkeypatch.setattr(bundle, "_index", refuse)
    assert bundle._served() == json.loads((Path(BUNDLE_DIR) / "index.json").read_bytes())["kinds"]
    assert served_minors("extensions/v1beta1", "Ingress") == ()
    assert served_minors("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema")[:1] == (29,)
    monkeypatch.undo()
    bundle._served.cache_clear()
    monkeypatch.setattr(bundle, "COMPILED_DIR", tmp_path)  # none: read from the index
    assert served_minors("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema")[:1] == (29,)
    bundle._served.cache_clear()


def test_the_payload_reads_back_as_written() -> None:
    kinds, sources = (marshal.loads(part) for part in compiled_payload("1.37"))
    assert kinds[:2] == sources[:2] == (COMPILED_FORMAT, "1.37")
    assert bundle._load_compiled("1.37") is not None
    assert bundle._load_compiled_sources("1.37") is not None
