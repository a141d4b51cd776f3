"""Read each file once, compose it with libyaml, and build values plus a position table.

Kubernetes reads YAML 1.1 (go-yaml through sigs.k8s.io/yaml); PyYAML's resolver shares those
rules (``yes`` is a boolean, ``0777`` an octal int). Nothing here constructs Python objects from
tags: unknown tags are reported and their node is read as plain data.
"""

from __future__ import annotations

import array
import math
import operator
import os
import re
import struct
import sys
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from kpolicy.helm import source_lines
from kpolicy.hints import cast
from kpolicy.kustomize import DIRECTIVE_PREFIXES, has_patch_directive, is_kustomize_document
from kpolicy.lazyre import lazy_compile
from kpolicy.model import (
    DeleteKey,
    Diagnostic,
    Fix,
    KObject,
    Limits,
    LoadedFile,
    ObjectRef,
    Severity,
    SourceFile,
    Span,
)
from kpolicy.positions import RECORD, PositionTable
from kpolicy.records import record, replace
from kpolicy.suppress import ANNOTATION, read_directives
from kpolicy.workload import describe_value
from kpolicy.yamltext import document_chunks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

try:
    from yaml import CSafeLoader as _BaseLoader
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - libyaml is a wheel dependency on every platform we ship
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    _CParser = None  # type: ignore[assignment,misc]


class _Loader(_BaseLoader):
    """libyaml's composer with the plain-scalar typing of go-yaml v2 (sigs.k8s.io/yaml),
    which is how kubectl and the API server read manifests: ``y``/``n`` are booleans,
    ``1e3`` is a float, ``0o17`` an int, ``1:30`` and timestamps stay strings."""

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012


if _CParser is not None:
    # libyaml's parser alone: the constructor and resolver state that CSafeLoader's __init__
    # also sets up (three Python calls a document) is for constructing and path resolvers,
    # which the loader does not use
    _Loader.__init__ = _CParser.__init__  # type: ignore[method-assign]


def _register_go_yaml_v2_resolvers() -> None:
    # follows go-yaml v2 resolve.go: resolve() and its resolveMapList / yamlStyleFloat
    rules: list[tuple[str, str, str]] = [
        (
            "tag:yaml.org,2002:bool",
            r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
            r"|on|On|ON|off|Off|OFF)$",
            "yYnNtTfFoO",
        ),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN\0"),
        (
            "tag:yaml.org,2002:int",
            r"^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|0[0-7_]*|[1-9][0-9_]*)$",
            "-+0123456789",
        ),
        (
            "tag:yaml.org,2002:float",
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+0123456789.",
        ),
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
    ]
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, pattern, first in rules:
        # compiled when a chunk first takes the composer (anchors, tags, errors): the C loader
        # reads the common chunk without them
        compiled = lazy_compile(pattern)
        for char in first:
            key: Any = None if char == "\0" else char
            table.setdefault(key, []).append((tag, compiled))
    table.setdefault(None, []).append(("tag:yaml.org,2002:null", lazy_compile(r"^$")))
    _Loader.yaml_implicit_resolvers = table


_register_go_yaml_v2_resolvers()


def _install_fast_resolver() -> None:
    """PyYAML's ``resolve`` is Python code called for every node (and two no-op path-resolver
    hooks around it); this one gives the same tags from the same table, with the resolvers of
    each first character merged once and the tags of short plain scalars remembered."""
    table = _Loader.yaml_implicit_resolvers
    wildcard = tuple(table.get(None, ()))
    by_first = {first: (*rules, *wildcard) for first, rules in table.items() if first is not None}
    empty = (*table.get("", ()), *wildcard)
    remembered: dict[str, str] = {}

    def resolve(self: Any, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR
            tag = remembered.get(value)
            if tag is not None:
                return tag
            for candidate, regexp in by_first.get(value[0], wildcard) if value else empty:
                if regexp.match(value):
                    tag = candidate
                    break
            else:
                tag = _STR
            if len(value) <= 64 and len(remembered) < 50_000:
                remembered[value] = tag
            return tag
        return _SEQ if kind is SequenceNode else _MAP

    _Loader.resolve = resolve  # type: ignore[method-assign]
    # No path resolvers: the composer calls these two around every node and ignores what they
    # return, so functions written in C that take the same arguments stand in for Python ones
    # (a builtin is not bound as a method: descend_resolver(parent, index) is is_(parent, index))
    _Loader.descend_resolver = operator.is_  # type: ignore[method-assign,assignment]
    _Loader.ascend_resolver = type(None)  # type: ignore[method-assign]


_TRUE_WORDS = frozenset({"y", "yes", "true", "on"})


def _go_int(text: str) -> int:
    """An int as go-yaml v2 reads it: underscores dropped, then Go's base-0 prefixes."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    if digits.startswith(("0b", "0B")):
        return sign * int(digits[2:], 2)
    if digits.startswith(("0x", "0X")):
        return sign * int(digits[2:], 16)
    if digits.startswith(("0o", "0O")):
        return sign * int(digits[2:], 8)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits[1:], 8)
    return sign * int(digits)


_DECIMAL = lazy_compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def _int_or_fallback(text: str) -> int | float | str:
    """go-yaml v2 resolve(): an int outside int64/uint64 is a float when it reads as one
    (yamlStyleFloat) and in range, else the string itself. This also keeps out ints with more
    digits than Python will print (``0x`` and 4,000 ``f``s: ValueError in ``str()``)."""
    value = _go_int(text)
    if -(2**63) <= value < 2**64:
        return value
    plain = text.replace("_", "")
    if _DECIMAL.match(plain):
        as_float = float(plain)
        if not math.isinf(as_float):
            return as_float
    return text


def _plain_decimal(text: str) -> bool:
    """Whether an int scalar is a plain decimal that ``int(text)`` reads as
    :func:`_int_or_fallback` does: ASCII digits only, no leading zero (octal), no sign,
    prefix or underscore, and short enough to be in range."""
    return (
        len(text) <= 18 and text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1)
    )


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = frozenset(
    {
        _STR,
        _INT,
        _FLOAT,
        _BOOL,
        _NULL,
        _MAP,
        _SEQ,
        "tag:yaml.org,2002:timestamp",
        "tag:yaml.org,2002:binary",
        "tag:yaml.org,2002:omap",
        "tag:yaml.org,2002:set",
        "tag:yaml.org,2002:value",
    }
)

_constructor = SafeConstructor()
_install_fast_resolver()


def _int_value(text: str) -> int | float | str:
    """An int scalar that is not a short plain decimal, as ``build`` reads it (for the C
    loader)."""
    try:
        return _int_or_fallback(text)
    except ValueError:  # pragma: no cover - they agree
        return text


def _float_value(text: str) -> float | str:
    """A float scalar as ``build`` reads it (for the C loader)."""
    try:
        value: float = _constructor.construct_yaml_float(ScalarNode(_FLOAT, text))
        return value
    except (ValueError, IndexError, yaml.YAMLError):  # pragma: no cover - they agree
        return text


# the oldest libyaml the C loader is used with (hatch_build.py warns at build time): the
# Python path reads YAML with PyYAML's own libyaml (0.2.5 or later in its wheels), and an
# older one reads some texts otherwise (0.2.5 changed `?` in plain scalars of flow collections)
LIBYAML_MINIMUM: Final = (0, 2, 5)


def _c_loader() -> Any:
    """``kpolicy._cload.load_chunk`` (the optional C extension: the common case of
    ``_build_document`` straight from libyaml's events), or None when it is not built, is
    linked to a libyaml older than ``LIBYAML_MINIMUM``, PyYAML has no libyaml of its own
    (its pure-Python parser is not libyaml) or KPOLICY_PURE_PYTHON is set."""
    if os.environ.get("KPOLICY_PURE_PYTHON") or _CParser is None:
        return None
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    if tuple(getattr(_cload, "LIBYAML_VERSION", ())) < LIBYAML_MINIMUM:
        return None
    return _cload.load_chunk


_load_chunk = _c_loader()


class _Refused(Exception):
    """A document that breaks a resource bound; it is reported, not loaded."""

    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.node = node


def _escape(token: str) -> str:
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def _not_block(node: Node) -> bool:
    """A scalar, a flow collection or an empty one: its end mark is where it ends."""
    return (
        node.__class__ is ScalarNode
        or bool(cast(CollectionNode, node).flow_style)
        or not node.value
    )


def _last_item(collection: Node) -> Node | None:
    """The node a block collection ends with: its last item, or the value of its last pair (the
    key when the value is empty, or a merge key's); None when that is an alias of a node
    written earlier, whose marks are those of the anchor."""
    last = collection.value[-1]
    if collection.__class__ is MappingNode:
        key, value = last
        empty = value.__class__ is ScalarNode and value.start_mark.index == value.end_mark.index
        if key.tag == _MERGE or empty:
            return cast(Node, key)
        node = cast(Node, value)
        return node if node.start_mark.index >= key.end_mark.index else cast(Node, key)
    node = cast(Node, last)
    return node if node.start_mark.index >= collection.start_mark.index else None


def _span_of(node: Node, line_offset: int) -> tuple[int, int, int, int]:
    """The span of a node the builder does not build: a mapping key that is a collection (or a
    merge key that ends its mapping). A block collection ends where its last item ends, found
    down the chain of last items without recursion; the builder works out the same end from
    its records for the nodes it builds."""
    start = node.start_mark
    off = line_offset + 1
    chain: set[int] = set()
    current = node
    while True:
        if _not_block(current):
            mark = current.end_mark
            end = (mark.line + off, mark.column + 1)
            break
        chain.add(id(current))
        last = _last_item(current)
        if last is None or id(last) in chain:
            # an alias at the end (a recursive one among them): the item's own place is not
            # known
            mark = current.end_mark
            end = (mark.line + off, 1) if mark.column == 0 else (mark.line + off, mark.column + 1)
            break
        current = last
    return (start.line + off, start.column + 1, *end)


def _key_text(node: Node) -> str:
    """A mapping key as the value's dict holds it (a collection key is reported, and named)."""
    if node.__class__ is ScalarNode:
        value = node.value
        if node.tag == _NULL:
            return "null" if value in ("", "~") else str(value)
        return str(value)
    return f"<{node.__class__.__name__.replace('Node', '').lower()} key>"


Problem = tuple[str, Severity, str, Span]


def _tag_problem(tag: str, span: Span) -> Problem:
    return (
        "yaml-syntax",
        Severity.ERROR,
        f"tag {tag.replace('tag:yaml.org,2002:', '!!')} is not supported in Kubernetes "
        "manifests; the value is read as plain data",
        span,
    )


def _build_document(
    root: Node,
    line_offset: int,
    limits: Limits,
    problems: list[Problem],
    fixes: dict[int, Fix] | None = None,
) -> tuple[Any, PositionTable]:
    """The value of a composed document and its position table, in one walk that makes no Span,
    pointer or dict entry per node: one record per node built (see ``PositionTable.compact``),
    in the order built, and, for a mapping whose records do not follow its keys (a duplicate
    key: the later value wins, kept at the first one's place in the dict; merge keys: their
    sources are built after the pairs, under ``<<``, and add keys the mapping does not have),
    its children in the order built (``PositionTable``'s irregular mappings).

    What is wrong but readable is appended to ``problems`` (reported tags, duplicate and
    collection keys, a merge key of a scalar); a resource bound raises ``_Refused`` at the node
    that reaches it, with the problems found before it in ``problems``.
    """
    records: list[int] = []
    extend = records.extend
    irregular: dict[int, tuple[tuple[str, int, bool, Any], ...]] = {}
    max_nodes, max_depth = limits.max_nodes, limits.max_depth
    offset = line_offset + 1
    count = 0
    plain_tags = _PLAIN_TAGS
    intern = sys.intern

    def build(
        node: Node,
        key_line: int,
        key_column: int,
        key_end_line: int,
        key_end_column: int,
        depth: int,
    ) -> Any:
        # the key span comes as four numbers (all 0: no key), written with the value span and
        # the subtree size in one record: one list operation a node
        nonlocal count
        count += 1
        if count > max_nodes:
            raise _Refused(
                f"document expands to more than {max_nodes} nodes "
                "(an alias bomb?); raise limits.maxNodes to load it",
                node,
            )
        if depth > max_depth:
            raise _Refused(
                f"document nests deeper than {max_depth} levels; raise limits.maxDepth to load it",
                node,
            )
        start, end = node.start_mark, node.end_mark
        line, column = start.line + offset, start.column + 1
        cls = node.__class__
        tag = node.tag
        position = len(records)
        scalar = cls is ScalarNode
        # the node's record; a block collection's end is set once its items are built (below)
        extend(
            (
                line,
                column,
                end.line + offset,
                end.column + 1,
                key_line,
                key_column,
                key_end_line,
                key_end_column,
                1 if scalar else 0,
            )
        )
        if scalar:
            if tag == _STR:
                value = node.value
                # short values repeat too (names of images, protocols, policies): share them
                return intern(value) if len(value) <= 32 else value
            if tag not in plain_tags and tag != _MERGE:
                problems.append(
                    _tag_problem(tag, Span(line, column, end.line + offset, end.column + 1))
                )
            value = node.value
            try:
                if tag == _INT:
                    return _int_or_fallback(value)
                if tag == _BOOL:
                    return value.lower() in _TRUE_WORDS
                if tag == _NULL:
                    return None
                if tag == _FLOAT:
                    return _constructor.construct_yaml_float(cast(ScalarNode, node))
            except (ValueError, IndexError, yaml.YAMLError):
                # an empty `!!float` (IndexError in PyYAML's constructor) stays its text
                return value
            return value  # timestamps, binary and unknown tags stay text, as strings
        tag_problem = -1
        if tag not in plain_tags and tag != _MERGE:
            tag_problem = len(problems)  # its span is known once the items are built
            problems.append(
                _tag_problem(tag, Span(line, column, end.line + offset, end.column + 1))
            )
        # a child within the bounds is built in the loop below when it is a string or a
        # decimal int scalar (most of them), with the values build would give it
        inline = max_nodes if depth < max_depth else 0  # while count is below it
        # the record of the last item, or of the last pair's value; -1 after one built in the
        # loop: the last record written by then
        last = -1
        last_key: Node | None = None  # a merge key that ends the mapping
        if cls is MappingNode:
            pairs = node.value
            count += len(pairs)
            result: dict[str, Any] = {}
            merges: list[Node] | None = None
            duplicates: set[str] | None = None
            for pair in pairs:
                key_node, value_node = pair
                if key_node.__class__ is ScalarNode:
                    key = key_node.value  # text: libyaml's scalars are str
                    ktag = key_node.tag
                    if ktag != _STR:
                        if ktag == _MERGE:
                            merges = [value_node] if merges is None else [*merges, value_node]
                            continue
                        if ktag == _NULL:
                            key = "null" if key in ("", "~") else str(key)
                    key_start, key_end = key_node.start_mark, key_node.end_mark
                    kl = key_start.line + offset
                    kc = key_start.column + 1
                    kel = key_end.line + offset
                    kec = key_end.column + 1
                elif key_node.tag == _MERGE:
                    merges = [value_node] if merges is None else [*merges, value_node]
                    continue
                else:
                    key = _key_text(key_node)
                    kl, kc, kel, kec = _span_of(key_node, line_offset)
                    problems.append(
                        (
                            "manifest-invalid",
                            Severity.ERROR,
                            "mapping key is a collection; Kubernetes object keys are strings",
                            Span(kl, kc, kel, kec),
                        )
                    )
                if key in result:
                    first = _previous_line(pairs, pair, key) + offset
                    if fixes is not None:
                        earlier = _previous_pair(pairs, pair, key)
                        if earlier is not None:
                            # what a reader keeps is the last value: deleting the earlier one
                            # changes nothing it reads (unsafe all the same: the author may
                            # have meant it)
                            fixes[len(problems)] = Fix(
                                f"Delete the first {key!r} (line {first}), keeping the last as "
                                "kubectl reads it (unsafe: the first value may be the one meant)",
                                (
                                    DeleteKey(
                                        Span(*_span_of(earlier[0], line_offset)),
                                        Span(*_span_of(earlier[1], line_offset)),
                                    ),
                                ),
                                "unsafe",
                            )
                    problems.append(
                        (
                            "yaml-duplicate-key",
                            Severity.WARNING,
                            f"duplicate key {key!r} (first at line {first}); YAML readers "
                            "keep the last value and the API server's strict decoding rejects it",
                            Span(kl, kc, kel, kec),
                        )
                    )
                    duplicates = {key} if duplicates is None else duplicates | {key}
                key = intern(key)  # keys repeat in every object: one string each
                # the later value wins, as in every YAML reader Kubernetes uses
                if value_node.__class__ is ScalarNode and count < inline:
                    text = value_node.value
                    vtag = value_node.tag
                    if vtag == _STR:
                        item = intern(text) if len(text) <= 32 else text
                    elif vtag == _INT and _plain_decimal(text):
                        item = int(text)
                    else:
                        last = len(records)
                        result[key] = build(value_node, kl, kc, kel, kec, depth + 1)
                        continue
                    count += 1
                    at, to = value_node.start_mark, value_node.end_mark
                    extend(
                        (
                            at.line + offset,
                            at.column + 1,
                            to.line + offset,
                            to.column + 1,
                            kl,
                            kc,
                            kel,
                            kec,
                            1,
                        )
                    )
                    last = -1
                    result[key] = item
                    continue
                last = len(records)
                result[key] = build(value_node, kl, kc, kel, kec, depth + 1)
            if last < 0:
                last = len(records) - RECORD
            if pairs and pairs[-1][0].tag == _MERGE:
                last_key = pairs[-1][0]
            if merges is not None or duplicates is not None:
                irregular[position // RECORD] = _children_built(
                    node, result, duplicates or set(), position // RECORD + 1, records
                )
            for merge in merges or ():
                sources = merge.value if merge.__class__ is SequenceNode else [merge]
                for source in sources:
                    at_record = len(records) // RECORD
                    merged = build(source, 0, 0, 0, 0, depth + 1)
                    irregular[position // RECORD] += (("<<", at_record, False, merged),)
                    if merged.__class__ is dict:
                        for k, v in merged.items():
                            result.setdefault(k, v)
                    else:
                        base = at_record * RECORD
                        problems.append(
                            (
                                "yaml-syntax",
                                Severity.ERROR,
                                "a merge key (<<) must refer to a mapping or a list of mappings",
                                Span(*records[base : base + 4]),
                            )
                        )
        elif cls is SequenceNode:
            result = []  # type: ignore[assignment]
            append = result.append  # type: ignore[attr-defined]
            for item_node in node.value:
                if item_node.__class__ is ScalarNode and count < inline:
                    text = item_node.value
                    vtag = item_node.tag
                    if vtag == _STR:
                        item = intern(text) if len(text) <= 32 else text
                    elif vtag == _INT and _plain_decimal(text):
                        item = int(text)
                    else:
                        last = len(records)
                        append(build(item_node, 0, 0, 0, 0, depth + 1))
                        continue
                    count += 1
                    at, to = item_node.start_mark, item_node.end_mark
                    extend(
                        (
                            at.line + offset,
                            at.column + 1,
                            to.line + offset,
                            to.column + 1,
                            0,
                            0,
                            0,
                            0,
                            1,
                        )
                    )
                    last = -1
                    append(item)
                    continue
                last = len(records)
                append(build(item_node, 0, 0, 0, 0, depth + 1))
            if last < 0:
                last = len(records) - RECORD
        else:  # pragma: no cover - the composer makes only these three node classes
            raise AssertionError(cls)
        records[position + 8] = (len(records) - position) // RECORD
        if not node.flow_style and node.value:  # type: ignore[attr-defined]
            # a block collection ends where its last item does (its end mark is at whatever
            # follows, maybe lines later); an empty value ends at its key, and an alias (whose
            # record is the anchor's) at its key, or else where the collection's mark says; a
            # merge key at the end, at that key
            if last_key is not None:
                records[position + 2], records[position + 3] = _span_of(last_key, line_offset)[2:]
            else:
                item_line, item_column, end_line, end_column, kl, kc, kel, kec = records[
                    last : last + 8
                ]
                if kl:
                    if (
                        (item_line == end_line and item_column == end_column)
                        or item_line < kl
                        or (item_line == kl and item_column < kc)
                    ):
                        end_line, end_column = kel, kec
                elif item_line < line or (item_line == line and item_column < column):
                    end_line = end.line + offset
                    end_column = 1 if end.column == 0 else end.column + 1
                records[position + 2] = end_line
                records[position + 3] = end_column
        if tag_problem >= 0:
            problems[tag_problem] = _tag_problem(tag, Span(*records[position : position + 4]))
        return result

    try:
        value = build(root, 0, 0, 0, 0, 0)
    finally:
        # build refers to itself through its closure: a reference cycle that would keep
        # `records` alive until the cyclic collector runs (lint turns it off)
        build = _built
    # two bytes a number when every line and column fits (all but minified giants), else four
    # (struct refuses a number past 65,535: no pass to find the largest; it converts them a
    # third faster than the array's constructor)
    try:
        table = array.array("H", struct.pack(f"{len(records)}H", *records))
    except struct.error:
        table = array.array("i", records)
    return value, PositionTable.compact(value, table, irregular or None)


def _previous_pair(
    pairs: list[tuple[Node, Node]], pair: tuple[Node, Node], key: str
) -> tuple[Node, Node] | None:
    """The pair whose key ``pair`` repeats: its last occurrence before it."""
    found = None
    for earlier in pairs:
        if earlier is pair:
            break
        if earlier[0].tag != _MERGE and _key_text(earlier[0]) == key:
            found = earlier
    return found


def _previous_line(pairs: list[tuple[Node, Node]], pair: tuple[Node, Node], key: str) -> int:
    """The (0-based) line of the key that ``pair`` repeats: its last occurrence before it."""
    line = 0
    for earlier in pairs:
        if earlier is pair:
            break
        if earlier[0].tag != _MERGE and _key_text(earlier[0]) == key:
            line = earlier[0].start_mark.line
    return line


def _children_built(
    node: Node, result: dict[str, Any], duplicates: set[str], child: int, records: list[int]
) -> tuple[tuple[str, int, bool, Any], ...]:
    """The pairs of an irregular mapping as ``PositionTable`` walks them: in the order built,
    the earlier values of a duplicate key left out (they are replaced whole) and the later one
    marked to replace what its pointer held."""
    keys = [_key_text(k) for k, _ in node.value if k.tag != _MERGE]
    remaining = {key: keys.count(key) for key in duplicates}
    children: list[tuple[str, int, bool, Any]] = []
    for key in keys:
        left = remaining.get(key)
        if left is None or left == 1:
            children.append((_escape(key), child, left is not None, result[key]))
        else:
            remaining[key] = left - 1
        child += records[child * RECORD + 8]
    return tuple(children)


# schema.instance's MAX_DEPTH and MAX_NODES (importing it imports the schema package), which
# tests/test_positions.py holds them to: what is_plain_tree accepts
PLAIN_MAX_DEPTH: Final = 500
PLAIN_MAX_NODES: Final = 2_000_000


def _built(
    node: Node, key_line: int, key_column: int, key_end_line: int, key_end_column: int, depth: int
) -> Any:
    raise AssertionError("a document is built once")


def _children(node: Node) -> list[Node]:
    """The nodes ``_build_document`` descends into: items, values and merge sources."""
    if node.__class__ is SequenceNode:
        return list(node.value)
    if node.__class__ is not MappingNode:
        return []
    found: list[Node] = []
    for key, value in node.value:
        if key.tag == _MERGE and value.__class__ is SequenceNode:
            found.extend(value.value)
        else:
            found.append(value)
    return found


def _check_expansion(root: Node, limits: Limits) -> int:
    """Refuse an alias bomb, a recursive alias or too deep nesting before building anything.

    An alias is the same node object as its anchor, so the composed document is a graph that
    can be small while its expansion is huge (billion laughs). Each shared node is measured
    once: expanded size and height, without recursion.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    entered: set[int] = set()  # entered, not finished: the ancestors of the node on top
    written = 0  # the nodes as written (each collection once, with its keys and scalars)
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            keys = len(node.value) if node.__class__ is MappingNode else 0
            size[key] = 1 + keys + sum(size.get(id(k), 1) for k in kids)
            written += 1 + keys + sum(1 for k in kids if k.__class__ is ScalarNode)
            # the depth of the deepest node below, as build counts it (an empty {} adds none)
            height[key] = 1 + max(height.get(id(k), 0) for k in kids) if kids else 0
            entered.discard(key)
            continue
        if key in size:
            continue
        if key in entered:
            raise _Refused("recursive alias: a node contains itself", node)
        entered.add(key)
        stack.append((node, True))
        stack.extend(
            (k, False)
            for k in _children(node)
            if k.__class__ is not ScalarNode and id(k) not in size
        )
    if size[id(root)] > limits.max_nodes:
        # point at the smallest node that is too big: the anchor that explodes
        node = root
        while True:
            bigger = next(
                (k for k in _children(node) if size.get(id(k), 1) > limits.max_nodes), None
            )
            if bigger is None:
                break
            node = bigger
        raise _Refused(
            f"document expands to {size[id(node)]:,} nodes from here (an alias bomb?), more "
            f"than the limit of {limits.max_nodes:,}; raise limits.maxNodes to load it",
            node,
        )
    if height.get(id(root), 0) > limits.max_depth:
        node = root
        for _ in range(limits.max_depth + 1):
            node = max(_children(node), key=lambda k: height.get(id(k), 0))
        raise _Refused(
            f"document nests deeper than {limits.max_depth} levels; "
            "raise limits.maxDepth to load it",
            node,
        )
    return max(size[id(root)] - written, 0)


_NODE_EVENTS = (ScalarEvent, MappingStartEvent, SequenceStartEvent, AliasEvent)


def _too_many_nodes(chunk: str, limits: Limits) -> tuple[int, int] | None:
    """Where (0-based line, column) a document of ``chunk`` passes ``limits.max_nodes``,
    counted on parser events.

    Composing builds every node in memory (a few hundred bytes each), so a 16 MiB flow list of
    numbers would take gigabytes before ``build`` could count it; events are counted and
    forgotten. Only for chunks long enough to hold that many nodes.
    """
    parser = _Loader(chunk)
    count = 0
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, StreamEndEvent):
                return None
            if isinstance(event, DocumentStartEvent):
                count = 0
            elif isinstance(event, _NODE_EVENTS):
                count += 1
                if count > limits.max_nodes:
                    mark: Any = event.start_mark
                    return mark.line, mark.column
    except (yaml.YAMLError, UnicodeError):
        return None  # composing reports it
    finally:
        parser.dispose()


def _node_bound(chunk: str) -> int:
    """An upper bound of the nodes of a chunk without aliases, from its text: every node starts
    after a line break or an indicator (``: - ? , [ ] { } ! & *``), and one place starts at most
    two nodes (a block collection and its first entry). Cheap (one pass of bytes.translate,
    whose table drops those characters: each is one byte in UTF-8, and no byte of another
    character's encoding is one of them), and far below the length for real manifests, so
    that a big CRD is not counted event by event."""
    data = chunk.encode("utf-8", "surrogatepass")
    return 2 * (len(data) - len(data.translate(None, b":-?,[]{}!&*\n")) + 2)


def _reader_error_span(chunk: str, line_offset: int, position: int) -> Span:
    """libyaml reports a bad character by its byte offset in the UTF-8 text."""
    data = chunk.encode("utf-8", "surrogatepass")[: max(position, 0)]
    start = data.rfind(b"\n") + 1
    column = len(data[start:].decode("utf-8", "replace"))
    return Span.point(data.count(b"\n") + 1 + line_offset, column + 1)


class _TemplateHint:
    """A hint for unrendered Helm/Go templates, the commonest "invalid YAML" in repositories."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[str] | None = None

    def __call__(self, line: int) -> str:
        if "{{" not in self.text:
            return ""
        if self.lines is None:
            self.lines = self.text.splitlines()
        if 0 < line <= len(self.lines) and "{{" in self.lines[line - 1]:
            return "; `{{ ... }}` looks like an unrendered template: lint the output of `helm template`"
        return ""


_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


def decode(data: bytes) -> tuple[str | None, str | None, int]:
    """Text of a file, or an error message and the 1-based line where decoding failed.

    UTF-8 (with or without a BOM) and UTF-16 with a BOM, as go-yaml reads them.
    """
    if data.startswith(_UTF32_BOMS):
        return None, "file is UTF-32 text; save it as UTF-8", 1
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None, 0
        except UnicodeDecodeError as exc:
            return None, f"invalid UTF-16 text: {exc.reason}", 1
    sample = data[:256]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        # YAML 1.2 section 5.2: ASCII in UTF-16/32 without a BOM has a NUL in every unit
        width = "UTF-32" if sample.count(0) * 2 > len(sample) else "UTF-16"
        return None, f"file looks like {width} text without a byte order mark; save it as UTF-8", 1
    try:
        return data.decode("utf-8-sig"), None, 0
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, f"file is not UTF-8 text (invalid byte 0x{data[exc.start]:02x})", line


def _diag(
    source: SourceFile,
    rule: str,
    severity: Severity,
    message: str,
    span: Span,
    ref: ObjectRef | None = None,
    path: str = "",
) -> Diagnostic:
    return Diagnostic(rule, severity, message, source.display, span, path, ref)


def _ref(data: dict[str, Any]) -> ObjectRef:
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}

    def text(v: object) -> str | None:
        # a number or boolean reads as its text; a list or mapping is no name at all
        return (
            v
            if isinstance(v, str)
            else (None if v is None or isinstance(v, dict | list) else str(v))
        )

    return ObjectRef(
        text(data.get("apiVersion")),
        text(data.get("kind")),
        text(meta.get("namespace")),
        text(meta.get("name")),
    )


@record(frozen=True, slots=True)
class Document:
    index: int
    value: Any
    positions: PositionTable
    start: Span


def load_documents(
    source: SourceFile, limits: Limits | None = None
) -> tuple[list[Document], list[Diagnostic]]:
    """Every non-empty document of a file as plain data with its positions.

    Syntax errors and refused documents become diagnostics; reading goes on with the next
    document, so one broken document does not hide the others.
    """
    limits = limits or _DEFAULT_LIMITS
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    count = 0
    # what aliases add to the documents of this file, in all: bounded like one document, so
    # that many small alias bombs (each under the limit) cannot add up to gigabytes
    expansion_left = limits.max_nodes
    hint = _TemplateHint(source.text)
    text = source.text
    if "\ufeff" in text:
        # files joined with cat keep each one's byte order mark at a line start; YAML allows
        # one before every document and libyaml only before the first
        text = text.replace("\n\ufeff", "\n")
    for line_offset, chunk in document_chunks(text):
        if chunk.startswith("---") and not chunk[3:].strip():
            continue  # "---" alone: no document (and a file of 4 million of them is quick)
        if len(chunk) > limits.max_nodes // 2 and _node_bound(chunk) > limits.max_nodes:
            too_many = _too_many_nodes(chunk, limits)
            if too_many is not None:
                diagnostics.append(
                    _diag(
                        source,
                        "yaml-syntax",
                        Severity.ERROR,
                        f"document refused: more than {limits.max_nodes:,} nodes; raise "
                        "limits.maxNodes to load it",
                        Span.point(too_many[0] + 1 + line_offset, too_many[1] + 1),
                    )
                )
                count += 1
                continue  # what follows in this chunk is not read
        aliases = "&" in chunk and "*" in chunk
        if _load_chunk is not None and not aliases:
            # the common case in C: its documents' values and records as build makes them;
            # None (anything else: an error, a tag, an anchor, a duplicate or merge key, a
            # bound reached) leaves the chunk to the composer below
            loaded = _load_chunk(
                chunk, line_offset, limits.max_nodes, limits.max_depth, _int_value, _float_value
            )
            if loaded is not None:
                for value, records in loaded:
                    table = PositionTable.compact(value, records)
                    documents.append(Document(count, value, table, table.resolve("", "value")[0]))
                    count += 1
                continue
        # yaml.compose_all without its generator: the parser made at the first turn, so that
        # what its constructor raises (a lone surrogate) is handled as what composing raises
        loader: Any = None
        while True:
            try:
                if loader is None:
                    loader = _Loader(chunk)
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.MarkedYAMLError as exc:
                span = _error_span(chunk, line_offset, exc.problem_mark, exc.context_mark)
                problem = exc.problem or str(exc)
                if exc.context:
                    problem = f"{problem} ({exc.context})"
                problem += hint(span.line)
                diagnostics.append(
                    _diag(source, "yaml-syntax", Severity.ERROR, f"invalid YAML: {problem}", span)
                )
                break
            except ReaderError as exc:
                character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "byte"
                diagnostics.append(
                    _diag(
                        source,
                        "yaml-syntax",
                        Severity.ERROR,
                        f"invalid YAML: unacceptable character {character}: {exc.reason}",
                        _reader_error_span(chunk, line_offset, exc.position),
                    )
                )
                break
            except UnicodeError as exc:  # a lone surrogate in text handed over by an editor
                start = getattr(exc, "start", 0)
                line = chunk.count("\n", 0, start) + 1 + line_offset
                column = start - (chunk.rfind("\n", 0, start) + 1) + 1
                diagnostics.append(
                    _diag(
                        source,
                        "yaml-syntax",
                        Severity.ERROR,
                        "invalid YAML: the text is not valid Unicode (a lone surrogate)",
                        Span.point(line, column),
                    )
                )
                break
            except (yaml.YAMLError, RecursionError, MemoryError) as exc:
                diagnostics.append(
                    _diag(
                        source,
                        "yaml-syntax",
                        Severity.ERROR,
                        f"invalid YAML: {exc}".splitlines()[0],
                        Span.point(line_offset + 1, 1),
                    )
                )
                break
            if node is None:
                continue
            if node.__class__ is ScalarNode and node.tag == _NULL and node.value in ("", "~"):
                continue  # an empty document
            problems: list[Problem] = []
            fixes: dict[int, Fix] = {}  # index in problems → its fix
            try:
                if aliases:
                    expansion_left -= _check_expansion(node, limits)
                    if expansion_left < 0:
                        raise _Refused(
                            f"the aliases of this file's documents expand to more than "
                            f"{limits.max_nodes:,} nodes in all (alias bombs?); raise "
                            "limits.maxNodes to load it",
                            node,
                        )
                value, table = _build_document(node, line_offset, limits, problems, fixes)
            except _Refused as exc:
                value = _REFUSED
                mark = exc.node.start_mark
                diagnostics.append(
                    _diag(
                        source,
                        "yaml-syntax",
                        Severity.ERROR,
                        f"document refused: {exc}",
                        Span.point(mark.line + 1 + line_offset, mark.column + 1),
                    )
                )
            except RecursionError:
                value = _REFUSED
                diagnostics.append(
                    _diag(
                        source,
                        "yaml-syntax",
                        Severity.ERROR,
                        "document refused: nesting too deep to read",
                        Span.point(node.start_mark.line + 1 + line_offset, 1),
                    )
                )
            for index, (rule, severity, message, span) in enumerate(problems):
                if rule == "manifest-invalid":
                    message += hint(span.line)
                found = _diag(source, rule, severity, message, span)
                if index in fixes:
                    found = replace(found, fix=fixes[index])
                diagnostics.append(found)
            if value is not _REFUSED:
                documents.append(Document(count, value, table, table.resolve("", "value")[0]))
            count += 1
    return documents, diagnostics


_REFUSED: Any = object()
_DEFAULT_LIMITS: Final = Limits()  # frozen: one for every file read without limits of its own


def load_own_file(path: Path, what: str, label: str = "") -> list[Document]:
    """The documents of one of kpolicy's own YAML files (a config, a rule or policy file); any
    read, decoding or syntax error is a ``UsageError`` naming the file and line, ``label``
    before the syntax error's message."""
    from kpolicy.errors import UsageError
    from kpolicy.fsutil import NotRegular, TooLarge, kind_of, read_regular

    limit = Limits().max_file_bytes
    try:
        # a regular file only (a FIFO would block), never more than the default file limit
        raw = read_regular(path, limit)
    except NotRegular:
        try:
            kind = kind_of(path.stat().st_mode)
        except OSError:
            kind = "not a regular file"
        raise UsageError(f"{path}: cannot read {what}: {kind}") from None
    except TooLarge:
        raise UsageError(f"{path}: cannot read {what}: larger than {limit} bytes") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the name
        raise UsageError(f"{path}: cannot read {what}: invalid file name") from None
    text, error, line = decode(raw)
    if text is None:
        raise UsageError(f"{path}:{line}: {error}")
    documents, problems = load_documents(SourceFile(str(path), text))
    for problem in problems:
        if problem.severity is Severity.ERROR:
            span = problem.span
            raise UsageError(f"{path}:{span.line}:{span.column}: {label}{problem.message}")
    return documents


def _error_span(chunk: str, line_offset: int, mark: Any, context: Any) -> Span:
    """Where a parse error is. An error found at the end of the input ("unclosed quote")
    points at what was left open (the context), else at the last text."""
    if mark is None:
        mark = context
    if mark is None:
        return Span.point(line_offset + 1, 1)
    lines = chunk.splitlines()
    line, column = mark.line, mark.column
    at_end = line >= len(lines) or all(not text.strip() for text in lines[line:])
    if at_end and context is not None and context is not mark:
        return Span.point(context.line + 1 + line_offset, context.column + 1)
    if line >= len(lines) or (column == 0 and not lines[line].strip()):
        while line > 0 and (line >= len(lines) or not lines[line].strip()):
            line -= 1
        if line < len(lines):
            column = len(lines[line].rstrip())
    return Span.point(line + 1 + line_offset, column + 1)


def load_text(
    source: SourceFile, limits: Limits | None = None, *, keep_text: bool = True
) -> LoadedFile:
    documents, diagnostics = load_documents(source, limits)
    bounds = limits or _DEFAULT_LIMITS
    # every document the loader keeps is plain JSON within these bounds (see KObject.plain)
    plain = bounds.max_depth < PLAIN_MAX_DEPTH and bounds.max_nodes <= PLAIN_MAX_NODES
    text = source.text
    if "kpolicy" in text:  # in both markers: one search for the files without either
        directives = read_directives(text)
        annotated = ANNOTATION in text
    else:
        directives, annotated = {}, False
    if not keep_text:
        source = SourceFile(source.display, "", source.context_only)
    objects: list[KObject] = []
    for doc in documents:
        objects.extend(_objects_of(source, doc, diagnostics, plain))
    doc_count = max((d.index + 1 for d in documents), default=0)
    manifest_like = any(_is_manifest(d.value) for d in documents) or any(
        d.rule == "yaml-syntax" for d in diagnostics
    )
    if objects and "# Source: " in text:
        objects = _with_templates(objects, documents, source_lines(text))
    if objects and _may_hold_directive(text):
        objects = [replace(o, patch=True) if has_patch_directive(o.data) else o for o in objects]
    why = ""
    if not manifest_like:
        if not documents:
            why = "holds no YAML document"
        elif any(is_kustomize_document(d.value) for d in documents):
            why = "kustomization (kustomize's own file, not applied to a cluster)"
        else:
            why = "holds no Kubernetes object (no document with apiVersion and kind)"
    return LoadedFile(
        source=source,
        objects=tuple(objects),
        diagnostics=tuple(diagnostics),
        documents=max(doc_count, len(documents)),
        directives=directives,
        manifest_like=manifest_like,
        not_manifest=why,
        annotated=annotated,
    )


def _may_hold_directive(text: str) -> bool:
    """Whether a strategic-merge directive (``$patch``, ...) is in the text: each ``$`` found
    by a memchr-fast search and the directives tried there (the texts without one, most, cost
    one search); past 64 of them (scripts), a search for each directive in what is left."""
    find, starts = text.find, text.startswith
    at = find("$")
    for _ in range(64):
        if at < 0:
            return False
        if starts(DIRECTIVE_PREFIXES, at):
            return True
        at = find("$", at + 1)
    return at >= 0 and any(find(marker, at) >= 0 for marker in DIRECTIVE_PREFIXES)


def _is_manifest(value: object) -> bool:
    """Whether a document is a Kubernetes object or tries to be one: apiVersion and kind, a
    ``kind: ...List``, items that are objects (kubectl rejects the list without its kind), or
    a kind with metadata or spec (a manifest that lost its apiVersion), or metadata and spec. A
    kustomization is not one; nor is other YAML (CI, compose and tool configuration, Helm
    values)."""
    if isinstance(value, list):
        # objects given as a YAML list: kubectl rejects it (it wants `kind: List`)
        return any(isinstance(i, dict) and "apiVersion" in i and "kind" in i for i in value)
    if not isinstance(value, dict):
        return False
    kind = value.get("kind")
    if is_kustomize_document(value):
        return False
    if "apiVersion" in value and kind is not None:
        return True
    if isinstance(kind, str) and (
        "metadata" in value or "spec" in value or (kind.endswith("List") and "items" in value)
    ):
        return True
    if "metadata" in value and "spec" in value:
        return True  # an object that lost both
    items = value.get("items")
    return (
        kind is None
        and isinstance(items, list)
        and any(
            isinstance(item, dict) and "apiVersion" in item and "kind" in item for item in items
        )
    )


def _with_templates(
    objects: list[KObject], documents: list[Document], sources: dict[int, str]
) -> list[KObject]:
    """The objects, each with the Helm template its document was rendered from."""
    by_index = {d.index: sources.get(d.start.line) for d in documents}
    return [
        replace(o, template=template) if (template := by_index.get(o.doc_index)) else o
        for o in objects
    ]


def _objects_of(
    source: SourceFile, doc: Document, diagnostics: list[Diagnostic], plain: bool = False
) -> list[KObject]:
    value, table, doc_index, doc_span = doc.value, doc.positions, doc.index, doc.start
    if not isinstance(value, dict):
        what = describe_value(value, limit=40)
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                f"document is {what}, not a Kubernetes object (a mapping with apiVersion and kind)",
                Span.point(doc_span.line, doc_span.column),
            )
        )
        return []
    found: list[KObject] = []
    items = value.get("items")
    kind = value.get("kind")
    if is_kustomize_document(value):
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                f"a kustomize {kind} is not a Kubernetes object: kubectl apply -f rejects it "
                "(build it with kubectl apply -k, or keep it in its own kustomization.yaml)",
                table.resolve("/kind", "value")[0],
            )
        )
        return []
    if kind is None and "apiVersion" not in value and isinstance(items, list):
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                "a list of objects without `kind: List` and `apiVersion: v1`: kubectl "
                "rejects it (apiVersion not set, kind not set)",
                table.resolve("/items", "key")[0],
                None,
                "",
            )
        )
        return []
    if isinstance(kind, str) and kind.endswith("List") and "items" in value:
        if not isinstance(items, list):
            span = table.resolve("/items")[0]
            diagnostics.append(
                _diag(
                    source,
                    "manifest-invalid",
                    Severity.ERROR,
                    f"{kind}.items must be a list of objects",
                    span,
                    _ref(value),
                    "/items",
                )
            )
            return []
        for i, item in enumerate(items):
            base = f"/items/{i}"
            if not isinstance(item, dict):
                span = table.resolve(base)[0]
                diagnostics.append(
                    _diag(
                        source,
                        "manifest-invalid",
                        Severity.ERROR,
                        f"item {i} of the {kind} is not an object",
                        span,
                        None,
                        base,
                    )
                )
                continue
            obj = _object(source, item, doc_index, base, table, diagnostics, plain)
            if obj is not None:
                found.append(obj)
        return found
    obj = _object(source, value, doc_index, "", table, diagnostics, plain)
    if obj is not None:
        found.append(obj)
    return found


def _object(
    source: SourceFile,
    data: dict[str, Any],
    doc_index: int,
    base: str,
    table: PositionTable,
    diagnostics: list[Diagnostic],
    plain: bool = False,
) -> KObject | None:
    ref = _ref(data)
    missing = [f for f in ("apiVersion", "kind") if not isinstance(data.get(f), str) or not data[f]]
    if missing:
        pointer = base + ("/kind" if "kind" in data else "")
        span = table.resolve(pointer, "value" if "kind" in data else "auto")[0]
        if "kind" not in data and not base:
            first = next(iter(data), None)
            if first is not None:
                span = table.resolve("/" + _escape(str(first)), "key")[0]
        wrong = [f for f in missing if f in data]
        detail = ", ".join(
            f"{f} is {'empty' if data[f] == '' else 'not a string'}" if f in wrong else f"no {f}"
            for f in missing
        )
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                f"not a Kubernetes object: {detail}",
                span,
                None,
                base,
            )
        )
        return None
    return KObject(data, ref, source, doc_index, base, table, plain=plain)
