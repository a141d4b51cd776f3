"""The document as the API server decodes it, and the bounds of what is validated."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

# A document whose tree (with YAML aliases expanded) has more nodes than this is not
# validated: aliases can make a small file expand exponentially ("billion laughs").
MAX_NODES: Final = 2_000_000
MAX_DEPTH: Final = 500  # levels: a deeper document is not validated either


def is_plain_tree(obj: object) -> bool:
    """Whether ``obj`` already is what :func:`as_json` would make of it, within the bounds of
    :func:`tree_size`: dicts with string keys, lists and JSON scalars, no node reached twice,
    at most MAX_NODES nodes and 500 levels. What the loader makes always is."""
    if obj.__class__ is not dict:
        return False
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(obj, 0)]
    count = 1
    scalars = (str, int, float)  # bool is an int
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return False
        seen.add(id(node))
        if not node:
            continue
        count += len(node)
        if count > MAX_NODES or depth >= MAX_DEPTH:
            return False
        if node.__class__ is dict:
            for key in node:
                if not isinstance(key, str):
                    return False
            children = node.values()
        else:
            children = node
        for child in children:
            if child is None or isinstance(child, scalars):
                continue
            if child.__class__ is dict or child.__class__ is list:
                stack.append((child, depth + 1))
            else:
                return False
    return True


def tree_size(obj: object) -> int:
    sizes: dict[int, int] = {}

    def size(node: object, depth: int) -> int:
        if depth > 500:
            raise RecursionError
        if isinstance(node, Mapping | list | tuple | set):
            known = sizes.get(id(node))
            if known is not None:
                return known
            sizes[id(node)] = MAX_NODES + 1  # a cycle counts as too big
            children: Iterable[object] = node.values() if isinstance(node, Mapping) else node
            total = 1
            for child in children:
                total += size(child, depth + 1)
                if total > MAX_NODES:
                    break
            sizes[id(node)] = total
            return total
        return 1

    try:
        return size(obj, 0)
    except RecursionError:
        return MAX_NODES + 1


def _key_text(key: object) -> str:
    # sigs.k8s.io/yaml turns non-string keys into their YAML text
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def as_json(node: object, memo: dict[int, Any]) -> Any:
    """The document as the JSON the API server receives (dates as text, keys as strings)."""
    if isinstance(node, str | bool | int | float) or node is None:
        return node
    known = memo.get(id(node))
    if known is not None:
        return known
    result: Any
    if isinstance(node, Mapping):
        result = {}
        memo[id(node)] = result
        for key, value in node.items():
            result[_key_text(key)] = as_json(value, memo)
    elif isinstance(node, list | tuple):
        result = []
        memo[id(node)] = result
        result.extend(as_json(item, memo) for item in node)
    elif isinstance(node, set):
        result = {_key_text(item): None for item in node}
    elif (dates := sys.modules.get("datetime")) is not None and isinstance(
        node, dates.datetime | dates.date
    ):
        # (a date exists only once datetime is imported, which a lint run need not do)
        # go-yaml v2 keeps timestamps as strings when decoding into interface{}
        result = node.isoformat()
    elif isinstance(node, bytes):
        import base64  # bytes in an instance are rare: not imported at start-up

        result = base64.b64encode(node).decode()
    else:
        result = str(node)
    return result
