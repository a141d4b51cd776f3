"""``record``: ``@dataclass`` with the same result, defined in a fraction of the time.

``@dataclass`` compiles every method it writes from source text (``exec``, about 0.1 ms a
method): a frozen data class costs 0.5-0.8 ms to define, and the sixty-odd classes that a
one-file ``kpolicy lint`` imports were a quarter of its start-up. ``@record(frozen=True,
slots=True)`` makes the class that ``@dataclass(frozen=True, slots=True)`` makes: the same
fields, ``__init__`` (still written by :mod:`dataclasses`), ``__match_args__``, slots,
``__dataclass_params__``, ``fields``/``replace``/``asdict``, and for mypy it *is*
``dataclasses.dataclass``. Only the methods that are the same for every class are not
compiled per class but are functions over the class's field names, doing what the generated
code does:

- ``__repr__``: ``Name(field=value!r, ...)`` over the fields with ``repr=True``, ``...`` on
  recursion;
- ``__eq__``: the tuples of the fields with ``compare=True`` when the other object is of the
  same class, else ``NotImplemented``; ``__hash__``: the hash of that tuple (fields with
  ``hash=True``, or ``compare=True`` when it is None) when frozen, None (unhashable) when not;
- frozen: ``__setattr__``/``__delattr__`` refuse a field with :class:`FrozenInstanceError`,
  and a frozen class with slots pickles through ``__getstate__``/``__setstate__``.

``init=False``, ``order``, ``unsafe_hash``, ``kw_only`` and the like are not offered (no
class here uses them). ``tests/test_records.py`` holds every record to the class
``@dataclass`` makes from the same declaration.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any

__all__ = ["RECORDS", "record"]

# every class made a record, for tests/test_records.py
RECORDS: list[type] = []


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the attributes ``names`` of an object (attrgetter gives the bare value for
    one name, and ``(x,) == (y,)`` and ``x == y`` differ for a NaN, as their hashes do)."""
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    if not names:
        return lambda obj: ()
    getter: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)
    return getter


class _Factory:
    """The default a field with a ``default_factory`` shows in ``__init__``'s signature."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _init(cls: type, declared: tuple[Field[Any], ...], frozen: bool) -> Any:
    """``__init__`` as :mod:`dataclasses` writes it (``_init_fn``): the fields in order, a
    default or ``<factory>`` for those that have one, each value set (through
    ``object.__setattr__`` when frozen), then ``__post_init__`` when the class has one. One
    function compiled, where ``@dataclass`` compiles three for a frozen class."""
    env: dict[str, Any] = {"__object_setattr": object.__setattr__, "__factory": _FACTORY}
    params: list[str] = []
    body: list[str] = []
    annotations: dict[str, Any] = {}
    if len(declared) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__qualname__}: no ClassVar or InitVar in a record")
    for f in declared:
        name = f.name
        if f.default_factory is not MISSING:
            env[f"__dflt_{name}"] = f.default_factory
            if f.init:
                params.append(f"{name}=__factory")
                value = f"__dflt_{name}() if {name} is __factory else {name}"
            else:
                value = f"__dflt_{name}()"
        elif f.default is not MISSING:
            env[f"__dflt_{name}"] = f.default
            if f.init:
                params.append(f"{name}=__dflt_{name}")
            value = name if f.init else f"__dflt_{name}"
        elif f.init:
            params.append(name)
            value = name
        else:
            continue
        if f.init:
            annotations[name] = f.type
        if frozen:
            body.append(f"    __object_setattr(self, {name!r}, {value})")
        else:
            body.append(f"    self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass")
    namespace: dict[str, Any] = {}
    exec(source, env, namespace)  # noqa: S102 - our own text, from the fields names
    init = namespace["__init__"]
    annotations["return"] = None
    init.__annotations__ = annotations
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _signature_text(cls: type) -> str:
    """``str(inspect.signature(cls))`` less `` -> None``, as ``@dataclass`` writes it into the
    docstring of a class without one: the ``__init__`` parameters with their annotations and
    defaults as ``repr``s. Written here for annotations that are strings (``from __future__
    import annotations``, every module of kpolicy): inspect's Signature objects cost more."""
    declared = [f for f in fields(cls) if f.init]
    if not all(isinstance(f.type, str) for f in declared):
        import inspect

        return str(inspect.signature(cls)).replace(" -> None", "")
    parts = []
    for f in declared:
        text = f"{f.name}: {f.type!r}"
        if f.default_factory is not MISSING:
            text += " = <factory>"
        elif f.default is not MISSING:
            text += f" = {f.default!r}"
        parts.append(text)
    return f"({', '.join(parts)})"


def _methods(
    cls: type, init: bool, eq: bool, repr_: bool, frozen: bool, slots: bool
) -> dict[str, Any]:
    declared = fields(cls)
    names = tuple(f.name for f in declared)
    methods: dict[str, Any] = {}
    if init:
        methods["__init__"] = _init(cls, declared, frozen)
    if repr_:
        shown = tuple(f.name for f in declared if f.repr)

        @reprlib.recursive_repr()
        def __repr__(self: Any) -> str:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
            return f"{self.__class__.__qualname__}({inner})"

        methods["__repr__"] = __repr__
    if eq:
        compared = _values(tuple(f.name for f in declared if f.compare))

        def __eq__(self: Any, other: object) -> bool:
            if other.__class__ is self.__class__:
                return compared(self) == compared(other)
            return NotImplemented

        methods["__eq__"] = __eq__
        if frozen:
            hashed = _values(
                tuple(f.name for f in declared if (f.compare if f.hash is None else f.hash))
            )

            def __hash__(self: Any) -> int:
                return hash(hashed(self))

            methods["__hash__"] = __hash__
        else:
            methods["__hash__"] = None
    if frozen:
        protected = frozenset(names)
        owner: Any = cls

        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is owner or name in protected:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(owner, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is owner or name in protected:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(owner, self).__delattr__(name)

        methods["__setattr__"] = __setattr__
        methods["__delattr__"] = __delattr__
        if slots:
            state = _values(names)

            def __getstate__(self: Any) -> list[Any]:
                return list(state(self))

            def __setstate__(self: Any, values: list[Any]) -> None:
                for name, value in zip(names, values, strict=False):
                    object.__setattr__(self, name, value)

            methods["__getstate__"] = __getstate__
            methods["__setstate__"] = __setstate__
    return methods


def _record(
    cls: type | None = None,
    /,
    *,
    init: bool = True,
    repr: bool = True,
    eq: bool = True,
    frozen: bool = False,
    slots: bool = False,
) -> Any:
    if not init:
        raise TypeError("a record makes its __init__ (init=False is not offered)")

    def wrap(cls: type) -> type:
        for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
            if name in cls.__dict__:
                raise TypeError(f"{cls.__qualname__} defines {name}: declare it a dataclass")
        # a class without a docstring gets its signature as one (as @dataclass gives it), read
        # once __init__ is there: dataclass would read object's, which costs a tokenizer
        undocumented = not getattr(cls, "__doc__", None)
        if undocumented:
            cls.__doc__ = "-"
        made: type = dataclass(cls, init=False, repr=False, eq=False, frozen=False, slots=slots)
        for name, method in _methods(made, init, eq, repr, frozen, slots).items():
            if method is not None:
                method.__qualname__ = f"{made.__qualname__}.{name}"
            setattr(made, name, method)
        if undocumented:
            made.__doc__ = made.__name__ + _signature_text(made)
        params = made.__dataclass_params__  # type: ignore[attr-defined]
        params.init, params.repr, params.eq, params.frozen = init, repr, eq, frozen
        RECORDS.append(made)
        return made

    return wrap if cls is None else wrap(cls)


if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:
    record = _record
