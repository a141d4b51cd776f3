"""Read each file once, compose it with libyaml, and build values plus a position table.

Kubernetes reads YAML 1.1 (go-yaml through sigs.k8s.io/yaml); PyYAML's resolver shares those
rules (``yes`` is a boolean, ``0777`` an octal int). Nothing here constructs Python objects from
tags: unknown tags are reported and their node is read as plain data.
"""

from __future__ import annotations

import math
import os
import sys

from kpolicy.helm import source_lines
from kpolicy.kustomizenames import (
    DIRECTIVE_PREFIXES,
    KUSTOMIZE_KINDS,
    has_patch_directive,
    is_kustomize_document,
)
from kpolicy.lazyre import lazy_compile
from kpolicy.model import (
    Diagnostic,
    KObject,
    Limits,
    LoadedFile,
    ObjectRef,
    Severity,
    SourceFile,
    Span,
)
from kpolicy.positions import PositionTable
from kpolicy.records import record, replace
from kpolicy.suppress import ANNOTATION, read_directives
from kpolicy.workload import describe_value
from kpolicy.yamltext import document_chunks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from pathlib import Path  # a plain run does without pathlib (with urllib.parse, 3 ms)
    from typing import Any, Final


def _go_int(text: str) -> int:
    """An int as go-yaml v2 reads it: underscores dropped, then Go's base-0 prefixes."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    if digits.startswith(("0b", "0B")):
        return sign * int(digits[2:], 2)
    if digits.startswith(("0x", "0X")):
        return sign * int(digits[2:], 16)
    if digits.startswith(("0o", "0O")):
        return sign * int(digits[2:], 8)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits[1:], 8)
    return sign * int(digits)


_DECIMAL = lazy_compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def _int_or_fallback(text: str) -> int | float | str:
    """go-yaml v2 resolve(): an int outside int64/uint64 is a float when it reads as one
    (yamlStyleFloat) and in range, else the string itself. This also keeps out ints with more
    digits than Python will print (``0x`` and 4,000 ``f``s: ValueError in ``str()``)."""
    value = _go_int(text)
    if -(2**63) <= value < 2**64:
        return value
    plain = text.replace("_", "")
    if _DECIMAL.match(plain):
        as_float = float(plain)
        if not math.isinf(as_float):
            return as_float
    return text


def _plain_decimal(text: str) -> bool:
    """Whether an int scalar is a plain decimal that ``int(text)`` reads as
    :func:`_int_or_fallback` does: ASCII digits only, no leading zero (octal), no sign,
    prefix or underscore, and short enough to be in range."""
    return (
        len(text) <= 18 and text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1)
    )


def _int_value(text: str) -> int | float | str:
    """An int scalar that is not a short plain decimal, as ``build`` reads it (for the C
    loader)."""
    try:
        return _int_or_fallback(text)
    except ValueError:  # pragma: no cover - they agree
        return text


# PyYAML's SafeConstructor.inf_value and nan_value, made as it makes them
_INF = float("inf")
_NAN = -_INF / _INF


def _float_value(text: str) -> float | str:
    """A float scalar as ``build`` reads it (the C loader's, and the composer's for a plain or
    ``!!float`` scalar): PyYAML's ``SafeConstructor.construct_yaml_float``, step for step
    without importing PyYAML (``tests/test_cload.py`` holds them to the same values), or the
    text when that fails (an explicit ``!!float`` that is not one)."""
    value = text.replace("_", "").lower()
    try:
        sign = -1 if value[0] == "-" else +1
        if value[0] in "+-":
            value = value[1:]
        if value == ".inf":
            return sign * _INF
        if value == ".nan":
            return _NAN
        if ":" in value:
            digits = [float(part) for part in value.split(":")]
            digits.reverse()
            base = 1
            total = 0.0
            for digit in digits:
                total += digit * base
                base *= 60
            return sign * total
        return sign * float(value)
    except (ValueError, IndexError):  # an empty or non-numeric `!!float` only
        return text


# the oldest libyaml the C loader is used with (hatch_build.py warns at build time): the
# Python path reads YAML with PyYAML's own libyaml (0.2.5 or later in its wheels), and an
# older one reads some texts otherwise (0.2.5 changed `?` in plain scalars of flow collections)
LIBYAML_MINIMUM: Final = (0, 2, 5)


def _pyyaml_has_libyaml() -> bool:
    """Whether PyYAML has its libyaml: ``yaml.__with_libyaml__`` when PyYAML is imported, else
    whether its extension ``yaml._yaml`` is where importing it would find it (the import
    system's finders asked for the package's place and the extension's, nothing run), so that
    a run the C loader reads whole never imports PyYAML."""
    imported = sys.modules.get("yaml")
    if imported is not None:
        return bool(getattr(imported, "__with_libyaml__", False))
    package = _spec("yaml", None)
    places = package.submodule_search_locations if package is not None else None
    if not places:
        return False
    extension = _spec("yaml._yaml", list(places))
    if extension is None or not extension.has_location or extension.origin is None:
        return False
    import _imp  # importlib.machinery.EXTENSION_SUFFIXES, without importing importlib

    return extension.origin.endswith(tuple(_imp.extension_suffixes()))


def _spec(name: str, path: list[str] | None) -> ModuleSpec | None:
    """The spec importing ``name`` would use (``importlib.util.find_spec`` without importing
    a package's parent, nor ``importlib.util`` itself)."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        spec: ModuleSpec | None = find_spec(name, path)
        if spec is not None:
            return spec
    return None


def _c_loader() -> Any:
    """``kpolicy._cload.load_chunk`` (the optional C extension: the common case of
    ``_build_document`` straight from libyaml's events), or None when it is not built, is
    linked to a libyaml older than ``LIBYAML_MINIMUM``, PyYAML has no libyaml of its own
    (its pure-Python parser is not libyaml; :func:`_pyyaml_has_libyaml`) or
    KPOLICY_PURE_PYTHON is set."""
    if os.environ.get("KPOLICY_PURE_PYTHON"):
        return None
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    if tuple(getattr(_cload, "LIBYAML_VERSION", ())) < LIBYAML_MINIMUM:
        return None
    if not _pyyaml_has_libyaml():
        return None
    return _cload.load_chunk


_load_chunk = _c_loader()


def _c_helpers() -> tuple[Any, Any]:
    """With the C loader, its ``document_chunks`` of a text of one-byte characters (an
    iterator, one chunk at a time like the generator; None for another text) and its
    ``_node_bound`` that does not encode the chunk. None and None with an extension built
    before them (an editable install not built again): the Python split, not an import
    error."""
    if _load_chunk is None:
        return None, None
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    chunks = getattr(_cload, "document_chunks", None)
    bound = getattr(_cload, "node_bound", None)
    return (None, None) if chunks is None or bound is None else (chunks, bound)


_c_chunks, _c_node_bound = _c_helpers()


def _escape(token: str) -> str:
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


# schema.instance's MAX_DEPTH and MAX_NODES (importing it imports the schema package), which
# tests/test_positions.py holds them to: what is_plain_tree accepts
PLAIN_MAX_DEPTH: Final = 500
PLAIN_MAX_NODES: Final = 2_000_000


def _node_bound(chunk: str) -> int:
    """An upper bound of the nodes of a chunk without aliases, from its text: every node starts
    after a line break or an indicator (``: - ? , [ ] { } ! & *``), and one place starts at most
    two nodes (a block collection and its first entry). Cheap (one pass of bytes.translate,
    whose table drops those characters: each is one byte in UTF-8, and no byte of another
    character's encoding is one of them), and far below the length for real manifests, so
    that a big CRD is not counted event by event."""
    data = chunk.encode("utf-8", "surrogatepass")
    return 2 * (len(data) - len(data.translate(None, b":-?,[]{}!&*\n")) + 2)


class _TemplateHint:
    """A hint for unrendered Helm/Go templates, the commonest "invalid YAML" in repositories."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[str] | None = None

    def __call__(self, line: int) -> str:
        if "{{" not in self.text:
            return ""
        if self.lines is None:
            self.lines = self.text.splitlines()
        if 0 < line <= len(self.lines) and "{{" in self.lines[line - 1]:
            return "; `{{ ... }}` looks like an unrendered template: lint the output of `helm template`"
        return ""


_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_UTF8_BOM = b"\xef\xbb\xbf"


def decode(data: bytes) -> tuple[str | None, str | None, int]:
    """Text of a file, or an error message and the 1-based line where decoding failed.

    UTF-8 (with or without a BOM) and UTF-16 with a BOM, as go-yaml reads them.
    """
    if data.startswith(_UTF32_BOMS):
        return None, "file is UTF-32 text; save it as UTF-8", 1
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None, 0
        except UnicodeDecodeError as exc:
            return None, f"invalid UTF-16 text: {exc.reason}", 1
    sample = data[:256]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        # YAML 1.2 section 5.2: ASCII in UTF-16/32 without a BOM has a NUL in every unit
        width = "UTF-32" if sample.count(0) * 2 > len(sample) else "UTF-16"
        return None, f"file looks like {width} text without a byte order mark; save it as UTF-8", 1
    try:
        # utf-8-sig is a codec written in Python: only for the text that starts with a BOM
        return data.decode("utf-8-sig" if data.startswith(_UTF8_BOM) else "utf-8"), None, 0
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, f"file is not UTF-8 text (invalid byte 0x{data[exc.start]:02x})", line


def _diag(
    source: SourceFile,
    rule: str,
    severity: Severity,
    message: str,
    span: Span,
    ref: ObjectRef | None = None,
    path: str = "",
) -> Diagnostic:
    return Diagnostic(rule, severity, message, source.display, span, path, ref)


def _ref(data: dict[str, Any]) -> ObjectRef:
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    text = _name_text
    return ObjectRef(
        text(data.get("apiVersion")),
        text(data.get("kind")),
        text(meta.get("namespace")),
        text(meta.get("name")),
    )


@record(frozen=True, slots=True)
class Document:
    index: int
    value: Any
    positions: PositionTable
    start: Span


def load_documents(
    source: SourceFile, limits: Limits | None = None
) -> tuple[list[Document], list[Diagnostic]]:
    """Every non-empty document of a file as plain data with its positions.

    Syntax errors and refused documents become diagnostics; reading goes on with the next
    document, so one broken document does not hide the others.
    """
    limits = limits or _DEFAULT_LIMITS
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    count = 0
    # what aliases add to the documents of this file, in all: bounded like one document, so
    # that many small alias bombs (each under the limit) cannot add up to gigabytes
    expansion_left = limits.max_nodes
    hint: _TemplateHint | None = None  # made for the first chunk the composer reads
    text = source.text
    if "\ufeff" in text:
        # files joined with cat keep each one's byte order mark at a line start; YAML allows
        # one before every document and libyaml only before the first
        text = text.replace("\n\ufeff", "\n")
    in_c = _load_chunk is not None and _c_chunks is not None
    chunks = _c_chunks(text) if in_c else None
    for line_offset, chunk in document_chunks(text) if chunks is None else chunks:
        if (
            chunk.startswith("---")
            and (len(chunk) <= 64 or chunk[3:64].isspace())
            and not chunk[3:].strip()
        ):
            # "---" alone: no document (and a file of 4 million of them is quick); a chunk
            # with text in its first line is not copied to tell
            continue
        if (
            len(chunk) > limits.max_nodes // 2
            and (_c_node_bound(chunk) if in_c else _node_bound(chunk)) > limits.max_nodes
        ):
            from kpolicy.compose import _too_many_nodes

            too_many = _too_many_nodes(chunk, limits)
            if too_many is not None:
                diagnostics.append(
                    _diag(
                        source,
                        "yaml-syntax",
                        Severity.ERROR,
                        f"document refused: more than {limits.max_nodes:,} nodes; raise "
                        "limits.maxNodes to load it",
                        Span.point(too_many[0] + 1 + line_offset, too_many[1] + 1),
                    )
                )
                count += 1
                continue  # what follows in this chunk is not read
        if _load_chunk is not None:
            # the common case in C: its documents' values and records as build makes them;
            # None (anything else: an error, a tag, an anchor, a duplicate or merge key, a
            # bound reached) leaves the chunk to the composer below. A chunk with both `&` and
            # `*` (a shell script in a ConfigMap, more often than an anchor) is tried too: the
            # C loader refuses every anchor and alias, and counts nodes (keys included) and
            # depth as the composer's measure of aliases does, which refuses no chunk it reads
            loaded = _load_chunk(
                chunk, line_offset, limits.max_nodes, limits.max_depth, _int_value, _float_value
            )
            if loaded is not None:
                compact = PositionTable.compact
                for value, records in loaded:
                    # the root's value span (what resolve("", "value") gives), from its record
                    start = Span(records[0], records[1], records[2], records[3])
                    documents.append(Document(count, value, compact(value, records), start))
                    count += 1
                continue
        from kpolicy import compose  # the first chunk the C loader leaves imports PyYAML

        if hint is None:
            hint = _TemplateHint(source.text)
        count, expansion_left = compose.compose_chunk(
            source,
            chunk,
            line_offset,
            limits,
            "&" in chunk and "*" in chunk,  # aliases may be there
            hint,
            documents,
            diagnostics,
            count,
            expansion_left,
        )
    return documents, diagnostics


_DEFAULT_LIMITS: Final = Limits()  # frozen: one for every file read without limits of its own


def load_own_file(path: Path, what: str, label: str = "") -> list[Document]:
    """The documents of one of kpolicy's own YAML files (a config, a rule or policy file); any
    read, decoding or syntax error is a ``UsageError`` naming the file and line, ``label``
    before the syntax error's message."""
    from kpolicy.errors import UsageError
    from kpolicy.fsutil import NotRegular, TooLarge, kind_of, read_regular

    limit = Limits().max_file_bytes
    try:
        # a regular file only (a FIFO would block), never more than the default file limit
        raw = read_regular(path, limit)
    except NotRegular:
        try:
            kind = kind_of(path.stat().st_mode)
        except OSError:
            kind = "not a regular file"
        raise UsageError(f"{path}: cannot read {what}: {kind}") from None
    except TooLarge:
        raise UsageError(f"{path}: cannot read {what}: larger than {limit} bytes") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the name
        raise UsageError(f"{path}: cannot read {what}: invalid file name") from None
    text, error, line = decode(raw)
    if text is None:
        raise UsageError(f"{path}:{line}: {error}")
    documents, problems = load_documents(SourceFile(str(path), text))
    for problem in problems:
        if problem.severity is Severity.ERROR:
            span = problem.span
            raise UsageError(f"{path}:{span.line}:{span.column}: {label}{problem.message}")
    return documents


def load_text(
    source: SourceFile, limits: Limits | None = None, *, keep_text: bool = True
) -> LoadedFile:
    documents, diagnostics = load_documents(source, limits)
    bounds = limits or _DEFAULT_LIMITS
    # every document the loader keeps is plain JSON within these bounds (see KObject.plain)
    plain = bounds.max_depth < PLAIN_MAX_DEPTH and bounds.max_nodes <= PLAIN_MAX_NODES
    text = source.text
    if "kpolicy" in text:  # in both markers: one search for the files without either
        directives = read_directives(text)
        annotated = ANNOTATION in text
    else:
        directives, annotated = {}, False
    if not keep_text:
        source = SourceFile(source.display, "", source.context_only)
    objects = _objects(source, documents, diagnostics, plain)
    # the documents come in the order of their index
    doc_count = documents[-1].index + 1 if documents else 0
    # a file with an object has a document _is_manifest accepts (the one it came from)
    manifest_like = (
        bool(objects)
        or any(_is_manifest(d.value) for d in documents)
        or any(d.rule == "yaml-syntax" for d in diagnostics)
    )
    if objects and "# Source: " in text:
        objects = _with_templates(objects, documents, source_lines(text))
    if objects and _may_hold_directive(text):
        objects = [replace(o, patch=True) if has_patch_directive(o.data) else o for o in objects]
    why = ""
    if not manifest_like:
        if not documents:
            why = "holds no YAML document"
        elif any(is_kustomize_document(d.value) for d in documents):
            why = "kustomization (kustomize's own file, not applied to a cluster)"
        else:
            why = "holds no Kubernetes object (no document with apiVersion and kind)"
    return LoadedFile(
        source=source,
        objects=tuple(objects),
        diagnostics=tuple(diagnostics),
        documents=max(doc_count, len(documents)),
        directives=directives,
        manifest_like=manifest_like,
        not_manifest=why,
        annotated=annotated,
    )


def _may_hold_directive(text: str) -> bool:
    """Whether a strategic-merge directive (``$patch``, ...) is in the text: each ``$`` found
    by a memchr-fast search and the directives tried there (the texts without one, most, cost
    one search); past 64 of them (scripts), a search for each directive in what is left."""
    find, starts = text.find, text.startswith
    at = find("$")
    for _ in range(64):
        if at < 0:
            return False
        if starts(DIRECTIVE_PREFIXES, at):
            return True
        at = find("$", at + 1)
    return at >= 0 and any(find(marker, at) >= 0 for marker in DIRECTIVE_PREFIXES)


def _is_manifest(value: object) -> bool:
    """Whether a document is a Kubernetes object or tries to be one: apiVersion and kind, a
    ``kind: ...List``, items that are objects (kubectl rejects the list without its kind), or
    a kind with metadata or spec (a manifest that lost its apiVersion), or metadata and spec. A
    kustomization is not one; nor is other YAML (CI, compose and tool configuration, Helm
    values)."""
    if isinstance(value, list):
        # objects given as a YAML list: kubectl rejects it (it wants `kind: List`)
        return any(isinstance(i, dict) and "apiVersion" in i and "kind" in i for i in value)
    if not isinstance(value, dict):
        return False
    kind = value.get("kind")
    if is_kustomize_document(value):
        return False
    if "apiVersion" in value and kind is not None:
        return True
    if isinstance(kind, str) and (
        "metadata" in value or "spec" in value or (kind.endswith("List") and "items" in value)
    ):
        return True
    if "metadata" in value and "spec" in value:
        return True  # an object that lost both
    items = value.get("items")
    return (
        kind is None
        and isinstance(items, list)
        and any(
            isinstance(item, dict) and "apiVersion" in item and "kind" in item for item in items
        )
    )


def _with_templates(
    objects: list[KObject], documents: list[Document], sources: dict[int, str]
) -> list[KObject]:
    """The objects, each with the Helm template its document was rendered from."""
    by_index = {d.index: sources.get(d.start.line) for d in documents}
    return [
        replace(o, template=template) if (template := by_index.get(o.doc_index)) else o
        for o in objects
    ]


def _objects(
    source: SourceFile, documents: list[Document], diagnostics: list[Diagnostic], plain: bool
) -> list[KObject]:
    """The objects of the documents (:func:`_objects_of` of each): a document that is one
    object, with a string apiVersion and kind (not a list's, nor kustomize's), most of them,
    is made here."""
    objects: list[KObject] = []
    append = objects.append
    for doc in documents:
        value = doc.value
        if value.__class__ is dict:
            kind = value.get("kind")
            api_version = value.get("apiVersion")
            if (
                kind.__class__ is str
                and api_version.__class__ is str
                and kind
                and api_version
                and kind not in KUSTOMIZE_KINDS
                and not kind.endswith("List")
            ):
                meta = value.get("metadata")
                if isinstance(meta, dict):
                    namespace = meta.get("namespace")
                    if namespace is not None and namespace.__class__ is not str:
                        namespace = _name_text(namespace)
                    name = meta.get("name")
                    if name is not None and name.__class__ is not str:
                        name = _name_text(name)
                else:
                    namespace = name = None
                ref = ObjectRef(api_version, kind, namespace, name)
                append(
                    KObject(value, ref, source, doc.index, "", doc.positions, None, False, plain)
                )
                continue
        objects.extend(_objects_of(source, doc, diagnostics, plain))
    return objects


def _name_text(v: object) -> str | None:
    """A field of an ``ObjectRef``: a number or boolean reads as its text; a list or mapping is
    no name at all."""
    return (
        v if isinstance(v, str) else (None if v is None or isinstance(v, dict | list) else str(v))
    )


def _objects_of(
    source: SourceFile, doc: Document, diagnostics: list[Diagnostic], plain: bool = False
) -> list[KObject]:
    value, table, doc_index, doc_span = doc.value, doc.positions, doc.index, doc.start
    if not isinstance(value, dict):
        what = describe_value(value, limit=40)
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                f"document is {what}, not a Kubernetes object (a mapping with apiVersion and kind)",
                Span.point(doc_span.line, doc_span.column),
            )
        )
        return []
    found: list[KObject] = []
    items = value.get("items")
    kind = value.get("kind")
    if is_kustomize_document(value):
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                f"a kustomize {kind} is not a Kubernetes object: kubectl apply -f rejects it "
                "(build it with kubectl apply -k, or keep it in its own kustomization.yaml)",
                table.resolve("/kind", "value")[0],
            )
        )
        return []
    if kind is None and "apiVersion" not in value and isinstance(items, list):
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                "a list of objects without `kind: List` and `apiVersion: v1`: kubectl "
                "rejects it (apiVersion not set, kind not set)",
                table.resolve("/items", "key")[0],
                None,
                "",
            )
        )
        return []
    if isinstance(kind, str) and kind.endswith("List") and "items" in value:
        if not isinstance(items, list):
            span = table.resolve("/items")[0]
            diagnostics.append(
                _diag(
                    source,
                    "manifest-invalid",
                    Severity.ERROR,
                    f"{kind}.items must be a list of objects",
                    span,
                    _ref(value),
                    "/items",
                )
            )
            return []
        for i, item in enumerate(items):
            base = f"/items/{i}"
            if not isinstance(item, dict):
                span = table.resolve(base)[0]
                diagnostics.append(
                    _diag(
                        source,
                        "manifest-invalid",
                        Severity.ERROR,
                        f"item {i} of the {kind} is not an object",
                        span,
                        None,
                        base,
                    )
                )
                continue
            obj = _object(source, item, doc_index, base, table, diagnostics, plain)
            if obj is not None:
                found.append(obj)
        return found
    obj = _object(source, value, doc_index, "", table, diagnostics, plain)
    if obj is not None:
        found.append(obj)
    return found


def _object(
    source: SourceFile,
    data: dict[str, Any],
    doc_index: int,
    base: str,
    table: PositionTable,
    diagnostics: list[Diagnostic],
    plain: bool = False,
) -> KObject | None:
    ref = _ref(data)
    missing = [f for f in ("apiVersion", "kind") if not isinstance(data.get(f), str) or not data[f]]
    if missing:
        pointer = base + ("/kind" if "kind" in data else "")
        span = table.resolve(pointer, "value" if "kind" in data else "auto")[0]
        if "kind" not in data and not base:
            first = next(iter(data), None)
            if first is not None:
                span = table.resolve("/" + _escape(str(first)), "key")[0]
        wrong = [f for f in missing if f in data]
        detail = ", ".join(
            f"{f} is {'empty' if data[f] == '' else 'not a string'}" if f in wrong else f"no {f}"
            for f in missing
        )
        diagnostics.append(
            _diag(
                source,
                "manifest-invalid",
                Severity.ERROR,
                f"not a Kubernetes object: {detail}",
                span,
                None,
                base,
            )
        )
        return None
    return KObject(data, ref, source, doc_index, base, table, plain=plain)
