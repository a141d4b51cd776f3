"""Python rule implementations, registered under the id of their ``rules/<id>.yaml``.

Every module of this package is imported by :func:`registry`; a module registers its checks
with :func:`check`. A check receives one object and the run's context and yields problems.

A check declares what it reads besides its object (:class:`Reads`), and so where it can run:
on a large input, worker processes read the files and run the checks that read their object
alone while the parent builds the index; the parent runs the others, with every object.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache

from kpolicy.index import Index
from kpolicy.model import KObject, Problem
from kpolicy.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from kpolicy.schema import SchemaProblem
    from kpolicy.schema.problems import ProblemFields
    from kpolicy.schema.validator import Places

__all__ = [
    "FEW",
    "Check",
    "CheckFn",
    "Reads",
    "RuleContext",
    "SchemaService",
    "check",
    "few",
    "registry",
]

CheckFn = Callable[[KObject, "RuleContext"], Iterable[Problem]]


class Reads(enum.Enum):
    """What a check reads besides its object, declared with :func:`check`."""

    # its object alone (and ``ctx.index.memo``, ``labels_of``, ``is_kustomize_patch``): it runs
    # where the file was read; any other question to the index there is a bug (internal-error)
    OBJECT = "object"
    # other objects, through ``ctx.index``: it runs in the parent, with every object, and its
    # findings on a ``--context`` object may concern a reported one (:func:`relating_rules`)
    INDEX = "index"
    # the schema of its object's kind (``ctx.schemas``): a built-in kind's, which no input can
    # change, where the file was read; a custom kind's, which a CustomResourceDefinition in any
    # file or ``--schema-dir`` gives, in the parent
    SCHEMAS = "schemas"


if TYPE_CHECKING:

    class SchemaService(Protocol):
        """The schemas of a run (:class:`kpolicy.schema.SchemaValidator`): the bundled ones of its
        version, and in the parent the custom kinds' too."""

        def validate(self, obj: object, *, plain: bool = False) -> list[SchemaProblem]: ...

        def problem_fields(
            self, obj: object, *, plain: bool = False, places: Places | None = None
        ) -> list[ProblemFields]: ...

        def has_schema(self, api_version: object, kind: object) -> bool: ...

        def is_builtin(self, api_version: object, kind: object) -> bool: ...

else:
    SchemaService = object  # a Protocol to mypy (typing is not imported at run time)


@record(frozen=True)
class RuleContext:
    index: Index
    kubernetes_version: str = "1.37"
    cluster_domain: str = "cluster.local"
    params: Mapping[str, Any] = field(default_factory=dict)
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    nodes: tuple[KObject, ...] | None = None
    enabled: frozenset[str] = frozenset()  # every rule id enabled in this run
    # None when no rule that reads schemas is enabled (see Reads.SCHEMAS)
    schemas: SchemaService | None = None
    # whether the run's findings carry fixes (LintOptions.fixes): when False, a check may leave
    # a finding's fix out rather than build it (the schema check, which makes most findings)
    fixes: bool = True


@record(frozen=True)
class Check:
    rules: tuple[str, ...]  # the ids this function may report (one, or a group like schema-*)
    fn: CheckFn
    reads: Reads = Reads.OBJECT
    # with Reads.INDEX: the kinds of other objects whose fields it reads beyond kind,
    # apiVersion and metadata (see :func:`kinds_read_whole`)
    kinds: frozenset[str] = frozenset()


_REGISTERED: list[Check] = []

# a message names at most this many items of a list (volumes, ports, workloads)
FEW = 5


def few(items: Sequence[str], limit: int = FEW, separator: str = ", ") -> str:
    """``a, b, c`` or ``a, b, c, d, e and 7 more``: a finding's size never grows with a list in
    the input (a message that names every volume, for each of a thousand mounts, is quadratic)."""
    if len(items) <= limit:
        return separator.join(items)
    return f"{separator.join(items[:limit])} and {len(items) - limit} more"


def check(
    *rule_ids: str, reads: Reads = Reads.OBJECT, kinds: Iterable[str] = ()
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the logic of ``rule_ids``; a group check sets ``Problem.rule``.
    ``reads``: what it reads besides its object (a check that queries ``ctx.index`` about other
    objects says ``Reads.INDEX``; tests/test_parallel.py holds every declaration to the code).
    ``kinds``: with ``Reads.INDEX``, the built-in kinds of other objects whose fields it reads
    beyond their kind, apiVersion and metadata (a Service's ports, an autoscaler's target);
    pod-template objects, CustomResourceDefinitions and custom kinds need no declaration
    (:func:`kinds_read_whole`)."""

    def register(fn: CheckFn) -> CheckFn:
        _REGISTERED.append(Check(tuple(rule_ids), fn, reads, frozenset(kinds)))
        return fn

    return register


@cache
def registry() -> Mapping[str, Check]:
    """Rule id → check, after importing every module of this package."""
    # the modules of this folder, in the order pkgutil.iter_modules gives them (which imports
    # inspect, 5 ms of a start-up, for this); each registers its checks as it is imported
    # (__import__, as importlib.import_module does for an absolute name: importing importlib
    # itself, with warnings, was 2M instructions of every start)
    for folder in __path__:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py") and name != "__init__.py":
                __import__(f"{__name__}.{name[:-3]}")
    table: dict[str, Check] = {}
    for entry in _REGISTERED:
        for rule_id in entry.rules:
            if rule_id in table and table[rule_id] is not entry:
                raise RuntimeError(f"rule {rule_id} is registered twice")
            table[rule_id] = entry
    return table


@cache
def relating_rules() -> frozenset[str]:
    """The ids reported by checks that read other objects (:attr:`Reads.INDEX`)."""
    return frozenset(
        rule_id
        for entry in registry().values()
        if entry.reads is Reads.INDEX
        for rule_id in entry.rules
    )


@cache
def kinds_read_whole() -> frozenset[str]:
    """The kinds whose objects the checks that read other objects may read whole: those they
    declare (``kinds`` of :func:`check`). A worker sends the parent the other objects of
    built-in kinds without a pod template by their names only (kind, apiVersion, metadata:
    :func:`kpolicy.lint.run.names_only`); the parent keeps every object that runs Pods, every
    CustomResourceDefinition (the schemas of custom kinds) and every custom kind whole."""
    return frozenset(
        kind for entry in registry().values() if entry.reads is Reads.INDEX for kind in entry.kinds
    )
