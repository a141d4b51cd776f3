"""Compact position tables: the spans of every node, as the reference builder records them,
in two-byte records when lines and columns fit and four-byte records when they do not."""

from __future__ import annotations

import yaml

from kpolicy import load
from kpolicy.model import Limits, SourceFile
from kpolicy.positions import PositionTable

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
    assert node is not None
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


BLOCKS = """\
aliased: &ref 81
spec:
  template:
    metadata:
      labels:
        app: web   # the last item of three nested mappings

    # a comment before the next key
  selector: {matchLabels: {app: web}}
  ports:
    - 80
    - *ref
  empty:
tail:
  - a: 1
    b: *ref
"""


def _lines(text: str) -> list[str]:
    return text.split("\\n")


def test_block_collections_end_where_their_last_item_ends() -> None:
    # no sentinel column: every span ends at a column of its own last line
    text = BLOCKS.replace("  ports:\n    - 80\n    - *ref\n", "  ports:\n    - 80\n")
    text = text.replace("aliased: &ref 81\n", "").replace("    b: *ref\n", "    b: 2\n")
    compact, reference, _ = _both(text)
    assert compact.entries == reference.entries
    lines = text.split("\n")
    for pointer, (key, value) in compact.entries.items():
        for span in (key, value):
            if span is None:
                continue
            assert span.end_column <= len(lines[span.end_line - 1]) + 1, (pointer, span)
            assert (span.end_line, span.end_column) >= (span.line, span.column), pointer
    labels = compact.lookup("/spec/template/metadata/labels")
    assert labels is not None
    # ends after "web" on line 5, not at the comment lines before `selector` (line 8)
    assert (labels[1].end_line, labels[1].end_column) == (5, 17)
    template = compact.lookup("/spec/template")
    assert template is not None and (template[1].end_line, template[1].end_column) == (5, 17)
    empty = compact.lookup("/spec")
    assert empty is not None and (empty[1].end_line, empty[1].end_column) == (11, 8)  # `empty`


def test_an_alias_at_the_end_of_a_block_collection() -> None:
    # the alias's node is the anchor's: its marks are lines earlier, or later; the sequence
    # and the mapping that end with one still end at a real place at or after their start
    node = yaml.compose(BLOCKS, Loader=load._Loader)
    assert node is not None
    reference = PositionTable()
    load._DocumentBuilder(reference, 0, Limits()).build(node, "", None, 0)
    lines = BLOCKS.split("\n")
    for pointer, (key, value) in reference.entries.items():
        for span in (key, value):
            if span is None:
                continue
            assert span.end_column <= len(lines[span.end_line - 1]) + 1, (pointer, span)
            assert (span.end_line, span.end_column) >= (span.line, span.column), pointer
    tail = reference.lookup("/tail/0")
    assert tail is not None and (tail[1].end_line, tail[1].end_column) == (16, 6)  # `b`
    ports = reference.lookup("/spec/ports")
    # its end mark: where `empty` starts (the alias token itself has no mark)
    assert ports is not None and (ports[1].end_line, ports[1].end_column) == (13, 3)


def test_no_span_ends_at_a_sentinel_column_in_the_reports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import subprocess
    import sys

    # a missing spec is reported on the whole object: a block mapping, followed here by a
    # blank and a comment line
    (tmp_path / "a.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\n  labels:\n"
        "    app: db\n\n# trailing comment\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", "--no-cache", "-f", "json", "a.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(out.stdout)
    assert any(
        d["rule"] == "schema-required-missing"
        and d["path"] == ""
        and (d["line"], d["endLine"], d["endColumn"]) == (1, 6, 12)
        for d in report["diagnostics"]
    )
    lines = (tmp_path / "a.yaml").read_text().split("\n")
    for diag in report["diagnostics"]:
        assert diag["endColumn"] <= len(lines[diag["endLine"] - 1]) + 1, diag
