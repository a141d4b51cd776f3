"""Compact position tables: the spans of every node, as the reference builder records them,
in two-byte records when lines and columns fit and four-byte records when they do not."""

from __future__ import annotations

import yaml

from kpolicy import load
from kpolicy.model import Limits, PositionTable, SourceFile

NARROW = """\
# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: "front"}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          args: [a, b]
        -
          name: side
"""


def _both(text: str) -> tuple[PositionTable, PositionTable, str]:
    node = yaml.compose(text, Loader=load._Loader)
    value, records = load._build_compact(node, 0, Limits())
    compact = PositionTable.compact(value, records)
    reference = PositionTable()
    assert load._DocumentBuilder(reference, 0, Limits()).build(node, "", None, 0) == value
    return compact, reference, records.typecode


def test_narrow_records_match_the_reference_builder() -> None:
    compact, reference, typecode = _both(NARROW)
    assert typecode == "H"
    assert compact.entries == reference.entries
    key, value = compact.lookup("/spec/template/spec/containers/0/image") or (None, None)
    assert key is not None and (key.line, key.column) == (13, 11)
    assert value is not None and (value.line, value.column, value.end_column) == (13, 18, 28)
    assert compact.lookup("/spec/template/spec/containers/1")[0] is None  # type: ignore[index]


def test_a_column_past_65535_uses_wide_records() -> None:
    text = '{"a": "' + "x" * 70_000 + '", "b": 1}\n'
    compact, reference, typecode = _both(text)
    assert typecode == "i"
    assert compact.entries == reference.entries
    key, value = compact.lookup("/b") or (None, None)
    assert key is not None and key.column == 70_011
    assert value is not None and value.column == 70_016


def test_a_line_past_65535_uses_wide_records() -> None:
    text = "#\n" * 70_000 + NARROW
    compact, reference, typecode = _both(text)
    assert typecode == "i"
    assert compact.entries == reference.entries
    assert compact.resolve("/metadata/name")[0].line == 70_005


def test_loaded_documents_keep_their_positions_through_the_pipeline() -> None:
    loaded = load.load_text(SourceFile("x.yaml", NARROW))
    (obj,) = loaded.objects
    span = obj.span(("spec", "replicas"))
    assert (span.line, span.column) == (8, 13)
