"""The workspace as the language server sees it: config, manifests on disk, open buffers.

Everything here runs on one worker thread of the server (see :mod:`kpolicy.lsp.server`), so
the caches need no locks; buffers come in as immutable snapshots.

Linting an open buffer is ``load_text`` on its text and ``check_files`` with every other
workspace manifest as context (the open buffers' versions replacing the files on disk), the
same code path as ``kpolicy lint`` run at the workspace root.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from kpolicy import escape
from kpolicy.configfile import CONFIG_NAME
from kpolicy.discover import MANIFEST_SUFFIXES, Input, discover
from kpolicy.discover import is_excluded as excluded
from kpolicy.errors import UsageError
from kpolicy.fix.text import FIX_ALL, apply_fixes, text_edits, whole_change
from kpolicy.helm import CHART_FILE
from kpolicy.index import Index
from kpolicy.kustomize import KUSTOMIZATION_FILES
from kpolicy.lint import (
    LintOptions,
    Session,
    adapt_to_repo,
    build_session,
    check_files,
    read_baseline,
    read_input,
    refused_file,
)
from kpolicy.load import load_text
from kpolicy.lsp import actions
from kpolicy.lsp.hover import plan_markdown
from kpolicy.lsp.positions import UTF16, Lines, lsp_text_edits
from kpolicy.model import (
    Diagnostic,
    Fix,
    KObject,
    Limits,
    LoadedFile,
    Severity,
    SourceFile,
    Span,
    TextEdit,
)
from kpolicy.plan import PlanContext, plan_for
from kpolicy.plan.command import Refusals, governing_services, workload_refusals
from kpolicy.records import replace as record_replace
from kpolicy.repo import RepoModel
from kpolicy.workload import PLANNED_KINDS

SOURCE = "kpolicy"
CONFIG_FILES = frozenset({CONFIG_NAME, "pyproject.toml"})
REPO_FILES = frozenset({*KUSTOMIZATION_FILES, CHART_FILE})
LANGUAGES = frozenset({"yaml", "json"})
TEMPLATE_LANGUAGES = frozenset({"helm", "gotmpl"})  # chart templates are not manifests yet
# other schemes are views of something else (a git revision in a diff editor, a remote file)
SCHEMES = ("file:", "untitled:")

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
# "path:line:column: message" or "path:line: message", as UsageError puts it
_WHERE = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::(?P<column>\d+))?: (?P<message>.*)$", re.S)

Log = Callable[[types.MessageType, str], None]


@dataclass(frozen=True, slots=True)
class Buffer:
    """An open document at one version."""

    uri: str
    version: int | None
    text: str
    language_id: str = "yaml"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """Why the config could not be loaded (the previous config stays in use)."""

    message: str
    path: Path | None
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """The diagnostics of one buffer: kpolicy's (for code actions) and their LSP form."""

    uri: str
    version: int | None
    found: tuple[Diagnostic, ...]
    published: tuple[types.Diagnostic, ...]
    context_changed: bool  # its objects changed: the other open buffers need a new lint


def _noop_log(kind: types.MessageType, message: str) -> None:
    pass


def _size_past(text: str, limit: int) -> int | None:
    """The UTF-8 size of ``text`` when it is more than ``limit`` bytes, else None."""
    if len(text) * 4 <= limit:
        return None  # no character takes more than 4 bytes
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


def _fingerprint(loaded: LoadedFile | None) -> list[tuple[Any, Any]]:
    return [] if loaded is None else [(o.ref, o.data) for o in loaded.objects]


def refusals_of(
    obj: KObject,
    loaded: LoadedFile,
    context: Sequence[LoadedFile],
    session: Session,
    repo: RepoModel | None,
    root: Path | None,
) -> Refusals:
    """:func:`workload_refusals` of the workload ``obj`` of ``loaded`` alone: the API server
    validates each object on its own, so only ``obj`` is checked, with the rest of its file in
    the index as context (checking the whole of a 1,000-line file again for every hover was
    nine tenths of a hover). The same answer for ``obj`` as the whole file's."""
    alone = record_replace(loaded, objects=(obj,))
    rest = record_replace(
        loaded, objects=tuple(o for o in loaded.objects if o is not obj), diagnostics=()
    )
    return workload_refusals([alone], [rest, *context], session, repo, root)


class Project:
    def __init__(self, root: Path | None, log: Log = _noop_log) -> None:
        # not resolved: the editor's URIs use the path as opened; symlinks are compared below
        self.root = Path(os.path.abspath(root)) if root is not None else None
        self._real_root = Path(os.path.realpath(root)) if root is not None else None
        self.log = log
        self.session: Session | None = None
        self.config_problem: ConfigProblem | None = None
        # False while no valid config has been read: the session then holds the defaults,
        # which must not lint (they would report what the config turns off)
        self.config_valid = False
        self._disk: dict[str, LoadedFile] = {}
        self._buffers: dict[str, tuple[Buffer, LoadedFile]] = {}
        self._seen: dict[
            str, list[tuple[Any, Any]]
        ] = {}  # display → objects others were linted with
        # kustomizations and charts of the workspace (patches, injected labels, templates)
        self.repo: RepoModel | None = None

    # -- paths ------------------------------------------------------------------------------

    def path_of(self, uri: str) -> Path | None:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return Path(path) if path else None

    def display_of(self, uri: str) -> str:
        """The path as ``kpolicy lint`` run at the workspace root reports it."""
        path = self.path_of(uri)
        if path is None:
            return uri
        return self._display(path)

    def _display(self, path: Path) -> str:
        absolute = Path(os.path.abspath(path))
        if self.root is not None and self._real_root is not None:
            if absolute.is_relative_to(self.root):
                return absolute.relative_to(self.root).as_posix()
            real = Path(os.path.realpath(absolute))
            if real.is_relative_to(self._real_root):
                return real.relative_to(self._real_root).as_posix()
        return str(absolute)

    def uri_of(self, display: str) -> str:
        for buffer, _ in self._buffers.values():
            if self.display_of(buffer.uri) == display:
                return buffer.uri
        path = Path(display)
        if not path.is_absolute() and self.root is not None:
            path = self.root / path
        return from_fs_path(str(path)) or display

    def is_config(self, uri: str) -> bool:
        path = self.path_of(uri)
        return path is not None and path.name in CONFIG_FILES

    def is_excluded(self, display: str) -> bool:
        if self.session is None or not self.session.config.exclude:
            return False
        config = self.session.config
        path = display if os.path.isabs(display) or self.root is None else str(self.root / display)
        return excluded(path, config.exclude, config.exclude_base)

    def wants(self, buffer: Buffer) -> bool:
        """Whether the buffer may be a manifest to lint (its language or file suffix)."""
        if self.is_config(buffer.uri) or not buffer.uri.startswith(SCHEMES):
            return False
        if buffer.language_id in TEMPLATE_LANGUAGES:
            return False
        if buffer.language_id in LANGUAGES or buffer.uri.endswith(MANIFEST_SUFFIXES):
            display = self.display_of(buffer.uri)
            if self.is_excluded(display):
                return False
            # a chart's templates and values, a kustomization, a CI workflow: not manifests
            repo = self.repo if self.repo is not None else RepoModel(self.root)
            return repo.skip_reason(display) is None
        return False

    # -- config and files on disk ------------------------------------------------------------

    def load(self) -> None:
        """Build the session from the workspace's config and read its manifests."""
        self.reload_config()

    def reload_config(self) -> bool:
        """Read the config again (and then the workspace, whose excludes may have changed, and
        the config's baseline). False when the config is invalid: the previous valid one stays
        in use, and before any was read nothing is linted (never the defaults, silently); the
        problem is a diagnostic on the config file (:meth:`config_outcome`)."""
        previous = self.session.baseline if self.session is not None else None
        try:
            # the baseline is read on its own: a broken baseline is not a broken config
            self.session = build_session(LintOptions(cwd=self.root, use_baseline=False))
            self.config_problem = None
            self.config_valid = True
            ok = True
        except Exception as exc:  # a UsageError for a bad config, anything for a bad policy
            self.config_problem = self._problem(str(exc))
            self.log(types.MessageType.Error, f"kpolicy: invalid config: {escape.text(exc)}")
            if self.session is None:
                # for the workspace walk only: nothing is linted with it
                self.session = build_session(LintOptions(cwd=self.root, use_config_discovery=False))
            ok = False
        if self.session.config.origin is not None:
            self.log(types.MessageType.Info, f"kpolicy: config {self.session.config.origin}")
        if ok:
            self.session = replace(self.session, baseline=previous)
            self.reload_baseline()
        self.scan()
        return ok

    def baseline_file(self) -> str | None:
        """The config's baseline (an absolute path), read again when it changes on disk."""
        if self.session is None or self.session.config.baseline is None:
            return None
        return os.path.abspath(os.path.join(self.session.cwd, self.session.config.baseline))

    def is_baseline(self, path: Path | None) -> bool:
        file = self.baseline_file()
        return file is not None and path is not None and os.path.abspath(path) == file

    def reload_baseline(self) -> bool:
        """Read the config's baseline again. False when it cannot be read (missing, invalid):
        that is logged, and the previous baseline, if any, stays in use (as the last good
        config does), until the file is fixed."""
        session = self.session
        if session is None:
            return False
        path = session.config.baseline
        if path is None:
            self.session = replace(session, baseline=None)
            return True
        try:
            baseline = read_baseline(path, session.cwd)
        except UsageError as exc:
            kept = "; the previous baseline stays in use" if session.baseline is not None else ""
            self.log(types.MessageType.Error, f"kpolicy: {exc}{kept}")
            return False
        self.session = replace(session, baseline=baseline)
        count = len(baseline.entries)
        self.log(
            types.MessageType.Info,
            f"kpolicy: baseline {baseline.path} ({count} finding{'' if count == 1 else 's'})",
        )
        return True

    def _problem(self, text: str) -> ConfigProblem:
        match = _WHERE.match(text)
        if match is None:
            return ConfigProblem(text, self._config_file(), 1, 1)
        path = Path(match.group("path"))
        if not path.is_absolute() and self.root is not None:
            path = self.root / path
        message = match.group("message").removeprefix("invalid config: ")
        return ConfigProblem(
            message, path, int(match.group("line")), int(match.group("column") or 1)
        )

    def _config_file(self) -> Path | None:
        """The config file the workspace would use (for a problem that names no file)."""
        if self.root is None:
            return None
        from kpolicy.configfile import find_config

        try:
            return find_config(self.root)
        except Exception:  # an unreadable pyproject.toml: the problem itself says so
            return None

    def config_message(self) -> str | None:
        """What the user must know while the config is invalid (window/showMessage)."""
        problem = self.config_problem
        if problem is None:
            return None
        where = f"{problem.path}:{problem.line}: " if problem.path is not None else ""
        outcome = (
            "the last valid config stays in use until it is fixed"
            if self.config_valid
            else "nothing is linted until it is fixed"
        )
        return escape.text(f"kpolicy: invalid config: {where}{problem.message} ({outcome})")

    def config_outcome(
        self, buffers: Mapping[str, Buffer], encoding: str = UTF16
    ) -> tuple[str | None, tuple[types.Diagnostic, ...]]:
        """The file the config problem is in (its URI, open or not) and its diagnostics: one,
        at the offending line; (None, ()) when the config is valid."""
        problem = self.config_problem
        if problem is None or problem.path is None:
            return None, ()
        uri = from_fs_path(str(problem.path)) or str(problem.path)
        text: str | None = None
        for buffer in buffers.values():
            path = self.path_of(buffer.uri)
            if path is not None and os.path.abspath(path) == os.path.abspath(problem.path):
                uri, text = buffer.uri, buffer.text
                break
        if text is None:
            text = self._read_text(problem.path)
        return uri, (self._config_diagnostic(problem, Lines.of(text or ""), encoding),)

    def _read_text(self, path: Path) -> str | None:
        from kpolicy.fsutil import read_regular

        try:  # a regular file only, never past the size limit
            return read_regular(path, Limits().max_file_bytes).decode("utf-8", "replace")
        except (OSError, ValueError):
            return None

    def _config_diagnostic(
        self, problem: ConfigProblem, lines: Lines, encoding: str = UTF16
    ) -> types.Diagnostic:
        # from the offending column to the end of its line (a real column)
        end = len(lines.line(problem.line)) + 1
        span = Span(problem.line, problem.column, problem.line, max(end, problem.column + 1))
        outcome = (
            "the last valid config stays in use until it is fixed"
            if self.config_valid
            else "nothing is linted until it is fixed"
        )
        return types.Diagnostic(
            range=lines.range(span, encoding),
            message=escape.text(f"{problem.message} ({outcome})"),
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
            code="config-invalid",
        )

    def _not_linted(self, target: Buffer, encoding: str) -> types.Diagnostic:
        """The one diagnostic of a manifest while no valid config was ever read."""
        problem = self.config_problem
        assert problem is not None
        lines = Lines.of(target.text)
        where = f"{problem.path}:{problem.line}" if problem.path is not None else "the config"
        related = None
        if problem.path is not None:
            config_text = self._read_text(problem.path) or ""
            span = Span(problem.line, problem.column, problem.line, problem.column + 1)
            related = [
                types.DiagnosticRelatedInformation(
                    location=types.Location(
                        uri=from_fs_path(str(problem.path)) or str(problem.path),
                        range=Lines.of(config_text).range(span, encoding),
                    ),
                    message=escape.text(problem.message),
                )
            ]
        first = Span(1, 1, 1, len(lines.line(1)) + 1)
        return types.Diagnostic(
            range=lines.range(first, encoding),
            message=escape.text(
                f"not linted: the kpolicy config is invalid ({where}: "
                f"{problem.message}); fix it to lint this file"
            ),
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
            code="config-invalid",
            related_information=related,
        )

    def scan(self) -> None:
        """Read every manifest of the workspace (as ``kpolicy lint .`` at the root finds them)."""
        self._disk = {}
        if self.root is None or self.session is None:
            return
        started = time.perf_counter()
        inputs, errors = discover([str(self.root)])
        for error in errors:
            self.log(types.MessageType.Warning, f"kpolicy: {error}")
        self.repo = RepoModel.scan(
            [self._display(i.path) for i in inputs if i.path is not None], self.root
        )
        for item in inputs:
            if item.path is not None:
                self._read(item.path, walked=True)
        elapsed = time.perf_counter() - started
        self.log(
            types.MessageType.Info,
            f"kpolicy: read {len(self._disk)} manifest files in {self.root} ({elapsed:.2f} s)",
        )

    def _read(self, path: Path, walked: bool = False) -> bool:
        """(Re)read one workspace file into the context; True when the context changed.
        ``walked``: found by walking the workspace, which already left out the links that
        lead outside it."""
        assert self.session is not None
        display = self._display(path)
        before = self._disk.pop(display, None)
        config = self.session.config.origin
        if (
            any(part.startswith(".") for part in Path(display).parts)  # as discover skips them
            or not path.name.endswith(MANIFEST_SUFFIXES)
            or self.is_excluded(display)
            or (config is not None and path.resolve() == config.resolve())
            or self.is_baseline(path)
            or (self.repo is not None and self.repo.skip_reason(display) is not None)
            or not (walked or self._inside(path))
        ):
            return before is not None
        loaded = read_input(Input(display, path, explicit=False), True, self.session.limits, None)
        if isinstance(loaded, str):
            if path.exists():
                self.log(types.MessageType.Warning, f"kpolicy: {loaded}")
            return before is not None
        loaded = adapt_to_repo(loaded, self.repo)
        if loaded.manifest_like:
            self._disk[display] = loaded
        return _fingerprint(before) != _fingerprint(self._disk.get(display))

    def _inside(self, path: Path) -> bool:
        """Whether a file on disk, links resolved, is inside the workspace: a link to
        ``/proc/kmsg`` or ``/etc`` is never read (as a folder walk skips it)."""
        if self._real_root is None:
            return True
        real = Path(os.path.realpath(path))
        return real == self._real_root or real.is_relative_to(self._real_root)

    def files_changed(self, paths: Iterable[tuple[Path, bool]]) -> tuple[bool, bool]:
        """Files created, changed or deleted on disk (``(path, deleted)``).

        Returns (config or baseline reloaded, context changed).
        """
        config_changed = False
        baseline_changed = False
        context_changed = False
        for path, deleted in paths:
            if self.is_baseline(path):
                baseline_changed = True
                continue
            if path.name in CONFIG_FILES or path.name in REPO_FILES:
                # a kustomization or a chart changes what other files are: read them again
                config_changed = True
                continue
            if self.root is not None and Path(self._display(path)).is_absolute():
                continue  # outside the workspace
            if deleted or not path.exists():
                prefix = self._display(path)
                gone = [d for d in self._disk if d == prefix or d.startswith(prefix + "/")]
                for display in gone:
                    del self._disk[display]
                context_changed = context_changed or bool(gone)
            elif path.is_dir():
                for item in discover([str(path)])[0]:
                    if item.path is not None:
                        context_changed = self._read(item.path) or context_changed
            else:
                context_changed = self._read(path) or context_changed
        if config_changed:
            self.reload_config()  # the baseline too
        elif baseline_changed:
            self.reload_baseline()
        reloaded = config_changed or baseline_changed
        return reloaded, context_changed or reloaded

    # -- buffers ---------------------------------------------------------------------------

    def loaded(self, buffer: Buffer) -> LoadedFile:
        """The buffer read by the loader, cached while its text is unchanged."""
        cached = self._buffers.get(buffer.uri)
        if cached is not None and cached[0].text == buffer.text:
            if cached[0].version != buffer.version:
                self._buffers[buffer.uri] = (buffer, cached[1])
            return cached[1]
        limits = self.session.limits if self.session is not None else None
        display = self.display_of(buffer.uri)
        size = _size_past(buffer.text, (limits or Limits()).max_file_bytes)
        if size is not None:
            # as the CLI refuses the file: one finding that says why, and no objects
            loaded = refused_file(display, size, limits or Limits())
        else:
            loaded = load_text(SourceFile(display, buffer.text), limits)
            loaded = adapt_to_repo(loaded, self.repo)
        self._buffers[buffer.uri] = (buffer, loaded)
        return loaded

    def close(self, uri: str) -> bool:
        """Forget a closed buffer; True when the others must be linted again (the file on
        disk, or nothing, replaces it as context)."""
        self._buffers.pop(uri, None)
        display = self.display_of(uri)
        before = self._seen.pop(display, None)
        return before is not None and before != _fingerprint(self._disk.get(display))

    def _context(self, target: Buffer, buffers: Mapping[str, Buffer]) -> list[LoadedFile]:
        """Every workspace manifest but ``target``: the open buffers' versions, else the files."""
        own = self.display_of(target.uri)
        open_files: dict[str, Buffer] = {}
        for buffer in buffers.values():
            if buffer.uri != target.uri and self.wants(buffer):
                open_files[self.display_of(buffer.uri)] = buffer
        open_files.pop(own, None)
        files = [f for d, f in self._disk.items() if d != own and d not in open_files]
        files.extend(self.loaded(b) for b in open_files.values())
        return files

    def _all_objects(self, target: Buffer, buffers: Mapping[str, Buffer]) -> list[KObject]:
        files = [self.loaded(target), *self._context(target, buffers)]
        return [o for f in files for o in f.objects]

    def _text_of(self, display: str, buffers: Mapping[str, Buffer]) -> str | None:
        for buffer in buffers.values():
            if self.display_of(buffer.uri) == display:
                return buffer.text
        if display in self._disk:
            return self._disk[display].source.text
        path = (
            Path(display)
            if Path(display).is_absolute() or self.root is None
            else self.root / display
        )
        if not self._inside(path):
            return None
        from kpolicy.fsutil import read_regular

        limits = self.session.limits if self.session is not None else Limits()
        try:  # a regular file only, never past the size limit
            return read_regular(path, limits.max_file_bytes).decode("utf-8")
        except (OSError, ValueError):
            return None

    def _version_of(self, display: str, buffers: Mapping[str, Buffer]) -> int | None:
        for buffer in buffers.values():
            if self.display_of(buffer.uri) == display:
                return buffer.version
        return None

    # -- diagnostics -----------------------------------------------------------------------

    def lint(self, target: Buffer, buffers: Mapping[str, Buffer], encoding: str = UTF16) -> Outcome:
        """The diagnostics of one open buffer, as ``kpolicy lint`` reports them."""
        if self.session is None:
            self.load()
        assert self.session is not None
        display = self.display_of(target.uri)
        if self.is_config(target.uri) or self._holds_config_problem(target.uri):
            return Outcome(
                target.uri, target.version, (), tuple(self._config_diagnostics(target)), False
            )
        if not self.wants(target):
            return Outcome(target.uri, target.version, (), (), False)
        if not self.config_valid and self.config_problem is not None:
            return Outcome(
                target.uri, target.version, (), (self._not_linted(target, encoding),), False
            )
        loaded = self.loaded(target)
        fingerprint = _fingerprint(loaded)
        before = self._seen.get(display)
        if before is None:
            before = _fingerprint(self._disk.get(display))
        self._seen[display] = fingerprint
        changed = fingerprint != before
        if not loaded.manifest_like:
            return Outcome(target.uri, target.version, (), (), changed)
        result, _ = check_files(
            [loaded],
            self._context(target, buffers),
            self.session,
            base=self.root,
            repo=self.repo,
            context_findings=False,
        )
        lines = Lines.of(target.text)
        published = tuple(
            self.to_lsp(d, lines, buffers, encoding, key=i)
            for i, d in enumerate(result.diagnostics)
        )
        return Outcome(target.uri, target.version, result.diagnostics, published, changed)

    def _holds_config_problem(self, uri: str) -> bool:
        """Whether the config problem is in this file (a policy file the config names)."""
        problem = self.config_problem
        path = self.path_of(uri)
        return (
            problem is not None
            and problem.path is not None
            and path is not None
            and os.path.abspath(problem.path) == os.path.abspath(path)
        )

    def _config_diagnostics(self, target: Buffer) -> list[types.Diagnostic]:
        problem = self.config_problem
        path = self.path_of(target.uri)
        if problem is None or problem.path is None or path is None:
            return []
        if os.path.abspath(problem.path) != os.path.abspath(path):
            return []
        return [self._config_diagnostic(problem, Lines.of(target.text))]

    def to_lsp(
        self,
        diagnostic: Diagnostic,
        lines: Lines,
        buffers: Mapping[str, Buffer],
        encoding: str = UTF16,
        key: int | None = None,
    ) -> types.Diagnostic:
        assert self.session is not None
        rule = self.session.rules.get(diagnostic.rule)
        related: list[types.DiagnosticRelatedInformation] = []
        for location in diagnostic.related:
            text = self._text_of(location.file, buffers)
            other = Lines.of(text) if text is not None else Lines.of("")
            message = location.message
            if location.object is not None:
                message = f"{message} ({location.object.label()})"
            message = escape.text(message)  # names and values from the manifests
            related.append(
                types.DiagnosticRelatedInformation(
                    location=types.Location(
                        uri=self.uri_of(location.file), range=other.range(location.span, encoding)
                    ),
                    message=message,
                )
            )
        return types.Diagnostic(
            range=lines.range(diagnostic.span, encoding),
            message=escape.text(diagnostic.message),
            severity=_SEVERITY[diagnostic.severity],
            code=diagnostic.rule,
            code_description=types.CodeDescription(href=rule.help_uri) if rule else None,
            source=SOURCE,
            related_information=related or None,
            data={"kpolicy": key} if key is not None else None,
        )

    # -- hover -----------------------------------------------------------------------------

    def hover(
        self,
        target: Buffer,
        buffers: Mapping[str, Buffer],
        position: types.Position,
        encoding: str = UTF16,
        markdown: bool = True,
    ) -> types.Hover | None:
        """The rollout plan of the workload whose ``kind`` or ``metadata.name`` line is under
        the cursor."""
        if self.session is None:
            self.load()
        assert self.session is not None
        if not self.wants(target) or (not self.config_valid and self.config_problem):
            return None
        line = position.line + 1
        loaded = self.loaded(target)
        for obj in loaded.objects:
            if obj.kind not in PLANNED_KINDS or obj.patch:
                continue  # a kustomize patch is a fragment, not a workload to plan
            for pointer in ("/kind", "/metadata/name"):
                entry = obj.positions.entries.get(obj.base + pointer)
                if entry is None:
                    continue
                key_span, value_span = entry
                start = key_span or value_span
                if start.line != line:
                    continue
                # the governing Services as lint and `kpolicy plan` find them
                index = Index(
                    self._all_objects(target, buffers),
                    self.repo.relation if self.repo is not None else None,
                    self.repo.relation_class if self.repo is not None else None,
                )
                services = governing_services(index, obj)
                # as `kpolicy plan` does: lint's findings tell whether the API server rejects it
                refusals = refusals_of(
                    obj,
                    loaded,
                    self._context(target, buffers),
                    self.session,
                    self.repo,
                    self.root,
                )
                context = PlanContext(
                    kubernetes_version=self.session.kubernetes_version,
                    feature_gates=self.session.feature_gates,
                    cluster_domain=self.session.cluster_domain,
                    services=services,
                )
                plan = plan_for(
                    obj.data, None, rejections=refusals.get(id(obj), ()), context=context
                )
                if plan is None:
                    return None
                span = Span(start.line, start.column, value_span.end_line, value_span.end_column)
                return types.Hover(
                    contents=types.MarkupContent(
                        kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
                        value=plan_markdown(plan, markdown=markdown),
                    ),
                    range=Lines.of(target.text).range(span, encoding),
                )
        return None

    # -- code actions ----------------------------------------------------------------------

    def code_actions(
        self,
        target: Buffer,
        buffers: Mapping[str, Buffer],
        found: Sequence[tuple[Diagnostic, types.Diagnostic]],
        encoding: str = UTF16,
        document_changes: bool = True,
    ) -> list[types.CodeAction]:
        """Quick fixes for the diagnostics under the cursor, then an ignore action for each."""
        fixes: list[types.CodeAction] = []
        ignores: list[types.CodeAction] = []
        seen_ignores: set[tuple[str, int]] = set()
        for diagnostic, published in found:
            fix = self._fix(target, buffers, diagnostic, published, encoding, document_changes)
            if fix is not None:
                fixes.append(fix)
            key = (diagnostic.rule, diagnostic.span.line)
            if key in seen_ignores:
                continue
            seen_ignores.add(key)
            edit = actions.ignore_edit(target.text, diagnostic.span.line, diagnostic.rule)
            if edit is None:
                continue
            ignores.append(
                types.CodeAction(
                    title=f"Ignore {diagnostic.rule} on this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[published],
                    edit=self._workspace_edit(
                        {target.uri: (target.version, target.text, [edit])},
                        encoding,
                        document_changes,
                    ),
                )
            )
        return fixes + ignores

    def fix_all(
        self,
        target: Buffer,
        found: Sequence[Diagnostic],
        encoding: str = UTF16,
        document_changes: bool = True,
    ) -> types.CodeAction | None:
        """Every safe fix of the buffer's findings that edits the buffer itself, applied
        together as ``kpolicy lint --fix`` applies one round (``source.fixAll.kpolicy``)."""
        fixes: list[Fix] = []
        seen: set[str] = set()
        for diagnostic in found:
            fix = diagnostic.fix
            if fix is None or fix.applicability != "safe" or fix.file is not None:
                continue
            key = repr((fix.edits, fix.expect))
            if key not in seen:
                seen.add(key)
                fixes.append(fix)
        if not fixes:
            return None
        fixed, applied = apply_fixes(target.text, fixes)
        if not applied or fixed == target.text:
            return None
        edit = whole_change(target.text, fixed)
        return types.CodeAction(
            title="Fix all safe kpolicy findings in this file",
            kind=FIX_ALL,
            edit=self._workspace_edit(
                {target.uri: (target.version, target.text, [edit])}, encoding, document_changes
            ),
        )

    def _fix(
        self,
        target: Buffer,
        buffers: Mapping[str, Buffer],
        diagnostic: Diagnostic,
        published: types.Diagnostic,
        encoding: str,
        document_changes: bool,
    ) -> types.CodeAction | None:
        fix = diagnostic.fix
        if fix is None or fix.applicability == "display-only":
            return None
        if fix.file is None:
            uri, version, text = target.uri, target.version, target.text
        else:
            found_text = self._text_of(fix.file, buffers)
            if found_text is None:
                return None
            uri, version, text = (
                self.uri_of(fix.file),
                self._version_of(fix.file, buffers),
                found_text,
            )
        fixed, applied = apply_fixes(text, [fix])
        edits = text_edits(fix, text) if applied else None
        if not edits or fixed == text:
            return None
        title = fix.description
        preferred = fix.applicability == "safe"
        changes: dict[str, tuple[int | None, str, list[TextEdit]]] = {uri: (version, text, edits)}
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[published],
            is_preferred=preferred,
            edit=self._workspace_edit(changes, encoding, document_changes),
        )

    def _object_in(self, display: str, ref: Any, buffers: Mapping[str, Buffer]) -> KObject | None:
        loaded: LoadedFile | None = None
        for buffer in buffers.values():
            if self.display_of(buffer.uri) == display:
                loaded = self.loaded(buffer)
                break
        if loaded is None:
            loaded = self._disk.get(display)
        if loaded is None:
            return None
        return next((o for o in loaded.objects if o.ref == ref), None)

    def _workspace_edit(
        self,
        changes: Mapping[str, tuple[int | None, str, list[TextEdit]]],
        encoding: str,
        document_changes: bool,
    ) -> types.WorkspaceEdit:
        converted = {
            uri: (version, lsp_text_edits(text, edits, encoding))
            for uri, (version, text, edits) in changes.items()
        }
        if document_changes:
            return types.WorkspaceEdit(
                document_changes=[
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=uri, version=version
                        ),
                        edits=list(edits),
                    )
                    for uri, (version, edits) in converted.items()
                ]
            )
        return types.WorkspaceEdit(changes={uri: edits for uri, (_, edits) in converted.items()})
