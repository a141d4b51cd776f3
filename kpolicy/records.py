"""``record``: ``@dataclass`` with the same result, defined in a fraction of the time, without
importing :mod:`dataclasses`.

``@dataclass`` compiles every method it writes from source text (``exec``, about 0.1 ms a
method): a frozen data class costs 0.5-0.8 ms to define, and the sixty-odd classes that a
one-file ``kpolicy lint`` imports were a quarter of its start-up; importing :mod:`dataclasses`
itself costs 7 ms more (it imports :mod:`inspect`, and with it ast, dis and tokenize).
``@record(frozen=True, slots=True)`` makes the class that ``@dataclass(frozen=True,
slots=True)`` makes: the same fields, ``__init__``, ``__match_args__``, slots, docstring, and
for mypy it *is* ``dataclasses.dataclass`` (as :func:`field`, :func:`fields` and
:func:`replace` are :mod:`dataclasses`' own). Only ``__init__`` is made per class, when it is
first read (the first instance), from code compiled once per shape (frozen, field count, the
fields with a factory, ``__post_init__``) and given the class's names; the methods that are the
same for every class are functions over the class's field names, doing what the generated code
does:

- ``__repr__``: ``Name(field=value!r, ...)`` over the fields with ``repr=True``, ``...`` on
  recursion;
- ``__eq__``: the tuples of the fields with ``compare=True`` when the other object is of the
  same class, else ``NotImplemented``; ``__hash__``: the hash of that tuple (fields with
  ``hash=True``, or ``compare=True`` when it is None) when frozen, None (unhashable) when not;
- frozen: ``__setattr__``/``__delattr__`` refuse a field with
  :class:`dataclasses.FrozenInstanceError`, and a frozen class with slots pickles through
  ``__getstate__``/``__setstate__``, made (as ``__init__``) when first read, from code
  compiled once per field count.

:mod:`dataclasses`' functions work on records too (``dataclasses.fields``, ``replace``,
``asdict``, ``is_dataclass``): a record's ``__dataclass_fields__`` and ``__dataclass_params__``
are made, through :mod:`dataclasses`, the first time something reads them. Code on the lint
path calls this module's :func:`replace` and :func:`fields`, which need neither.

No base classes (a record derives from ``object``), no ``ClassVar`` or ``InitVar``, and no
``init=False``, ``order``, ``unsafe_hash``, ``kw_only``, ``metadata``. ``tests/test_records.py``
holds every record to the class ``@dataclass`` makes from the same declaration.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable
from operator import attrgetter
from types import CodeType, FunctionType

__all__ = ["RECORDS", "field", "fields", "record", "replace"]

# every class made a record, for tests/test_records.py
RECORDS: list[type] = []


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()  # no default (dataclasses.MISSING, without importing dataclasses)


class _Field:
    """One field of a record: what ``dataclasses.field`` takes, with its name and type."""

    __slots__ = ("compare", "default", "default_factory", "hash", "init", "name", "repr", "type")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        init: bool = True,
        repr: bool = True,
        hash: bool | None = None,
        compare: bool = True,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        if not init:
            raise TypeError("a record's fields are all parameters of __init__ (init=True)")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare


def _field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
) -> Any:
    """``dataclasses.field`` for a record."""
    return _Field(default, default_factory, True, repr, hash, compare)


def _fields(obj: Any) -> tuple[Any, ...]:
    """``dataclasses.fields``: of a record, its own field descriptions (``name``, ``type``,
    ``default``, ``default_factory``, ``init``, ``repr``, ``hash``, ``compare``)."""
    declared = getattr(obj, "__record_fields__", None)
    if declared is None:
        import dataclasses

        return dataclasses.fields(obj)
    return declared  # type: ignore[no-any-return]


def _replace(obj: Any, /, **changes: Any) -> Any:
    """``dataclasses.replace``: a copy of ``obj`` with ``changes``."""
    declared = getattr(type(obj), "__record_fields__", None)
    if declared is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)
    for f in declared:
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def _frozen_error(message: str) -> Exception:
    from dataclasses import FrozenInstanceError  # only when code tries: the error is theirs

    return FrozenInstanceError(message)


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


# the code of __init__ per shape (how values are set, field count, the fields with a factory,
# whether it calls __post_init__), compiled once with placeholder names: a record's own __init__
# is that code with its field names put in (CodeType.replace), where compiling its text cost
# 0.1-0.5 ms a class (parsing and compiling are most of what defining a record costs)
_SHAPES: dict[tuple[str, int, tuple[int, ...], bool], CodeType] = {}

# how a shape's __init__ sets a field: ``self.name = value`` (not frozen);
# ``object.__setattr__(self, "name", value)`` (frozen, as dataclasses does); through the slot's
# own setter, ``_set_<i>(self, value)`` (frozen with slots: the member descriptor's ``__set__``,
# which object.__setattr__ would look up by name each time: a Diagnostic, a Span and a Problem
# take a third fewer instructions to make)
_PLAIN, _OBJECT_SETATTR, _SLOT_SETTER = "plain", "setattr", "slot"
# frozen with slots and SWAP_FIELDS fields or more: the instance is made an instance of an
# open twin of its class for the time of __init__ (the same slots: ``__class__`` may be
# assigned between them), whose fields are set as plain attributes, then its class again;
# two class assignments cost less than four or more slot setters' calls (a Diagnostic, of
# thirteen fields, in half the time). An instance of a subclass is made through the setters.
_CLASS_SWAP = "swap"
SWAP_FIELDS = 4


def _how(cls: type, frozen: bool, count: int) -> str:
    if not frozen:
        return _PLAIN
    if "__slots__" not in cls.__dict__:
        return _OBJECT_SETATTR
    return _CLASS_SWAP if count >= SWAP_FIELDS else _SLOT_SETTER


def _placeholder(index: int) -> str:
    return f"_kpolicy_field_{index}"


def _shape_source(key: tuple[str, int, tuple[int, ...], bool], function: str = "__init__") -> str:
    """The text of a shape's ``__init__``, a function called ``function``."""
    how, count, factories, post_init = key
    params: list[str] = []
    body: list[str] = []
    if how == _CLASS_SWAP:
        given = ", ".join(_placeholder(index) for index in range(count))
        body.append("    if self.__class__ is not __cls:  # a subclass's instance")
        body.append(f"        return __by_setters(self, {given})")
        body.append("    __set_class(self, __open)")
    for index in range(count):
        name = _placeholder(index)
        params.append(name)
        value = (
            f"__dflt_{index}() if {name} is __factory else {name}" if index in factories else name
        )
        if how == _SLOT_SETTER:
            body.append(f"    __set_{index}(self, {value})")
        elif how == _OBJECT_SETATTR:
            body.append(f"    __object_setattr(self, {name!r}, {value})")
        else:
            body.append(f"    self.{name} = {value}")
    if how == _CLASS_SWAP:
        body.append("    self.__class__ = __cls")
    if post_init:
        body.append("    self.__post_init__()")
    return f"def {function}(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass")


def _shape_code(how: str, count: int, factories: tuple[int, ...], post_init: bool) -> CodeType:
    key = (how, count, factories, post_init)
    code = _SHAPES.get(key)
    if code is None:
        stored = _stored_shapes().get(key)
        if stored is not None:
            # the same text, compiled with kpolicy (kpolicy/_record_shapes.py): unmarshalled
            # with its module, where compiling each shape cost 40-90 µs of every start
            code = stored.__code__.replace(co_name="__init__", co_qualname="__init__")
        else:
            namespace: dict[str, Any] = {}
            # our own text, of placeholder names only
            exec(_shape_source(key), {}, namespace)  # noqa: S102
            code = namespace["__init__"].__code__
        _SHAPES[key] = code
    return code


_STORED: list[dict[tuple[str, int, tuple[int, ...], bool], Any]] = []


def _stored_shapes() -> dict[tuple[str, int, tuple[int, ...], bool], Any]:
    if not _STORED:
        from kpolicy._record_shapes import SHAPES

        _STORED.append(SHAPES)
    return _STORED[0]


def shape_key(cls: type) -> tuple[str, int, tuple[int, ...], bool]:
    """The shape of a record's ``__init__`` (as :func:`_init` finds it)."""
    declared: tuple[_Field, ...] = cls.__record_fields__  # type: ignore[attr-defined]
    frozen = cls.__record_spec__["frozen"]  # type: ignore[attr-defined]
    how = _how(cls, frozen, len(declared))
    factories = tuple(i for i, f in enumerate(declared) if f.default_factory is not MISSING)
    return how, len(declared), factories, hasattr(cls, "__post_init__")


def shapes_module(keys: Iterable[tuple[str, int, tuple[int, ...], bool]]) -> str:
    """The text of ``kpolicy/_record_shapes.py``: the ``__init__`` of each shape in ``keys``
    (``tools/gen_record_shapes.py`` writes it; ``tests/test_records.py`` holds it to the
    records of kpolicy)."""
    wanted = set(keys)
    # a class-swapping shape's subclass instances go through the slot setters' shape
    wanted |= {(_SLOT_SETTER, *key[1:]) for key in wanted if key[0] == _CLASS_SWAP}
    ordered = sorted(wanted)
    parts = [
        '"""The ``__init__`` code of the shapes of kpolicy\'s records, compiled with the package',
        "(kpolicy.records makes each record's ``__init__`` from its shape's code). Written by",
        '``python tools/gen_record_shapes.py``; do not edit."""',
        "",
    ]
    for index, key in enumerate(ordered):
        parts += ["", _shape_source(key, f"_shape_{index}"), ""]
    parts += ["", "SHAPES = {"]
    parts += [f"    {key!r}: _shape_{index}," for index, key in enumerate(ordered)]
    parts += ["}", ""]
    return "\n".join(parts)


def _init(cls: type, declared: tuple[_Field, ...], frozen: bool) -> Any:
    """``__init__`` as :mod:`dataclasses` writes it (``_init_fn``): the fields in order, a
    default or ``<factory>`` for those that have one, each value set (through
    ``object.__setattr__`` when frozen, or the slot's setter when frozen with slots), then
    ``__post_init__`` when the class has one. The code of its shape with the field names put
    in, where ``@dataclass`` compiles three functions for a frozen class."""
    env: dict[str, Any] = {"__object_setattr": object.__setattr__, "__factory": _FACTORY}
    how = _how(cls, frozen, len(declared))
    slotted = how in (_SLOT_SETTER, _CLASS_SWAP)
    defaults: list[Any] = []
    factories: list[int] = []
    annotations: dict[str, Any] = {}
    names: dict[str, str] = {}
    for index, f in enumerate(declared):
        names[_placeholder(index)] = f.name
        annotations[f.name] = f.type
        if slotted:
            env[f"__set_{index}"] = cls.__dict__[f.name].__set__
        if f.default_factory is not MISSING:
            env[f"__dflt_{index}"] = f.default_factory
            factories.append(index)
            defaults.append(_FACTORY)
        elif f.default is not MISSING:
            defaults.append(f.default)
    shape = (len(declared), tuple(factories), hasattr(cls, "__post_init__"))
    if how == _CLASS_SWAP:
        env["__cls"] = cls
        env["__open"] = type(
            cls.__name__,
            (),
            {
                "__slots__": cls.__dict__["__slots__"],
                "__module__": cls.__module__,
                "__qualname__": f"{cls.__qualname__}.<open>",
            },
        )
        env["__set_class"] = _SET_CLASS
        env["__by_setters"] = FunctionType(
            _named(_shape_code(_SLOT_SETTER, *shape), names), env, "__init__"
        )
    code = _named(_shape_code(how, *shape), names)
    init = FunctionType(code, env, "__init__", tuple(defaults) or None)
    annotations["return"] = None
    init.__annotations__ = annotations
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


_SET_CLASS = object.__dict__["__class__"].__set__


def open_twin(cls: type) -> type | None:
    """The open twin of a frozen record with slots and :data:`SWAP_FIELDS` fields or more (the
    class its ``__init__`` makes the instance one of while it sets the fields), else None. An
    instance made with ``object.__new__(twin)``, every field set as a plain attribute, then
    ``instance.__class__ = cls``, is the record ``cls(...)`` makes (when the class has no
    ``__post_init__``): for code that makes many records of a few classes from their values
    in a loop of its own, where a call of ``__init__`` each (a frame, and the class assigned
    twice) was most of the cost (the parent rebuilding its workers' findings)."""
    init = cls.__init__  # type: ignore[misc]  # made now when it was not yet (_LazyInit)
    twin = getattr(init, "__globals__", {}).get("__open")
    return twin if isinstance(twin, type) else None


def slot_maker(cls: type) -> Callable[..., Any] | None:
    """What makes the record ``cls`` from a value for each of its fields, in their order, as
    its open twin makes it (:func:`open_twin`: a frozen record of slots, no __post_init__)
    without a frame nor a class assignment: the C extension's ``new_record`` on its slots'
    descriptors (:func:`record_slots`); None where there is none."""
    slots = record_slots(cls)
    if slots is None:
        return None
    import functools

    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    return functools.partial(_cload.new_record, slots)


def record_slots(cls: type) -> tuple[Any, ...] | None:
    """The descriptors of the slots of the record ``cls``, one for each of its fields in their
    order, which the C extension's ``new_record`` makes it of (as its open twin does); None
    where there is no open twin, the class has a ``__post_init__`` (which the maker would not
    call: its open twin has one too), the extension (or its ``new_record``) is not built, or
    KPOLICY_PURE_PYTHON is set."""
    import os

    if (
        os.environ.get("KPOLICY_PURE_PYTHON")
        or open_twin(cls) is None
        or hasattr(cls, "__post_init__")
    ):
        return None
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    if getattr(_cload, "new_record", None) is None:
        return None
    return tuple(cls.__dict__[f.name] for f in _fields(cls))


def _named(code: CodeType, names: dict[str, str]) -> CodeType:
    """A shape's code with a record's field names in place of the placeholders."""
    return code.replace(
        co_varnames=tuple(names.get(name, name) for name in code.co_varnames),
        co_names=tuple(names.get(name, name) for name in code.co_names),
        co_consts=tuple(
            names.get(value, value) if isinstance(value, str) else value for value in code.co_consts
        ),
    )


class _LazyInit:
    """A record's ``__init__`` until it is first read (by the first instance, or
    ``inspect.signature``): then made and set on the class. Of the sixty records a one-file
    lint defines, half are ever made."""

    __slots__ = ("cls", "declared", "frozen")

    def __init__(self, cls: type, declared: tuple[_Field, ...], frozen: bool) -> None:
        self.cls, self.declared, self.frozen = cls, declared, frozen

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        init = _init(self.cls, self.declared, self.frozen)
        self.cls.__init__ = init  # type: ignore[misc]
        return init if obj is None else init.__get__(obj, owner)


# the code of __getstate__ and __setstate__ per field count, compiled once: __getstate__ reads
# placeholder attributes (a record's own names are put in, as in __init__), __setstate__ calls
# the setters its globals hold (``_set_<i>``), which are each record's own
_STATE_SHAPES: dict[tuple[str, int], CodeType] = {}


def _state_code(method: str, count: int) -> CodeType:
    code = _STATE_SHAPES.get((method, count))
    if code is None:
        if method == "__getstate__":
            read = ", ".join(f"self.{_placeholder(index)}" for index in range(count))
            body = ["def __getstate__(self):", f"    return [{read}]"]
        else:
            values = [f"value_{index}" for index in range(count)]
            body = ["def __setstate__(self, state):"]
            if count:
                body += [
                    "    try:",
                    f"        {', '.join(values)}, = state",
                    "    except ValueError:  # a state of another length: as dataclasses sets it",
                    "        return _partial(self, state)",
                ]
                body += [f"    _set_{index}(self, {value})" for index, value in enumerate(values)]
            else:
                body.append("    pass")
        namespace: dict[str, Any] = {}
        exec("\n".join(body), {}, namespace)  # noqa: S102 - our own text, of counted names only
        code = _STATE_SHAPES[method, count] = namespace[method].__code__
    return code


def _state_method(cls: type, names: tuple[str, ...], method: str) -> Any:
    """``__getstate__`` or ``__setstate__`` of a frozen record with slots, as
    :mod:`dataclasses` writes them (``_dataclass_getstate``: the list of the fields' values;
    ``_dataclass_setstate``: each value of the state set through ``object.__setattr__``, by
    position, as far as both go): here straight-line code that reads each slot, and that
    unpacks the state at once and gives each value to its slot's own setter (the member
    descriptor's ``__set__``). Unpickling the workers' answers sets tens of thousands of
    records: a loop of ``object.__setattr__`` calls took three times as long."""
    code = _state_code(method, len(names))
    env: dict[str, Any] = {}
    if method == "__getstate__":
        placeholders = {_placeholder(index): name for index, name in enumerate(names)}
        code = code.replace(co_names=tuple(placeholders.get(n, n) for n in code.co_names))
    else:

        def partial(self: Any, state: Any) -> None:
            for name, value in zip(names, state, strict=False):
                object.__setattr__(self, name, value)

        env["_partial"] = partial
        for index, name in enumerate(names):
            env[f"_set_{index}"] = cls.__dict__[name].__set__
    made = FunctionType(code, env, method)
    made.__qualname__ = f"{cls.__qualname__}.{method}"
    return made


class _LazyState:
    """A frozen record's ``__getstate__`` or ``__setstate__`` until it is first read (by the
    first record of its class that is pickled, unpickled or copied): then made and set on the
    class."""

    __slots__ = ("cls", "method", "names")

    def __init__(self, cls: type, names: tuple[str, ...], method: str) -> None:
        self.cls, self.names, self.method = cls, names, method

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        made = _state_method(self.cls, self.names, self.method)
        setattr(self.cls, self.method, made)
        return made if obj is None else made.__get__(obj, owner)


def _signature_text(cls: type, declared: tuple[_Field, ...]) -> str:
    """``str(inspect.signature(cls))`` less `` -> None``, as ``@dataclass`` writes it into the
    docstring of a class without one: the ``__init__`` parameters with their annotations and
    defaults as ``repr``s. Written here for annotations that are strings (``from __future__
    import annotations``, every module of kpolicy): inspect's Signature objects cost more."""
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


class _Compat:
    """``__dataclass_fields__`` or ``__dataclass_params__`` of a record, made through
    :mod:`dataclasses` on first read (from a data class declared as the record is) and then
    stored on the class: for dataclasses' own functions, which the lint path does not call."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute

    def __get__(self, obj: object, owner: type) -> Any:
        import dataclasses

        spec = owner.__record_spec__  # type: ignore[attr-defined]
        twin = dataclasses.make_dataclass(
            owner.__name__,
            [
                (
                    f.name,
                    f.type,
                    dataclasses.field(
                        default_factory=f.default_factory,
                        repr=f.repr,
                        hash=f.hash,
                        compare=f.compare,
                    )
                    if f.default_factory is not MISSING
                    else dataclasses.field(
                        default=dataclasses.MISSING if f.default is MISSING else f.default,
                        repr=f.repr,
                        hash=f.hash,
                        compare=f.compare,
                    ),
                )
                for f in owner.__record_fields__  # type: ignore[attr-defined]
            ],
            **spec,
        )
        for name in ("__dataclass_fields__", "__dataclass_params__"):
            setattr(owner, name, getattr(twin, name))
        return getattr(owner, self.attribute)


# one each for every record: they read the class they are read from
_COMPAT_FIELDS = _Compat("__dataclass_fields__")
_COMPAT_PARAMS = _Compat("__dataclass_params__")


class _LazyDoc:
    """The docstring ``@dataclass`` gives a class without one (its name and
    :func:`_signature_text`) until it is first read (``help``, ``inspect.getdoc``): then made
    and set on the class. Made for every such record at every start, it was a twentieth of
    their cost, and the lint path never reads it."""

    __slots__ = ("declared",)

    def __init__(self, declared: tuple[_Field, ...]) -> None:
        self.declared = declared

    def __get__(self, obj: object, owner: type | None = None) -> str:
        cls = owner if owner is not None else type(obj)
        text = cls.__name__ + _signature_text(cls, self.declared)
        cls.__doc__ = text
        return text


_NOT_FIELDS = ("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar")
_NEW = object.__new__


def _declared(cls: type) -> tuple[_Field, ...]:
    """The fields of ``cls``'s own annotations, in order, each with its default."""
    if cls.__bases__ != (object,):
        raise TypeError(f"{cls.__qualname__}: a record derives from object only")
    declared: list[_Field] = []
    namespace = cls.__dict__
    # read as dataclasses reads them (inspect.get_annotations would import inspect)
    own = namespace.get("__annotations__", {})
    for name, annotation in own.items():
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if text.startswith(_NOT_FIELDS):
            raise TypeError(f"{cls.__qualname__}.{name}: no ClassVar or InitVar in a record")
        value = namespace.get(name, MISSING)
        if value is MISSING:
            # _Field() without a call of its __init__: most fields have no default, and some
            # sixty records with five hundred fields are defined at every start
            f = _NEW(_Field)
            f.default = f.default_factory = MISSING
            f.init = f.repr = f.compare = True
            f.hash = None
        elif isinstance(value, _Field):
            f = value
        elif type(value).__name__ == "Field" and type(value).__module__ == "dataclasses":
            import dataclasses

            f = _Field(
                MISSING if value.default is dataclasses.MISSING else value.default,
                MISSING if value.default_factory is dataclasses.MISSING else value.default_factory,
                value.init,
                value.repr,
                value.hash,
                value.compare,
            )
        else:
            f = _Field(value)
        if f.default is not MISSING and type(f.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not allowed: use "
                "default_factory"
            )
        f.name, f.type = name, annotation
        declared.append(f)
    seen_default = False
    for f in declared:
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    return tuple(declared)


def _method(cls: type, declared: tuple[_Field, ...], name: str) -> Any:
    """A record's ``__repr__``, ``__eq__``, ``__hash__``, or a frozen one's ``__setattr__`` or
    ``__delattr__``, as ``@dataclass`` writes them."""
    if name in ("__setattr__", "__delattr__"):
        protected = frozenset(f.name for f in declared)
        owner: Any = cls

        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is owner or name in protected:
                raise _frozen_error(f"cannot assign to field {name!r}")
            super(owner, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is owner or name in protected:
                raise _frozen_error(f"cannot delete field {name!r}")
            super(owner, self).__delattr__(name)

        return __setattr__ if name == "__setattr__" else __delattr__
    if name == "__repr__":
        shown = tuple(f.name for f in declared if f.repr)

        @reprlib.recursive_repr()
        def __repr__(self: Any) -> str:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
            return f"{self.__class__.__qualname__}({inner})"

        return __repr__
    if name == "__eq__":
        compared = _values(tuple(f.name for f in declared if f.compare))

        def __eq__(self: Any, other: object) -> bool:
            if other.__class__ is self.__class__:
                return compared(self) == compared(other)
            return NotImplemented

        return __eq__
    hashed = _values(tuple(f.name for f in declared if (f.compare if f.hash is None else f.hash)))

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    return __hash__


class _LazyMethod:
    """A record's ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` or ``__delattr__``
    until it is first read (the first record of its class shown, compared, hashed, or
    assigned to: an error for a frozen one's fields): then made (:func:`_method`) and set on the
    class. Made for each of the sixty records a run defines, at every start, they were a
    seventh of defining them; most are never called."""

    __slots__ = ("cls", "declared", "name")

    def __init__(self, cls: type, declared: tuple[_Field, ...], name: str) -> None:
        self.cls, self.declared, self.name = cls, declared, name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        made = _method(self.cls, self.declared, self.name)
        made.__qualname__ = f"{self.cls.__qualname__}.{self.name}"
        setattr(self.cls, self.name, made)
        return made if obj is None else made.__get__(obj, owner)


def _methods(
    cls: type, declared: tuple[_Field, ...], eq: bool, repr_: bool, frozen: bool, slots: bool
) -> dict[str, Any]:
    names = tuple(f.name for f in declared)
    methods: dict[str, Any] = {}
    methods["__init__"] = _LazyInit(cls, declared, frozen)
    if repr_:
        methods["__repr__"] = _LazyMethod(cls, declared, "__repr__")
    if eq:
        methods["__eq__"] = _LazyMethod(cls, declared, "__eq__")
        methods["__hash__"] = _LazyMethod(cls, declared, "__hash__") if frozen else None
    if frozen:
        methods["__setattr__"] = _LazyMethod(cls, declared, "__setattr__")
        methods["__delattr__"] = _LazyMethod(cls, declared, "__delattr__")
        if slots:
            for method in ("__getstate__", "__setstate__"):
                methods[method] = _LazyState(cls, names, method)
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
        declared = _declared(cls)
        names = tuple(f.name for f in declared)
        made: type = cls
        if slots:
            namespace = dict(cls.__dict__)
            if "__slots__" in namespace:
                raise TypeError(f"{cls.__qualname__} already specifies __slots__")
            for name in (*names, "__dict__", "__weakref__"):
                namespace.pop(name, None)
            namespace["__slots__"] = names
            # its methods (each made when first used) in the namespace of the new class: set
            # on it afterwards, each updated its type slots again
            methods = _methods(cls, declared, eq, repr, frozen, slots)
            namespace.update(methods)
            # a new class, as @dataclass(slots=True) makes one
            made = type(cls)(cls.__name__, cls.__bases__, namespace)
            made.__qualname__ = cls.__qualname__
            for method in methods.values():
                if method is not None:
                    method.cls = made  # they make the methods of the new class
        else:
            # as @dataclass leaves it: the default as the class attribute, none for a factory
            for f in declared:
                if f.default is not MISSING:
                    setattr(cls, f.name, f.default)
                elif f.name in cls.__dict__:
                    delattr(cls, f.name)
            for name, method in _methods(cls, declared, eq, repr, frozen, slots).items():
                setattr(cls, name, method)
        made.__record_fields__ = declared  # type: ignore[attr-defined]
        made.__record_spec__ = {  # type: ignore[attr-defined]
            "repr": repr,
            "eq": eq,
            "frozen": frozen,
            "slots": slots,
        }
        made.__dataclass_fields__ = _COMPAT_FIELDS  # type: ignore[attr-defined]
        made.__dataclass_params__ = _COMPAT_PARAMS  # type: ignore[attr-defined]
        if "__match_args__" not in cls.__dict__:
            made.__match_args__ = names  # type: ignore[attr-defined,misc]
        if not cls.__dict__.get("__doc__"):
            made.__doc__ = _LazyDoc(declared)  # type: ignore[assignment]
        RECORDS.append(made)
        return made

    return wrap if cls is None else wrap(cls)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass as record
    from dataclasses import field, fields, replace
    from typing import Any
else:
    record = _record
    field = _field
    fields = _fields
    replace = _replace
