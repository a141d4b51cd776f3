"""Regular expressions that come from the input: bounded, compiled once, ECMA-262-like.

Policies, rule files and CustomResourceDefinitions carry JSON Schema ``pattern`` and
``patternProperties`` regular expressions. Any of them may be hostile (``^(a|a)*$`` on a few
dozen characters backtracks for longer than the universe is old), so none of them runs on
Python's ``re``. They run on the ``regex`` package, with ``timeout=`` on every match.

Why ``regex`` and not Google RE2 (``google-re2``):

* JSON Schema specifies ECMA-262 regular expressions, and policies use what ECMA-262 has and
  RE2 refuses: lookahead (``^(?!.*:latest$)``, the usual way to forbid a tag), lookbehind and
  backreferences. With RE2 such a valid policy could not run at all.
* ``timeout=`` is checked inside the matcher's loop, so it bounds every pattern in wall-clock
  time, including those RE2 could not compile; RE2's own bound (linear time) holds only for
  the patterns it accepts, with a cost that still grows with the size of the compiled program.
* Semantics are brought close to ECMA-262, which is also what Go's ``regexp`` (the API server's
  engine for a CRD's ``pattern``) does on these points: ``\\d``, ``\\w`` and ``\\b`` are ASCII
  (the ``ASCII`` flag), and ``$`` matches at the very end of the text only, not before a final
  newline as Python's does (it is rewritten as ``\\Z``, unless the pattern turns on multi-line
  mode). What stays different: ``\\s`` is ASCII (Go's too; ECMA-262 adds Unicode spaces).
* Measured on a typical ``pattern`` and value, a search with a timeout costs ~2.4 µs with
  ``regex`` and ~3.7 µs through RE2's Python binding (which also logs to stderr when a pattern
  does not compile); a verdict already seen for the same short value costs a dict look-up.

Bounds: each match may take :data:`MATCH_TIMEOUT` seconds, and all matching in one run (per
process) :data:`RUN_BUDGET` seconds. A pattern that timed out is not run again in that run.
Either way :class:`PatternTimeout` is raised, and the caller reports ``policy-pattern-timeout``
naming the pattern and where it came from, instead of a verdict it could not reach.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

__all__ = [
    "MATCH_TIMEOUT",
    "PATTERN_TIMEOUT",
    "RUN_BUDGET",
    "BoundedPattern",
    "PatternError",
    "PatternTimeout",
    "bounded_validator",
    "compile_pattern",
    "path_of_value",
    "start_run",
]

PATTERN_TIMEOUT: Final = "policy-pattern-timeout"  # the rule id of a pattern that timed out
MATCH_TIMEOUT: Final = 0.25  # seconds for one match
RUN_BUDGET: Final = 10.0  # seconds for all user patterns of one run, in one process
_MEMO_VALUE_LENGTH: Final = 256  # verdicts on values up to this length are remembered
_MEMO_SIZE: Final = 4096  # per pattern
# The patterns of the bundled rules (rules/*.yaml), which every default run compiles. Each has
# no nested or overlapping repetition, so it matches in linear time on Python's ``re``, with the
# same meaning as on ``regex`` (ASCII classes, ``$`` as ``\Z``): they run there without a time
# bound, and a run whose inputs bring no other pattern never imports ``regex`` (15 ms of a
# one-file run). ``tests/test_patterns.py`` holds this set to the rule files, and ``re`` to
# ``regex`` on them.
BUNDLED_LINEAR: Final = frozenset({r"^(?:[^@]*/)?[^/:@]+(?::latest)?$"})


class PatternError(ValueError):
    """The text is not a regular expression (or one this engine cannot compile)."""


class PatternTimeout(Exception):
    """A user pattern was not evaluated to the end on ``value`` within the bounds."""

    def __init__(self, pattern: str, value: str, reason: str) -> None:
        super().__init__(f"pattern {pattern!r} {reason}")
        self.pattern = pattern
        self.value = value
        self.reason = reason  # "timed out after 0.25 s", ...
        self.path: tuple[str | int, ...] | None = None  # from the validated value, when known


class _RunState:
    """What bounds one run: the time spent so far and the patterns that timed out.

    Module state, on purpose: the bound must hold across every schema and policy of a run,
    including jsonschema's keyword functions, which receive no context. ``start_run`` resets
    it (the CLI and the language server call it through the lint pipeline); forked workers
    start from their parent's state and each keeps its own.
    """

    __slots__ = ("spent", "timed_out")

    def __init__(self) -> None:
        self.spent = 0.0
        self.timed_out: set[str] = set()


_STATE = _RunState()


def start_run() -> None:
    """Reset the run's budget and forget which patterns timed out."""
    _STATE.spent = 0.0
    _STATE.timed_out.clear()


def _translate(source: str) -> str:
    """``$`` outside a character class becomes ``\\Z`` (end of text), as in ECMA-262 and Go,
    unless the pattern enables multi-line mode (``(?m)``), where ``$`` ends each line."""
    if "$" not in source or re.search(r"\(\?[a-zA-Z]*m", source):
        return source
    out: list[str] = []
    index, size, in_class = 0, len(source), False
    while index < size:
        char = source[index]
        if char == "\\":
            out.append(source[index : index + 2])
            index += 2
            continue
        if in_class:
            if source.startswith("[:", index):  # a POSIX class [:alpha:] inside a set
                end = source.find(":]", index + 2)
                if end >= 0:
                    out.append(source[index : end + 2])
                    index = end + 2
                    continue
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            start = index
            index += 1
            if index < size and source[index] == "^":
                index += 1
            if index < size and source[index] == "]":  # a leading ] is a literal
                index += 1
            out.append(source[start:index])
            continue
        elif char == "$":
            out.append(r"\Z")
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


class BoundedPattern:
    """One compiled user pattern; :meth:`search` is ``re.search`` with the bounds above."""

    __slots__ = ("_linear", "_memo", "_search", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._memo: dict[str, bool] = {}
        self._linear: Callable[[str], object] | None = None
        if source in BUNDLED_LINEAR:
            self._linear = re.compile(_translate(source), re.ASCII).search
            return
        import regex  # only user patterns need it: not imported at start-up

        try:
            compiled = regex.compile(_translate(source), regex.ASCII)
        except (regex.error, ValueError, TypeError, OverflowError, RecursionError) as exc:
            raise PatternError(f"{source!r} is not a valid regular expression ({exc})") from None
        self._search = compiled.search

    def search(self, text: str) -> bool:
        """Whether the pattern matches somewhere in ``text``; raises :class:`PatternTimeout`."""
        if self._linear is not None:
            return self._linear(text) is not None
        memo = self._memo
        found = memo.get(text)
        if found is not None:
            return found
        state = _STATE
        if self.source in state.timed_out:
            raise PatternTimeout(self.source, text, "timed out earlier in this run")
        allowed = min(MATCH_TIMEOUT, RUN_BUDGET - state.spent)
        if allowed <= 0:
            raise PatternTimeout(
                self.source, text, f"was not run: the run's {RUN_BUDGET:g} s for patterns is spent"
            )
        start = time.perf_counter()
        try:
            found = self._search(text, timeout=allowed) is not None
        except TimeoutError:
            state.timed_out.add(self.source)
            raise PatternTimeout(self.source, text, f"timed out after {allowed:g} s") from None
        finally:
            state.spent += time.perf_counter() - start
        if len(text) <= _MEMO_VALUE_LENGTH:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[text] = found
        return found


@lru_cache(maxsize=4096)
def _compile(source: str) -> BoundedPattern | PatternError:
    try:
        return BoundedPattern(source)
    except PatternError as exc:
        return exc


def compile_pattern(source: object) -> BoundedPattern:
    """The bounded pattern of ``source``, compiled once per distinct text; raises
    :class:`PatternError` for anything that is not a valid regular expression."""
    if not isinstance(source, str):
        raise PatternError(f"{source!r} is not a string")
    compiled = _compile(source)
    if isinstance(compiled, PatternError):
        raise compiled
    return compiled


def path_of_value(root: object, value: str, limit: int = 2_000_000) -> tuple[str | int, ...]:
    """The path of the first string equal to ``value`` in ``root`` (depth first, in order),
    or ``()``; used to place a finding when a keyword function could not say where it was."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(root, ())]
    seen: set[int] = set()
    visited = 0
    while stack and visited < limit:
        node, path = stack.pop()
        visited += 1
        if isinstance(node, str):
            if node == value:
                return path
            continue
        if id(node) in seen:
            continue
        if isinstance(node, dict):
            seen.add(id(node))
            for key, child in reversed(list(node.items())):
                if isinstance(key, str) and key == value:
                    return (*path, key)
                stack.append((child, (*path, str(key))))
        elif isinstance(node, list):
            seen.add(id(node))
            for position in range(len(node) - 1, -1, -1):
                stack.append((node[position], (*path, position)))
    return ()


# ---------------------------------------------------------------------------------------
# jsonschema with bounded patterns


def _search(source: object, text: str) -> bool:
    # a pattern that does not compile raises PatternError, as jsonschema lets re.error escape:
    # the callers treat an exception from a user schema as "not validated"
    return compile_pattern(source).search(text)


def _pattern(validator: Any, source: Any, instance: Any, schema: Any) -> Iterator[Any]:
    # jsonschema/_keywords.py: pattern
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _search(source, instance):
        yield ValidationError(f"{instance!r} does not match {source!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    # jsonschema/_keywords.py: patternProperties
    if not validator.is_type(instance, "object"):
        return
    for source, subschema in patterns.items():
        for key, value in instance.items():
            if isinstance(key, str) and _search(source, key):
                yield from validator.descend(value, subschema, path=key, schema_path=source)


def _additional(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> Iterator[str]:
    # jsonschema/_utils.py: find_additional_properties, each pattern bounded on its own
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    for key in instance:
        if key in properties:
            continue
        if patterns and isinstance(key, str) and any(_search(p, key) for p in patterns):
            continue
        yield key


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    # jsonschema/_keywords.py: additionalProperties
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    extras = set(_additional(instance, schema))
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            names = sorted(extras, key=str)
            verb = "was" if len(names) == 1 else "were"
            listed = ", ".join(repr(name) for name in names)
            yield ValidationError(
                f"Additional properties are not allowed ({listed} {verb} unexpected)"
            )


def _regex_format(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    compile_pattern(instance)
    return True


@lru_cache(maxsize=16)
def bounded_validator(cls: Any) -> Any:
    """The jsonschema validator class ``cls`` with ``pattern``, ``patternProperties`` and
    ``additionalProperties`` matching through :func:`compile_pattern`, and a format checker
    whose ``regex`` format compiles with it too (a pattern this engine cannot run is invalid).

    ``unevaluatedProperties`` still matches ``patternProperties`` with Python's ``re``: schemas
    that combine the two are refused by :func:`has_unbounded_patterns`' callers.
    """
    from jsonschema import FormatChecker
    from jsonschema.validators import extend

    bounded = extend(
        cls,
        {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )
    checker = FormatChecker()
    checker.checkers.pop("regex", None)
    checker.checks("regex", raises=PatternError)(_regex_format)
    bounded.FORMAT_CHECKER = checker
    return bounded


def has_unbounded_patterns(schema: object) -> bool:
    """Whether jsonschema would match one of the schema's patterns with Python's ``re``: a
    ``patternProperties`` in a schema that also uses ``unevaluatedProperties``."""
    found = {"patternProperties": False, "unevaluatedProperties": False}
    stack = [schema]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if key in found:
                    found[key] = True
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return all(found.values())
