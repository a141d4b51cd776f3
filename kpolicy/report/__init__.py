"""Report formats, in one registry: name → writer. Writers only write."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence

from kpolicy.model import Diagnostic, LintResult, ObjectRef
from kpolicy.records import record
from kpolicy.ruledefs import RuleDef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TextIO

    from kpolicy.plan.data import PlanReport


@record(frozen=True)
class ReportContext:
    rules: Mapping[str, RuleDef]
    tool_version: str
    color: bool = False
    show_suppressed: bool = False
    show_skipped: bool = False
    # the folder the reported file names are relative to (None: the working folder), and the
    # folder SARIF's URIs are relative to (None: the top of the git working tree around it,
    # else the working folder; see kpolicy.report.sarif.source_root)
    cwd: str | None = None
    source_root: str | None = None


Writer = Callable[[LintResult, ReportContext, "TextIO"], None]


_MODULES = {
    "text": "kpolicy.report.text",
    "json": "kpolicy.report.json_report",
    "sarif": "kpolicy.report.sarif",
    "github": "kpolicy.report.github",
    "junit": "kpolicy.report.junit",
    "gitlab": "kpolicy.report.gitlab",
    "checkstyle": "kpolicy.report.checkstyle",
}
FORMATS = tuple(_MODULES)


def writer(name: str) -> Writer:
    """The writer of one format, importing only its module (sarif-om is slow to import)."""
    # __import__, then the module itself: importlib.import_module's work for an absolute name,
    # without importing importlib (and warnings) at every start
    path = _MODULES[name]
    __import__(path)
    write: Writer = sys.modules[path].write
    return write


def writers() -> dict[str, Writer]:
    return {name: writer(name) for name in FORMATS}


# `kpolicy plan`'s formats: each writes a kpolicy.plan.data.PlanReport
PlanWriter = Callable[["PlanReport", "TextIO"], None]

_PLAN_MODULES = {
    "text": "kpolicy.report.plan_text",
    "json": "kpolicy.report.plan_json",
    "markdown": "kpolicy.report.plan_markdown",
    "svg": "kpolicy.report.plan_svg",
}
PLAN_FORMATS = tuple(_PLAN_MODULES)


def plan_writer(name: str) -> PlanWriter:
    """The writer of one ``kpolicy plan`` format, importing only its module."""
    path = _PLAN_MODULES[name]
    __import__(path)
    write: PlanWriter = sys.modules[path].write
    return write


def _object_key(obj: ObjectRef | None) -> str:
    if obj is None:
        return ""
    return "/".join((obj.kind or "", obj.namespace or "", obj.name or ""))


def fingerprint(
    diag: Diagnostic, file: str | None = None, related_files: Sequence[str] | None = None
) -> str:
    """Stable when lines move, different for different findings: the rule, the file (``file``:
    SARIF passes the URI relative to the repository root, the same from any working folder),
    the JSON pointer, the object and the related objects (a pair of overlapping workloads is
    not another pair). A finding on no object (broken YAML) adds its message without numbers
    (no line numbers). Findings that still share all of it are numbered by the formats."""
    import hashlib
    import re

    from kpolicy.escape import utf8

    parts = [
        diag.rule,
        file if file is not None else diag.file,
        diag.path,
        _object_key(diag.object),
    ]
    if diag.object is None:
        parts.append(re.sub(r"[0-9]+", "#", diag.message))
    files = related_files if related_files is not None else [r.file for r in diag.related]
    parts += sorted(
        f"{name}\x1e{_object_key(related.object)}"
        for name, related in zip(files, diag.related, strict=True)
    )
    return hashlib.sha256(utf8("\x1f".join(parts))).hexdigest()[:32]


class EncodedLines:
    """A list whose members ``encode`` turns each into its text as :func:`write_json_lines`
    would encode it on one line: laid out one member a line, as a list at its place would be.
    The members are encoded and joined a slice at a time as they are written (a finding of the
    JSON report is one member): encoded all at once, a large run's findings were a second copy
    of its report at the run's peak of memory. A slice is small (some 60 KiB of text for the
    JSON report's findings): each slice's lines, its text and the text's bytes as the stream
    writes them then reuse the memory of the slice before, where slices of a megabyte took
    fresh pages each time (thousands of page faults for a report of 5 MB)."""

    __slots__ = ("_encode", "_encode_all", "_items", "_texts")

    SLICE: ClassVar[int] = 128

    def __init__(
        self,
        items: Sequence[Any],
        encode: Callable[[Any], str],
        encode_all: Callable[[Sequence[Any]], list[str]] | None = None,
        *,
        texts: bool = False,
    ) -> None:
        """``encode_all``: the texts of a slice of the members, as ``encode`` gives each.
        ``texts``: most members are their own text already (a str), as the workers rendered
        them; a slice of them all is joined as it is, and only a slice with another member is
        given to ``encode_all``."""
        self._items = items
        self._encode = encode
        self._encode_all = encode_all
        self._texts = texts

    def __len__(self) -> int:
        return len(self._items)

    def joined(self, separator: str) -> Iterator[str]:
        """The members' texts, ``separator`` between them, in pieces of a slice of members,
        each but the first led by the separator (a piece of its own, it was a write of its own
        to an unbuffered stream)."""
        encode, encode_all, items = self._encode, self._encode_all, self._items
        for start in range(0, len(items), self.SLICE):
            part = items[start : start + self.SLICE]
            piece: str | None = None
            if self._texts:
                # told that every member is a str by the join itself, which refuses another
                # before it copies anything (a test of each member was a tenth of the writer)
                try:
                    piece = separator.join(["", *part] if start else part)
                except TypeError:
                    piece = None
            if piece is None:
                texts = encode_all(part) if encode_all is not None else [encode(i) for i in part]
                piece = separator.join(["", *texts] if start else texts)
            yield piece


def _encoder() -> Callable[[object], str]:
    """``json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "), default=str).encode``,
    with the C encoder made once instead of once a value (a third of the time of a finding's
    line); what is written holds no reference cycle, so none is looked for."""
    import json
    import json.encoder

    encode = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "), default=str).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the pure-Python encoder, made once a value
        return encode
    strings = json.encoder.encode_basestring_ascii
    chunks = make(None, str, strings, None, ": ", ", ", False, False, True)

    def encode_value(value: object) -> str:
        if isinstance(value, str):
            return strings(value)
        return "".join(chunks(value, 0))

    return encode_value


def json_encoder() -> Callable[[object], str]:
    """How :func:`write_json_lines` encodes a value on one line."""
    return _encoder()


def write_json_lines(
    value: object, out: TextIO, expand: int = 2, also: frozenset[str] = frozenset()
) -> None:
    """``value`` as indented JSON whose first ``expand`` levels of containers are laid out one
    member per line, and whose deeper values are each written on one line; a container under a
    key named in ``also`` is laid out too, at any depth, when its parent is.

    The standard library indents only through its pure-Python encoder, ten times slower than
    its C one; here only the few outer containers are laid out in Python and every finding is
    encoded by the C encoder, as one line (easy to grep, easy to diff). The result is plain
    JSON: any reader sees the same document as with ``json.dump(value, indent=2)``.
    """
    encode = _encoder()

    def emit(item: object, level: int, indent: str, key: str | None) -> None:
        if item.__class__ is EncodedLines:
            if not len(item):
                out.write("[]")
            elif level >= expand and key not in also:  # on one line, as encode() writes a list
                out.write("[")
                for piece in item.joined(", "):
                    out.write(piece)
                out.write("]")
            else:
                inner = indent + "  "
                out.write("[\n" + inner)
                for piece in item.joined(",\n" + inner):
                    out.write(piece)
                out.write("\n" + indent + "]")
            return
        if (level >= expand and key not in also) or not isinstance(item, dict | list) or not item:
            out.write(encode(item))
            return
        inner = indent + "  "
        if isinstance(item, dict):
            out.write("{\n")
            for position, (name, member) in enumerate(item.items()):
                out.write(f"{inner}{encode(str(name))}: ")
                emit(member, level + 1, inner, str(name))
                out.write(",\n" if position < len(item) - 1 else "\n")
            out.write(indent + "}")
        else:
            out.write("[\n")
            for position, member in enumerate(item):
                out.write(inner)
                emit(member, level + 1, inner, None)
                out.write(",\n" if position < len(item) - 1 else "\n")
            out.write(indent + "]")

    emit(value, 0, "", None)
    out.write("\n")
