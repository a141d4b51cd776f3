"""Label selectors as Kubernetes evaluates them.

A workload's ``spec.selector`` is a ``metav1.LabelSelector`` (``matchLabels`` plus
``matchExpressions``) that the controllers turn into a ``labels.Selector`` with
``metav1.LabelSelectorAsSelector``. A Service's ``spec.selector`` is a plain map.

Three cases differ and matter:

* a missing (null) ``LabelSelector`` selects nothing (``labels.Nothing()``);
* an empty ``LabelSelector`` ``{}`` selects everything (``labels.Everything()``), although
  Deployment, ReplicaSet, StatefulSet and DaemonSet validation reject an empty selector
  ("empty selector is invalid for deployment"), so that case only appears in other kinds
  (NetworkPolicy ``podSelector: {}``, PodDisruptionBudget) or in invalid workloads;
* a Service with a null or empty selector map gets no endpoints from the endpoints and
  EndpointSlice controllers (they skip a nil selector, and an empty map does not survive
  storage as anything but nil): it selects nothing, and its endpoints are managed by hand.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from kpolicy.k8s.validation import is_qualified_name, is_valid_label_value
from kpolicy.records import record

__all__ = ["Operator", "Requirement", "Selector", "labels_str"]

# A value's class is tested for dict before ``isinstance(value, Mapping)``: the ABC's check is a
# call of ``ABCMeta.__instancecheck__`` in Python (2,000 instructions, six times the test), and
# a run's every workload, Service and budget has its selectors parsed and matched here.


class Operator(enum.Enum):
    """The label selection operators used here (``k8s.io/apimachinery/pkg/selection``)."""

    EQUALS = "="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


# The members read as module globals where a run reads them often: ``Operator.EQUALS`` is a
# class attribute of an Enum, which Python 3.11 reads through ``EnumType.__getattr__``'s hook (a
# call of ``__getattribute__`` each time, ~150 instructions; thousands of reads in a run's
# selector look-ups)
_EQUALS = Operator.EQUALS
_IN = Operator.IN
_NOT_IN = Operator.NOT_IN
_EXISTS = Operator.EXISTS
_DOES_NOT_EXIST = Operator.DOES_NOT_EXIST
_EQUALITY = (_EQUALS, _IN)  # the operators that a value must equal one of

_EXPRESSION_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


@record(frozen=True)
class Requirement:
    """One ANDed term of a selector (``labels.Requirement``)."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    # follows k8s.io/apimachinery/pkg/labels.Requirement.Matches
    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        operator = self.operator
        if operator in _EQUALITY:
            return present and labels[self.key] in self.values
        if operator is _NOT_IN:
            return not present or labels[self.key] not in self.values
        if operator is _EXISTS:
            return present
        return not present

    # follows k8s.io/apimachinery/pkg/labels.Requirement.String
    def __str__(self) -> str:
        if self.operator is Operator.EXISTS:
            return self.key
        if self.operator is Operator.DOES_NOT_EXIST:
            return f"!{self.key}"
        # values are printed sorted, without changing the requirement itself
        joined = ",".join(sorted(self.values))
        if self.operator is Operator.EQUALS:
            return f"{self.key}={joined}"
        return f"{self.key} {self.operator.value} ({joined})"


@record(frozen=True)
class Selector:
    """A parsed label selector: all requirements must match.

    ``selects_nothing`` marks ``labels.Nothing()``; otherwise an empty ``requirements``
    tuple is ``labels.Everything()``.
    """

    requirements: tuple[Requirement, ...] = ()
    selects_nothing: bool = False

    @classmethod
    def nothing(cls) -> Selector:
        """The selector that matches no labels (``labels.Nothing()``)."""
        return cls((), selects_nothing=True)

    @classmethod
    def everything(cls) -> Selector:
        """The selector that matches all labels (``labels.Everything()``)."""
        return cls(())

    # follows k8s.io/apimachinery/pkg/apis/meta/v1.LabelSelectorAsSelector
    @classmethod
    def from_label_selector(cls, obj: object) -> Selector | None:
        """Parse a ``metav1.LabelSelector`` mapping.

        ``None`` (absent) gives :meth:`nothing`; ``{}`` gives :meth:`everything`. Returns
        ``None`` when the API server would not accept the structure or when
        ``LabelSelectorAsSelector`` would fail: wrong types, an unknown operator, In/NotIn
        without values, Exists/DoesNotExist with values, an invalid key or value. Unknown
        fields (a typo such as ``matchLabel``) are ignored, as the API server drops them;
        :func:`kpolicy.k8s.validation.validate_label_selector` explains the failures.
        """
        if obj is None:
            return cls.nothing()
        if obj.__class__ is not dict and not isinstance(obj, Mapping):
            return None
        match_labels = obj.get("matchLabels")
        expressions = obj.get("matchExpressions")
        if match_labels is None:
            match_labels = {}
        if expressions is None:
            expressions = []
        if (
            match_labels.__class__ is not dict and not isinstance(match_labels, Mapping)
        ) or not isinstance(expressions, list):
            return None
        if not match_labels and not expressions:
            return cls.everything()
        if not expressions:
            return cls._of_pairs(match_labels)
        requirements: list[Requirement] = []
        for key, value in match_labels.items():
            requirement = _new_requirement(key, _EQUALS, [value])
            if requirement is None:
                return None
            requirements.append(requirement)
        for expression in expressions:
            if expression.__class__ is not dict and not isinstance(expression, Mapping):
                return None
            operator = expression.get("operator")
            if not isinstance(operator, str) or operator not in _EXPRESSION_OPERATORS:
                return None
            values = expression.get("values")
            if values is None:
                values = []
            if not isinstance(values, list):
                return None
            key = expression.get("key")
            requirement = _new_requirement(
                "" if key is None else key, _EXPRESSION_OPERATORS[operator], values
            )
            if requirement is None:
                return None
            requirements.append(requirement)
        return cls._of(requirements)

    # follows k8s.io/apimachinery/pkg/labels.SelectorFromValidatedSet, as the endpoints and
    # EndpointSlice controllers build a Service's selector (after skipping a nil one)
    @classmethod
    def from_map(cls, obj: object, *, empty_matches_all: bool = False) -> Selector | None:
        """Parse a plain ``{key: value}`` selector such as a Service's ``spec.selector``.

        ``None`` or ``{}`` selects nothing, the Service semantics; pass
        ``empty_matches_all=True`` for maps where empty means "no constraint" (a pod's
        ``nodeSelector``). Returns ``None`` for a non-mapping, non-string keys or values, or
        invalid label keys or values (which Service validation rejects).
        """
        if obj is None:
            return cls.everything() if empty_matches_all else cls.nothing()
        if obj.__class__ is not dict and not isinstance(obj, Mapping):
            return None
        if not obj:
            return cls.everything() if empty_matches_all else cls.nothing()
        return cls._of_pairs(obj)

    @classmethod
    def of_match_labels(cls, pairs: dict[object, object]) -> Selector | None:
        """``from_label_selector({"matchLabels": pairs})`` of a non-empty ``pairs``, without
        the checks of the whole structure."""
        return cls._of_pairs(pairs)

    @classmethod
    def _of_pairs(cls, pairs: Mapping[object, object]) -> Selector | None:
        """``key=value`` for each pair (None when one is not a valid label), once per distinct
        string pairs: a run parses the same few selectors in workload after workload."""
        items = tuple(pairs.items())
        if not _MEMOISE or cls is not Selector:
            return cls._of_pairs_parsed(items)
        for key, value in items:
            if key.__class__ is not str or value.__class__ is not str:
                return cls._of_pairs_parsed(items)
        try:
            return _PAIRS_PARSED[items]
        except KeyError:
            pass
        if len(_PAIRS_PARSED) >= _MEMO_LIMIT:
            _PAIRS_PARSED.clear()
        found = _PAIRS_PARSED[items] = cls._of_pairs_parsed(items)
        return found

    @classmethod
    def _of_pairs_parsed(cls, items: Iterable[tuple[object, object]]) -> Selector | None:
        requirements: list[Requirement] = []
        for key, value in items:
            requirement = _new_requirement(key, _EQUALS, [value])
            if requirement is None:
                return None
            requirements.append(requirement)
        return cls._of(requirements)

    @classmethod
    def _of(cls, requirements: Iterable[Requirement]) -> Selector:
        # labels.internalSelector.Add sorts by key; ties keep their order (matchLabels first)
        return cls(tuple(sorted(requirements, key=lambda requirement: requirement.key)))

    @property
    def is_empty(self) -> bool:
        """True for :meth:`everything` (``Selector.Empty``)."""
        return not self.selects_nothing and not self.requirements

    # follows k8s.io/apimachinery/pkg/labels.internalSelector.Matches
    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """True when every requirement matches ``labels`` (``None`` means no labels)."""
        if self.selects_nothing:
            return False
        present: Mapping[str, str] = (
            labels if labels.__class__ is dict or isinstance(labels, Mapping) else {}
        )
        return all(requirement.matches(present) for requirement in self.requirements)

    def required_pairs(self) -> dict[str, str]:
        """Label pairs every matching object must carry, for index look-ups.

        A key is included when its first requirement (in key order) is an equality or a
        single-value In, following ``labels.Selector.RequiresExactMatch``. This is a
        necessary condition only: still call :meth:`matches` on the candidates.
        """
        pairs: dict[str, str] = {}
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.key in seen:
                continue
            seen.add(requirement.key)
            if requirement.operator in _EQUALITY and len(requirement.values) == 1:
                pairs[requirement.key] = requirement.values[0]
        return pairs

    # follows k8s.io/apimachinery/pkg/apis/meta/v1.FormatLabelSelector (labels.Selector.String,
    # with "<none>" for an empty result as kubectl prints it)
    def __str__(self) -> str:
        rendered = ",".join(str(requirement) for requirement in self.requirements)
        return rendered or "<none>"


# Selector._of_pairs: the selector of each distinct tuple of string pairs (a Selector is
# immutable), at most this many, then it starts again; tests turn _MEMOISE off to compare
_MEMO_LIMIT = 4096
_MEMOISE = True
_PAIRS_PARSED: dict[tuple[tuple[object, object], ...], Selector | None] = {}


# follows k8s.io/apimachinery/pkg/labels.NewRequirement (the key, value and arity checks)
def _new_requirement(key: object, operator: Operator, values: list[object]) -> Requirement | None:
    if not isinstance(key, str) or is_qualified_name(key):
        return None
    if (operator is _IN or operator is _NOT_IN) and not values:
        return None
    if operator is _EQUALS and len(values) != 1:
        return None
    if (operator is _EXISTS or operator is _DOES_NOT_EXIST) and values:
        return None
    checked: list[str] = []
    for value in values:
        if not isinstance(value, str) or is_valid_label_value(value):
            return None
        checked.append(value)
    return Requirement(key, operator, tuple(checked))


# follows k8s.io/apimachinery/pkg/labels.FormatLabels (labels.Set.String, "<none>" if empty)
def labels_str(labels: object) -> str:
    """Render labels as ``a=1,b=2`` (``key=value`` strings sorted), or ``<none>``."""
    if (labels.__class__ is not dict and not isinstance(labels, Mapping)) or not labels:
        return "<none>"
    return ",".join(sorted(f"{key}={value}" for key, value in labels.items()))
