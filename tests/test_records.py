"""Every ``kpolicy.records.record`` class is the class ``@dataclass`` makes from the same
declaration: signature, representation, equality, hash, frozenness, slots, pickling,
``replace``, ``__match_args__`` and ``__dataclass_params__`` (issue 20: records cost a third of
a dataclass to define, and must not differ in anything else)."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import math
import pickle
import pkgutil
import sys
from typing import Any

import pytest

import kpolicy
from kpolicy import records
from kpolicy.records import RECORDS, field, record
from tests.conftest import ROOT


def _all_records() -> list[type]:
    for module in pkgutil.walk_packages(kpolicy.__path__, "kpolicy."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return list(RECORDS)


def _reference(cls: type) -> type:
    """The class ``@dataclass`` makes from ``cls``'s declaration."""
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    specs = []
    for f in dataclasses.fields(cls):
        options: dict[str, Any] = {
            "init": f.init,
            "repr": f.repr,
            "compare": f.compare,
            "hash": f.hash,
        }
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**options)))
    namespace = {"__post_init__": cls.__post_init__} if hasattr(cls, "__post_init__") else {}
    made = dataclasses.make_dataclass(
        cls.__name__,
        specs,
        namespace=namespace,
        init=params.init,
        repr=params.repr,
        eq=params.eq,
        frozen=params.frozen,
        slots="__slots__" in cls.__dict__,
    )
    made.__qualname__ = cls.__qualname__
    made.__module__ = cls.__module__
    return made


def _arguments(cls: type, changed: str | None = None) -> dict[str, Any]:
    """Distinct values for the fields ``__init__`` takes (one of them changed)."""
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    return {
        name: (index + 100 if name == changed else index + 1) for index, name in enumerate(names)
    }


@record(frozen=True, slots=True)
class _Every:
    """The field options records support, each once (``dataclasses.field`` is read too)."""

    plain: int
    hidden: int = field(default=2, repr=False)
    ignored: int = field(default=3, compare=False)
    unhashed: int = dataclasses.field(default=4, hash=False)
    made: dict[str, int] = field(default_factory=dict)
    later: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "later", (*self.later, self.plain))


@record
class _Mutable:  # no docstring: @dataclass writes one
    value: int
    other: list[int] = dataclasses.field(default_factory=list)


RECORD_CLASSES = _all_records()


def test_records_are_found() -> None:
    from kpolicy.model import Diagnostic, KObject, Span

    assert {Span, Diagnostic, KObject, _Every, _Mutable} <= set(RECORD_CLASSES)
    assert _Mutable.__doc__ == "_Mutable(value: 'int', other: 'list[int]' = <factory>)"
    assert _Every(1).later == (1,) and _Every(1).made == {}


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_record_is_the_dataclass(cls: type) -> None:
    ref = _reference(cls)
    assert repr(cls.__dataclass_params__) == repr(ref.__dataclass_params__)  # type: ignore[attr-defined]
    # a docstring of its own, or the signature @dataclass writes when there is none
    assert cls.__doc__ == ref.__doc__ or not (cls.__doc__ or "").startswith(f"{cls.__name__}(")
    assert cls.__match_args__ == ref.__match_args__  # type: ignore[attr-defined]
    assert getattr(cls, "__slots__", None) == getattr(ref, "__slots__", None)
    mine, theirs = inspect.signature(cls), inspect.signature(ref)
    # a default_factory's default shows as <factory> (a sentinel of each module)
    assert [(p.name, p.kind, repr(p.default), p.annotation) for p in mine.parameters.values()] == [
        (p.name, p.kind, repr(p.default), p.annotation) for p in theirs.parameters.values()
    ]
    assert cls.__init__.__annotations__ == ref.__init__.__annotations__  # type: ignore[misc]
    args = _arguments(cls)
    try:
        other = ref(**args)
    except Exception as exc:  # a __post_init__ that needs real values: it fails alike
        with pytest.raises(type(exc)):
            cls(**args)
        return
    one = cls(**args)
    assert repr(one) == repr(other)
    assert (one == cls(**args)) == (other == ref(**args))
    assert one != other and other != one  # another class: compared by identity
    assert (cls.__hash__ is None) == (ref.__hash__ is None)
    if ref.__hash__ is not None and ref.__dataclass_params__.eq:  # type: ignore[attr-defined]
        assert hash(one) == hash(other)
        assert hash(one) == hash(cls(**args))
    for name in args:
        changed = _arguments(cls, name)
        assert (one == cls(**changed)) == (other == ref(**changed)), name
        assert (one != cls(**changed)) == (other != ref(**changed)), name
        if ref.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            for target in (one, other):
                with pytest.raises(dataclasses.FrozenInstanceError):
                    setattr(target, name, 0)
                with pytest.raises(dataclasses.FrozenInstanceError):
                    delattr(target, name)
        else:
            setattr(one, name, 7)
            assert getattr(one, name) == 7
            setattr(one, name, args[name])
    again = dataclasses.replace(one)
    assert again == one or not ref.__dataclass_params__.eq  # type: ignore[attr-defined]
    assert dataclasses.astuple(again) == dataclasses.astuple(other)
    if "<locals>" not in cls.__qualname__:
        copied = pickle.loads(pickle.dumps(one, protocol=pickle.HIGHEST_PROTOCOL))
        assert dataclasses.astuple(copied) == dataclasses.astuple(one)


def test_record_equality_is_the_tuples() -> None:
    """A NaN in a field: the same object compares equal (tuple identity), as in dataclasses."""

    @record(frozen=True)
    class One:
        value: float

    @dataclasses.dataclass(frozen=True)
    class Reference:
        value: float

    nan = math.nan
    assert (One(nan) == One(nan)) == (Reference(nan) == Reference(nan))
    assert (One(nan) == One(float("nan"))) == (Reference(nan) == Reference(float("nan")))
    assert hash(One(nan)) == hash(Reference(nan))


def test_record_repr_of_a_cycle() -> None:
    @record(eq=False)
    class Node:
        other: Any = None

    node = Node()
    node.other = node
    assert repr(node) == "test_record_repr_of_a_cycle.<locals>.Node(other=...)"


def test_record_refuses_a_class_with_its_own_methods() -> None:
    with pytest.raises(TypeError, match="defines __eq__"):

        @record(frozen=True)
        class Custom:
            value: int

            def __eq__(self, other: object) -> bool:
                return True

            __hash__ = object.__hash__


def test_record_docstring_with_annotations_that_are_types() -> None:
    """Outside ``from __future__ import annotations`` the signature in the docstring names
    the types as inspect does."""
    source = (
        "class Plain:\n    value: int\n    name: str = 'x'\n    extra: 'list[int] | None' = None\n"
    )
    mine: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    # compiled without this module's postponed annotations
    code = compile(source, "<plain>", "exec", dont_inherit=True)
    exec(code, mine)
    exec(code, theirs)
    made = record(frozen=True)(mine["Plain"])
    reference = dataclasses.dataclass(frozen=True)(theirs["Plain"])
    assert (
        made.__doc__
        == reference.__doc__
        == "Plain(value: int, name: str = 'x', extra: 'list[int] | None' = None)"
    )


def test_init_is_made_on_first_read_from_its_shape_code() -> None:
    """A record's ``__init__`` is made when first read (a one-file lint never makes half of
    its records), from the code its shape shares with other records: the same code object's
    instructions, with each record's own names."""
    from kpolicy import records

    @record(frozen=True, slots=True)
    class Left:
        a: int
        b: str = "b"
        c: list[int] = field(default_factory=list)

    @record(frozen=True, slots=True)
    class Right:
        x: int
        y: str = "y"
        z: list[int] = field(default_factory=list)

    assert isinstance(Left.__dict__["__init__"], records._LazyInit)
    shapes = dict(records._SHAPES)
    left, right = Left(1), Right(2, z=[3])
    assert not isinstance(Left.__dict__["__init__"], records._LazyInit)
    assert (left.a, left.b, left.c, right.x, right.y, right.z) == (1, "b", [], 2, "y", [3])
    assert Left(1).c is not left.c
    assert Left.__init__.__code__.co_code == Right.__init__.__code__.co_code
    assert Left.__init__.__code__.co_varnames == ("self", "a", "b", "c")
    assert Right.__init__.__code__.co_varnames == ("self", "x", "y", "z")
    assert len(records._SHAPES) - len(shapes) <= 1  # one shape, compiled once at most
    with pytest.raises(TypeError):
        Right(1, q=2)


@pytest.mark.parametrize(
    "cls",
    [
        c
        for c in RECORD_CLASSES
        if "__slots__" in c.__dict__ and c.__dataclass_params__.frozen  # type: ignore[attr-defined]
    ],
    ids=lambda c: f"{c.__module__}.{c.__qualname__}",
)
def test_frozen_record_state_is_the_dataclass_state(cls: type) -> None:
    """A frozen record with slots pickles as the data class does: ``__getstate__`` is the list
    of every field's value in order, and ``__setstate__`` (straight-line code per field count,
    kpolicy.records._state_method) sets every field from it, each to its own value, also on a
    record made without ``__init__`` (as unpickling makes it), and from the state of the data
    class itself; a shorter state sets the fields it holds, as dataclasses does."""
    ref = _reference(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    values = [object() for _ in names]  # distinct, and no __post_init__ runs on unpickling
    blank: Any = object.__new__(cls)
    blank.__setstate__(values)
    assert [getattr(blank, name) for name in names] == values
    assert blank.__getstate__() == values
    theirs: Any = object.__new__(ref)
    theirs.__setstate__(values)
    assert theirs.__getstate__() == blank.__getstate__()
    if names:
        short: Any = object.__new__(cls)
        short.__setstate__(values[:-1])
        assert [getattr(short, name) for name in names[:-1]] == values[:-1]
        with pytest.raises(AttributeError):
            getattr(short, names[-1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(blank, names[0] if names else "other", 0)


def test_record_state_round_trip_keeps_defaults_and_factories() -> None:
    """Every field of a record with defaults, factories and ``__post_init__`` comes back from a
    pickle, and the state methods of two records with as many fields share their code."""
    one = _Every(1, unhashed=9, made={"a": 1})
    copied = pickle.loads(pickle.dumps(one, protocol=pickle.HIGHEST_PROTOCOL))
    assert [getattr(copied, f.name) for f in dataclasses.fields(_Every)] == [
        1,
        2,
        3,
        9,
        {"a": 1},
        (1,),
    ]

    @record(frozen=True, slots=True)
    class Other:
        a: int
        b: str
        c: float
        d: int = 4
        e: tuple[int, ...] = field(default_factory=tuple)
        f: bytes = b""

    assert copy.copy(Other(1, "b", 3.0)) == Other(1, "b", 3.0)
    for method in ("__getstate__", "__setstate__"):
        assert getattr(Other, method).__code__.co_code == getattr(_Every, method).__code__.co_code


def test_the_stored_shapes_are_up_to_date() -> None:
    """After adding a record of a new shape: python tools/gen_record_shapes.py (`make docs`)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from gen_record_shapes import every_record_shape

    from kpolicy import records

    text = (ROOT / "kpolicy" / "_record_shapes.py").read_text(encoding="utf-8")
    assert text == records.shapes_module(every_record_shape())


def test_a_stored_shape_is_the_code_its_text_compiles_to() -> None:
    from kpolicy import records
    from kpolicy._record_shapes import SHAPES

    assert SHAPES
    for key, function in SHAPES.items():
        namespace: dict[str, Any] = {}
        exec(records._shape_source(key), {}, namespace)
        compiled = namespace["__init__"].__code__
        stored = function.__code__
        assert stored.co_code == compiled.co_code, key
        assert stored.co_names == compiled.co_names, key
        assert stored.co_varnames == compiled.co_varnames, key
        assert stored.co_consts == compiled.co_consts, key
        assert stored.co_argcount == compiled.co_argcount, key


def test_a_record_of_many_fields_is_made_through_an_open_twin_of_its_class() -> None:
    """The class-swapping ``__init__`` (records.SWAP_FIELDS fields or more, frozen with slots)
    makes what the slot setters' ``__init__`` makes; a subclass's instance goes through the
    setters and stays of its class."""
    from kpolicy.model import Diagnostic, ObjectRef, Severity, Span

    assert len(records.fields(Diagnostic)) >= records.SWAP_FIELDS
    span = Span(1, 2, 3, 4)
    ref = ObjectRef("v1", "Pod", None, "p")
    made = Diagnostic("r", Severity.ERROR, "m", "f", span, "/a", ref, rejects=True)
    assert "__open" in Diagnostic.__init__.__globals__  # the swapping shape was taken
    assert type(made) is Diagnostic and type(span) is Span
    assert (made.rule, made.span, made.object, made.related, made.rejects, made.found_at) == (
        "r",
        span,
        ref,
        (),
        True,
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.rule = "x"  # type: ignore[misc]
    by_setters = Diagnostic.__init__.__globals__["__by_setters"]
    other = object.__new__(Diagnostic)
    by_setters(
        other, "r", Severity.ERROR, "m", "f", span, "/a", ref, (), None, None, True, None, None
    )
    assert other == made and repr(other) == repr(made)

    class Sub(Diagnostic):
        __slots__ = ()

    sub = Sub("r", Severity.ERROR, "m", "f", span, "/a", ref, rejects=True)
    assert type(sub) is Sub
    assert records.fields(sub) == records.fields(made)
    assert [getattr(sub, f.name) for f in records.fields(sub)] == [
        getattr(made, f.name) for f in records.fields(made)
    ]


def test_a_records_docstring_is_made_when_first_read() -> None:
    """The docstring of a record without one is made on first read (never on the lint path),
    the same from the class or an instance, then kept on the class."""

    @record(frozen=True, slots=True)
    class Lazy:
        value: int
        name: str = "x"

    assert type(Lazy.__dict__["__doc__"]).__name__ == "_LazyDoc"
    assert Lazy(1).__doc__ == "Lazy(value: 'int', name: 'str' = 'x')"
    assert Lazy.__dict__["__doc__"] == Lazy.__doc__ == Lazy(2).__doc__

    @record()
    class Documented:
        """Its own."""

        value: int

    assert Documented.__doc__ == "Its own."
    assert dataclasses.fields(Lazy)[0].name == "value"
    assert [f.name for f in dataclasses.fields(Documented)] == ["value"]


def test_a_records_repr_eq_and_hash_are_made_when_first_used() -> None:
    """__repr__, __eq__ and __hash__ are made on first use (from the class, an instance or a
    subclass's instance), then kept on the class, and behave as @dataclass's."""

    @record(frozen=True, slots=True)
    class Lazy:
        value: int
        name: str = field(default="x", compare=False)

    class Sub(Lazy):
        __slots__ = ()

    for name in ("__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        assert type(Lazy.__dict__[name]).__name__ == "_LazyMethod"
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'value'"):
        Sub(1).value = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'name'"):
        del Lazy(1).name
    with pytest.raises(dataclasses.FrozenInstanceError):
        Lazy(1).other = 2  # type: ignore[attr-defined]
    assert Lazy.__dict__["__setattr__"].__qualname__.endswith("<locals>.Lazy.__setattr__")
    assert Sub(1, "a") == Sub(1, "b") and Lazy(1) != Sub(1) and Lazy(1) != Lazy(2)
    assert hash(Sub(1, "a")) == hash(Lazy(1, "b")) == hash((1,))
    assert (
        repr(Sub(3))
        == "test_a_records_repr_eq_and_hash_are_made_when_first_used.<locals>.Sub(value=3, name='x')"
    )
    for name in ("__repr__", "__eq__", "__hash__", "__delattr__"):
        made = Lazy.__dict__[name]
        assert made.__qualname__.endswith(f"<locals>.Lazy.{name}")
        assert getattr(Lazy, name) is made

    @record(frozen=True)
    class Other:
        value: int

    assert Other.__hash__ is Other.__dict__["__hash__"]  # read from the class: made
    assert {Other(1): 1}[Other(1)] == 1

    @record()
    class Open:
        value: int

    assert Open.__hash__ is None and Open(1) == Open(1)
