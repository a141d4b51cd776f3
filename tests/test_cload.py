"""The optional C loader (kpolicy/_cload.c) against the Python walk it stands in for.

``load_documents`` hands each chunk to ``kpolicy._cload.load_chunk`` first; it returns each
document's value and position records as ``_build_document`` makes them, or None for a chunk
that is not the common case, which then takes the composer. These tests hold the two paths to
the same documents, records and diagnostics (and the same lint report) on our fixtures, the
examples, ../shared and generated YAML, hold every refused case to None, and loop the loader
to show that it keeps no memory. They skip, saying why, where the extension is not built.
"""

from __future__ import annotations

import gc
import json
import math
import os
import random
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy import compose, load
from kpolicy.model import Limits, SourceFile
from kpolicy.yamltext import document_chunks
from tests.conftest import ROOT, SHARED
from tests.helpers import cli, examples, run_python

LOAD_CHUNK: Any = load._load_chunk
BUILT = sorted((ROOT / "kpolicy").glob("_cload*.so")) + sorted(
    (ROOT / "kpolicy").glob("_cload*.pyd")
)

needs_extension = pytest.mark.skipif(
    LOAD_CHUNK is None,
    reason="the C loader is not built (no C compiler or libyaml-dev at install) or "
    "KPOLICY_PURE_PYTHON is set",
)


@contextmanager
def _pure_python() -> Iterator[None]:
    saved = load._load_chunk
    load._load_chunk = None
    try:
        yield
    finally:
        load._load_chunk = saved


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (True is not 1, 1.0 is not 1), NaN
    equal to NaN, and dict keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _loaded(text: str, limits: Limits | None = None) -> tuple[list[Any], list[Any]]:
    documents, diagnostics = load.load_documents(SourceFile("t.yaml", text), limits)
    return (
        [
            (
                d.index,
                d.value,
                d.positions._records.typecode,
                d.positions._records.tolist(),
                d.positions._irregular,
                d.start,
            )
            for d in documents
        ],
        diagnostics,
    )


def _assert_both_paths_agree(text: str, limits: Limits | None = None) -> None:
    fast_docs, fast_diagnostics = _loaded(text, limits)
    with _pure_python():
        slow_docs, slow_diagnostics = _loaded(text, limits)
    assert fast_diagnostics == slow_diagnostics
    assert len(fast_docs) == len(slow_docs)
    for fast, slow in zip(fast_docs, slow_docs, strict=True):
        assert _same(fast[1], slow[1]), (fast[1], slow[1])
        assert fast[0] == slow[0] and fast[2:] == slow[2:], text


def _chunk_results(text: str, limits: Limits | None = None) -> list[Any]:
    """What the C loader says of each chunk of ``text`` (None: refused)."""
    bounds = limits or Limits()
    return [
        LOAD_CHUNK(
            chunk, offset, bounds.max_nodes, bounds.max_depth, load._int_value, load._float_value
        )
        for offset, chunk in document_chunks(text)
    ]


# -- the common case: taken by C, equal to the Python walk -----------------------------------

COMMON = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: v\n",
    # non-ASCII text: marks count characters
    "metadata:\n  name: café\n  labels: {ü: 'ö', x: \"日本語\"}\nspec: [é, 🎉, ok]\n",
    "a: 'ö'\nb: 🎉🎉\nc:\n  - d: é\n    e: [1, 2]\n",
    # CRLF line ends, tabs inside values and after indicators
    "apiVersion: v1\r\nkind: Service\r\nspec:\r\n  ports:\r\n  - port: 80\r\n    name: a\tb\r\n",
    "a:\t1\nb: x\ty\n",
    # a byte order mark, at the start and after a joined file's line break
    "\ufeffapiVersion: v1\nkind: A\n",
    "a: 1\n---\n\ufeffb: 2\n",
    # flow and block styles, nested
    "a: {b: [1, {c: d}], e: []}\nf: {}\ng:\n- [x, y]\n- {z: 1}\n-\n  - deep\n",
    # multi-line plain, folded and literal scalars
    "a: one\n  two\n\n  three\nb: >\n  folded\n  text\n\n  more\nc: |\n  literal\n   kept\n",
    "a: |-\n  x\nb: >+\n  y\n\nc: |2\n    z\n",
    "- yes\n  no\n- true thing\n- 0x1f tail\n",
    # comments and empty values
    "# head\na: # after\n  # inside\n  b: 1 # tail\nc:\nd: ~\ne: null\nf: ''\n",
    "- \n- a\n-\n",
    "a:\n  b:\n  c:\n",
    # document markers: several documents in one chunk, `...`, an empty document
    "---\na: 1\n...\n---\nb: 2\n",
    "a: 1\n...\n",
    "a: 1\n...\n# after the end\n",
    "--- {a: 1}\n",
    "---\n# only a comment\n",
    # scalars of every plain type, quoted twins
    "a: [y, Y, yes, n, NO, on, Off, true, FALSE, ~, null, Null, '', 0, -0, +7, 007, 0o17,"
    " 0x_1F, 0b101, 1_000, 1.5, .5, -1e3, 1E+3, .inf, -.Inf, .nan, 1:30, 2024-01-01,"
    " 123456789012345678, 1234567890123456789, 9999999999999999999, 99999999999999999999, '1', \"true\"]\n",
    "y: 1\nn: 2\n~: 3\ntrue: 4\n1: 5\n1.5: 6\n'': 7\n",
    "? a\n: 1\n? |\n  block key\n: 2\n",
    # a long line: a column past 65,535 (records of four bytes)
    "a: " + "x" * 70_000 + "\nb: 1\n",
    # strings long and short (interned up to 32 characters)
    "a: " + "s" * 32 + "\nb: " + "s" * 33 + "\n",
    "",
    "\n\n",
    "---\n",
    "[1, 2, 3]\n",
    "just text\n",
    "~\n",
    "null\n",
]


@needs_extension
@pytest.mark.parametrize("text", COMMON, ids=range(len(COMMON)))
def test_common_texts_are_loaded_in_c_as_the_python_walk_loads_them(text: str) -> None:
    results = _chunk_results(text)
    assert all(result is not None for result in results), results
    _assert_both_paths_agree(text)


@needs_extension
def test_several_documents_in_one_chunk_are_each_loaded() -> None:
    """document_chunks splits at `---` lines; a chunk handed over whole still gives each of
    its documents, the empty one left out."""
    chunk = "a: 1\n...\n---\n~\n...\n--- [x]\n...\n---\nb: {c: 2}\n"
    loaded = LOAD_CHUNK(chunk, 3, 100, 10, load._int_value, load._float_value)
    assert [value for value, _ in loaded] == [{"a": 1}, ["x"], {"b": {"c": 2}}]
    composed = [n for n in yaml.compose_all(chunk, Loader=compose._Loader) if n.value not in ("~",)]
    for (_, records), node in zip(loaded, composed, strict=True):
        assert records[:2].tolist() == [node.start_mark.line + 4, node.start_mark.column + 1]


@needs_extension
def test_records_are_four_bytes_where_a_number_passes_65535() -> None:
    (documents,) = _chunk_results("a: " + "x" * 70_000 + "\n")
    ((_, records),) = documents
    assert records.typecode == "i" and records.tolist()[9:13] == [1, 4, 1, 70_004]
    ((_, records),) = _chunk_results("a: x\n")[0]
    assert records.typecode == "H"
    assert records.tolist() == [1, 1, 1, 5, 0, 0, 0, 0, 2, 1, 4, 1, 5, 1, 1, 1, 2, 1]


@needs_extension
def test_values_are_the_python_types_and_short_strings_are_interned() -> None:
    text = "a: [1, 1.5, true, ~, x, '2']\n" + "b: " + "q" * 40 + "\n"
    ((value, _),) = _chunk_results(text)[0]
    assert value["a"] == [1, 1.5, True, None, "x", "2"]
    assert [type(v) for v in value["a"]] == [int, float, bool, type(None), str, str]
    short = "".join(["x"])  # a new str equal to an interned one
    assert value["a"][4] is sys.intern(short)
    assert next(iter(value)) is sys.intern("".join(["a"]))


# -- refused: None, and the report of today's path --------------------------------------------

REFUSED = {
    "anchor": "a: &x 1\nb: 2\n",
    "alias": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 1\n",
    "custom tag": "a: !thing 1\n",
    "non-specific tag": "a: ! 1\n",
    "collection tag": "a: !!map {b: 1}\n",
    "merge key": "base: {a: 1}\nm:\n  <<: {b: 2}\n  c: 3\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "duplicate null key": "~: 1\n? ''\n: 2\nnull: 3\n",
    "collection key": "? [a, b]\n: 1\n",
    "mapping key": "? {a: 1}\n: 1\n",
    "parse error": "a: [1, 2\nb: 3\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "error after a good document": "a: 1\n...\nb: [\n",
    "tab indentation": "a:\n\tb: 1\n",
    "control character": "a: \x01\n",
    "lone surrogate": "a: \ud800\n",
    "empty float tag": "a: !!float\nb: !!int ''\n",
}


def test_an_empty_float_or_int_under_its_tag_is_its_text() -> None:
    """`!!float` with nothing after it made PyYAML's float constructor raise IndexError (an
    internal error in a lint run); the value is read as plain data, as other tagged scalars
    that do not convert are."""
    with _pure_python():
        ((_, value, *_),), diagnostics = _loaded("a: !!float\nb: !!int ''\n")
    assert value == {"a": "", "b": ""} and not diagnostics


def test_an_explicit_float_is_converted_by_the_composer_as_pyyaml_converts_it() -> None:
    """The composer reads a `!!float` scalar (which the C loader refuses) with the C loader's
    conversion, load._float_value: the value PyYAML's SafeConstructor gives, a sexagesimal
    and an underscore one among them, or the text where PyYAML raises."""
    from yaml.constructor import SafeConstructor
    from yaml.nodes import ScalarNode

    texts = ["1:30", "-1:30.5", "1_000.5", "-.INF", ".nan", "2", "x", "1:x"]
    chunk = "".join(f"k{n}: !!float '{text}'\n" for n, text in enumerate(texts))
    with _pure_python():
        ((_, value, *_),), _ = _loaded(chunk)
    for n, text in enumerate(texts):
        try:
            expected: Any = SafeConstructor().construct_yaml_float(
                ScalarNode("tag:yaml.org,2002:float", text)
            )
        except ValueError:
            expected = text
        assert _same(value[f"k{n}"], expected), (text, value[f"k{n}"], expected)


@needs_extension
@pytest.mark.parametrize("name", list(REFUSED))
def test_what_is_not_the_common_case_is_refused_and_reported_as_today(name: str) -> None:
    text = REFUSED[name]
    assert None in _chunk_results(text)
    _assert_both_paths_agree(text)


@needs_extension
@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("a: [1, 2, 3]\n", Limits(max_nodes=5)),  # the root, a, the list, three items: 6
        ("{a: 1, b: 2}\n", Limits(max_nodes=4)),  # keys count
        ("a: {b: {c: 1}}\n", Limits(max_depth=2)),
        ("[[[[1]]]]\n", Limits(max_depth=3)),
        ("[" * 300 + "]" * 300 + "\n", None),  # deeper than the default 256
        # deeper than the C loader nests, whatever maxDepth says: PyYAML's libyaml refuses
        # 1,000 levels, the libyaml the C loader is linked to may not
        ("x: " + "[" * 1001 + "]" * 1001 + "\n", Limits(max_depth=5000)),
        ("".join(" " * i + "a:\n" for i in range(1001)), Limits(max_depth=5000)),
    ],
)
def test_documents_past_the_limits_are_refused(text: str, limits: Limits | None) -> None:
    assert None in _chunk_results(text, limits)
    _assert_both_paths_agree(text, limits)


@needs_extension
@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("a: [1, 2, 3]\n", Limits(max_nodes=6)),
        ("a: {b: {c: 1}}\n", Limits(max_depth=3)),
        ("[" * 256 + "]" * 256 + "\n", None),
    ],
)
def test_documents_at_the_limits_are_loaded(text: str, limits: Limits | None) -> None:
    assert None not in _chunk_results(text, limits)
    _assert_both_paths_agree(text, limits)


# `&` and `*` in scalars (a shell script in a ConfigMap), which the composer reads with its
# measure of what aliases expand to: read in C within the bounds, refused past them, and
# reported as the composer reports them either way
SCRIPT_AT_THE_LIMITS = [
    ("a: [1, 2, 'x && y *']\n", Limits(max_nodes=6), True),
    ("a: [1, 2, 'x && y *']\n", Limits(max_nodes=5), False),
    ("{a: '&', b: '*'}\n", Limits(max_nodes=5), True),
    ("{a: '&', b: '*'}\n", Limits(max_nodes=4), False),
    ("a: {b: {c: 'p & q*'}}\n", Limits(max_depth=3), True),
    ("a: {b: {c: 'p & q*'}}\n", Limits(max_depth=2), False),
    ("a: {b: {c: {}}}\nd: '&*'\n", Limits(max_depth=3), True),
    ("a: {b: {c: {}}}\nd: '&*'\n", Limits(max_depth=2), False),
    ("a: {b: [[]]}\nd: '&*'\n", Limits(max_depth=3), True),
    ("a: {b: [[]]}\nd: '&*'\n", Limits(max_depth=2), False),
    ("[[[['&*']]]]\n", Limits(max_depth=4), True),
    ("[[[['&*']]]]\n", Limits(max_depth=3), False),
    ("[" * 256 + "'&*'" + "]" * 256 + "\n", None, True),
    ("[" * 257 + "'&*'" + "]" * 257 + "\n", None, False),
    ("run: |\n  a && b\n  ls *.yaml\n---\nc: &x 1\nd: *x\n", None, True),
    ("a: &x [1, '*']\nb: *x\n", None, False),  # an anchor: the composer's
]


@needs_extension
@pytest.mark.parametrize(("text", "limits", "in_c"), SCRIPT_AT_THE_LIMITS)
def test_a_chunk_with_ampersand_and_star_is_read_in_c_as_the_composer_reads_it(
    text: str, limits: Limits | None, in_c: bool
) -> None:
    assert (_chunk_results(text, limits)[0] is not None) is in_c
    _assert_both_paths_agree(text, limits)


def test_floats_are_converted_as_pyyaml_converts_them() -> None:
    """The C loader's float conversion (load._float_value, without PyYAML) is PyYAML's
    SafeConstructor.construct_yaml_float, which the composer used before it took the same
    conversion: same type, value and sign (of a NaN too), or the text where PyYAML raises."""
    from yaml.constructor import SafeConstructor
    from yaml.nodes import ScalarNode

    constructor = SafeConstructor()

    texts = [
        "1.5",
        "-1.5",
        "+1.5",
        ".5",
        "-.5",
        "1e3",
        "1E+3",
        "-1e-3",
        "1_000.5",
        "1.e5",
        "-0.0",
        "0.0",
        ".inf",
        ".Inf",
        "-.INF",
        "+.inf",
        ".nan",
        ".NaN",
        "-.nan",
        "+.NAN",
        "1:30",
        "-1:30.5",
        "1:2:3.5",
        "",
        "-",
        "+",
        "_",
        "x",
        "1e",
        "1e999",
        "-1e999",
        "1" + "0" * 400,
        "1:x",
        ":",
        "1__0.5",
    ]
    for text in texts:
        try:
            expected: Any = constructor.construct_yaml_float(
                ScalarNode("tag:yaml.org,2002:float", text)
            )
        except (ValueError, IndexError):
            expected = text
        ours = load._float_value(text)
        assert _same(ours, expected), (text, ours, expected)
        if isinstance(ours, float):
            assert math.copysign(1, ours) == math.copysign(1, expected), text


@needs_extension
def test_the_c_loader_nests_500_collections_at_most_whatever_max_depth_allows() -> None:
    raised = Limits(max_depth=5000)
    assert _chunk_results("[" * 500 + "]" * 500 + "\n", raised) != [None]
    assert _chunk_results("[" * 501 + "]" * 501 + "\n", raised) == [None]
    block = "a:\n" + "".join("  " * i + "- b:\n" for i in range(250))  # 501 collections
    assert _chunk_results(block[: block.rindex("- b:")], raised) != [None]  # 499
    assert _chunk_results(block, raised) == [None]


@needs_extension
def test_refused_chunks_lint_as_today() -> None:
    """The report of a file of refused chunks (and common ones between them) is the pure
    Python run's."""
    text = "\n---\n".join(
        [f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}" for i in range(3)]
        + [REFUSED[name].rstrip("\n") for name in ("duplicate key", "merge key", "tag")]
    )
    _assert_same_report_on_text(text)


def _report(args: list[str], cwd: Path, stdin: str | None, pure: bool) -> str:
    env = dict(os.environ)
    env.pop("KPOLICY_PURE_PYTHON", None)
    if pure:
        with _pure_python():
            done = cli(*args, cwd=cwd, stdin=stdin, env=env)
    else:
        done = cli(*args, cwd=cwd, stdin=stdin, env=env)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def _assert_same_report_on_text(text: str) -> None:
    args = ["lint", "--format", "json", "--no-cache", "-j", "1", "-"]
    fast = _report(args, ROOT, text, pure=False)
    assert fast == _report(args, ROOT, text, pure=True)
    assert json.loads(fast)


# -- every file we have ------------------------------------------------------------------------


def _yaml_files(*folders: Path) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        found += [
            p
            for p in sorted(folder.rglob("*"))
            if p.suffix in (".yaml", ".yml", ".json") and p.is_file() and not p.is_symlink()
        ]
    return found


def _text_of(path: Path) -> str | None:
    text, _, _ = load.decode(path.read_bytes())
    return text


@needs_extension
def test_every_fixture_and_example_loads_as_the_python_walk_loads_it() -> None:
    folders = [ROOT / "tests" / "fixtures", ROOT / "tests" / "rules", ROOT / "tests" / "hostile"]
    folders += sorted(ROOT.glob("examples*"))
    files = _yaml_files(*(f for f in folders if f.is_dir()))
    assert len(files) > 100
    for path in files:
        text = _text_of(path)
        if text is not None:
            _assert_both_paths_agree(text)


@needs_extension
@pytest.mark.parametrize("name", ["corpus", "repos"])
def test_every_shared_file_loads_as_the_python_walk_loads_it(name: str) -> None:
    folder = SHARED / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (../shared)")
    files = _yaml_files(folder)
    taken = 0
    for path in files:
        text = _text_of(path)
        if text is None:
            continue
        _assert_both_paths_agree(text)
        taken += sum(r is not None for r in _chunk_results(text))
    assert taken > len(files) // 2  # the common case is common


@needs_extension
def test_the_lint_report_on_the_examples_is_the_pure_python_one() -> None:
    for folder in sorted(ROOT.glob("examples*")):
        args = ["lint", "--format", "json", "--no-cache", "-j", "1", "."]
        assert _report(args, folder, None, pure=False) == _report(args, folder, None, pure=True)


# -- generated YAML --------------------------------------------------------------------------

_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12
) | st.sampled_from(
    ["", "~", "null", "y", "No", "on", "0x1f", "007", "1e3", ".inf", "<<", "- a", "a: b", "#x"]
)
_SCALAR = (
    _TEXT
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.booleans()
    | st.none()
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


def _render(value: Any, options: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(value, **options)
    return text


_OPTIONS = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        "default_style": st.sampled_from([None, None, '"', "'", "|", ">"]),
        "allow_unicode": st.booleans(),
        "width": st.sampled_from([8, 20, 80, 1000]),
        "indent": st.sampled_from([2, 3, 4]),
        "explicit_start": st.booleans(),
        "explicit_end": st.booleans(),
        "line_break": st.sampled_from(["\n", "\r\n", "\r"]),
        "sort_keys": st.booleans(),
    }
)


@needs_extension
@settings(
    max_examples=examples(full=2000, quick=150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(_VALUE, min_size=1, max_size=3), _OPTIONS, st.data())
def test_generated_yaml_loads_as_the_python_walk_loads_it(
    values: list[Any], options: dict[str, Any], data: st.DataObject
) -> None:
    text = yaml.safe_dump_all(values, **options) if len(values) > 1 else _render(values[0], options)
    _assert_both_paths_agree(text)
    # mutated: cut somewhere, or characters put in somewhere
    place = data.draw(st.integers(min_value=0, max_value=len(text)))
    how = data.draw(st.sampled_from(["cut", "insert", "replace"]))
    noise = data.draw(
        st.text(
            st.sampled_from(list(" \t\n\r:-?,[]{}#&*!|>'\"%@`~\ufeff\x00é")) | st.characters(),
            min_size=1,
            max_size=4,
        )
    )
    if how == "cut":
        mutated = text[:place]
    elif how == "insert":
        mutated = text[:place] + noise + text[place:]
    else:
        mutated = text[:place] + noise + text[place + len(noise) :]
    _assert_both_paths_agree(mutated)


# the characters go-yaml v2's resolvers look at (signs, digits, bases, exponents, the words of
# bools, nulls, infinities and NaN, the merge key) and a few that end a plain scalar
_SCALAR_TEXT = st.text(
    st.sampled_from(list("0123456789+-._eExXoObBaAfF:yYnNtTrRuUlLsSiI~<")), min_size=1, max_size=10
) | st.sampled_from(
    [
        "0b",
        "0x",
        "0o",
        "0_",
        "-0x1",
        "+0b1_0",
        "0o8",
        "09",
        "1__0",
        "._1",
        "1.e5",
        "1e",
        "+.5",
        ".Inf",
        "-.inf",
        "+.NaN",
        ".NAN",
        "yES",
        "oN",
        "nULL",
        "~~",
        "<<",
        "<<<",
        "1:2:3",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "0x" + "f" * 20,
        "1" + "0" * 400,
    ]
)


@needs_extension
@settings(
    max_examples=examples(full=3000, quick=300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_SCALAR_TEXT)
def test_plain_scalars_are_typed_in_c_as_the_python_resolver_types_them(text: str) -> None:
    """Every plain scalar, as a value, a key and a flow item, gets the value the resolver table
    of load.py gives it (or the chunk is refused and the composer reads it)."""
    _assert_both_paths_agree(f"a: {text}\n{text}: b\nc: [{text}, x]\n- {text}\n")
    _assert_both_paths_agree(f"a: {text}\n{text}: b\nc: [{text}, x]\n")
    _assert_both_paths_agree(f"- {text}\n- [{text}]\n")


def test_the_scalar_test_reaches_the_c_loader() -> None:
    """The texts of the test above are mostly taken by C, not refused (else it compares the
    composer with itself)."""
    if LOAD_CHUNK is None:
        pytest.skip("the C loader is not built")
    texts = ["0b101", "0o17", "-0x1F", "1_000", "1.e5", ".Inf", "yES", "oN", "~", "1:2:3", "09"]
    taken = [t for t in texts if _chunk_results(f"a: {t}\n{t}: b\n")[0] is not None]
    assert len(taken) >= len(texts) - 1, taken


# -- used, and without leaks ---------------------------------------------------------------------


def test_the_dev_install_uses_the_c_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("KPOLICY_PURE_PYTHON"):
        pytest.skip("KPOLICY_PURE_PYTHON is set: the C loader is off by request")
    if not BUILT:
        pytest.skip(
            "kpolicy/_cload*.so is not built (the install found no C compiler or libyaml-dev)"
        )
    import kpolicy._cload as built_module  # type: ignore[import-not-found,unused-ignore]

    if built_module.LIBYAML_VERSION < load.LIBYAML_MINIMUM:
        pytest.skip(f"the extension is linked to libyaml {built_module.LIBYAML_VERSION}")
    assert LOAD_CHUNK is not None, "the extension is built but load.py does not import it"
    calls: list[str] = []
    built: list[Any] = []

    def counting(chunk: str, *args: Any) -> Any:
        calls.append(chunk)
        return LOAD_CHUNK(chunk, *args)

    def not_called(*args: Any) -> Any:
        built.append(args)
        raise AssertionError("the Python walk ran on a common chunk")

    monkeypatch.setattr(load, "_load_chunk", counting)
    monkeypatch.setattr(compose, "_build_document", not_called)
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: B\n"
    documents, diagnostics = load.load_documents(SourceFile("t.yaml", text))
    assert len(calls) == 2 and not built and not diagnostics
    assert [d.value["kind"] for d in documents] == ["ConfigMap", "B"]


@pytest.mark.parametrize(
    ("libyaml", "pyyaml_has_libyaml", "used"),
    [
        ((0, 2, 5), True, True),
        ((0, 3, 0), True, True),
        ((0, 2, 2), True, False),
        ((), True, False),
        ((0, 2, 5), False, False),
    ],
)
def test_the_c_loader_is_used_with_the_libyaml_the_python_path_reads_as(
    libyaml: tuple[int, ...], pyyaml_has_libyaml: bool, used: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not with a libyaml older than 0.2.5 (it reads some texts otherwise than PyYAML's own),
    nor when PyYAML has no libyaml (the Python path is then PyYAML's pure-Python parser)."""
    import kpolicy

    def load_chunk(*args: Any) -> None:
        return None

    fake = type(sys)("kpolicy._cload")
    fake.load_chunk = load_chunk  # type: ignore[attr-defined]
    if libyaml:
        fake.LIBYAML_VERSION = libyaml  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kpolicy._cload", fake)
    monkeypatch.setattr(kpolicy, "_cload", fake, raising=False)
    monkeypatch.delenv("KPOLICY_PURE_PYTHON", raising=False)
    if not pyyaml_has_libyaml:
        monkeypatch.setattr(load, "_pyyaml_has_libyaml", lambda: False)
    assert (load._c_loader() is load_chunk) is used


@needs_extension
def test_the_extension_says_which_libyaml_it_runs_with() -> None:
    import ctypes
    import ctypes.util

    import kpolicy._cload as built_module  # type: ignore[import-not-found,unused-ignore]

    version = built_module.LIBYAML_VERSION
    assert isinstance(version, tuple) and len(version) == 3 and version >= load.LIBYAML_MINIMUM
    name = ctypes.util.find_library("yaml")
    if name is not None:
        library = ctypes.CDLL(name)
        library.yaml_get_version_string.restype = ctypes.c_char_p
        assert library.yaml_get_version_string().decode() == ".".join(map(str, version))


def test_kpolicy_pure_python_turns_the_c_loader_off() -> None:
    check = "from kpolicy import load; print(load._load_chunk is None)"
    env = dict(os.environ, KPOLICY_PURE_PYTHON="1")
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.stdout.strip() == "True", done.stderr


def test_pyyaml_s_libyaml_is_found_without_importing_pyyaml() -> None:
    """Whether PyYAML has its libyaml is told by where its extension is, not by importing
    PyYAML (which a run the C loader reads whole does not import), and agrees with PyYAML."""
    found = run_python(
        "import sys\nfrom kpolicy import load\n"
        "print(load._pyyaml_has_libyaml(), 'yaml' in sys.modules)"
    )
    assert found == f"{yaml.__with_libyaml__} False"


def test_a_pyyaml_without_its_extension_turns_the_c_loader_off(tmp_path: Path) -> None:
    """A PyYAML found first on the path without its extension (a pure-Python install) has
    no libyaml: the C loader is off; with the extension where import finds it, it is found,
    and neither PyYAML is imported for it."""
    fake = tmp_path / "yaml"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('imported')\n")
    code = (
        "import sys\nfrom kpolicy import load\n"
        "print(load._pyyaml_has_libyaml(), load._load_chunk is None, 'yaml' in sys.modules)"
    )
    assert run_python(code, PYTHONPATH=str(tmp_path)) == "False True False"
    extension = Path(yaml.__file__).parent.glob("_yaml*")
    built = [p for p in extension if p.suffix in (".so", ".pyd")]
    if not built:
        pytest.skip("this PyYAML has no libyaml extension")
    (fake / built[0].name).symlink_to(built[0])
    assert run_python(code, PYTHONPATH=str(tmp_path)).startswith("True ")
    assert run_python(code, PYTHONPATH=str(tmp_path)).endswith(" False")


@needs_extension
def test_a_pyyaml_extension_that_does_not_import_turns_the_c_loader_off_when_met(
    tmp_path: Path,
) -> None:
    """PyYAML's extension where import finds it but broken (it does not import): the C loader
    is on until the first chunk that needs the composer imports PyYAML, whose parser is then
    its pure-Python one, which the C loader does not follow; from there the composer reads
    every chunk, as with KPOLICY_PURE_PYTHON."""
    import sysconfig

    copy = tmp_path / "yaml"
    copy.mkdir()
    for source in Path(yaml.__file__).parent.glob("*.py"):
        (copy / source.name).write_text(source.read_text())
    (copy / f"_yaml{sysconfig.get_config_var('EXT_SUFFIX')}").write_bytes(b"not a library")
    # read first: the composer's (an anchor)
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: &n a}\ndata: {k: *n}\n"
    )
    (tmp_path / "b.yaml").write_text(COMMON[0])
    code = (
        "import sys\nfrom kpolicy import load\nsys.stderr.write(f'{load._load_chunk is None} ')\n"
        "sys.argv = ['kpolicy', 'lint', '--format', 'json', '--no-cache', '-j', '1',"
        " '--fail-on', 'never', 'a.yaml', 'b.yaml']\n"
        "from kpolicy.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import yaml\nsys.stdout.flush()\n"
        "sys.stderr.write(f'{load._load_chunk is None} {yaml.__with_libyaml__}')\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"}
    reports = []
    for pure in ("", "1"):
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={
                **environ,
                "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
                "KPOLICY_PURE_PYTHON": pure,
            },
            check=True,
        )
        reports.append((done.stdout, done.stderr.split()[-3:]))
    (broken, said), (pure_report, _) = reports
    assert said == ["False", "True", "False"]
    assert json.loads(broken)["summary"]["files"] == 2
    assert broken == pure_report


def test_without_the_extension_the_composer_reads_every_chunk_to_the_same_report(
    tmp_path: Path,
) -> None:
    """kpolicy._cload missing (not built): the composer reads every chunk, PyYAML is
    imported for it, and the report on the examples is the one the C loader gives."""
    run = (
        "import sys\n{block}"
        "from kpolicy import load\n"
        "sys.stderr.write(f'{{load._load_chunk is None}}\\n')\n"
        "sys.argv = ['kpolicy', 'lint', '--format', 'json', '--no-cache', '-j', '1',"
        " '--fail-on', 'never', 'examples']\n"
        "from kpolicy.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write(f'{{\"yaml\" in sys.modules}}\\n')\n"
    )
    reports = []
    for block in ("sys.modules['kpolicy._cload'] = None\n", ""):
        done = subprocess.run(
            [sys.executable, "-c", run.format(block=block)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"},
            check=True,
        )
        reports.append((done.stdout, done.stderr.split()))
    (missing, said), (built, _) = reports
    assert said == ["True", "True"]
    assert json.loads(missing)["diagnostics"]
    assert missing == built


LEAK_INPUTS = [
    *COMMON[:22],
    *REFUSED.values(),
    "a: [1, 2, 3]\n" * 1,
    "[" * 300 + "]" * 300 + "\n",
    "a: 1\nb: {c: [d, e, {f: g}]}\nh: 0x10\ni: 1e3\n" * 1,
]


def _rss_kib() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:  # not Linux: the peak instead
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


@needs_extension
def test_loading_again_and_again_keeps_no_memory() -> None:
    """10,000 loads of varied chunks (common, refused on every path, past the limits): no
    Python block kept (a reference leaked) and no resident memory gained (libyaml's parser
    or a buffer not freed)."""
    rng = random.Random(7)
    chunks = [chunk for text in LEAK_INPUTS for _, chunk in document_chunks(text)]
    limits = [(1_000_000, 256), (5, 256), (1_000_000, 2)]

    def run(times: int) -> None:
        for _ in range(times):
            chunk = rng.choice(chunks)
            nodes, depth = rng.choice(limits)
            LOAD_CHUNK(chunk, 0, nodes, depth, load._int_value, load._float_value)

    run(2_000)  # interned strings and caches settle
    gc.collect()
    blocks, rss = sys.getallocatedblocks(), _rss_kib()
    run(10_000)
    gc.collect()
    assert sys.getallocatedblocks() - blocks < 200
    assert _rss_kib() - rss < 4 * 1024


@needs_extension
def test_bad_arguments_raise_instead_of_crashing() -> None:
    with pytest.raises(TypeError):
        LOAD_CHUNK(b"a: 1", 0, 10, 10, load._int_value, load._float_value)
    with pytest.raises(TypeError):
        LOAD_CHUNK("a: 1", 0, 10, 10)
    with pytest.raises(ValueError):
        LOAD_CHUNK("a: 1", -1, 10, 10, load._int_value, load._float_value)
    with pytest.raises(TypeError):
        LOAD_CHUNK("a: 1", 0, 10, 10, None, None)


@needs_extension
def test_an_exception_in_a_conversion_refuses_the_chunk() -> None:
    def broken(text: str) -> Any:
        raise RuntimeError(text)

    def interrupted(text: str) -> Any:
        raise KeyboardInterrupt

    assert LOAD_CHUNK("a: 0x10\n", 0, 10, 10, broken, broken) is None
    with pytest.raises(KeyboardInterrupt):
        LOAD_CHUNK("a: 1.5\n", 0, 10, 10, interrupted, interrupted)


# -- the build hook ----------------------------------------------------------------------------


def _hook() -> Any:
    sys.path.insert(0, str(ROOT))
    try:
        import hatch_build
    finally:
        sys.path.remove(str(ROOT))
    return hatch_build


@pytest.mark.parametrize(
    ("compiler", "said"),
    [
        ("", "no C compiler"),
        (
            "#!/bin/sh\necho 'x.c:2:10: fatal error: yaml.h: No such file or directory' >&2\nexit 1\n",
            "install libyaml-dev",
        ),
    ],
)
def test_the_build_hook_builds_pure_python_with_a_warning(
    compiler: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hook = _hook()
    cc = tmp_path / "cc"
    if compiler:
        cc.write_text(compiler)
        cc.chmod(0o755)
    monkeypatch.setenv("CC", str(cc))
    output = tmp_path / "out" / "_cload.so"
    output.parent.mkdir()
    output.write_text("stale")
    assert hook.build_extension(ROOT, output) is False
    assert not output.exists()
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and said in warning and "kpolicy works" in warning


def test_the_build_hook_builds_pure_python_where_python_names_no_compiler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Windows' Python has no LDSHARED: without CC that is the one warning, not a failed
    install."""
    hook = _hook()
    config = {**hook.sysconfig.get_config_vars(), "LDSHARED": None}
    monkeypatch.setattr(hook.sysconfig, "get_config_vars", lambda: config)
    monkeypatch.delenv("CC", raising=False)
    assert hook.build_extension(ROOT, tmp_path / "_cload.pyd") is False
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and "no C compiler configured" in warning


def test_the_build_hook_leaves_out_a_loader_linked_to_an_old_libyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the compiler makes is loaded and asked its libyaml: one older than
    load.LIBYAML_MINIMUM (which load.py would not use) is no C loader, with a warning."""
    hook = _hook()
    cc = tmp_path / "cc"
    # a "compiler" whose output (a Python module here) says libyaml 0.2.2
    cc.write_text(
        "#!/bin/sh\nfor last; do :; done\n"
        'printf "load_chunk = None\\nLIBYAML_VERSION = (0, 2, 2)\\n" > "$last"\n'
    )
    cc.chmod(0o755)
    monkeypatch.setenv("CC", str(cc))
    output = tmp_path / "_cload.py"
    assert hook.build_extension(ROOT, output) is False
    assert not output.exists()
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and "libyaml 0.2.2 is older than 0.2.5" in warning
    assert load.LIBYAML_MINIMUM == (0, 2, 5)  # the hook's own copy of it


def test_make_says_why_the_install_has_no_c_loader(tmp_path: Path) -> None:
    """pip shows nothing the build hook prints: `make`'s install runs hatch_build.py when
    kpolicy._cload does not import, which says the reason in the hook's one warning."""
    makefile = (ROOT / "Makefile").read_text()
    assert "import kpolicy._cload' 2>/dev/null || $(BIN)/python hatch_build.py || true" in makefile
    cc = tmp_path / "cc"
    cc.write_text("#!/bin/sh\nexit 3\n")
    cc.chmod(0o755)
    done = subprocess.run(
        [sys.executable, str(ROOT / "hatch_build.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "CC": str(cc)},
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"building without the C loader ({cc} exit status 3)" in done.stderr
    assert not list(tmp_path.glob("_cload*")) and not list((ROOT / "kpolicy").glob("*.tmp"))


def test_the_build_hook_compiles_a_loader_that_loads(tmp_path: Path) -> None:
    hook = _hook()
    output = tmp_path / "_cload.so"
    if not hook.build_extension(ROOT, output):
        pytest.skip("no C compiler or libyaml-dev here")
    check = (
        "import importlib.util as u, sys; s = u.spec_from_file_location('kpolicy._cload', "
        "sys.argv[1]); m = u.module_from_spec(s); s.loader.exec_module(m); "
        "print(m.load_chunk('a: [1]', 0, 9, 9, int, float))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check, str(output)], capture_output=True, text=True
    )
    assert done.stdout.startswith("[({'a': [1]}, array('H'"), done.stderr


# -- the strings read before, the words typed by length, duplicates found when set ---------------


@needs_extension
def test_every_word_the_resolver_types_and_its_near_misses_are_typed_as_the_python_walk() -> None:
    words = [
        *("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"),
        *("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"),
        *("~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", "-.Inf", "+.INF"),
    ]
    near = {w[:-1] + c for w in words for c in "xX~" if len(w) > 1}
    near |= {w + w[-1] for w in words} | {w.swapcase() for w in words} | {"yeS", "tRUE", "o"}
    texts = sorted(set(words) | near)
    chunk = "".join(f"k{n}: {t}\n{t}{n}: v\n" for n, t in enumerate(texts))
    chunk += "".join(f"- {t}\n" for t in texts).replace("- ", "  - ").replace("  - ", "l:\n  - ", 1)
    assert _chunk_results(chunk)[0] is not None
    _assert_both_paths_agree(chunk)


@needs_extension
def test_strings_read_before_are_the_interned_ones_whatever_the_slot_held() -> None:
    """Short ASCII scalars come from a table of the strings read before (by their bytes): more
    distinct strings than it has slots, each read twice, as keys, values and items, at the
    lengths where interning and the table stop (32 and 64), quoted or not, next to non-ASCII
    ones that are not kept there: the values of the Python walk, interned where it interns."""
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-./_"
    strings = ["".join(rng.choices(alphabet, k=rng.randint(1, 70))) for _ in range(6000)]
    strings += ["x" * n for n in (31, 32, 33, 63, 64, 65)] + ["é" * n for n in (15, 16, 17, 40)]
    strings += ["null", "true", "a", "b", "a "]
    strings = [s for s in dict.fromkeys(strings) if s != "l" and not s.startswith("k")]
    for round_ in range(2):
        for start in range(0, len(strings), 500):
            part = strings[start : start + 500]
            chunk = "".join(f"'k{round_}{s}': '{s}'\n" for s in part)
            chunk += "l: [" + ", ".join(f"'{s}'" for s in part) + "]\n"
            chunk += "".join(f'"{s}": {n}\n' for n, s in enumerate(part))
            ((value, _),) = _chunk_results(chunk)[0]
            _assert_both_paths_agree(chunk)
            for s in part:
                text = value[f"k{round_}{s}"]
                assert text == s and (text is sys.intern("".join([s]))) is (len(s) <= 32)
                key = next(k for k in value if k == s)
                assert key is sys.intern("".join([s]))
            assert value["l"] == part


@needs_extension
@pytest.mark.parametrize(
    "text",
    [
        "a: true\na: true\n",
        "a: x\nb: y\na: x\n",
        "a: {b: 1, b: 1}\n",
        "a: [1]\na: [1]\n",
        "a:\n  b: {}\n  c: 1\n  b: {}\n",
        "'a': 1\n\"a\": 1\n",
        "null: 1\n~: 1\n",
        "a: {x: [1, {y: 2, y: 2}]}\nb: 1\n",
    ],
)
def test_a_duplicate_key_with_the_same_value_is_refused_and_reported_as_today(text: str) -> None:
    assert _chunk_results(text)[0] is None
    _assert_both_paths_agree(text)
    assert any(d.rule == "yaml-duplicate-key" for d in _loaded(text)[1])


_CHUNK_PIECES = st.sampled_from(
    ["\n", "---", "-", " ", "\t", "\r", "a", ":", "é", "\x85", "\u2028", "🎉", "\ufeff", "..."]
)


@needs_extension
@settings(max_examples=examples(full=3000, quick=300), deadline=None)
@given(st.lists(_CHUNK_PIECES, max_size=60).map("".join))
def test_the_chunks_of_a_text_are_those_of_the_python_split(text: str) -> None:
    """``document_chunks`` in C (texts of one-byte characters; None for the others) gives the
    chunks and line offsets of ``kpolicy.yamltext.document_chunks``, and the node bound in C
    is ``load._node_bound``."""
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    expected = list(document_chunks(text))
    found = _cload.document_chunks(text)
    if max(map(ord, text), default=0) > 255:
        assert found is None
    else:
        assert list(found) == expected
    for _, chunk in expected:
        assert _cload.node_bound(chunk) == load._node_bound(chunk)
    assert _cload.node_bound(text) == load._node_bound(text)


@needs_extension
def test_the_chunks_of_long_texts_and_the_edges_are_those_of_the_python_split() -> None:
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    texts = [
        "",
        "---",
        "\n---",
        "---\n---\n",
        "\n---\n---",
        "a\n---x\n--- \n---\t\n---\r\n----\n",
        "a: 1\n" * 5000 + "---\n" + "b: é\n" * 5000,
        ("apiVersion: v1\nkind: A\n---\n" * 300) + "last",
    ]
    for text in texts:
        assert list(_cload.document_chunks(text)) == list(document_chunks(text)), text
        assert _cload.node_bound(text) == load._node_bound(text)
    with pytest.raises(TypeError):
        _cload.document_chunks(b"a")
    with pytest.raises(TypeError):
        _cload.node_bound(b"a")


@needs_extension
def test_the_chunks_of_a_file_of_document_starts_are_made_one_at_a_time() -> None:
    """A file of a million ``---`` lines: its chunks are made as they are read, as the
    generator makes them, not all at once (a string and a tuple each: 600 MiB for a file of
    16 MiB), and the file loads as without the C loader."""
    import tracemalloc

    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    text = "a: 1\n" + "---\n" * 1_000_000
    tracemalloc.start()
    try:
        chunks = iter(_cload.document_chunks(text))
        first = [next(chunks), next(chunks)]
        count = 2 + sum(1 for _ in chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first == [(0, "a: 1\n"), (1, "---\n")]
    assert count == 1_000_001
    assert peak < 1024 * 1024
    _assert_both_paths_agree(text)


@needs_extension
def test_an_extension_built_before_the_chunk_helpers_leaves_the_split_to_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An older build of the extension (load_chunk without document_chunks and node_bound,
    as an editable install keeps until it is built again) is no import error: the text is
    split in Python, and loads as it does with the helpers."""
    import types

    import kpolicy
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    older = types.ModuleType("kpolicy._cload")
    older.load_chunk = _cload.load_chunk  # type: ignore[attr-defined]
    older.LIBYAML_VERSION = _cload.LIBYAML_VERSION  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kpolicy._cload", older)
    monkeypatch.setattr(kpolicy, "_cload", older, raising=False)
    assert load._c_helpers() == (None, None)
    text = "a: 1\n---\nb: [1, 2]\n--- x\n"
    expected = _loaded(text)
    monkeypatch.setattr(load, "_c_chunks", None)
    monkeypatch.setattr(load, "_c_node_bound", None)
    assert repr(_loaded(text)) == repr(expected)


@needs_extension
def test_importing_the_extension_leaves_the_array_module_to_the_first_document() -> None:
    """array (with the collections it imports, ~1 ms) is imported when the first document's
    records are packed, not with the module: a cached run imports the extension for its
    folder walks and loads no YAML."""
    check = (
        "import sys; import kpolicy._cload as c; before = 'array' in sys.modules; "
        "[(_, records)] = c.load_chunk('a: 1\\n', 0, 100, 100, int, float); "
        "print(before, 'array' in sys.modules, type(records).__name__)"
    )
    assert run_python(check) == "False True array"
