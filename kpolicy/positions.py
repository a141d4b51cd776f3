"""Where each node of a loaded document is: a JSON pointer → (key span, value span) table.

Built by :mod:`kpolicy.load` for every document; findings resolve their paths through it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from functools import cache, partial

from kpolicy.model import Anchor, Span, escape_pointer_token
from kpolicy.records import open_twin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# one record per YAML node of a compact table, in the order the loader builds them (pre-order):
# the value span, the key span (line 0: no key), and the number of records in its subtree;
# all non-negative, so that an array of unsigned shorts holds them when they fit
RECORD = 9

# a mapping whose records do not follow its keys, by its record: its children in the order the
# loader built them: (pointer token, record, whether it replaces what its pointer held (the
# later of duplicate keys), value)
Irregular = dict[int, tuple[tuple[str, int, bool, "Any"], ...]]

_SEE_ENTRIES = -1  # a pointer that goes through an irregular mapping: ``entries`` answers
_UNSEEN = -2  # (in ``_found``) a pointer not looked up yet
_ABSENT = object()  # (in ``_find``) the value of a key a mapping does not have
# a container's child is found by going through the records of the children before it when
# it has this many children or fewer (most), else through the records of all its children,
# kept (see PositionTable._children_of)
_SCANNED = 16
# the typecodes of the arrays the loaders make records of (the C span_of reads them)
_TYPECODES = ("H", "i")

# Span's open twin (kpolicy.records.open_twin): a Span made as an instance of it, its four
# fields set, then made a Span, is the Span that ``Span(...)`` makes (no __post_init__:
# tests/test_positions.py holds it), for a third of the instructions of the call (whose
# __init__ switches the class twice)
_OPEN_SPAN: Any = open_twin(Span)
_new = object.__new__


@cache
def _c_span_of() -> Callable[[Any, int, Anchor], Span] | None:
    """``kpolicy._cload.span_of`` (:meth:`PositionTable.span_of` of a compact table's records,
    an array of "H" or "i"), or None where the C extension is not built, KPOLICY_PURE_PYTHON is
    set, or Span is not made by its open twin (a Span of four slots, no __post_init__)."""
    if os.environ.get("KPOLICY_PURE_PYTHON") or _OPEN_SPAN is None:
        return None
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    span_class = getattr(_cload, "span_class", None)
    if span_class is None or not span_class(Span):
        return None
    found: Callable[[Any, int, Anchor], Span] = _cload.span_of
    return found


@cache
def _c_path_walk() -> Callable[[Any, Any, int, tuple[Any, ...], int], Any] | None:
    """``kpolicy._cload.path_walk`` (:meth:`PositionTable._walk` of a table's records, an array
    of "H" or "i", where each container on the way is at most _SCANNED long), or None where the
    C extension is not built or KPOLICY_PURE_PYTHON is set."""
    if os.environ.get("KPOLICY_PURE_PYTHON"):
        return None
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    found: Callable[[Any, Any, int, tuple[Any, ...], int], Any] | None = getattr(
        _cload, "path_walk", None
    )
    return found


# the records of a large mapping's (by key) or list's children, by the container's record
_Children = dict[int, dict["Any", int] | list[int]]


class PositionTable:
    """JSON pointer (from the document root) → (key span or None, value span).

    A table is either a plain dict (``entries``), or compact: the spans of a document's nodes
    in one array, in the order the loader built them, found again by walking the document's
    value along the pointer: a mapping's children follow it in key order. A compact table costs
    18 bytes a node (36 in a document with a line or column past 65,535) instead of about 450 (a
    pointer string, a dict slot, a tuple and two Span objects); ``entries`` still works on it,
    built on first use.

    The few mappings whose records do not follow their keys (duplicate keys, merge keys) are
    listed in ``irregular`` with their children in the order built; ``entries`` replays that
    order as the loader defines positions (the first node built at a pointer holds it; the
    later of two duplicate keys replaces what its pointer held and everything under it; merge
    sources are recorded under ``<<``, and the keys they add have no position of their own), and
    a pointer that goes through such a mapping is looked up there.
    """

    __slots__ = (
        "_children",
        "_entries",
        "_found",
        "_irregular",
        "_places",
        "_records",
        "_root",
        "_sizes",
    )

    def __init__(self, entries: dict[str, tuple[Span | None, Span]] | None = None) -> None:
        self._entries: dict[str, tuple[Span | None, Span]] | None = (
            entries if entries is not None else {}
        )
        self._records: Any = None
        self._root: Any = None
        self._irregular: Irregular | None = None
        # pointer → its record (see _record_of)
        self._found: dict[str, int | None] | None = None
        self._children: _Children | None = None
        # pointer → (value, record) of the containers a lookup went through
        self._places: dict[str, tuple[Any, int]] | None = None
        self._sizes: Any = None

    @classmethod
    def compact(cls, root: Any, records: Any, irregular: Irregular | None = None) -> PositionTable:
        table = cls.__new__(cls)
        table._entries = None
        table._records = records
        table._root = root
        table._irregular = irregular
        table._found = None
        table._children = None
        table._places = None
        table._sizes = None
        return table

    @property
    def entries(self) -> dict[str, tuple[Span | None, Span]]:
        if self._entries is None:
            self._entries = self._expand()
        return self._entries

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PositionTable):
            return NotImplemented
        return self.entries == other.entries

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PositionTable({len(self.entries)} entries)"

    def __getstate__(self) -> Any:
        return (self._entries, self._records, self._root, self._irregular)

    def __setstate__(self, state: Any) -> None:
        self._entries, self._records, self._root, self._irregular = state
        self._found = None
        self._children = None
        self._sizes = None
        self._places = None

    def lookup(self, pointer: str) -> tuple[Span | None, Span] | None:
        """The entry of ``pointer``, without building ``entries`` on a compact table."""
        if self._entries is not None:
            return self._entries.get(pointer)
        index = self._record_of(pointer)
        if index is None:
            return None
        if index == _SEE_ENTRIES:
            return self.entries.get(pointer)
        return self._entry(index)

    def _record_of(self, pointer: str) -> int | None:
        """The record of ``pointer`` in a compact table (``_SEE_ENTRIES``: ``entries``
        answers), None when the document has no such node."""
        # a finding's pointer is looked up again (its fix, its span, the ancestors of a
        # missing field): each answer once
        found = self._found
        if found is None:
            found = self._found = {}
        else:
            index = found.get(pointer, _UNSEEN)
            if index != _UNSEEN:
                return index
        index = self._find(pointer)
        found[pointer] = index
        return index

    def describes(self, document: Any) -> bool:
        """Whether this is the compact table of ``document`` itself (not of a document that
        holds it, as a ``kind: List`` holds its items)."""
        return self._entries is None and self._root is document

    def top_level(self, keys: Collection[str]) -> tuple[PositionTable, dict[str, Any]] | None:
        """A compact table of the document with only its top-level ``keys`` (those it has, in
        its order), and that smaller document; None when this table is not a compact one of
        a regular mapping (plain entries, duplicate or merge keys), which is kept whole.
        Every pointer under a kept key resolves as it did here."""
        root, records = self._root, self._records
        if self._entries is not None or self._irregular or root.__class__ is not dict:
            return None
        kept: dict[str, Any] = {}
        parts = [records[:RECORD]]
        child = 1
        for key, value in root.items():
            size = records[child * RECORD + 8]
            if key in keys:
                kept[key] = value
                parts.append(records[child * RECORD : (child + size) * RECORD])
            child += size
        pruned = records[:0]
        for part in parts:
            pruned.extend(part)
        pruned[8] = len(pruned) // RECORD
        return PositionTable.compact(kept, pruned), kept

    def collapsed(
        self, root: Any, paths: Collection[tuple[str | int, ...]]
    ) -> PositionTable | None:
        """A compact table of ``root``: this table's document with the value at each of
        ``paths`` (which exist, none under another) replaced by one without children. Each
        path keeps its spans; nothing under it has any. None when this table is not a compact
        one of a regular document (plain entries, duplicate or merge keys)."""
        if self._entries is not None or self._irregular:
            return None
        records = self._records
        out = records[:]
        cuts: list[tuple[int, int]] = []
        # the record of each container on the way, once for the paths that share it
        places: dict[tuple[str | int, ...], tuple[Any, int]] = {(): (self._root, 0)}
        for path in paths:
            ancestors: list[int] = []
            node, index = self._root, 0
            for end in range(1, len(path) + 1):
                ancestors.append(index)
                place = places.get(path[:end])
                if place is None:
                    # the children follow their container, each after its subtree
                    step, child = path[end - 1], index + 1
                    for key in node if node.__class__ is dict else range(len(node)):
                        if key == step:
                            break
                        child += records[child * RECORD + 8]
                    place = places[path[:end]] = (node[step], child)
                node, index = place
            size = records[index * RECORD + 8]
            if size > 1:
                for ancestor in ancestors:
                    out[ancestor * RECORD + 8] -= size - 1
                out[index * RECORD + 8] = 1
                cuts.append((index + 1, index + size))
        pruned = out[:0]
        start = 0
        for begin, end in sorted(cuts):
            pruned.extend(out[start * RECORD : begin * RECORD])
            start = end
        pruned.extend(out[start * RECORD :])
        return PositionTable.compact(root, pruned)

    def record_at(self, base: str, node: Any) -> int:
        """The record of ``node``, the value at ``base`` (an object's pointer in its document),
        when this is a compact table and the value it holds there is ``node`` itself, reached
        through regular mappings only; else -1. The records of ``node``'s subtree then follow
        it in its own order (see :meth:`records`), but below an ``irregular`` mapping."""
        if self._entries is not None:
            return -1
        if not base:
            return 0 if self._root is node else -1
        index = self._record_of(base)
        if index is None or index < 0:
            return -1
        places = self._places
        place = places.get(base) if places is not None else None
        return index if place is not None and place[0] is node else -1

    def sizes(self) -> Any:
        """The number of records in each record's subtree, by record, of a compact table (see
        :meth:`compact`): the records of a regular mapping's or list's children follow its
        own, each after the previous one's subtree. Made once a table: the items of a
        ``kind: List`` share their file's table, and each item's schema check asks for it."""
        if self._sizes is None:
            self._sizes = self._records[8::RECORD]
        return self._sizes

    @property
    def irregular(self) -> Irregular | None:
        """A compact table's mappings whose records do not follow their keys."""
        return self._irregular

    def span_of(self, index: int, anchor: Anchor) -> Span:
        """What :meth:`resolve` gives for the pointer of the node whose record is ``index``
        (which exists), without looking it up."""
        records = self._records
        base = index * RECORD
        line = records[base]
        # the Span made on its open twin (see _OPEN_SPAN): once a finding
        span = _new(_OPEN_SPAN)
        if records[base + 4] != 0 and (
            anchor == "key" or (anchor == "auto" and records[base + 2] > line)
        ):
            span.line = records[base + 4]
            span.column = records[base + 5]
            span.end_line = records[base + 6]
            span.end_column = records[base + 7]
        elif anchor == "auto" and records[base + 2] > line:
            column = records[base + 1]
            span.line = line
            span.column = column
            span.end_line = line
            span.end_column = column + 1
        else:
            span.line = line
            span.column = records[base + 1]
            span.end_line = records[base + 2]
            span.end_column = records[base + 3]
        span.__class__ = Span
        return span  # type: ignore[no-any-return]

    def spans(self) -> Callable[[int, Anchor], Span]:
        """:meth:`span_of` of this table as one callable, for a loop that makes a span each:
        the C extension's ``span_of`` on its records where it is built (the same Span, made
        without a method's frame, nor the open twin's class switch), else the method."""
        records = self._records
        if getattr(records, "typecode", None) not in _TYPECODES:
            return self.span_of
        span_of = _c_span_of()
        return self.span_of if span_of is None else partial(span_of, records)

    def _entry(self, index: int) -> tuple[Span | None, Span]:
        r = self._records
        base = index * RECORD
        value = Span(r[base], r[base + 1], r[base + 2], r[base + 3])
        if r[base + 4] == 0:
            return None, value
        return Span(r[base + 4], r[base + 5], r[base + 6], r[base + 7]), value

    def _find(self, pointer: str) -> int | None:
        if pointer == "":
            return 0
        if not pointer.startswith("/"):
            return None
        # the findings of an object share most of their pointers' prefixes (a container's
        # fields, the ancestors a missing field falls back to): the walk starts at the longest
        # prefix reached before
        # (made with the first container reached below the root: a document looked up only
        # at its top level, as most of a file of tiny documents are, keeps no dict for it)
        places = self._places
        node, index, cut = self._root, 0, 0
        if places is not None:
            search = len(pointer)
            while search > 0:
                search = pointer.rfind("/", 0, search)
                place = places.get(pointer[:search]) if search > 0 else None
                if place is not None:
                    node, index = place
                    cut = search
                    break
        irregular = self._irregular
        records = self._records
        end = cut
        for token in pointer[cut + 1 :].split("/"):
            if irregular is not None and index in irregular:
                return _SEE_ENTRIES
            end += 1 + len(token)
            cls = node.__class__
            if cls is dict:
                if "~" in token:
                    token = token.replace("~1", "/").replace("~0", "~")
                value = node.get(token, _ABSENT)
                if value is _ABSENT:
                    return None
                if len(node) > _SCANNED:
                    index = self._children_of(index, node)[token]
                else:
                    # the children follow their container's record, each after its subtree
                    index += 1
                    for key in node:
                        if key == token:
                            break
                        index += records[index * RECORD + 8]
            elif cls is list:
                # a list index as JSON pointers write it: ASCII digits, no leading zero
                if not (token.isascii() and token.isdigit()) or (
                    token[0] == "0" and len(token) > 1
                ):
                    return None
                position = int(token)
                if position >= len(node):
                    return None
                value = node[position]
                if position > _SCANNED:
                    index = self._children_of(index, node)[position]
                else:
                    index += 1
                    for _ in range(position):
                        index += records[index * RECORD + 8]
            else:
                return None
            node = value
            cls = node.__class__
            if cls is dict or cls is list:
                if places is None:
                    places = self._places = {}
                places[pointer[:end]] = (node, index)
        return index

    def _children_of(self, index: int, node: dict[Any, Any] | list[Any]) -> Any:
        """The records of a large regular mapping's (key → record) or list's children, which
        follow the record at ``index`` in the loader's order, each after its subtree: made
        once for the table, so that finding every item of a large list costs no more than
        going through it once."""
        children = self._children
        if children is None:
            children = self._children = {}
        found = children.get(index)
        if found is not None:
            return found
        records = self._records
        child = index + 1
        if node.__class__ is dict:
            by_key: dict[Any, int] = {}
            for key in node:
                by_key[key] = child
                child += records[child * RECORD + 8]
            children[index] = by_key
            return by_key
        in_order: list[int] = []
        for _ in range(len(node)):
            in_order.append(child)
            child += records[child * RECORD + 8]
        children[index] = in_order
        return in_order

    def _expand(self) -> dict[str, tuple[Span | None, Span]]:
        entries: dict[str, tuple[Span | None, Span]] = {}
        records, irregular = self._records, self._irregular or {}
        # pointer, value, record, whether it replaces what its pointer held
        stack: list[tuple[str, Any, int, bool]] = [("", self._root, 0, False)]
        while stack:
            pointer, node, index, replaces = stack.pop()
            if replaces:
                entries.pop(pointer, None)
                prefix = pointer + "/"
                for stale in [p for p in entries if p.startswith(prefix)]:
                    del entries[stale]
            if pointer not in entries:
                entries[pointer] = self._entry(index)
            children: list[tuple[str, Any, int, bool]] = []
            built = irregular.get(index)
            if built is not None:
                children = [
                    (f"{pointer}/{token}", value, child, again)
                    for token, child, again, value in built
                ]
            elif node.__class__ is dict:
                child = index + 1
                for key, value in node.items():
                    children.append((f"{pointer}/{escape_pointer_token(key)}", value, child, False))
                    child += records[child * RECORD + 8]
            elif node.__class__ is list:
                child = index + 1
                for position, value in enumerate(node):
                    children.append((f"{pointer}/{position}", value, child, False))
                    child += records[child * RECORD + 8]
            stack.extend(reversed(children))
        return entries

    def resolve(self, pointer: str, anchor: Anchor = "auto") -> tuple[Span, str]:
        """The span for ``pointer`` and the pointer actually found.

        A pointer that does not exist (a missing field) falls back to its nearest existing
        ancestor, anchored at that ancestor's key, so "missing serviceName" points at ``spec:``.
        """
        if self._entries is not None:
            return self._resolve_entries(pointer, anchor)
        # as _resolve_entries, from the records: only the span returned is made (this runs
        # once a finding)
        exact = True
        probe = pointer
        found = self._found
        if found is None:
            found = self._found = {}
        while True:
            # _record_of, in line
            index = found.get(probe, _UNSEEN)
            if index == _UNSEEN:
                index = found[probe] = self._find(probe)
            if index is not None:
                if index == _SEE_ENTRIES:
                    return self._resolve_entries(pointer, anchor)
                return self.span_of(index, anchor if exact else "key"), probe
            if not probe:
                return Span(1, 1, 1, 1), ""
            exact = False
            probe = probe[: probe.rfind("/")]

    def path_span(self, base: str, node: Any, path: tuple[Any, ...], anchor: Anchor) -> Span | None:
        """What ``KObject.span_at`` gives for the pointer of ``path`` (str keys of mappings,
        int positions in lists) below ``node``, the value at ``base``, found by walking the
        value along ``path`` instead of a pointer string from the document's root; None where
        the general lookup must answer: not a compact table of a regular document, ``node``
        not the value it holds at ``base``, a token of another type at a container, or
        nothing of ``path`` below ``node`` (the object's kind is the place).

        As ``resolve``: the node at ``path`` with ``anchor``, else the nearest existing
        ancestor's key (the deepest node the walk reached: a missing field's parent)."""
        if self._entries is not None or self._irregular:
            return None
        if base:
            index = self.record_at(base, node)
            if index < 0:
                return None
        elif self._root is node:
            index = 0
        else:
            return None
        records = self._records
        # (the C functions read only the loaders' arrays)
        regular = getattr(records, "typecode", None) in _TYPECODES
        walk = _c_path_walk() if regular else None
        walked: Any = False if walk is None else walk(records, node, index, path, _SCANNED)
        if walked is None:
            return None  # a pointer token of another type: as the pointer says
        if walked is not False:
            index, depth = walked
        else:
            index, depth = self._walk(records, node, index, path)
            if depth < 0:
                return None
        if depth != len(path):
            if not depth:
                return None
            anchor = "key"
        # (spans(), without its partial: this runs once a finding)
        span_of = _c_span_of() if regular else None
        if span_of is not None:
            return span_of(records, index, anchor)
        return self.span_of(index, anchor)

    def _walk(self, records: Any, node: Any, index: int, path: tuple[Any, ...]) -> tuple[int, int]:
        """:meth:`path_span`'s walk down ``path`` from ``node``, whose record is ``index``
        (``kpolicy._cload.path_walk`` where the extension is built and the walk is its own):
        the record of the deepest node reached and how many tokens reached it, depth -1 for a
        token of another type than its container's."""
        depth = 0
        for token in path:
            cls = node.__class__
            if cls is dict:
                if token.__class__ is not str:
                    return index, -1  # a pointer token of another type: as the pointer says
                value = node.get(token, _ABSENT)
                if value is _ABSENT:
                    break
                if len(node) > _SCANNED:
                    index = self._children_of(index, node)[token]
                else:
                    # the children follow their container's record, each after its subtree
                    index += 1
                    for key in node:
                        if key == token:
                            break
                        index += records[index * RECORD + 8]
            elif cls is list:
                if token.__class__ is not int:
                    return index, -1  # a pointer token of another type: as the pointer says
                if not 0 <= token < len(node):
                    break
                value = node[token]
                if token > _SCANNED:
                    index = self._children_of(index, node)[token]
                else:
                    index += 1
                    for _ in range(token):
                        index += records[index * RECORD + 8]
            else:
                break
            node = value
            depth += 1
        return index, depth

    def _resolve_entries(self, pointer: str, anchor: Anchor) -> tuple[Span, str]:
        exact = True
        probe = pointer
        while True:
            entry = self.lookup(probe)
            if entry is not None:
                key_span, value_span = entry
                if not exact:
                    anchor = "key"
                if anchor == "key" and key_span is not None:
                    return key_span, probe
                if (
                    anchor == "auto"
                    and key_span is not None
                    and value_span.end_line > value_span.line
                ):
                    # a multi-line value (a mapping or list under a key): the key is the place
                    return key_span, probe
                if anchor == "auto" and key_span is None and value_span.end_line > value_span.line:
                    return Span(
                        value_span.line, value_span.column, value_span.line, value_span.column + 1
                    ), probe
                return value_span, probe
            if not probe:
                return Span(1, 1, 1, 1), ""
            exact = False
            probe = probe[: probe.rfind("/")]
