"""Reading a run's inputs: files (bounded by the limits), ``--nodes``, ``--kustomize`` builds, skipped charts, and each file adapted to its repository."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping, Sequence

from kpolicy.discover import HELM_TEMPLATES, Input, discover, file_identity
from kpolicy.errors import UsageError
from kpolicy.fsutil import NotRegular, open_regular
from kpolicy.lint.options import LintOptions
from kpolicy.lint.session import Session
from kpolicy.load import decode, load_documents, load_text
from kpolicy.model import (
    Diagnostic,
    Directive,
    KObject,
    Limits,
    LoadedFile,
    Severity,
    Skipped,
    SourceFile,
    Span,
)
from kpolicy.records import record, replace
from kpolicy.repo import RepoModel
from kpolicy.suppress import Suppressor, read_directives

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # a plain run does without pathlib (with urllib.parse, 3 ms)
    from typing import BinaryIO

    # kpolicy.kustomize is imported by a --kustomize build, or a kustomization's labels and
    # images to apply: a run without kustomizations does without it
    from kpolicy.kustomize import ObjectOrigin


def read_input(
    item: Input,
    context_only: bool,
    limits: Limits,
    stdin_text: str | None,
    keep_text: bool = True,
) -> LoadedFile | str:
    """A loaded file, or a one-line I/O error. ``keep_text=False`` drops the file's text once it
    is parsed (a lint run needs only values and positions; the language server keeps it)."""
    location = item.location
    if location is None:
        if stdin_text is not None:
            text: str | None = stdin_text
            data = b""
        else:
            data = _read_at_most(sys.stdin.buffer, limits.max_file_bytes)
            text = None
    else:
        # a file that discover found regular (walked, or named) comes with its size: its
        # status is not taken again before the open, whose descriptor's status is checked
        # (one system call fewer a file); any other file's is, so that a device is never
        # opened
        walked = item.size is not None
        try:
            if not walked:
                refused = _refused_by_status(item, location, context_only, limits)
                if refused is not None:
                    return refused
            # opened without blocking and checked again on the descriptor: a file swapped for
            # a FIFO after the stat above (or the walk's) cannot block the run
            fd, opened = open_regular(location)
            try:
                if walked and opened.st_size > limits.max_file_bytes:
                    return _too_large(item, context_only, opened.st_size, limits)
                # never more than the limit: a file can grow, and /proc files report size 0
                data = _read_fd(fd, opened.st_size, limits.max_file_bytes)
            finally:
                os.close(fd)
        except OSError as exc:
            failure: OSError = exc
            if walked:
                # what a status of the path first says (a folder or a FIFO since the walk, a
                # file too large that cannot be opened): the same answer as a file not walked
                try:
                    refused = _refused_by_status(item, location, context_only, limits)
                except OSError as again:
                    failure = again
                else:
                    if refused is not None:
                        return refused
            if isinstance(failure, NotRegular):
                return f"{item.display}: not a regular file"
            return f"{item.display}: cannot read: {failure.strerror or failure}"
        except ValueError:  # a NUL byte in the name
            return f"{item.display}: invalid file name"
        text = None
    if text is None:
        if len(data) > limits.max_file_bytes:
            return _too_large(item, context_only, None, limits)
        text, error, line = decode(data)
        if text is None:
            return refused_input(item, context_only, error or "cannot decode", line)
    return load_text(SourceFile(item.display, text, context_only), limits, keep_text=keep_text)


def _refused_by_status(
    item: Input, location: str, context_only: bool, limits: Limits
) -> LoadedFile | str | None:
    """Why the status of ``location`` refuses it before it is opened (a folder, not a regular
    file, too large), else None; OSError where it has no status."""
    status = os.stat(location)
    if stat.S_ISDIR(status.st_mode):
        return f"{item.display}: is a folder"
    if not stat.S_ISREG(status.st_mode):
        return f"{item.display}: not a regular file"  # a FIFO would block forever
    if status.st_size > limits.max_file_bytes:
        return _too_large(item, context_only, status.st_size, limits)
    return None


def _read_fd(fd: int, size: int, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of a descriptor (one more tells that the limit is passed),
    read with no buffered file around it: ``size`` bytes and one more (the end of most files,
    in one read and one empty one), then a MiB at a time (a file that grew, or a ``/proc`` file
    of size 0): ``read(n)`` allocates n bytes first, and a limit may be raised to far more than
    memory."""
    chunks: list[bytes] = []
    total = 0
    read = os.read
    while total <= limit:
        want = size - total + 1 if total <= size else _CHUNK
        chunk = read(fd, min(limit + 1 - total, want, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_CHUNK = 1 << 20


def _read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes (one more tells that the limit is passed), a MiB at a time:
    ``read(n)`` allocates n bytes first, and a limit may be raised to far more than memory."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = handle.read(min(limit + 1 - total, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _too_large(item: Input, context_only: bool, size: int | None, limits: Limits) -> LoadedFile:
    what = "it has" if size is None else f"{size} bytes is"
    return refused_input(
        item,
        context_only,
        f"file refused: {what} more than the limit of {limits.max_file_bytes} bytes "
        "(raise it with --max-file-size or limits.maxFileBytes)",
        1,
    )


def refused_file(display: str, size: int | None, limits: Limits) -> LoadedFile:
    """A file (or an editor's buffer) too large to read, as the one finding that says so."""
    return _too_large(Input(display, None), False, size, limits)


def refused_input(item: Input, context_only: bool, message: str, line: int) -> LoadedFile:
    """A file read as nothing but one yaml-syntax finding (undecodable, too large)."""
    diag = Diagnostic(
        "yaml-syntax", Severity.ERROR, message, item.display, Span.point(line, 1), "", None
    )
    return LoadedFile(SourceFile(item.display, "", context_only), (), (diag,), 0, {})


def load_nodes(path: Path | None, limits: Limits) -> tuple[KObject, ...] | None:
    """The Node objects of ``--nodes``. A file that does not load (unreadable, broken YAML,
    refused by a limit) or holds objects of which none is a Node is a usage error: the
    DaemonSet rules would otherwise check nothing, silently."""
    if path is None:
        return None
    loaded = read_input(Input(str(path), path), True, limits, None)
    if isinstance(loaded, str):
        raise UsageError(loaded)  # "PATH: cannot read: ...", as for any path on the command line
    return nodes_of(loaded, path)


def nodes_of(loaded: LoadedFile | str, path: Path) -> tuple[KObject, ...]:
    if isinstance(loaded, str):
        raise UsageError(f"--nodes {loaded}")
    for diag in loaded.diagnostics:
        if diag.severity is Severity.ERROR:
            raise UsageError(
                f"--nodes {diag.file}:{diag.span.line}:{diag.span.column}: "
                f"{diag.message} [{diag.rule}]"
            )
    nodes = tuple(o for o in loaded.objects if o.kind == "Node")
    if loaded.objects and not nodes:
        raise UsageError(
            f"--nodes {path}: none of its {len(loaded.objects)} objects is a Node "
            "(it wants the output of `kubectl get nodes -o yaml`)"
        )
    return nodes


@record(frozen=True)
class KustomizeBuild:
    """The output of ``kustomize build`` of one folder, and where each object came from."""

    loaded: LoadedFile
    origins: Mapping[tuple[str, str, str], ObjectOrigin]  # (kind, namespace, name) → origin


def build_kustomize(folder: str, limits: Limits) -> KustomizeBuild:
    from kpolicy.kustomize import origin_of, render, without_origin

    text, wrapper = render(folder)
    display = f"<kustomize build {folder}>"
    loaded = load_text(SourceFile(display, text), limits, keep_text=False)
    origins: dict[tuple[str, str, str], ObjectOrigin] = {}
    objects = []
    for obj in loaded.objects:
        found = origin_of(obj.data, wrapper)
        if found is not None:
            origins[(obj.kind, obj.namespace, obj.name)] = found
        # (a value of its own, which is_plain_tree answers for: plain=False)
        objects.append(replace(obj, data=without_origin(obj.data), plain=False))
    return KustomizeBuild(replace(loaded, objects=tuple(objects)), origins)


def shapeless_reason(item: Input, result: LoadedFile, repo: RepoModel) -> str:
    """Why a file that holds no Kubernetes object is skipped."""
    if item.location is not None and repo.is_patch(item.display):
        users = repo.patch_users(item.display)
        named = os.path.relpath(users[0].file, repo.base) if users else "a kustomization"
        return f"kustomize patch without an object (a JSON patch), named by {named}"
    return result.not_manifest or "holds no Kubernetes object"


def chart_finding(
    folder: str, templates: int, repo: RepoModel, session: Session
) -> Diagnostic | None:
    """helm-chart-not-rendered: one per chart whose templates were skipped."""
    active = session.active.get(CHART_NOT_RENDERED)
    if active is None:
        return None
    chart = repo.charts.get(folder)
    path = os.path.join(folder, "Chart.yaml")
    display = os.path.relpath(path, repo.base) if folder.startswith(repo.base) else path
    chart_display = os.path.dirname(display) or "."
    span = Span.point(1, 1)
    directives: dict[int, tuple[Directive, ...]] = {}
    try:
        with open(path, "rb") as handle:
            text, _, _ = decode(handle.read(1 << 20))
    except OSError:
        text = None
    if text is not None:
        documents, _ = load_documents(SourceFile(display, text))
        directives = read_directives(text)
        if documents and isinstance(documents[0].value, dict) and "name" in documents[0].value:
            span = documents[0].positions.resolve("/name", "value")[0]
    name = chart.name if chart is not None and chart.name else os.path.basename(folder)
    what = "template" if templates == 1 else "templates"
    diag = Diagnostic(
        CHART_NOT_RENDERED,
        active.severity,
        f"Helm chart {name!r}: {templates} {what} not linted as written (Go templates are not "
        f"YAML); lint what they render: helm template {chart_display} | kpolicy lint -",
        display,
        span,
        "",
        None,
    )
    # Chart.yaml is not linted, so its comments are not judged by unused-suppression
    chart_file = LoadedFile(SourceFile(display, ""), (), (), 0, directives)
    suppression = Suppressor(session.suppression, chart_file).suppression(diag)
    return diag if suppression is None else replace(diag, suppression=suppression)


CHART_NOT_RENDERED = "helm-chart-not-rendered"


def adapt_to_repo(loaded: LoadedFile, repo: RepoModel | None) -> LoadedFile:
    """A file's objects as its repository applies them: marked as kustomize patches when a
    kustomization names the file as one, and with the labels and images its kustomizations
    set."""
    if (
        repo is None
        or not loaded.objects
        or loaded.source.display.startswith("<")
        or not repo.adapts_files()
    ):
        return loaded
    display = loaded.source.display
    patch = repo.is_patch(display)
    labels = () if patch else repo.injected_labels(display)
    images = () if patch else repo.image_overrides(display)
    if not patch and not labels and not images:
        return loaded
    from kpolicy.kustomize import applied

    objects = tuple(
        replace(o, patch=True)
        if patch
        else replace(o, data=applied(o.data, labels, images), plain=False)
        for o in loaded.objects
    )
    return replace(loaded, objects=objects)


def refuse_past_run_limit(
    reads: Sequence[tuple[Input, bool]],
    sizes: Sequence[int],
    limits: Limits,
    results: list[LoadedFile | str | None],
) -> None:
    """Files after the first ``limits.max_run_bytes`` bytes of the run are refused unread (each
    file is also bounded by ``max_file_bytes``, so the run reads at most one file more)."""
    if sum(sizes) <= limits.max_run_bytes:
        return  # no file follows more: the common case, without a step for each file
    total = 0
    for index, ((item, context_only), size) in enumerate(zip(reads, sizes, strict=True)):
        if total > limits.max_run_bytes:
            results[index] = refused_input(
                item,
                context_only,
                f"file refused: the files before it hold more than the run's limit of "
                f"{limits.max_run_bytes} bytes (raise limits.maxRunBytes, or lint fewer files "
                "at once)",
                1,
            )
        total += size


def size_of(item: Input) -> int:
    """The size of ``item``'s file: as the walk found it (no second status, nor a ``Path``
    made before the workers fork), else as it is now; 0 for stdin or an unreadable file."""
    if item.size is not None:
        return item.size
    location = item.location
    if location is None:
        return 0
    try:
        return os.stat(location).st_size
    except (OSError, ValueError):
        return 0


@record(frozen=True)
class Gathered:
    """What a run reads, before reading it: the inputs and ``--context`` files in order, each
    with whether it is context only; the files left out and why; the I/O errors of the walk;
    the repository around them; the charts whose templates were left out."""

    reads: list[tuple[Input, bool]]
    skipped: list[Skipped]
    errors: list[str]
    read_also: list[str]  # files read to decide (.gitignore, kustomizations, charts)
    repo: RepoModel
    base: str  # the working folder (LintOptions.cwd, else the process's)
    unrendered: dict[str, int]  # chart folder → its templates among the inputs


def gather_inputs(options: LintOptions, session: Session) -> Gathered:
    """The files of the paths and ``--context`` (:func:`kpolicy.discover.discover`), minus
    kpolicy's own (config, baseline) and what the repository says is not a manifest; the
    choice depends on names alone."""
    config = session.config
    exclude = config.exclude
    exclude_base = config.exclude_base
    force_exclude = (
        options.force_exclude if options.force_exclude is not None else config.force_exclude
    )
    skipped: list[Skipped] = []
    read_also: list[str] = []
    inputs, errors = discover(
        options.paths,
        exclude,
        options.stdin_filename,
        base=exclude_base,
        force_exclude=force_exclude,
        ignore_files=options.ignore_files,
        skipped=skipped,
        read=read_also,
    )
    context_inputs, context_errors = discover(
        options.context,
        exclude,
        base=exclude_base,
        force_exclude=force_exclude,
        ignore_files=options.ignore_files,
        read=read_also,
    )
    errors.extend(context_errors)
    base = os.fspath(options.cwd) if options.cwd else os.getcwd()
    repo = RepoModel.scan(
        [i.display for i in (*inputs, *context_inputs) if i.location is not None], base
    )
    read_also.extend(repo.files_read)
    reported_names = {i.display for i in inputs}
    origin = config.origin
    config_file = file_identity(origin) if origin is not None else None
    config_name = origin.name if origin is not None else ""
    # the baseline (in use, or the config's, which --write-baseline replaces) is kpolicy's
    # own file: never read as a manifest (it may be larger than a manifest may be)
    baseline_path = options.baseline or config.baseline
    baseline_file = (
        file_identity(os.path.join(base, baseline_path)) if baseline_path is not None else None
    )
    baseline_name = baseline_path.name if baseline_path is not None else ""

    def is_baseline(item: Input) -> bool:
        return (
            baseline_file is not None
            and item.path is not None
            and item.path.name == baseline_name
            and file_identity(item.path) == baseline_file
        )

    # what to read, in order: (input, context only); the choice depends on names alone
    reads: list[tuple[Input, bool]] = []
    unrendered: dict[str, int] = {}  # chart folder → its templates among the inputs
    for item in inputs:
        if (
            config_file is not None
            and item.path is not None
            and item.path.name == config_name
            and file_identity(item.path) == config_file
        ):
            skipped.append(Skipped(item.display, "kpolicy configuration"))
            continue
        if is_baseline(item):
            skipped.append(Skipped(item.display, "kpolicy baseline"))
            continue
        why = repo.skip_reason(item.display) if item.location is not None else None
        if why is not None:
            skipped.append(Skipped(item.display, *why))
            if why[1] == HELM_TEMPLATES:
                chart = repo.template_chart(item.display)
                if chart is not None:
                    unrendered[chart.folder] = unrendered.get(chart.folder, 0) + 1
            continue
        reads.append((item, False))
    if context_inputs:
        reported = {file_identity(i.path) for i in inputs if i.path is not None}
        reported.discard(None)
        for item in context_inputs:
            if item.display in reported_names or (
                item.path is not None and file_identity(item.path) in reported
            ):
                continue
            if repo.skip_reason(item.display) is not None or is_baseline(item):
                continue
            reads.append((item, True))
    return Gathered(reads, skipped, errors, read_also, repo, base, unrendered)
