"""Python rule implementations, registered under the id of their ``rules/<id>.yaml``.

Every module of this package is imported by :func:`registry`; a module registers its checks
with :func:`check`. A check receives one object and the run's context and yields problems.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from kpolicy.index import Index, LocalIndex, NeedsIndex
from kpolicy.model import KObject, Problem

__all__ = [
    "FEW",
    "Check",
    "CheckFn",
    "LocalIndex",
    "NeedsIndex",
    "RuleContext",
    "check",
    "few",
    "registry",
]

CheckFn = Callable[[KObject, "RuleContext"], Iterable[Problem]]


@dataclass(frozen=True)
class RuleContext:
    index: Index
    kubernetes_version: str = "1.37"
    cluster_domain: str = "cluster.local"
    params: Mapping[str, Any] = field(default_factory=dict)
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    nodes: tuple[KObject, ...] | None = None
    enabled: frozenset[str] = frozenset()  # every rule id enabled in this run
    services: Mapping[str, Any] = field(default_factory=dict)  # shared per-run helpers


@dataclass(frozen=True)
class Check:
    rules: tuple[str, ...]  # the ids this function may report (one, or a group like schema-*)
    fn: CheckFn


_REGISTERED: list[Check] = []

# a message names at most this many items of a list (volumes, ports, workloads)
FEW = 5


def few(items: Sequence[str], limit: int = FEW, separator: str = ", ") -> str:
    """``a, b, c`` or ``a, b, c, d, e and 7 more``: a finding's size never grows with a list in
    the input (a message that names every volume, for each of a thousand mounts, is quadratic)."""
    if len(items) <= limit:
        return separator.join(items)
    return f"{separator.join(items[:limit])} and {len(items) - limit} more"


def check(*rule_ids: str) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the logic of ``rule_ids``; a group check sets ``Problem.rule``."""

    def register(fn: CheckFn) -> CheckFn:
        _REGISTERED.append(Check(tuple(rule_ids), fn))
        return fn

    return register


@cache
def registry() -> Mapping[str, Check]:
    """Rule id → check, after importing every module of this package."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    table: dict[str, Check] = {}
    for entry in _REGISTERED:
        for rule_id in entry.rules:
            if rule_id in table and table[rule_id] is not entry:
                raise RuntimeError(f"rule {rule_id} is registered twice")
            table[rule_id] = entry
    return table
