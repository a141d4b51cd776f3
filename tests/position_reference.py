"""The reference for kpolicy's positions: the document builder kpolicy used for merge keys,
duplicate keys and reported tags before ``kpolicy.load`` had one builder, kept here as the
oracle that the one builder's values, problems and position tables are held to (a plain
pointer → span dict, built node by node, the later of two duplicate keys winning and a merge
key's sources recorded under ``<<``)."""

from __future__ import annotations

from typing import Any, cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kpolicy.compose import (
    _BOOL,
    _FLOAT,
    _INT,
    _MERGE,
    _NULL,
    _PLAIN_TAGS,
    _STR,
    _TRUE_WORDS,
    _last_item,
    _not_block,
    _Refused,
)
from kpolicy.load import _escape, _int_or_fallback
from kpolicy.model import Limits, Severity, Span
from kpolicy.positions import PositionTable

# PyYAML's own float conversion: the reference the loader's (kpolicy.load._float_value) is
# held to
_CONSTRUCTOR = SafeConstructor()

# _not_block and _last_item (where a block collection ends) are the loader's own: the
# reference compares how positions are recorded, not how ends are found


class ReferenceBuilder:
    """Builds the value of one composed document and its pointer → span table."""

    __slots__ = ("_active", "_ends", "limits", "line_offset", "nodes", "problems", "table")

    def __init__(self, table: PositionTable, line_offset: int, limits: Limits) -> None:
        self.table = table
        self.line_offset = line_offset
        self.limits = limits
        self.nodes = 0
        self.problems: list[tuple[str, Severity, str, Span]] = []
        self._active: set[int] = set()
        self._ends: dict[int, tuple[int, int]] = {}  # id of a block collection → its end

    def span(self, node: Node) -> Span:
        start = node.start_mark
        off = self.line_offset
        if _not_block(node):
            end = node.end_mark
            return Span(start.line + 1 + off, start.column + 1, end.line + 1 + off, end.column + 1)
        end_line, end_column = self._block_end(node)
        return Span(start.line + 1 + off, start.column + 1, end_line, end_column)

    def _block_end(self, node: Node) -> tuple[int, int]:
        """Where a block collection ends: where its last item ends (1-based, exclusive).

        Its end mark is the start of whatever follows it, which may be lines later (blank and
        comment lines) and at any column. Worked out down the chain of last items without
        recursion, each collection once per document."""
        chain: list[Node] = []
        in_chain: set[int] = set()
        current: Node = node
        end: tuple[int, int] | None = None
        off = self.line_offset
        while True:
            known = self._ends.get(id(current))
            if known is not None:
                end = known
                break
            if _not_block(current):
                mark = current.end_mark
                end = (mark.line + 1 + off, mark.column + 1)
                break
            chain.append(current)
            in_chain.add(id(current))
            last = _last_item(current)
            if last is None or id(last) in in_chain:
                # an alias at the end (a recursive one among them): the item's own place is not
                # known
                mark = current.end_mark
                end = (
                    (mark.line + 1 + off, 1)
                    if mark.column == 0
                    else (mark.line + 1 + off, mark.column + 1)
                )
                break
            current = last
        for collection in reversed(chain):
            self._ends[id(collection)] = end
        return end

    def build(self, node: Node, pointer: str, key_span: Span | None, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise _Refused(
                f"document expands to more than {self.limits.max_nodes} nodes "
                "(an alias bomb?); raise limits.maxNodes to load it",
                node,
            )
        if depth > self.limits.max_depth:
            raise _Refused(
                f"document nests deeper than {self.limits.max_depth} levels; "
                "raise limits.maxDepth to load it",
                node,
            )
        value_span = self.span(node)
        if pointer not in self.table.entries:
            self.table.entries[pointer] = (key_span, value_span)
        tag = node.tag
        if tag not in _PLAIN_TAGS and tag != _MERGE:
            self.problems.append(
                (
                    "yaml-syntax",
                    Severity.ERROR,
                    f"tag {tag.replace('tag:yaml.org,2002:', '!!')} is not supported in "
                    "Kubernetes manifests; "
                    "the value is read as plain data",
                    value_span,
                )
            )
        cls = node.__class__
        if cls is ScalarNode:
            return self.scalar(cast(ScalarNode, node))
        node_id = id(node)
        if node_id in self._active:
            raise _Refused("recursive alias: a node contains itself", node)
        self._active.add(node_id)
        try:
            if cls is MappingNode:
                self.nodes += len(node.value)  # the keys
                return self.mapping(cast(MappingNode, node), pointer, depth)
            if cls is SequenceNode:
                return [
                    self.build(item, f"{pointer}/{i}", None, depth + 1)
                    for i, item in enumerate(node.value)
                ]
        finally:
            self._active.discard(node_id)
        return None  # pragma: no cover - the composer makes only these three node classes

    def scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        try:
            if tag == _INT:
                return _int_or_fallback(node.value)
            if tag == _BOOL:
                return node.value.lower() in _TRUE_WORDS
            if tag == _NULL:
                return None
            if tag == _FLOAT:
                return _CONSTRUCTOR.construct_yaml_float(node)
        except (ValueError, yaml.YAMLError):  # pragma: no cover - resolver and constructor agree
            return node.value
        return node.value  # timestamps, binary and unknown tags stay text, as strings

    def key_text(self, node: Node) -> str:
        if node.__class__ is ScalarNode:
            value = node.value
            if node.tag == _NULL:
                return "null" if value in ("", "~") else str(value)
            return str(value)
        self.problems.append(
            (
                "manifest-invalid",
                Severity.ERROR,
                "mapping key is a collection; Kubernetes object keys are strings",
                self.span(node),
            )
        )
        return f"<{node.__class__.__name__.replace('Node', '').lower()} key>"

    def mapping(self, node: MappingNode, pointer: str, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merges: list[Node] = []
        seen: dict[str, Span] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.key_text(key_node)
            key_span = self.span(key_node)
            if key in seen:
                first = seen[key]
                self.problems.append(
                    (
                        "yaml-duplicate-key",
                        Severity.WARNING,
                        f"duplicate key {key!r} (first at line {first.line}); YAML readers "
                        "keep the last value and the API server's strict decoding rejects it",
                        key_span,
                    )
                )
                # the later value wins, as in every YAML reader Kubernetes uses
                self.table.entries.pop(f"{pointer}/{_escape(key)}", None)
                self._forget(f"{pointer}/{_escape(key)}/")
            seen[key] = key_span
            result[key] = self.build(value_node, f"{pointer}/{_escape(key)}", key_span, depth + 1)
        for merge in merges:
            sources = merge.value if merge.__class__ is SequenceNode else [merge]
            for source in sources:
                merged = self.build(source, pointer + "/<<", None, depth + 1)
                if isinstance(merged, dict):
                    for k, v in merged.items():
                        result.setdefault(k, v)
                else:
                    self.problems.append(
                        (
                            "yaml-syntax",
                            Severity.ERROR,
                            "a merge key (<<) must refer to a mapping or a list of mappings",
                            self.span(source),
                        )
                    )
        return result

    def _forget(self, prefix: str) -> None:
        stale = [p for p in self.table.entries if p.startswith(prefix)]
        for p in stale:
            del self.table.entries[p]
