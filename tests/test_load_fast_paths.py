"""The shortcuts of reading a file, each held to the general code it stands for: the objects
of the documents that are one object each (``load._objects`` against ``load._objects_of``), a
file's manifest-likeness taken from its objects, the ``---`` chunks without a document, the
UTF-8 decoding of a text without a BOM, and the unbuffered read of a file's bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy import load
from kpolicy.lint import inputs
from kpolicy.model import Diagnostic, KObject, SourceFile, Span
from kpolicy.positions import PositionTable
from kpolicy.records import fields
from tests.helpers import examples

_NAMES = st.one_of(
    st.none(),
    st.sampled_from(["", "a", "web", "1"]),
    st.integers(-3, 3),
    st.booleans(),
    st.floats(allow_nan=False, width=16),
    st.just([]),
    st.just({"a": 1}),
)
_KINDS = st.one_of(
    _NAMES,
    st.sampled_from(
        ["Deployment", "List", "ConfigMapList", "Kustomization", "Component", "Pod", "x"]
    ),
)
_API_VERSIONS = st.one_of(
    _NAMES, st.sampled_from(["v1", "apps/v1", "kustomize.config.k8s.io/v1beta1"])
)


@st.composite
def _objects(draw: Any, depth: int = 0) -> Any:
    value: dict[str, Any] = {}
    if draw(st.booleans()):
        value["apiVersion"] = draw(_API_VERSIONS)
    if draw(st.booleans()):
        value["kind"] = draw(_KINDS)
    metadata = draw(
        st.one_of(
            st.none(),
            _NAMES,
            st.fixed_dictionaries({}, optional={"name": _NAMES, "namespace": _NAMES}),
        )
    )
    if metadata is not None:
        value["metadata"] = metadata
    if draw(st.booleans()):
        value["spec"] = {}
    if depth == 0 and draw(st.booleans()):
        value["items"] = draw(st.one_of(st.lists(_objects(depth=1), max_size=3), _NAMES))
    return value


_DOCUMENTS = st.one_of(_objects(), _NAMES, st.lists(_objects(depth=1), max_size=2))


def _document(index: int, value: Any) -> load.Document:
    # a table of entries (what the composer's irregular documents give) answers every lookup
    table = PositionTable({"": (None, Span(index + 1, 1, index + 2, 1))})
    return load.Document(index, value, table, Span(index + 1, 1, index + 2, 1))


def _state(obj: KObject) -> tuple[Any, ...]:
    return tuple(getattr(obj, f.name) for f in fields(KObject))


@settings(max_examples=examples(full=3000, quick=300), deadline=None)
@given(st.lists(_DOCUMENTS, max_size=4), st.booleans())
def test_the_objects_of_documents_are_those_of_the_general_path(
    values: list[Any], plain: bool
) -> None:
    source = SourceFile("a.yaml", "")
    documents = [_document(i, v) for i, v in enumerate(values)]
    fast: list[Diagnostic] = []
    general: list[Diagnostic] = []
    found = load._objects(source, documents, fast, plain)
    expected = [o for d in documents for o in load._objects_of(source, d, general, plain)]
    assert [_state(o) for o in found] == [_state(o) for o in expected]
    assert [type(o.ref.namespace) for o in found] == [type(o.ref.namespace) for o in expected]
    assert fast == general
    # load_text takes a file with an object as manifest-like without asking each document
    if found:
        assert any(load._is_manifest(d.value) for d in documents)


def test_a_loaded_file_counts_its_documents_and_objects() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n"
        "---\n---\n# nothing\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: 3, namespace: [x]}\n"
        "---\n- 1\n"
    )
    loaded = load.load_text(SourceFile("a.yaml", text))
    assert loaded.documents == 3
    assert [(o.kind, o.ref.name, o.ref.namespace, o.doc_index, o.base) for o in loaded.objects] == [
        ("Pod", "a", None, 0, "/items/0"),
        ("Deployment", "3", None, 1, ""),
    ]
    assert loaded.manifest_like
    assert [d.rule for d in loaded.diagnostics] == ["manifest-invalid"]
    # the document start comes from the root's record as resolve gives it
    for doc in load.load_documents(SourceFile("a.yaml", text))[0]:
        assert doc.start == doc.positions.resolve("", "value")[0]


@pytest.mark.parametrize("blank", ["", " ", "\n", " " * 100, " " * 100 + "\n", "\t\r\n" * 40])
def test_a_chunk_of_dashes_and_blanks_is_no_document(blank: str) -> None:
    text = f"a: 1\n---{blank}\n---\nb: 2\n"
    documents, problems = load.load_documents(SourceFile("a.yaml", text))
    assert [d.value for d in documents] == [{"a": 1}, {"b": 2}]
    assert problems == []
    # text after the blanks, within the first 64 characters or past them, is read (a
    # document, or a syntax error after a tab)
    for after in ("c", " " * 100 + "c"):
        text = f"a: 1\n---{blank} {after}\n"
        documents, problems = load.load_documents(SourceFile("a.yaml", text))
        assert len(documents) + len(problems) == 2


@settings(max_examples=examples(full=3000, quick=300), deadline=None)
@given(st.binary(max_size=40) | st.text(max_size=20).map(lambda t: t.encode("utf-8", "replace")))
def test_decoding_is_that_of_utf_8_sig(data: bytes) -> None:
    for raw in (data, b"\xef\xbb\xbf" + data, data + b"\n\xff"):
        text, error, line = load.decode(raw)
        if raw.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")) or (
            len(raw[:256]) >= 4 and raw[:256].count(0) * 4 >= len(raw[:256])
        ):
            continue  # UTF-16/32, not the UTF-8 path
        try:
            expected = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            assert text is None
            assert error == f"file is not UTF-8 text (invalid byte 0x{raw[exc.start]:02x})"
            assert line == raw.count(b"\n", 0, exc.start) + 1
        else:
            assert (text, error, line) == (expected, None, 0)


@pytest.mark.parametrize("size_told", [None, 0, 1, -1])
@pytest.mark.parametrize("length", [0, 1, 5, 4096, (1 << 20) + 3])
def test_reading_a_descriptor_gives_the_bytes_up_to_one_past_the_limit(
    tmp_path: Path, length: int, size_told: int | None
) -> None:
    data = bytes(range(256)) * (length // 256) + b"x" * (length % 256)
    path = tmp_path / "f"
    path.write_bytes(data)
    # the size told may be wrong: a file that grew since its status, or a /proc file (0)
    size = length if size_told is None else max(0, length + size_told) if size_told else 0
    for limit in (0, 3, length - 1, length, length + 1, 1 << 30):
        if limit < 0:
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            assert inputs._read_fd(fd, size, limit) == data[: limit + 1]
        finally:
            os.close(fd)
