"""The composer path of :mod:`kpolicy.load`: a chunk that the C loader does not read (an
anchor, alias, tag, merge or duplicate key, an error, a bound reached; every chunk without the
C loader) composed by PyYAML with its libyaml and built by :func:`_build_document`, to the same
values, records and findings as the C loader gives the chunks it reads
(``tests/test_cload.py``). Imported when a chunk first needs it: PyYAML's import is a tenth of
a one-file run, and the C loader reads the common chunk without it
(``tests/test_startup.py``).
"""

from __future__ import annotations

import array
import operator
import re
import struct
import sys

import yaml
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

from kpolicy.hints import cast
from kpolicy.lazyre import lazy_compile
from kpolicy.load import (
    Document,
    _diag,
    _escape,
    _float_value,
    _int_or_fallback,
    _plain_decimal,
    _TemplateHint,
)
from kpolicy.model import DeleteKey, Diagnostic, Fix, Limits, Severity, SourceFile, Span
from kpolicy.positions import RECORD, PositionTable
from kpolicy.records import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from yaml import CSafeLoader as _BaseLoader
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - libyaml is a wheel dependency on every platform we ship
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    _CParser = None  # type: ignore[assignment,misc]
    # PyYAML's extension is where import finds it but does not import (a broken install):
    # the composer is PyYAML's pure-Python parser, which the C loader does not follow; it
    # reads no more chunks from here on (kpolicy.load._pyyaml_has_libyaml)
    import kpolicy.load

    kpolicy.load._load_chunk = None


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
_REFUSED: Any = object()

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

_install_fast_resolver()


class _Refused(Exception):
    """A document that breaks a resource bound; it is reported, not loaded."""

    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.node = node


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
                    return _float_value(value)  # the C loader's conversion: one for both
            except (ValueError, IndexError):  # an explicit `!!int` that is not one
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


def _reader_error_span(chunk: str, line_offset: int, position: int) -> Span:
    """libyaml reports a bad character by its byte offset in the UTF-8 text."""
    data = chunk.encode("utf-8", "surrogatepass")[: max(position, 0)]
    start = data.rfind(b"\n") + 1
    column = len(data[start:].decode("utf-8", "replace"))
    return Span.point(data.count(b"\n") + 1 + line_offset, column + 1)


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


def compose_chunk(
    source: SourceFile,
    chunk: str,
    line_offset: int,
    limits: Limits,
    aliases: bool,
    hint: _TemplateHint,
    documents: list[Document],
    diagnostics: list[Diagnostic],
    count: int,
    expansion_left: int,
) -> tuple[int, int]:
    """The documents of ``chunk`` composed and built, appended to ``documents`` and what is
    wrong with them to ``diagnostics`` (:func:`kpolicy.load.load_documents`, whose count of
    documents and what aliases may still add, ``expansion_left``, come back updated)."""
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
    return count, expansion_left
