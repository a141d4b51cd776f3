"""``kpolicy lsp``: the language server over stdio (pygls).

The event loop only receives, schedules and publishes; the work (reading the workspace, linting,
hovers, code actions) runs in order on one worker thread that owns the :class:`Project`. A change
marks its document dirty; when the worker is idle, the dirty documents are linted at once, the
changed one first, and edits that arrive while a lint runs are coalesced: the next pass, as soon
as the running one is done, lints each dirty document once, at its latest version (a burst of
keystrokes costs one lint more, not one per keystroke). A client may ask for a fixed pause after
the last edit instead (``debounceMs``). When a document's objects changed, the other open documents are
linted again too, since a rule may look across files (a StatefulSet's Service). A result for a
version that is no longer current is dropped: a newer lint is already due.

Nothing is written to stdout but the protocol: stray prints go to stderr, and the server's own
messages go to the client as ``window/logMessage``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from kpolicy import __version__
from kpolicy.lsp.positions import UTF16
from kpolicy.lsp.project import Buffer, Outcome, Project

P = ParamSpec("P")
R = TypeVar("R")

# no fixed pause: a lint starts as soon as the worker is idle (edits during a lint coalesce)
DEFAULT_DEBOUNCE_SECONDS = 0.0
WATCHED_GLOBS = ("**/*.yaml", "**/*.yml", "**/*.json", "**/.kpolicy.yaml", "**/pyproject.toml")


class KpolicyServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "kpolicy", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.project: Project | None = None
        self.debounce = DEFAULT_DEBOUNCE_SECONDS
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpolicy-lsp")
        self._languages: dict[str, str] = {}  # open uri → languageId
        self._dirty: dict[str, bool] = {}  # uri → edited itself (True) or only its context
        self._timer: asyncio.TimerHandle | None = None
        self._pass: asyncio.Task[None] | None = None
        self._again = False
        self._published: dict[str, Outcome] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._config_uri: str | None = None  # where the config problem was last published
        self._config_shown: str | None = None  # the last config message shown
        self._register()

    # -- plumbing --------------------------------------------------------------------------

    def _register(self) -> None:
        handlers: list[tuple[str, Any, Callable[..., Any]]] = [
            (types.INITIALIZE, None, self.on_initialize),
            (types.INITIALIZED, None, self.on_initialized),
            (types.SHUTDOWN, None, self.on_shutdown),
            (types.TEXT_DOCUMENT_DID_OPEN, None, self.on_did_open),
            (types.TEXT_DOCUMENT_DID_CHANGE, None, self.on_did_change),
            (types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False), self.on_did_save),
            (types.TEXT_DOCUMENT_DID_CLOSE, None, self.on_did_close),
            (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, None, self.on_watched_files),
            (types.TEXT_DOCUMENT_HOVER, None, self.on_hover),
            (
                types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
                self.on_code_action,
            ),
        ]
        for method, options, handler in handlers:
            self.feature(method, options)(_plain(handler))

    def log(self, kind: types.MessageType, message: str) -> None:
        """``window/logMessage``, from any thread."""
        params = types.LogMessageParams(type=kind, message=message)
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            self.window_log_message(params)
        else:
            loop.call_soon_threadsafe(self.window_log_message, params)

    def _failed(self, what: str, exc: BaseException) -> None:
        detail = "".join(traceback.format_exception(exc)).rstrip()
        self.log(types.MessageType.Error, f"kpolicy: {what} failed: {exc}\n{detail}")

    def report_server_error(self, error: Exception, source: Any) -> None:
        try:
            self._failed("the server", error)
        except Exception:  # pragma: no cover - the connection itself is broken
            logging.getLogger(__name__).exception("cannot report an error")

    async def _work(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, lambda: fn(*args, **kwargs))

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding
        if isinstance(encoding, types.PositionEncodingKind):
            return str(encoding.value)
        return encoding or UTF16

    def _capability(self, *path: str) -> Any:
        node: Any = self.client_capabilities
        for step in path:
            node = getattr(node, step, None) if node is not None else None
        return node

    def _buffers(self) -> dict[str, Buffer]:
        buffers: dict[str, Buffer] = {}
        for uri, language in self._languages.items():
            document = self.workspace.get_text_document(uri)
            buffers[uri] = Buffer(uri, document.version, document.source, language)
        return buffers

    # -- lifecycle -------------------------------------------------------------------------

    def on_initialize(self, params: types.InitializeParams) -> None:
        try:
            self._initialize(params)
        except Exception as exc:
            self._failed("initialize", exc)
            self.project = Project(None, self.log)

    def _initialize(self, params: types.InitializeParams) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        except RuntimeError:  # pragma: no cover - pygls always runs handlers in its loop
            self._loop = None
        root: Path | None = None
        uri = params.workspace_folders[0].uri if params.workspace_folders else params.root_uri
        if uri:
            path = to_fs_path(uri)
            root = Path(path) if path else None
        elif params.root_path:
            root = Path(params.root_path)
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounceMs"), int | float):
            self.debounce = max(0.0, float(options["debounceMs"]) / 1000)
        self.project = Project(root, self.log)

    async def on_initialized(self, params: types.InitializedParams) -> None:
        # read the workspace first: the lints of the first opened documents queue behind it
        project = self.project
        loading = asyncio.ensure_future(self._work(project.load)) if project else None
        if self._capability("workspace", "did_change_watched_files", "dynamic_registration"):
            registration = types.Registration(
                id="kpolicy-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED_GLOBS]
                ),
            )
            try:
                await self.client_register_capability_async(
                    types.RegistrationParams(registrations=[registration])
                )
            except Exception as exc:
                self.log(types.MessageType.Warning, f"kpolicy: cannot watch files: {exc}")
        if loading is not None:
            try:
                await loading
                await self._publish_config()
            except Exception as exc:
                self._failed("reading the workspace", exc)

    def on_shutdown(self, params: None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- documents -------------------------------------------------------------------------

    def on_did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        try:
            self._languages[params.text_document.uri] = params.text_document.language_id
            self._mark(params.text_document.uri, primary=True)
            self._schedule(0)
        except Exception as exc:
            self._failed("didOpen", exc)

    def on_did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        try:
            if params.text_document.uri in self._languages:
                self._mark(params.text_document.uri, primary=True)
                self._schedule(self.debounce)
        except Exception as exc:
            self._failed("didChange", exc)

    async def on_did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        try:
            project = self.project
            uri = params.text_document.uri
            if project is not None and project.is_config(uri):
                await self._work(project.reload_config)
                await self._publish_config()
                self._mark_all(primary=True)
            elif project is not None and project.is_baseline(project.path_of(uri)):
                await self._work(project.reload_baseline)
                self._mark_all(primary=True)
            self._schedule(0)
        except Exception as exc:
            self._failed("didSave", exc)

    async def on_did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        try:
            self._languages.pop(uri, None)
            self._dirty.pop(uri, None)
            self._published.pop(uri, None)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
            if uri == self._config_uri:
                await self._publish_config()  # the problem stays shown on the closed file
            project = self.project
            if project is not None and await self._work(project.close, uri):
                self._mark_all(primary=False)
                self._schedule(self.debounce)
        except Exception as exc:
            self._failed("didClose", exc)

    async def on_watched_files(self, params: types.DidChangeWatchedFilesParams) -> None:
        try:
            project = self.project
            if project is None:
                return
            changes: list[tuple[Path, bool]] = []
            for event in params.changes:
                path = to_fs_path(event.uri)
                if path:
                    changes.append((Path(path), event.type == types.FileChangeType.Deleted))
            config, context = await self._work(project.files_changed, changes)
            if config:
                await self._publish_config()
            if config or context:
                self._mark_all(primary=config)
                self._schedule(0 if config else self.debounce)
        except Exception as exc:
            self._failed("didChangeWatchedFiles", exc)

    # -- the config --------------------------------------------------------------------------

    async def _publish_config(self) -> None:
        """A config that does not load is never passed over in silence: its problem is a
        diagnostic on the file it is in (open or not; an open one gets it from its own lint),
        and a message says what is linted meanwhile. Cleared once the config loads."""
        project = self.project
        if project is None:
            return
        uri, diagnostics = await self._work(project.config_outcome, self._buffers(), self.encoding)
        previous = self._config_uri
        if previous is not None and previous != uri and previous not in self._languages:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=previous, diagnostics=[])
            )
        if uri is not None and uri not in self._languages:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=list(diagnostics))
            )
        self._config_uri = uri
        message = project.config_message()
        if message is not None and message != self._config_shown:
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=message)
            )
        self._config_shown = message

    # -- linting ---------------------------------------------------------------------------

    def _mark(self, uri: str, primary: bool) -> None:
        self._dirty[uri] = self._dirty.get(uri, False) or primary

    def _mark_all(self, primary: bool) -> None:
        for uri in self._languages:
            self._mark(uri, primary)

    def _schedule(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(delay, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._pass is not None and not self._pass.done():
            self._again = True  # the running pass starts over when it is done
            return
        self._pass = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            batch = sorted(self._dirty.items(), key=lambda item: not item[1])  # edited first
            self._dirty.clear()
            queue = [uri for uri, _ in batch]
            while queue:
                uri = queue.pop(0)
                try:
                    outcome = await self._lint(uri)
                except Exception as exc:
                    self._failed(f"linting {uri}", exc)
                    continue
                if outcome is not None and outcome.context_changed:
                    queue.extend(
                        u
                        for u in self._languages
                        if u != uri and u not in queue and u not in self._dirty
                    )
            if not self._again:
                return

    async def _lint(self, uri: str) -> Outcome | None:
        project = self.project
        if project is None or uri not in self._languages:
            return None
        buffers = self._buffers()
        target = buffers[uri]
        outcome = await self._work(project.lint, target, buffers, self.encoding)
        if uri not in self._languages:
            return outcome  # closed meanwhile
        if self.workspace.get_text_document(uri).version != outcome.version:
            self._mark(uri, primary=True)  # edited meanwhile; its own timer is running
            return outcome
        self._published[uri] = outcome
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=outcome.version, diagnostics=list(outcome.published)
            )
        )
        return outcome

    # -- hover and code actions ------------------------------------------------------------

    async def on_hover(self, params: types.HoverParams) -> types.Hover | None:
        try:
            project = self.project
            uri = params.text_document.uri
            if project is None or uri not in self._languages:
                return None
            buffers = self._buffers()
            formats = self._capability("text_document", "hover", "content_format")
            markdown = formats is None or types.MarkupKind.Markdown in formats
            return await self._work(
                project.hover, buffers[uri], buffers, params.position, self.encoding, markdown
            )
        except Exception as exc:
            self._failed("hover", exc)
            return None

    async def on_code_action(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        try:
            project = self.project
            uri = params.text_document.uri
            outcome = self._published.get(uri)
            if project is None or outcome is None or uri not in self._languages:
                return []
            only = params.context.only
            if only and not any(
                types.CodeActionKind.QuickFix.value.startswith(str(getattr(k, "value", k)))
                for k in only
            ):
                return []
            buffers = self._buffers()
            target = buffers[uri]
            if target.version != outcome.version:
                return []  # the diagnostics are stale; fresh ones are on their way
            found = _matching(outcome, params.context.diagnostics, params.range)
            if not found:
                return []
            document_changes = bool(
                self._capability("workspace", "workspace_edit", "document_changes")
            )
            return await self._work(
                project.code_actions, target, buffers, found, self.encoding, document_changes
            )
        except Exception as exc:
            self._failed("codeAction", exc)
            return []


def _plain(method: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function around a bound method (pygls sets attributes on what it registers)."""
    if asyncio.iscoroutinefunction(method):

        async def handler_async(params: Any) -> Any:
            return await method(params)

        return handler_async

    def handler(params: Any) -> Any:
        return method(params)

    return handler


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line,
        b.start.character,
    ) <= (a.end.line, a.end.character)


def _matching(
    outcome: Outcome, sent: Sequence[types.Diagnostic], where: types.Range
) -> list[tuple[Any, types.Diagnostic]]:
    """The kpolicy diagnostics behind the LSP ones the client sent (by the ``data`` key the
    server gave them, else by rule, range and message); all at ``where`` if it sent none."""
    pairs = list(zip(outcome.found, outcome.published, strict=True))
    chosen: list[tuple[Any, types.Diagnostic]] = []
    for diagnostic in sent:
        if diagnostic.source not in (None, "kpolicy"):
            continue
        data = diagnostic.data
        if isinstance(data, dict) and isinstance(data.get("kpolicy"), int):
            index = data["kpolicy"]
            if 0 <= index < len(pairs) and pairs[index][1].code == diagnostic.code:
                chosen.append(pairs[index])
                continue
        for found, published in pairs:
            if (
                published.code == diagnostic.code
                and published.range == diagnostic.range
                and published.message == diagnostic.message
            ):
                chosen.append((found, published))
                break
    if not sent:
        chosen = [pair for pair in pairs if _overlaps(pair[1].range, where)]
    unique: list[tuple[Any, types.Diagnostic]] = []
    for pair in chosen:
        if all(pair[0] is not other[0] for other in unique):
            unique.append(pair)
    return unique


def create_server() -> KpolicyServer:
    return KpolicyServer()


def main() -> None:
    """Serve LSP over stdin/stdout until the client says exit."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="kpolicy lsp: %(levelname)s %(name)s: %(message)s",
    )
    protocol_out = sys.stdout.buffer
    # anything that prints would corrupt the protocol stream
    sys.stdout = sys.stderr
    # pygls reads what the client sends as it says it is: frame it defensively first
    from kpolicy.lsp.stream import GuardedInput

    create_server().start_io(GuardedInput(sys.stdin.buffer), protocol_out)  # type: ignore[arg-type]
