"""The workspace the language server tests run in, and client-side helpers.

Positions are computed here independently of :mod:`kpolicy.lsp.positions`: a UTF-16 column is
the number of UTF-16 code units of the text before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "kpolicy", "lsp"]
TIMEOUT = 15.0

WEB = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: c
          image: nginx:1.25
"""

WEB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  # the Pods of the StatefulSet
  selector:
    app: web
  ports:
    - port: 80
"""

DB = """\
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: postgres
          image: postgres:16
"""

AGENT = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1   # keep one extra
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - name: agent
          image: agent:1.0
"""

API = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 4
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: api:1.0
"""

WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""

FILES = {
    "apps/web.yaml": WEB,
    "apps/web-service.yaml": WEB_SERVICE,
    "apps/db.yaml": DB,
    "apps/agent.yaml": AGENT,
    "apps/api.yaml": API,
    "ci/workflow.yaml": WORKFLOW,
}


def write_workspace(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def uri(root: Path, name: str) -> str:
    result = from_fs_path(str(root / name))
    assert isinstance(result, str)
    return result


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position_of(text: str, needle: str, occurrence: int = 0) -> types.Position:
    """The LSP position (UTF-16) of the start of ``needle`` in ``text``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start)
    line_start = text.rfind("\n", 0, start) + 1
    return types.Position(line=line, character=utf16(text[line_start:start]))


def range_of(text: str, needle: str, occurrence: int = 0) -> types.Range:
    start = position_of(text, needle, occurrence)
    assert "\n" not in needle
    return types.Range(
        start=start,
        end=types.Position(line=start.line, character=start.character + utf16(needle)),
    )


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) the way an editor does."""
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        column = 0
        while column < len(line) and units < position.character:
            units += utf16(line[column])
            column += 1
        return before + column

    placed = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True
    )
    for start, end, new_text in placed:
        text = text[:start] + new_text + text[end:]
    return text


def edits_by_uri(edit: types.WorkspaceEdit) -> dict[str, list[types.TextEdit]]:
    found: dict[str, list[types.TextEdit]] = {}
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        found.setdefault(change.text_document.uri, []).extend(
            e for e in change.edits if isinstance(e, types.TextEdit)
        )
    for target, edits in (edit.changes or {}).items():
        found.setdefault(target, []).extend(edits)
    return found


class Client(LanguageClient):
    """A test client that keeps every ``publishDiagnostics`` in order, with its version."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self._news = asyncio.Event()
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def record(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        self.diagnostics[params.uri] = params.diagnostics
        self._news.set()

    def mark(self) -> int:
        """A place in the stream of published diagnostics to wait from."""
        return len(self.published)

    async def wait_diagnostics(
        self,
        target: str,
        *,
        version: int | None = None,
        since: int = 0,
        until: Callable[[list[types.Diagnostic]], bool] | None = None,
    ) -> list[types.Diagnostic]:
        """The first diagnostics published for ``target`` after ``since`` (for ``version``, and
        for which ``until`` holds: a change may be followed by more than one lint)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        index = since
        last: list[types.Diagnostic] | None = None
        while True:
            for params in self.published[index:]:
                if params.uri == target and (version is None or params.version == version):
                    last = list(params.diagnostics)
                    if until is None or until(last):
                        return last
            index = len(self.published)
            self._news.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no diagnostics for {target} (version {version}) as "
                    f"expected; the last were {last}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), remaining)

    async def open(self, target: str, text: str, language: str = "yaml") -> list[types.Diagnostic]:
        since = self.mark()
        self.versions[target] = 1
        self.texts[target] = text
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=target, language_id=language, version=1, text=text
                )
            )
        )
        return await self.wait_diagnostics(target, version=1, since=since)

    def change(self, target: str, text: str) -> int:
        """Replace the whole text; returns the new version (no wait)."""
        version = self.versions[target] + 1
        self.versions[target] = version
        self.texts[target] = text
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=target, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return version

    def change_range(self, target: str, where: types.Range, new_text: str) -> int:
        """An incremental change; returns the new version (no wait)."""
        version = self.versions[target] + 1
        self.versions[target] = version
        self.texts[target] = apply_text_edits(
            self.texts[target], [types.TextEdit(range=where, new_text=new_text)]
        )
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=target, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=where, text=new_text)
                ],
            )
        )
        return version

    async def edit(self, target: str, text: str) -> list[types.Diagnostic]:
        since = self.mark()
        version = self.change(target, text)
        return await self.wait_diagnostics(target, version=version, since=since)


def _record(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.record(params)


def _register_capability(client: Client, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def make_client() -> Client:
    client = Client(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record
    features[types.CLIENT_REGISTER_CAPABILITY] = _register_capability
    register_lsp_features(client, features)
    return client


async def initialize(
    client: Client,
    root: Path,
    client_name: str = "visual-studio-code",
    debounce_ms: int | None = 50,
) -> types.InitializeResult:
    """Initialize as ``client_name`` does; a short debounce keeps the tests quick (None: the
    server's default)."""
    capabilities = client_capabilities(client_name)
    root_uri = from_fs_path(str(root))
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root_uri,
            workspace_folders=[types.WorkspaceFolder(uri=root_uri or "", name="ws")],
            initialization_options=(None if debounce_ms is None else {"debounceMs": debounce_ms}),
        )
    )


def rules_of(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def only(diagnostics: list[types.Diagnostic], rule: str) -> types.Diagnostic:
    found = [d for d in diagnostics if d.code == rule]
    assert len(found) == 1, (rule, [(d.code, d.message) for d in diagnostics])
    return found[0]
