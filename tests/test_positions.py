"""Compact position tables: the spans of every node, as the reference builder records them
(tests/position_reference.py, the builder kpolicy had for irregular documents), in two-byte
records when lines and columns fit and four-byte records when they do not, and the same
positions, values and problems with duplicate keys, merge keys, anchors and reported tags."""

from __future__ import annotations

import os

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpolicy import compose, load
from kpolicy.model import Anchor, Limits, SourceFile
from kpolicy.positions import PositionTable
from tests.position_reference import ReferenceBuilder

EXAMPLES = int(os.environ.get("KPOLICY_HYPOTHESIS_EXAMPLES", "150"))

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


def _both(text: str, limits: Limits | None = None) -> tuple[PositionTable, PositionTable, str]:
    """The one builder's table and the reference's for ``text``, after checking that they
    build the same value, report the same problems and hold the same entries in the same
    order, and that every pointer (and one below each) is looked up as the entries say."""
    limits = limits or Limits()
    node = yaml.compose(text, Loader=compose._Loader)
    assert node is not None
    problems: list[compose.Problem] = []
    value, compact = compose._build_document(node, 0, limits, problems)
    reference = PositionTable()
    builder = ReferenceBuilder(reference, 0, limits)
    assert builder.build(node, "", None, 0) == value
    assert problems == builder.problems
    assert list(compact.entries.items()) == list(reference.entries.items())
    fresh = PositionTable.compact(value, compact._records, compact._irregular)
    for pointer in [*reference.entries, *(f"{p}/missing" for p in reference.entries)]:
        assert fresh.lookup(pointer) == reference.entries.get(pointer), pointer
    # a walk starts where an earlier lookup's went (any order), and a list index is written
    # only as JSON pointers write it
    backwards = PositionTable.compact(value, compact._records, compact._irregular)
    odd = ("00", "01", "-0", "+1", "1e0", " 1", "\u0661", "", "~1", "99")
    pointers = [*reference.entries, *(f"{p}/{token}" for p in reference.entries for token in odd)]
    for pointer in reversed(pointers):
        assert backwards.lookup(pointer) == reference.entries.get(pointer), pointer
    # resolve reads a compact table's records as it reads the entries of a plain one
    spans = PositionTable.compact(value, compact._records, compact._irregular)
    for pointer in pointers:
        for anchor in ("auto", "key", "value"):
            assert spans.resolve(pointer, anchor) == reference.resolve(pointer, anchor), pointer
    return compact, reference, compact._records.typecode


def test_narrow_records_match_the_reference_builder() -> None:
    compact, reference, typecode = _both(NARROW)
    assert typecode == "H"
    assert compact.entries == reference.entries
    key, value = compact.lookup("/spec/template/spec/containers/0/image") or (None, None)
    assert key is not None and (key.line, key.column) == (13, 11)
    assert value is not None and (value.line, value.column, value.end_column) == (13, 18, 28)
    assert compact.lookup("/spec/template/spec/containers/1")[0] is None  # type: ignore[index]


def test_large_containers_are_looked_up_as_the_reference_builder_records_them() -> None:
    """A child of a container of more than a few children is found through the records of
    all of them, made once: in any order, every one is where the reference puts it."""
    items = "".join(f"  - {{name: c{i}, ports: [{{port: {i}}}]}}\n" for i in range(40))
    keys = "".join(f"  k{i}: {{v: {i}}}\n" for i in range(40))
    _, reference, _ = _both(f"items:\n{items}data:\n{keys}")
    assert reference.lookup("/items/39/ports/0/port") is not None
    assert reference.lookup("/data/k39/v") is not None


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
    _, reference, _ = _both(BLOCKS)
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


IRREGULAR = {
    "duplicate keys": "a: 1\nb:\n  c: 2\n  d: 3\na: [4, 5]\nb: {e: 6}\nb:\n  f: 7\n",
    "a duplicate key holding the later nested value": (
        "spec:\n  template:\n    x: 1\n  replicas: 2\n  template:\n    y: 2\n    z:\n      - 3\n"
    ),
    "duplicate null and collection keys": "~: 1\nnull: 2\n? [a]\n: 3\n? [b]\n: 4\n? {c: 1}\n: 5\n",
    "one merge source": (
        "base: &base\n  image: nginx\n  ports: [80]\nc:\n  name: web\n  <<: *base\n  image: x\n"
    ),
    "merge sources in a list": (
        "a: &a {x: 1, y: {p: 1}}\nb: &b\n  y: {q: 2}\n  z: 3\nc:\n  <<: [*a, *b]\n  w: 4\n"
    ),
    "a merge key last in its mapping": "a: &a\n  x: 1\nc:\n  w: 1\n  <<: *a\n\n# after\nd: 2\n",
    "a merge key alone": "a: &a\n  x: 1\nc:\n  <<: *a\n",
    "an inline merge source": "c:\n  <<: {x: 1, y: [1, 2]}\n  x: 2\n",
    "a merge of a scalar and of a list of scalars": "a: &s 3\nc:\n  <<: *s\nd:\n  <<: [1, *s]\n",
    "a quoted << key and a merge key": 'a: &a {x: 1, y: 2}\nc:\n  "<<": {x: 9}\n  <<: *a\n',
    "a merge source with duplicate keys": (
        "a: &a {x: {p: 1}, y: 2}\nb: &b\n  x: {q: 1}\n  x: {r: 2}\nc:\n  <<: [*a, *b]\n"
    ),
    "nested merges": (
        "a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nc:\n  <<: *b\n  z: 3\n  deep:\n    <<: *b\n"
    ),
    "a merge key twice": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  k: 1\n  <<: *b\n",
    "a merge in a sequence item": "a: &a {x: 1}\nitems:\n  - <<: *a\n    y: 2\n  - z: 3\n",
    "anchors and aliases": (
        "labels: &l\n  app: web\nspec:\n  selector: {matchLabels: *l}\n  template:\n"
        "    metadata:\n      labels: *l\n  ports: &p [80, 81]\n  more: *p\n"
    ),
    "an alias key": "&k key: 1\nother: 2\n*k : 3\n",
    "tags to report": (
        "a: !custom 1\nb: !thing\n  c: 2\n  d: !!binary aGk=\ne: !seq\n  - 1\n\n# end\nf: 1\n"
    ),
    "a block collection key": "? - a\n  - b\n: 1\n? x: 1\n  y: 2\n:\nz: 3\n",
    "a document that is one merge": "<<: {a: 1}\n",
}


@pytest.mark.parametrize("text", IRREGULAR.values(), ids=IRREGULAR.keys())
def test_irregular_documents_have_the_reference_positions(text: str) -> None:
    _both(text)


def test_regular_documents_list_no_irregular_mapping() -> None:
    for text in (NARROW, BLOCKS, IRREGULAR["anchors and aliases"]):
        compact, _, _ = _both(text)
        assert compact._irregular is None


def test_the_later_duplicate_key_holds_the_position() -> None:
    text = IRREGULAR["a duplicate key holding the later nested value"]
    compact, _, _ = _both(text)
    assert compact.lookup("/spec/template/x") is None  # the first value is gone
    entry = compact.lookup("/spec/template/z/0")
    assert entry is not None and (entry[1].line, entry[1].column) == (8, 9)
    key = compact.resolve("/spec/template", "key")[0]
    assert (key.line, key.column) == (5, 3)
    # a missing field under it falls back to the later key
    assert compact.resolve("/spec/template/missing")[0] == key


def test_merged_keys_point_at_their_mapping_and_the_merge_source_under_the_merge_key() -> None:
    text = IRREGULAR["one merge source"]
    compact, _, _ = _both(text)
    # `image` is written in `c`: its own place; `ports` comes from the merge: `c:` stands for it
    image = compact.lookup("/c/image")
    assert image is not None and image[0] is not None and image[0].line == 7
    assert compact.lookup("/c/ports") is None
    assert compact.resolve("/c/ports")[0] == compact.resolve("/c", "key")[0]
    source = compact.lookup("/c/<<")
    assert source is not None and source[0] is None and source[1].line == 1  # at `&base`
    end = compact.lookup("/c")
    assert end is not None and (end[1].end_line, end[1].end_column) == (7, 11)


def test_the_first_merge_source_holds_a_pointer_and_a_duplicate_key_in_a_later_one_takes_it() -> (
    None
):
    compact, _, _ = _both(IRREGULAR["merge sources in a list"])
    y = compact.lookup("/c/<</y")
    assert y is not None and y[1].line == 1  # from *a, written first
    q = compact.lookup("/c/<</y/q")
    assert q is not None and q[1].line == 3  # only *b has it
    compact, _, _ = _both(IRREGULAR["a merge source with duplicate keys"])
    assert compact.lookup("/c/<</x/p") is None  # *b's duplicate `x` replaced *a's
    r = compact.lookup("/c/<</x/r")
    assert r is not None and r[1].line == 4


def test_irregular_tables_survive_pickling() -> None:
    import pickle

    compact, reference, _ = _both(IRREGULAR["nested merges"])
    again = pickle.loads(pickle.dumps(compact))
    for pointer in reference.entries:
        assert again.lookup(pointer) == reference.entries[pointer]


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("a: 1\nb:\n  c: [1, 2, 3]\na: 2\n", Limits(max_nodes=6)),
        ("a: &a {x: 1}\nb:\n  <<: *a\n  c: {d: {e: 1}}\n", Limits(max_depth=2)),
        ("a: !t {x: 1}\nb: 1\nb:\n  - [[[1]]]\n", Limits(max_depth=3)),
    ],
)
def test_refused_at_the_same_node_with_the_problems_found_before(text: str, limits: Limits) -> None:
    node = yaml.compose(text, Loader=compose._Loader)
    assert node is not None
    problems: list[compose.Problem] = []
    with pytest.raises(compose._Refused) as ours:
        compose._build_document(node, 0, limits, problems)
    builder = ReferenceBuilder(PositionTable(), 0, limits)
    with pytest.raises(compose._Refused) as theirs:
        builder.build(node, "", None, 0)
    assert str(ours.value) == str(theirs.value)
    assert ours.value.node is theirs.value.node
    assert problems == builder.problems


def test_a_merged_deployment_is_reported_at_the_merging_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "spec:\n  replicas: 1\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
        "        - &c\n          name: web\n          image: nginx:1.27\n"
        "        - <<: *c\n          name: side\n"
    )
    loaded = load.load_text(SourceFile("x.yaml", text))
    (obj,) = loaded.objects
    assert obj.data["spec"]["replicas"] == 2
    assert obj.data["spec"]["template"]["spec"]["containers"][1] == {
        "name": "side",
        "image": "nginx:1.27",
    }
    replicas = obj.span(("spec", "replicas"))
    assert (replicas.line, replicas.column) == (7, 13)
    # the merged image has no place of its own: the item that merges it stands for it
    image = obj.span(("spec", "template", "spec", "containers", 1, "image"))
    assert (image.line, image.column) == (16, 11)
    (duplicate,) = [d for d in loaded.diagnostics if d.rule == "yaml-duplicate-key"]
    assert (duplicate.span.line, duplicate.span.column) == (7, 3)
    assert "first at line 6" in duplicate.message


def _mapping_lines(data: st.DataObject, indent: int, depth: int, anchors: list[str]) -> list[str]:
    """A block mapping whose keys repeat and merge (a small alphabet with ``<<``), with anchors,
    aliases, tags, flow values, nested blocks and blank or comment lines after them."""
    pad = " " * indent
    lines: list[str] = []
    for _ in range(data.draw(st.integers(1, 4))):
        key = data.draw(st.sampled_from(["a", "b", "c", "<<", "'<<'", "? [k]\n" + pad]))
        if key == "<<":
            sources = [f"*{name}" for name in anchors]
            value = data.draw(
                st.sampled_from(
                    [*sources, "{a: 1, b: [2]}", "5"]
                    + ([f"[{', '.join(sources[-2:])}]"] if sources else [])
                )
            )
            lines.append(f"{pad}<<: {value}")
            continue
        shape = data.draw(st.sampled_from(["scalar", "alias", "mapping", "sequence", "flow"]))
        if shape == "alias" and anchors:
            lines.append(f"{pad}{key}: *{data.draw(st.sampled_from(anchors))}")
        elif shape == "mapping" and depth < 3:
            name = f"m{len(anchors)}_{indent}_{len(lines)}"
            anchor = data.draw(st.sampled_from(["", f" &{name}"]))
            tag = data.draw(st.sampled_from(["", "", " !t"]))
            lines.append(f"{pad}{key}:{anchor}{tag}")
            lines.extend(_mapping_lines(data, indent + 2, depth + 1, anchors))
            if anchor:
                anchors.append(name)
            lines.extend(data.draw(st.sampled_from([[], [""], [f"{pad}# after"]])))
        elif shape == "sequence":
            lines.append(f"{pad}{key}:")
            items = st.sampled_from(["1", "x", "{a: 1}", *(f"*{a}" for a in anchors)])
            lines.extend(
                f"{pad}  - {data.draw(items)}" for _ in range(data.draw(st.integers(1, 3)))
            )
        elif shape == "flow":
            lines.append(f"{pad}{key}: {{a: 1, b: {{c: 2}}}}")
        else:
            value = data.draw(st.sampled_from(["1", "x", "", "!t 3", "null", "[]"]))
            lines.append(f"{pad}{key}: {value}".rstrip())
    return lines


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.data())
def test_generated_irregular_documents_have_the_reference_positions(data: st.DataObject) -> None:
    text = "\n".join(_mapping_lines(data, 0, 0, [])) + "\n"
    try:
        node = yaml.compose(text, Loader=compose._Loader)
    except yaml.YAMLError:
        assume(False)
    assume(node is not None)
    _both(text)


def test_simple_scalars_built_in_the_loop_are_the_values_build_makes() -> None:
    """Strings and decimal ints are built inline by their mapping or list; the edges of what
    counts as one (octal, signs, underscores, int64 overflow, a Unicode digit under !!int)
    give the values the general path gives, in both places."""
    texts = [
        "0",
        "7",
        "007",
        "0777",
        "-5",
        "+5",
        "1_000",
        "0x1f",
        "123456789012345678",
        "9223372036854775807",
        "18446744073709551616",
        "99999999999999999999999",
        "!!int ²",
        "'12'",
        "yes",
        "1.5",
        "~",
        "",
    ]
    body = "".join(f"k{i}: {t}\n" for i, t in enumerate(texts))
    body += "l:\n" + "".join(f"  - {t}\n" for t in texts)
    _both(body)  # the same records, values and problems as the reference builder
    node = yaml.compose(body, Loader=compose._Loader)
    assert node is not None
    value, _ = compose._build_document(node, 0, Limits(), [])
    expected = [
        0,
        7,
        7,
        511,
        -5,
        5,
        1000,
        31,
        123456789012345678,
        9223372036854775807,
        18446744073709551616.0,
        99999999999999999999999.0,
        "²",
        "12",
        True,
        1.5,
        None,
        None,
    ]
    assert [value[f"k{i}"] for i in range(len(texts))] == expected
    assert value["l"] == expected
    assert [type(v) for v in value["l"]] == [type(v) for v in expected]


def test_loaded_objects_say_they_are_plain_json_only_within_the_validators_bounds() -> None:
    """KObject.plain lets the schema check skip is_plain_tree: every object the loader makes
    (aliases built again where used, merge keys, duplicate keys, tags read as plain data,
    `kind: List` items) is one it accepts, unless the limits allow what it refuses."""
    from kpolicy.schema import instance

    assert (load.PLAIN_MAX_DEPTH, load.PLAIN_MAX_NODES) == (instance.MAX_DEPTH, instance.MAX_NODES)
    text = """\
apiVersion: v1
kind: ConfigMap
metadata: &meta {name: a, labels: &labels {app: a}}
data: {x: !!binary aGk=, y: 2001-12-14, z: .inf, w: ~, v: [*labels, *labels]}
extra: {<<: [*labels, {tier: web}], app: b, app: c}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Service, metadata: &m {name: b}, spec: {ports: [{port: 80}]}}
  - {apiVersion: v1, kind: Service, metadata: *m}
  - {apiVersion: v1, kind: Secret, metadata: {name: s}, data: !custom {k: v}}
"""
    loaded = load.load_text(SourceFile("a.yaml", text))
    assert len(loaded.objects) == 4
    for obj in loaded.objects:
        assert obj.plain
        assert instance.is_plain_tree(obj.data)
    deep = load.load_text(SourceFile("a.yaml", text), Limits(max_depth=instance.MAX_DEPTH))
    assert deep.objects and not any(obj.plain for obj in deep.objects)
    big = load.load_text(SourceFile("a.yaml", text), Limits(max_nodes=instance.MAX_NODES + 1))
    assert big.objects and not any(obj.plain for obj in big.objects)


def test_a_table_looked_up_at_its_top_level_only_keeps_no_walk_memo() -> None:
    """The walk's memo of containers is made with the first container reached below the
    root: a file of a million one-key documents, each looked up for a missing apiVersion,
    kept one dict per document (a quarter of that run's memory) before it was."""
    table = load.load_documents(SourceFile("x.yaml", "a: {b: [1, {c: 2}]}\n"))[0][0].positions
    assert table.lookup("/apiVersion") is None and table.lookup("") is not None
    assert table._places is None
    nested = table.lookup("/a/b/1/c")
    assert nested is not None and nested[1].line == 1
    assert table._places is not None and "/a/b/1" in table._places
    # resumed from the memo, a lookup answers as a fresh table's walk does
    fresh = load.load_documents(SourceFile("x.yaml", "a: {b: [1, {c: 2}]}\n"))[0][0].positions
    for pointer in ("/a/b/0", "/a/b/1", "/a/b/2", "/a", "/a/x", "/a/b/1/c/d"):
        assert table.lookup(pointer) == fresh.lookup(pointer), pointer


def test_sizes_are_made_once_a_table_and_again_after_a_pickle() -> None:
    """The items of a ``kind: List`` share their file's table and each item's schema check asks
    for the subtree sizes: made once (a copy a call made a long List's check quadratic), equal
    to the records' size fields, and made afresh for a table that crossed a pickle."""
    import pickle

    items = "".join(f"- {{kind: ConfigMap, metadata: {{name: c{i}}}}}\n" for i in range(50))
    documents, _ = load.load_documents(SourceFile("list.yaml", f"kind: List\nitems:\n{items}"))
    table = documents[0].positions
    sizes = table.sizes()
    assert table.sizes() is sizes
    assert list(sizes) == list(table._records[8::9])
    again = pickle.loads(pickle.dumps(table))
    assert again.sizes() is not sizes and list(again.sizes()) == list(sizes)


def test_resolve_walks_each_pointer_once_with_its_fallbacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """resolve reads the walk's memo itself (it runs once a finding): a pointer resolved
    again, a missing field's ancestors, and a lookup after resolve walk nothing again, and
    answer as a fresh table does."""
    text = "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: b\n"
    table = load.load_documents(SourceFile("x.yaml", text))[0][0].positions
    walked: list[str] = []
    find = PositionTable._find

    def counted(self: PositionTable, pointer: str) -> int | None:
        walked.append(pointer)
        return find(self, pointer)

    monkeypatch.setattr(PositionTable, "_find", counted)
    pointers: list[tuple[str, Anchor]] = [
        ("/spec/template/spec/containers/0/name", "auto"),
        ("/spec/template/spec/containers/0/missing/deeper", "auto"),
        ("/spec/template/spec/containers/0/name", "key"),
        ("/spec/template/spec/containers/0", "auto"),
    ]
    answers = [table.resolve(pointer, anchor) for pointer, anchor in pointers]
    assert table.lookup("/spec/template/spec/containers/0/missing") is None
    assert sorted(walked) == sorted(set(walked))
    assert walked == [
        "/spec/template/spec/containers/0/name",
        "/spec/template/spec/containers/0/missing/deeper",
        "/spec/template/spec/containers/0/missing",
        "/spec/template/spec/containers/0",
    ]
    monkeypatch.setattr(PositionTable, "_find", find)
    fresh = [
        load.load_documents(SourceFile("x.yaml", text))[0][0].positions.resolve(pointer, anchor)
        for pointer, anchor in pointers
    ]
    assert answers == fresh
    assert answers[1] == (
        table.resolve("/spec/template/spec/containers/0", "key")[0],
        "/spec/template/spec/containers/0",
    )


def test_spans_made_on_the_open_twin_are_the_spans_the_class_makes() -> None:
    """``span_of`` makes its spans on Span's open twin: each is a Span, frozen, equal (and
    hashed, pickled, shown) as the one ``Span(...)`` makes of the same values, and what
    ``resolve`` gives; the twin fits only while Span has these four fields and no
    ``__post_init__``."""
    import pickle
    from dataclasses import FrozenInstanceError

    from kpolicy import positions
    from kpolicy.model import Span
    from kpolicy.records import fields, open_twin

    assert [f.name for f in fields(Span)] == ["line", "column", "end_line", "end_column"]
    assert not hasattr(Span, "__post_init__")
    assert positions._OPEN_SPAN is open_twin(Span)
    text = "a:\n  b: [1, 2]\n  c: |\n    x\n    y\nd: e\n"
    table, _, _ = _both(text)
    assert table is not None
    for pointer in ("", "/a", "/a/b", "/a/b/1", "/a/c", "/d", "/a/missing"):
        for anchor in ("auto", "key", "value"):
            index = table._record_of(pointer if pointer != "/a/missing" else "/a")
            assert index is not None and index >= 0
            span = table.span_of(index, anchor)
            made = Span(span.line, span.column, span.end_line, span.end_column)
            assert type(span) is Span
            assert span == made and hash(span) == hash(made) and repr(span) == repr(made)
            assert pickle.loads(pickle.dumps(span)) == made
            if pointer != "/a/missing":
                assert span == table.resolve(pointer, anchor)[0]
            with pytest.raises(FrozenInstanceError):
                span.line = 3  # type: ignore[misc]
