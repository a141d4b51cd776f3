"""Helm as kpolicy reads it: charts in a repository, and rendered output traced to templates.

A folder with ``Chart.yaml`` is a chart. Its ``templates/`` are Go templates, not YAML: they are
linted through their rendered output (``helm template CHART | kpolicy lint -``). ``helm
template`` writes a ``# Source: CHART/templates/FILE.yaml`` comment before each document
(``pkg/action/action.go``, renderResources), which leads a finding back to its template.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from kpolicy.lazyre import lazy_compile
from kpolicy.model import Diagnostic, KObject, Origin
from kpolicy.records import record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CHART_FILE = "Chart.yaml"
# a chart's own files that are not manifests (besides templates/): values files and their
# schema, the lock file and the Helm 2 dependency list
CHART_METADATA = frozenset(
    {CHART_FILE, "Chart.lock", "requirements.yaml", "requirements.lock", "values.schema.json"}
)
TEMPLATES = "templates"
HOOK_ANNOTATION = "helm.sh/hook"

_SOURCE = lazy_compile(r"^# Source: (\S[^\r\n]*?)\s*$")
_DOC_START = lazy_compile(r"^---(?=[ \t\r\n]|$)")


@record(frozen=True, slots=True)
class Chart:
    folder: str  # absolute, normalized
    name: str | None  # Chart.yaml's name, when it has a string one


def is_values_file(name: str) -> bool:
    """``values.yaml``, ``values-prod.yaml``, ``values.dev.yml``: a chart's values."""
    return name.startswith("values") and name.endswith((".yaml", ".yml", ".json"))


def is_hook(data: Mapping[str, Any]) -> bool:
    """A Helm hook or test (``helm.sh/hook`` annotation): applied around a release, not with
    it, so it is no part of the Services, budgets and selectors of the release."""
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    return isinstance(annotations, dict) and HOOK_ANNOTATION in annotations


def source_lines(text: str) -> dict[int, str]:
    """Line (1-based) of each document start → the template named by its ``# Source:``
    comment: the comment holds for the lines after it up to the next ``---``."""
    found: dict[int, str] = {}
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if _DOC_START.match(line):
            current = None
            continue
        match = _SOURCE.match(line)
        if match is not None:
            current = match.group(1)
            continue
        if current is not None and line.strip() and not line.lstrip().startswith("#"):
            found[number] = current
            current = None  # later lines of the same document need no entry
    return found


# ---------------------------------------------------------------------------------------------
# a line of a template for a key path

_KEY = lazy_compile(r"""^(?P<key>[A-Za-z0-9_.\-/$]+|"[^"]*"|'[^']*'):(?:\s+(?P<value>.*?))?\s*$""")


def _template_keys(text: str) -> Iterator[tuple[int, tuple[str, ...], str]]:
    """(line, key names from the root, the text after the key) for each ``key:`` line of a
    template, read by indentation alone (Go template actions are skipped, so a key under an
    ``{{ if }}`` counts as the key it renders to)."""
    stack: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", "{{", "---")):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        body = raw[indent:]
        while body.startswith("- "):
            indent += 2
            body = body[2:].lstrip(" ")
            indent = len(raw) - len(body)
        match = _KEY.match(body.split(" #", 1)[0].rstrip())
        if match is None:
            continue
        key = match.group("key").strip("\"'")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(k for _, k in stack), key)
        stack.append((indent, key))
        yield number, path, (match.group("value") or "").strip("\"' ")


def template_line(text: str, names: tuple[str, ...], value: object) -> int | None:
    """The line of ``names`` (a key path without list indices) in a template, when one line
    has it, or one of several also has the rendered ``value`` as its text; else None."""
    if not names:
        return None
    candidates = [(line, after) for line, path, after in _template_keys(text) if path == names]
    if len(candidates) == 1:
        return candidates[0][0]
    if len(candidates) > 1:
        shown = (
            ""
            if isinstance(value, dict | list) or value is None
            else (("true" if value else "false") if isinstance(value, bool) else str(value))
        )
        same = [line for line, after in candidates if after == shown]
        if len(same) == 1:
            return same[0]
    return None


def key_names(pointer: str) -> tuple[str, ...]:
    """The key names of a JSON pointer, list indices left out."""
    names = []
    for token in pointer.split("/")[1:]:
        if token.isdigit():
            continue
        names.append(token.replace("~1", "/").replace("~0", "~"))
    return tuple(names)


def find_charts(top: str, limit: int = 20_000) -> list[Chart]:
    """The charts under ``top`` (folders with ``Chart.yaml``), hidden folders skipped, at most
    ``limit`` folders looked at."""
    found: list[Chart] = []
    for seen, (folder, dirs, names) in enumerate(os.walk(top), start=1):
        if seen > limit:
            break
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        if CHART_FILE in names:
            found.append(
                Chart(
                    os.path.normpath(os.path.abspath(folder)),
                    chart_name(os.path.join(folder, CHART_FILE)),
                )
            )
    return found


def chart_name(path: str) -> str | None:
    """The ``name`` of a ``Chart.yaml`` (None when it cannot be read or has none)."""
    from kpolicy.load import load_documents
    from kpolicy.model import SourceFile

    try:
        with open(path, "rb") as handle:
            data = handle.read(1 << 20)
        text = data.decode("utf-8-sig")
    except (OSError, ValueError):
        return None
    documents, _ = load_documents(SourceFile(path, text))
    if not documents or not isinstance(documents[0].value, dict):
        return None
    name = documents[0].value.get("name")
    return name if isinstance(name, str) and name else None


def _existing(data: object, pointer: str) -> tuple[tuple[str, ...], object]:
    """The key names of the longest prefix of ``pointer`` that exists in ``data``, and the value
    there (a finding about a missing field is placed at its nearest existing parent)."""
    names: list[str] = []
    node = data
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
            names.append(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            break
    return tuple(names), node


class TemplateOrigins:
    """Leads findings on rendered Helm output back to their templates under ``base`` (the
    working folder): ``CHART/templates/FILE`` as it stands, or inside a chart under ``base``
    whose ``Chart.yaml`` names it ``CHART``. Nothing outside ``base`` is read."""

    def __init__(self, base: str, max_bytes: int = 16 << 20) -> None:
        self.base = os.path.abspath(base)
        self._real_base = os.path.realpath(self.base)
        self.max_bytes = max_bytes
        self._charts: list[Chart] | None = None
        self._local: dict[str, str | None] = {}
        self._texts: dict[str, str | None] = {}

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self._real_base or real.startswith(self._real_base.rstrip(os.sep) + os.sep)

    def local(self, source: str) -> str | None:
        """The template's path relative to ``base`` when it exists there, else None."""
        if source in self._local:
            return self._local[source]
        candidates = [source]
        first, _, rest = source.partition("/")
        if rest:
            if self._charts is None:
                self._charts = find_charts(self.base)
            candidates += [os.path.join(c.folder, rest) for c in self._charts if c.name == first]
        found = None
        for candidate in candidates:
            full = os.path.normpath(os.path.join(self.base, candidate))
            if self._inside(full) and os.path.isfile(full):
                found = os.path.relpath(full, self.base)
                break
        self._local[source] = found
        return found

    def _text(self, local: str) -> str | None:
        if local not in self._texts:
            try:
                with open(os.path.join(self.base, local), "rb") as handle:
                    data = handle.read(self.max_bytes + 1)
                text = data.decode("utf-8-sig") if len(data) <= self.max_bytes else None
            except (OSError, ValueError):
                text = None
            self._texts[local] = text
        return self._texts[local]

    def origin(self, source: str, data: object, pointer: str) -> Origin:
        local = self.local(source)
        line = 1
        if local is not None:
            text = self._text(local)
            if text is not None:
                names, value = _existing(data, pointer)
                line = template_line(text, names, value) or 1
        return Origin(source, line, local)

    def attach(self, diag: Diagnostic, obj: KObject) -> Diagnostic:
        if obj.template is None:
            return diag
        return replace(diag, origin=self.origin(obj.template, obj.data, diag.path))
