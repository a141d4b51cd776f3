"""``SchemaValidator``: validation of documents against the bundled schemas of one version,
plus CRDs and ``--schema-dir`` schemas (see the package docstring for the order of the checks)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping

from kpolicy.patterns import (
    PATTERN_TIMEOUT,
    PatternTimeout,
    bounded_validator,
    has_unbounded_patterns,
    path_of_value,
)
from kpolicy.schema.bundle import OBJECT_META, PREPARED_KINDS, load_version, normalize_version
from kpolicy.schema.custom import (
    convert_custom,
    crd_name,
    crd_schemas,
    custom_root,
    dir_lookup,
    folder_registry,
    load_schema_dir,
)
from kpolicy.schema.explain import compile_explain, explained_fields, problem_fields
from kpolicy.schema.fast import FastCheck, compile_fast
from kpolicy.schema.formats import builtin_format_checker, custom_format_checker
from kpolicy.schema.instance import MAX_NODES, as_json, is_plain_tree, tree_size
from kpolicy.schema.problems import ProblemFields, SchemaProblem, show

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # --schema-dir only: a plain run does without pathlib
    from typing import Any, Final

if TYPE_CHECKING:  # jsonschema is imported on first use: a valid document never needs it
    from jsonschema.protocols import Validator

    # where a document is in its compact position table: the size of each record's subtree,
    # its irregular mappings, and its own record (validate)
    Places = tuple[Any, Any, int]


class SchemaValidator:
    """Schema validation for one Kubernetes version, plus any custom resource schemas."""

    def __init__(self, version: str) -> None:
        self.version = normalize_version(version)
        self._builtin = load_version(self.version)
        self._custom: dict[tuple[str, str], dict[str, Any]] = {}
        self._custom_compiled: dict[tuple[str, str], Validator | None] = {}
        self._custom_fast: dict[tuple[str, str], FastCheck | None] = {}
        self._schema_dir: Mapping[tuple[str | None, str, str], dict[str, Any]] = {}
        self._schema_roots: tuple[Path, ...] = ()
        self._frozen = False
        # (apiVersion, kind) of a built-in kind → how many of its documents failed the fast
        # check in a row, last (see _validate)
        self._failing: dict[tuple[str, str], int] = {}

    @classmethod
    def for_version(cls, version: str) -> SchemaValidator:
        """The shared validator of a version (``"1.37"``, ``"v1.37.2"``), built once."""
        return _shared_validator(normalize_version(version))

    # -- custom schemas -------------------------------------------------------------------

    def _derive(self) -> SchemaValidator:
        derived = SchemaValidator(self.version)
        derived._custom = dict(self._custom)
        derived._custom_compiled = dict(self._custom_compiled)
        derived._custom_fast = dict(self._custom_fast)
        derived._schema_dir = self._schema_dir
        derived._schema_roots = self._schema_roots
        return derived

    def with_crds(self, crds: Iterable[object]) -> SchemaValidator:
        """A new validator that also validates the custom resources of these CRDs."""
        derived = self._derive()
        for crd in crds:
            derived.register_crd(crd)
        return derived

    def with_schema_dir(self, path: str | Path) -> SchemaValidator:
        """A new validator that also uses the kubeconform-style schemas of a folder."""
        from pathlib import Path

        derived = self._derive()
        derived._schema_dir = {**self._schema_dir, **load_schema_dir(path)}
        derived._schema_roots = (*self._schema_roots, Path(path))
        derived._custom_compiled = {}
        return derived

    def register_crd(self, crd: object) -> list[tuple[str, str]]:
        """Add the served versions of a CustomResourceDefinition; returns their (apiVersion, kind).

        Not allowed on the shared validators of :meth:`for_version`: use :meth:`with_crds`.
        """
        if self._frozen:
            raise RuntimeError("the shared validator is read-only: use with_crds() instead")
        added: list[tuple[str, str]] = []
        served = getattr(crd, "served", None)
        schemas: Mapping[tuple[str, str], Any]
        if served is not None:
            # a definition packed by a worker (kpolicy.index.PackedWhole), whose kinds it
            # found: unpacked only when one of them is validated (most definitions of a chart
            # or an operator's install are of kinds that the input has no object of)
            schemas = dict.fromkeys(served)
            unpack = functools.cache(lambda: crd_schemas(_whole(crd)))
        else:
            try:
                schemas = crd_schemas(_whole(crd))
            except Exception:  # a hostile CRD is skipped, never fatal
                return added
            unpack = None
        name = crd_name(crd)
        for key, openapi in schemas.items():
            if key in self._builtin.kinds:
                continue  # a CRD cannot replace a built-in kind
            self._custom[key] = {"openapi": openapi, "origin": name, "unpack": unpack, "key": key}
            self._custom_compiled.pop(key, None)
            self._custom_fast.pop(key, None)
            added.append(key)
        return added

    def has_schema(self, api_version: object, kind: object) -> bool:
        """Whether objects of this apiVersion and kind are validated."""
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return False
        if (api_version, kind) in self._builtin.kinds:
            return True
        return self._validator_for(api_version, kind) is not None

    # -- compiling ------------------------------------------------------------------------

    def compile_builtin(self) -> None:
        """Compile now the fast checks of the kinds most inputs have (their schemas come
        built, :data:`kpolicy.schema.bundle.PREPARED_KINDS`), e.g. before forking workers that
        would each compile them. Any other kind is built where it is first met."""
        for key in PREPARED_KINDS:
            if key in self._builtin.kinds:
                self._fast_for(key)

    def is_builtin(self, api_version: object, kind: object) -> bool:
        """Whether the bundled schemas of this version cover this apiVersion and kind."""
        return (api_version, kind) in self._builtin.kinds

    def _validator_for(self, api_version: str, kind: str) -> Validator | None:
        key = (api_version, kind)
        if key in self._builtin.kinds:
            state = self._builtin
            compiled = state.compiled.get(key)
            if compiled is None:
                with state.lock:
                    compiled = state.compiled.get(key)
                    if compiled is None:
                        from jsonschema import Draft202012Validator

                        compiled = Draft202012Validator(
                            state.roots[key], format_checker=builtin_format_checker()
                        )
                        state.compiled[key] = compiled
            return compiled
        if key in self._custom_compiled:
            return self._custom_compiled[key]
        custom = self._custom.get(key)
        compiled_custom: Validator | None = None
        if custom is not None:
            try:
                compiled_custom = self._compile_custom(self._custom_root(custom))
            except RecursionError:  # a schema nested deeper than Python recurses: not validated
                compiled_custom = None
        else:
            from_dir = dir_lookup(self._schema_dir, api_version, kind)
            if from_dir is not None:
                compiled_custom = self._compile_dir_schema(from_dir)
        self._custom_compiled[key] = compiled_custom
        return compiled_custom

    def _custom_root(self, custom: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema of a CRD version's custom resources, built once."""
        root = custom.get("root")
        if root is None:
            openapi = custom["openapi"]
            if openapi is None:  # of a packed definition: see register_crd
                openapi = custom["openapi"] = custom["unpack"]()[custom["key"]]
            root = custom_root(openapi, self._builtin.definition(OBJECT_META))
            custom["root"] = root
        return root

    def _custom_fast_for(self, key: tuple[str, str]) -> FastCheck | None:
        """The pass/fail check of a CRD's custom resources (None: jsonschema always decides)."""
        try:
            return self._custom_fast[key]
        except KeyError:
            pass
        custom = self._custom.get(key)
        fast = None
        if custom is not None:
            try:
                fast = compile_fast(self._custom_root(custom))
            except Exception:  # a hostile CRD: jsonschema's answer stands
                fast = None
        self._custom_fast[key] = fast
        return fast

    def _compile_custom(self, schema: dict[str, Any]) -> Validator | None:
        # No check_schema here: checking a CRD schema (with ObjectMeta inlined) against the
        # metaschema costs seconds; a broken schema fails inside validate(), which treats a
        # custom kind's failure as "not validated".
        from jsonschema import Draft202012Validator

        cls = bounded_validator(Draft202012Validator)
        return cls(schema, format_checker=custom_format_checker())

    def _compile_dir_schema(self, schema: dict[str, Any]) -> Validator | None:
        import jsonschema

        converted = convert_custom(schema)
        if has_unbounded_patterns(converted):
            return None  # jsonschema would match some of its patterns without a bound
        try:
            cls = bounded_validator(
                jsonschema.validators.validator_for(converted, default=jsonschema.Draft7Validator)
            )
            cls.check_schema(converted)
        except Exception:  # an unusable schema file validates nothing
            return None
        validator: Validator = cls(
            converted,
            format_checker=custom_format_checker(),
            registry=folder_registry(self._schema_roots),
        )
        return validator

    # -- validating -----------------------------------------------------------------------

    def _fast_for(self, key: tuple[str, str]) -> Callable[[Any], bool] | None:
        state = self._builtin
        try:
            return state.fast[key]
        except KeyError:
            pass
        with state.lock:
            if key not in state.fast:
                state.fast[key] = compile_fast(state.roots[key], state.fast_memo)
            return state.fast[key]

    def _explainer_for(self, key: tuple[str, str]) -> Callable[..., list[Any]]:
        state = self._builtin
        try:
            return state.explainers[key]
        except KeyError:
            pass
        with state.lock:
            if key not in state.explainers:
                state.explainers[key] = compile_explain(state.roots[key], state.explain_memo)
            return state.explainers[key]

    def _explained(
        self, key: tuple[str, str], obj: Mapping[str, Any], places: Places | None
    ) -> list[ProblemFields]:
        """The problems of a plain document of a built-in kind, from its compiled explainer."""
        explainer = self._explainer_for(key)
        if places is None:
            return explained_fields(explainer, obj)
        return explained_fields(explainer, obj, *places)

    def validate(self, obj: object, *, plain: bool = False) -> list[SchemaProblem]:
        """Every schema problem of one document; ``[]`` for kinds without a schema.

        A built-in kind is first checked by its compiled pass/fail check (a few hundred
        nanoseconds a node); jsonschema, which explains, only sees the documents that fail it.
        ``plain``: the caller knows that ``is_plain_tree(obj)`` holds (``KObject.plain``).
        """
        return [SchemaProblem(*fields) for fields in self.problem_fields(obj, plain=plain)]

    def problem_fields(
        self, obj: object, *, plain: bool = False, places: Places | None = None
    ) -> list[ProblemFields]:
        """:meth:`validate`, each problem as the tuple of its fields (``ProblemFields``),
        which the schema check reads without making the record.
        ``places``: where ``obj`` is in its compact position table (``PositionTable.sizes``,
        ``irregular``, and ``obj``'s own record, ``record_at``):
        a problem explained by the compiled explainer then has the record of the node it
        points at (``SchemaProblem.record``; -1 for any other).
        """
        if not isinstance(obj, Mapping):
            return []
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return []
        builtin = (api_version, kind) in self._builtin.kinds  # a dict: no method call
        if builtin:
            return self._validate(obj, api_version, kind, True, plain or None, places)
        try:
            return self._validate(obj, api_version, kind, False, plain or None)
        except PatternTimeout as exc:
            timeout = self._timeout_problem(obj, api_version, kind, exc)
            return [(timeout.rule, timeout.path, timeout.at, timeout.message, None, False, -1)]

    def _timeout_problem(
        self, obj: Mapping[str, Any], api_version: str, kind: str, exc: PatternTimeout
    ) -> SchemaProblem:
        custom = self._custom.get((api_version, kind))
        origin = custom.get("origin") if custom is not None else None
        origin = origin or f"the --schema-dir schema of {api_version} {kind}"
        path = exc.path if exc.path is not None else path_of_value(obj, exc.value)
        shown = show(exc.pattern)
        return SchemaProblem(
            PATTERN_TIMEOUT,
            tuple(path),
            "value",
            f"pattern {shown} of {origin} {exc.reason} on this value; this {kind} is not "
            "validated against its schema",
        )

    def _validate(
        self,
        obj: Mapping[str, Any],
        api_version: str,
        kind: str,
        builtin: bool,
        plain: bool | None = None,
        places: Places | None = None,
    ) -> list[ProblemFields]:
        validator: Validator | None = None
        if not builtin:
            custom_fast = self._custom_fast_for((api_version, kind))
            if custom_fast is not None:
                # as for built-in kinds, a pass is final; jsonschema explains a failure
                try:
                    if custom_fast(obj):
                        return []
                except PatternTimeout:
                    raise
                except Exception:  # noqa: S110 - the fast check only short-cuts a pass; jsonschema below decides
                    pass
            validator = self._validator_for(api_version, kind)
            if validator is None:
                return []
        if builtin:
            key = (api_version, kind)
            fast = self._fast_for(key)
            failing = self._failing
            if plain and fast is not None and failing.get(key, 0) >= _FAILED_BEFORE_EXPLAINING:
                # the documents of this kind that came last all failed the fast check: this
                # one is explained at once, as it would be when the check fails (the
                # explanation of a document that passes it is [], the same answer); where
                # the explainer raises, the check decides as below
                try:
                    explained = self._explained(key, obj, places)
                except Exception:  # noqa: S110 - as below: the fast check, then jsonschema
                    pass
                else:
                    if not explained:
                        failing[key] = 0
                    return explained
            if fast is not None:
                # A pass is final: the check fails wherever a value is not plain JSON, and a
                # document too big or too deep for tree_size, or cyclic, also gives [] below.
                try:
                    if fast(obj):
                        if key in failing:
                            failing[key] = 0
                        return []
                    failing[key] = failing.get(key, 0) + 1
                    if plain is None:
                        plain = is_plain_tree(obj)
                    if plain:
                        return self._explained(key, obj, places)
                except Exception:  # noqa: S110 - too deep, or a format check that raises: jsonschema decides
                    pass
            validator = self._validator_for(api_version, kind)
        # what the loader makes is already the JSON the API server reads: no copy needed
        if plain is None:
            plain = is_plain_tree(obj)
        assert validator is not None
        if not plain and tree_size(obj) > MAX_NODES:
            return []
        try:
            instance = obj if plain else as_json(obj, {})
            return problem_fields(validator.iter_errors(instance))
        except RecursionError:
            return []
        except PatternTimeout:
            raise
        except Exception:  # custom schemas may hold anything
            if builtin:
                raise
            return []


# a kind whose last documents failed the fast check this many times in a row has its next
# ones explained at once (most documents of a kind pass, or most fail)
_FAILED_BEFORE_EXPLAINING: Final = 3


def _whole(crd: object) -> object:
    """A definition's whole data, unpacked when a worker packed it."""
    from kpolicy.index import PackedWhole, whole_data

    return whole_data(crd) if isinstance(crd, PackedWhole) else crd


@functools.cache
def _shared_validator(version: str) -> SchemaValidator:
    validator = SchemaValidator(version)
    validator._frozen = True
    return validator
