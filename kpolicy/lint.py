"""The lint pipeline: discover → load → index → engine → suppress, as one function."""

from __future__ import annotations

import difflib
import gc
import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, cast

from kpolicy import dates
from kpolicy.baseline import Baseline, apply_baseline, load_baseline
from kpolicy.checks import RuleContext
from kpolicy.config import Config, check_rule_ids, load_config
from kpolicy.configfile import find_config
from kpolicy.discover import HELM_TEMPLATES, Input, discover, file_identity
from kpolicy.engine import INTERNAL_ERROR, ActiveRule, Engine
from kpolicy.errors import UsageError
from kpolicy.features import unknown_gate
from kpolicy.fsutil import NotRegular, open_regular
from kpolicy.helm import TemplateOrigins, is_hook
from kpolicy.index import Index, LocalIndex, scope_namespace
from kpolicy.k8s.podtemplates import configured as pod_template_kinds
from kpolicy.kustomize import (
    PATCH_EXEMPT_RULES,
    ObjectOrigin,
    applied,
    origin_of,
    render,
    without_origin,
)
from kpolicy.load import decode, load_documents, load_text, read_directives
from kpolicy.model import (
    CheckedFile,
    Diagnostic,
    Directive,
    KObject,
    Limits,
    LintResult,
    LoadedFile,
    RelatedLocation,
    Severity,
    Skipped,
    SourceFile,
    Span,
    Summary,
    Suppression,
)
from kpolicy.patterns import PATTERN_TIMEOUT, start_run
from kpolicy.repo import RepoModel
from kpolicy.ruledefs import RuleDef, builtin_rules, load_rule_dir, parse_rule_file
from kpolicy.suppress import (
    SuppressionPolicy,
    Suppressor,
    annotation_ignores,
    suppression_policy,
)
from kpolicy.versions import DEFAULT_VERSION, check_version

FAIL_LEVELS = ("error", "warning", "info", "never")

# Helm hooks and tests run around a release, not with it: the rules that relate a workload to
# the Services, budgets, autoscalers and other workloads of the release leave them out
HOOK_EXEMPT_RULES = frozenset(
    {
        "selector-overlap",
        "service-selector-no-match",
        "service-target-port-unknown",
        "pdb-missing",
        "pdb-blocks-all-evictions",
        "replicas-set-with-hpa",
    }
)


@dataclass(frozen=True)
class LintOptions:
    paths: Sequence[str] = (".",)
    context: Sequence[str] = ()
    stdin_filename: str = "<stdin>"
    config_path: Path | None = None
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    kubernetes_version: str | None = None
    cluster_domain: str | None = None
    policies: Sequence[Path] = ()
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    nodes_file: Path | None = None
    schema_dir: Path | None = None
    debug: bool = False
    limits: Limits | None = None
    stdin_text: str | None = None  # tests and the language server pass text directly
    use_config_discovery: bool = True
    cwd: Path | None = None
    # worker processes for large inputs: None or 0 for one per idle core (serial when the input is
    # small), 1 for serial; the output is the same either way
    jobs: int | None = None
    baseline: Path | None = None  # --baseline (else the config's baseline:)
    use_baseline: bool = True  # False: neither (--write-baseline makes a new one)
    today: date | None = None  # the day exemptions' `until` is compared with (tests)
    # config excludes apply to files named on the command line too (None: as the config says)
    force_exclude: bool | None = None
    ignore_files: bool = True  # honour .gitignore when walking folders (--no-ignore: False)
    kustomize: Sequence[str] = ()  # folders to build with kustomize and lint (--kustomize)
    # display → text read instead of the file (the rounds of --fix and --diff lint the fixed
    # text before, or without, writing it)
    texts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    """What a run resolves once: config, rules, version; reused by the language server."""

    config: Config
    rules: Mapping[str, RuleDef]
    active: Mapping[str, ActiveRule]
    kubernetes_version: str
    cluster_domain: str
    limits: Limits
    feature_gates: Mapping[str, bool]
    schema_dir: Path | None = None
    suppression: SuppressionPolicy = field(default_factory=SuppressionPolicy)
    baseline: Baseline | None = None
    cwd: Path = field(default_factory=Path.cwd)  # what reported file names are relative to
    warnings: tuple[str, ...] = ()  # one-line warnings about the config (expired exemptions)


def resolve_config(options: LintOptions) -> Config:
    if options.config_path is not None:
        if not options.config_path.is_file():
            raise UsageError(f"{options.config_path}: config file not found")
        return load_config(options.config_path)
    if options.use_config_discovery:
        return load_config(find_config(options.cwd or Path.cwd()))
    return Config()


def load_policies(paths: Sequence[Path], builtin: Mapping[str, RuleDef]) -> dict[str, RuleDef]:
    """User policies from files or folders; their ids must not clash with built-in ones."""
    found: dict[str, RuleDef] = {}
    for path in paths:
        if path.is_dir():
            rules = load_rule_dir(path)
        elif path.is_file():
            rule = parse_rule_file(path)
            rules = {rule.id: rule}
        else:
            raise UsageError(f"{path}: policy path not found")
        for rule_id, rule in rules.items():
            if rule.check is None:
                raise UsageError(
                    f"{rule.origin}:1: policy {rule_id!r} has no check (a JSON Schema to apply)"
                )
            if rule_id in builtin:
                raise UsageError(
                    f"{rule.origin}:1: policy id {rule_id!r} clashes with a built-in rule"
                )
            if rule_id in found:
                raise UsageError(
                    f"{rule.origin}:1: policy id {rule_id!r} is defined twice "
                    f"(also in {found[rule_id].origin})"
                )
            found[rule_id] = rule
    return found


def _shown(path: Path, cwd: Path) -> Path:
    """``path`` relative to ``cwd`` when it is below it (a config's baseline is found as an
    absolute path; reports name it as a user would)."""
    if path.is_absolute():
        try:
            return path.relative_to(cwd)
        except ValueError:
            return path
    return path


def _split_ids(values: Sequence[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def build_session(options: LintOptions) -> Session:
    config = resolve_config(options)
    builtin = builtin_rules()
    rules: dict[str, RuleDef] = dict(builtin)
    rules.update(load_policies([*config.policies, *options.policies], builtin))
    check_rule_ids(config, rules)
    select = _split_ids(options.select)
    ignore = set(_split_ids(options.ignore))
    for rule_id in [*select, *ignore]:
        if rule_id not in rules and rule_id != INTERNAL_ERROR:
            close = difflib.get_close_matches(rule_id, [*rules, INTERNAL_ERROR], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            option = "--select" if rule_id in select else "--ignore"
            raise UsageError(f"unknown rule {rule_id!r} in {option}{hint} (see `kpolicy rules`)")
    for name in options.feature_gates:
        problem = unknown_gate(name)
        if problem is not None:
            raise UsageError(f"--feature-gates: {problem}")
    active: dict[str, ActiveRule] = {}
    configured: set[str] = set()  # the rules the config runs (before --select and --ignore)
    for rule_id, rule in rules.items():
        setting = config.rules.get(rule_id)
        enabled = rule.enabled if setting is None or setting.enabled is None else setting.enabled
        if enabled:
            configured.add(rule_id)
        if select:
            # a bug in a selected rule is still reported unless internal-error is ignored
            enabled = rule_id in select or rule_id == INTERNAL_ERROR
        if rule_id in ignore:
            enabled = False
        if not enabled:
            continue
        severity = rule.severity
        params: dict[str, Any] = dict(rule.params)
        if setting is not None:
            severity = setting.severity or severity
            params.update(setting.params)
        active[rule_id] = ActiveRule(rule, severity, params)
    version = check_version(
        options.kubernetes_version or config.kubernetes_version or DEFAULT_VERSION
    )
    if options.schema_dir is not None and not options.schema_dir.is_dir():
        raise UsageError(f"{options.schema_dir}: schema folder not found")
    cwd = options.cwd or Path.cwd()
    today = options.today or dates.today()
    suppression = suppression_policy(
        config.exemptions,
        {rule_id: setting.suppressible for rule_id, setting in config.rules.items()},
        rules,
        {rule_id: rule.severity for rule_id, rule in active.items()},
        narrowed=bool(configured - set(active)),
        today=today,
    )
    warnings = tuple(
        f"{e.where}: exemption ({e.describe()}) expired on {e.until}"
        f"{f' (reason: {e.reason})' if e.reason else ''}; it no longer suppresses anything: "
        "remove it, or move until forward"
        for e in config.exemptions
        if e.expired(today)
    )
    baseline = None
    baseline_path = options.baseline or config.baseline
    if options.use_baseline and baseline_path is not None:
        baseline = read_baseline(baseline_path, cwd)
    return Session(
        config=config,
        rules=rules,
        active=active,
        kubernetes_version=version,
        cluster_domain=options.cluster_domain or config.cluster_domain or "cluster.local",
        limits=options.limits or config.limits,
        feature_gates={**config.feature_gates, **options.feature_gates},
        schema_dir=options.schema_dir,
        suppression=suppression,
        baseline=baseline,
        cwd=cwd,
        warnings=warnings,
    )


def read_baseline(path: Path, cwd: Path) -> Baseline:
    """The baseline at ``path`` (relative to ``cwd``, as the config or --baseline gives it);
    a usage error when it is missing or invalid."""
    return load_baseline(_shown(path, cwd), cwd)


def read_input(
    item: Input,
    context_only: bool,
    limits: Limits,
    stdin_text: str | None,
    keep_text: bool = True,
) -> LoadedFile | str:
    """A loaded file, or a one-line I/O error. ``keep_text=False`` drops the file's text once it
    is parsed (a lint run needs only values and positions; the language server keeps it)."""
    if item.path is None:
        if stdin_text is not None:
            text: str | None = stdin_text
            data = b""
        else:
            data = _read_at_most(sys.stdin.buffer, limits.max_file_bytes)
            text = None
    else:
        try:
            status = item.path.stat()
            if stat.S_ISDIR(status.st_mode):
                return f"{item.display}: is a folder"
            if not stat.S_ISREG(status.st_mode):
                return f"{item.display}: not a regular file"  # a FIFO would block forever
            if status.st_size > limits.max_file_bytes:
                return _too_large(item, context_only, status.st_size, limits)
            # opened without blocking and checked again on the descriptor: a file swapped for
            # a FIFO after the stat above cannot block the run
            fd, _ = open_regular(item.path)
            with os.fdopen(fd, "rb") as handle:
                # never more than the limit: a file can grow, and /proc files report size 0
                data = _read_at_most(handle, limits.max_file_bytes)
        except NotRegular:
            return f"{item.display}: not a regular file"
        except OSError as exc:
            return f"{item.display}: cannot read: {exc.strerror or exc}"
        except ValueError:  # a NUL byte in the name
            return f"{item.display}: invalid file name"
        text = None
    if text is None:
        if len(data) > limits.max_file_bytes:
            return _too_large(item, context_only, None, limits)
        text, error, line = decode(data)
        if text is None:
            return _refused_file(item, context_only, error or "cannot decode", line)
    return load_text(SourceFile(item.display, text, context_only), limits, keep_text=keep_text)


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
    return _refused_file(
        item,
        context_only,
        f"file refused: {what} more than the limit of {limits.max_file_bytes} bytes "
        "(raise it with --max-file-size or limits.maxFileBytes)",
        1,
    )


def refused_file(display: str, size: int | None, limits: Limits) -> LoadedFile:
    """A file (or an editor's buffer) too large to read, as the one finding that says so."""
    return _too_large(Input(display, None), False, size, limits)


def _refused_file(item: Input, context_only: bool, message: str, line: int) -> LoadedFile:
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


def lint(options: LintOptions, session: Session | None = None) -> tuple[LintResult, list[str]]:
    """Lint and return the result and the ``--debug`` tracebacks of failed rules."""
    # Everything a run loads lives until its end, and holds no reference cycle worth
    # collecting; the cyclic collector's passes over that growing heap cost a third to a half
    # of a large run (and, in forked workers, copy the pages they touch). It is off for the
    # run and back as it was after.
    session = session or build_session(options)
    collecting = gc.isenabled()
    gc.disable()
    try:
        with pod_template_kinds(session.config.pod_templates):
            return _lint(options, session)
    finally:
        if collecting:
            gc.enable()


def _lint(options: LintOptions, session: Session | None) -> tuple[LintResult, list[str]]:
    session = session or build_session(options)
    start_run()
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
    base = options.cwd or Path.cwd()
    repo = RepoModel.scan(
        [i.display for i in (*inputs, *context_inputs) if i.path is not None], base
    )
    read_also.extend(repo.files_read)
    reported_names = {i.display for i in inputs}
    origin = config.origin
    config_file = file_identity(origin) if origin is not None else None
    config_name = origin.name if origin is not None else ""
    # the baseline (in use, or the config's, which --write-baseline replaces) is kpolicy's
    # own file: never read as a manifest (it may be larger than a manifest may be)
    baseline_path = options.baseline or config.baseline
    baseline_file = file_identity(base / baseline_path) if baseline_path is not None else None
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
        why = repo.skip_reason(item.display) if item.path is not None else None
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
    nodes = load_nodes(options.nodes_file, session.limits)
    results, found_locally = _read_all(reads, session, options, nodes, repo)
    loaded: list[LoadedFile] = []
    local: list[LocalFindings | None] = []
    context_files: list[LoadedFile] = []
    for (item, context_only), result, early in zip(reads, results, found_locally, strict=True):
        if context_only:
            if isinstance(result, LoadedFile) and result.manifest_like:
                context_files.append(result)
        elif isinstance(result, str):
            errors.append(result)
        elif result.manifest_like:
            loaded.append(result)
            local.append(early)
        else:
            skipped.append(Skipped(item.display, _shapeless_reason(item, result, repo)))
    charts = [_chart_finding(folder, count, repo, session) for folder, count in unrendered.items()]
    builds = [_built(folder, session.limits) for folder in options.kustomize]
    for build in builds:
        loaded.append(build.loaded)
        local.append(None)
    warnings: list[str] = []
    if not loaded and not errors:
        where = ", ".join(options.paths) if options.paths else "."
        warnings.append(f"no Kubernetes manifests found in {where}")
    checked, traces = check_files(
        loaded,
        context_files,
        session,
        nodes=nodes,
        debug=options.debug,
        errors=errors,
        local=local,
        extra=[d for d in charts if d is not None],
        base=base,
        repo=repo,
        new_run=False,
        baseline=False,
    )
    covered = [f.source.display for f in loaded]
    if builds:
        checked = _placed_on_sources(checked, builds, str(base), session.limits)
        covered.extend(_source_displays(builds, str(base)))
    # a baselined finding of a file now skipped (not a manifest, a chart template, excluded)
    # will not come back: its entry is fixed
    covered.extend(s.file for s in skipped)
    checked = with_baseline(checked, session, covered)
    checked = replace(
        checked,
        skipped=tuple(sorted(skipped, key=lambda s: s.file)),
        warnings=(*checked.warnings, *warnings),
        read_also=tuple(read_also),
        summary=replace(checked.summary, skipped=len(skipped)),
    )
    return checked, traces


@dataclass(frozen=True)
class _Build:
    """The output of ``kustomize build`` of one folder, and where each object came from."""

    loaded: LoadedFile
    origins: Mapping[tuple[str, str, str], ObjectOrigin]  # (kind, namespace, name) → origin


def _built(folder: str, limits: Limits) -> _Build:
    text, wrapper = render(folder)
    display = f"<kustomize build {folder}>"
    loaded = load_text(SourceFile(display, text), limits, keep_text=False)
    origins: dict[tuple[str, str, str], ObjectOrigin] = {}
    objects = []
    for obj in loaded.objects:
        found = origin_of(obj.data, wrapper)
        if found is not None:
            origins[(obj.kind, obj.namespace, obj.name)] = found
        objects.append(replace(obj, data=without_origin(obj.data)))
    return _Build(replace(loaded, objects=tuple(objects)), origins)


def _source_displays(builds: Sequence[_Build], base: str) -> list[str]:
    """The source files of the built objects, as :func:`_placed_on_sources` shows them."""
    return [_display_under(o.file, base) for b in builds for o in b.origins.values()]


def _display_under(path: str, base: str) -> str:
    return os.path.relpath(path, base) if path.startswith(base + os.sep) else path


def _placed_on_sources(
    result: LintResult, builds: Sequence[_Build], base: str, limits: Limits
) -> LintResult:
    """Findings on built objects moved to the source file of each object (kustomize's origin
    annotation), at the same key there when it exists, else at its nearest parent; the place
    in the build output is kept as a related location."""
    by_display = {b.loaded.source.display: b for b in builds}
    sources: dict[str, LoadedFile | None] = {}

    def source_of(path: str) -> LoadedFile | None:
        if path not in sources:
            found = read_input(Input(_display_under(path, base), Path(path)), False, limits, None)
            sources[path] = found if isinstance(found, LoadedFile) else None
        return sources[path]

    def place(diag: Diagnostic) -> Diagnostic:
        build = by_display.get(diag.file)
        if build is None or diag.object is None:
            return diag
        ref = diag.object
        origin = build.origins.get((ref.kind or "", ref.namespace or "default", ref.name or ""))
        if origin is None:
            return diag
        source = source_of(origin.file)
        if source is None:
            return diag
        span = Span.point(1, 1)
        if not origin.generated:
            same_kind = [o for o in source.objects if o.kind == ref.kind]
            named = [o for o in same_kind if o.name and o.name in (ref.name or "")]
            match = same_kind if len(same_kind) == 1 else named
            if len(match) == 1:
                target = match[0]
                span = target.positions.resolve(target.base + diag.path)[0]
        return replace(
            diag,
            file=source.source.display,
            span=span,
            related=(
                RelatedLocation(diag.file, diag.span, "where kustomize build puts it", diag.object),
                *diag.related,
            ),
        )

    diagnostics = tuple(sorted((place(d) for d in result.diagnostics), key=lambda d: d.sort_key))
    suppressed = tuple(sorted((place(d) for d in result.suppressed), key=lambda d: d.sort_key))
    return replace(result, diagnostics=diagnostics, suppressed=suppressed)


def _shapeless_reason(item: Input, result: LoadedFile, repo: RepoModel) -> str:
    """Why a file that holds no Kubernetes object is skipped."""
    if item.path is not None and repo.is_patch(item.display):
        users = repo.patch_users(item.display)
        named = os.path.relpath(users[0].file, repo.base) if users else "a kustomization"
        return f"kustomize patch without an object (a JSON patch), named by {named}"
    return result.not_manifest or "holds no Kubernetes object"


def _chart_finding(
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
    if repo is None or not loaded.objects or loaded.source.display.startswith("<"):
        return loaded
    display = loaded.source.display
    patch = repo.is_patch(display)
    labels = () if patch else repo.injected_labels(display)
    images = () if patch else repo.image_overrides(display)
    if not patch and not labels and not images:
        return loaded
    objects = tuple(
        replace(o, patch=True) if patch else replace(o, data=applied(o.data, labels, images))
        for o in loaded.objects
    )
    return replace(loaded, objects=objects)


@dataclass(frozen=True, slots=True)
class LocalFindings:
    """What a worker's local pass found in one file: per object, its findings and the plan
    positions of the checks that need the whole index (run again in the parent); and the
    tracebacks of failed checks (``--debug``)."""

    per_object: tuple[tuple[list[Diagnostic], tuple[int, ...]], ...]
    traces: tuple[str, ...]


def _local_engine(session: Session, nodes: tuple[KObject, ...] | None, debug: bool) -> Engine:
    """The engine of the workers' local pass: every rule, with an index that answers nothing
    about other objects (a check that asks is deferred to the parent) and schemas of the
    built-in kinds only (a custom kind's schema may come from another file)."""
    services: dict[str, Any] = {}
    if any(
        rule_id.startswith("schema-") or rule_id == PATTERN_TIMEOUT for rule_id in session.active
    ):
        from kpolicy.schema import LocalSchemaValidator, SchemaValidator

        validator = SchemaValidator.for_version(session.kubernetes_version)
        validator.compile_builtin()  # once, here, rather than once in every worker
        services["schema"] = LocalSchemaValidator(validator)
    context = _rule_context(session, cast(Index, LocalIndex()), nodes, services)
    return Engine(session.active, context, debug=debug)


def _rule_context(
    session: Session, index: Index, nodes: tuple[KObject, ...] | None, services: dict[str, Any]
) -> RuleContext:
    return RuleContext(
        index=index,
        kubernetes_version=session.kubernetes_version,
        cluster_domain=session.cluster_domain,
        feature_gates=session.feature_gates,
        nodes=nodes,
        enabled=frozenset(session.active),
        services=services,
    )


def _check_locally(engine: Engine, loaded: LoadedFile) -> LocalFindings:
    cast(LocalIndex, engine.context.index).clear()  # one file's objects at a time
    traced = len(engine.traces)
    per_object = []
    for obj in loaded.objects:
        deferred: list[int] = []
        found = engine.run(obj, deferred=deferred)
        per_object.append((found, tuple(deferred)))
    traces = tuple(engine.traces[traced:])
    del engine.traces[traced:]
    return LocalFindings(tuple(per_object), traces)


def _read_all(
    reads: Sequence[tuple[Input, bool]],
    session: Session,
    options: LintOptions,
    nodes: tuple[KObject, ...] | None,
    repo: RepoModel | None = None,
) -> tuple[list[LoadedFile | str], list[LocalFindings | None]]:
    """``read_input`` of each, in order; when the input is large, in worker processes that also
    run the rules' local pass on the files that will be reported (see :class:`LocalFindings`):
    the rules then run in parallel with the loading, on objects the workers own, and the
    parent, once it has the index, runs only the checks that need it. Each file's objects are
    adapted to the repository (:func:`adapt_to_repo`) where they are read."""
    limits = session.limits
    jobs = 1
    sizes: list[int] = []
    if options.jobs != 1 and len(reads) > 1:
        from kpolicy.parallel import can_fork, plan_jobs

        if can_fork():
            sizes = [_size_of(item) for item, _ in reads]
            jobs = plan_jobs(options.jobs, sizes)
    # stdin is read here, by the process that owns it
    results: list[LoadedFile | str | None] = [None] * len(reads)
    _refuse_past_run_limit(reads, sizes or [_size_of(item) for item, _ in reads], limits, results)
    on_disk = [
        i
        for i, (item, _) in enumerate(reads)
        if item.path is not None and results[i] is None and item.display not in options.texts
    ]
    local: list[LocalFindings | None] = [None] * len(reads)
    if jobs > 1 and len(on_disk) > 1:
        from kpolicy.parallel import WorkerFailed, load_files

        engine = _local_engine(session, nodes, options.debug)

        def read(index: int) -> tuple[LoadedFile | str, LocalFindings | None]:
            item, context_only = reads[index]
            result = read_input(item, context_only, limits, None, keep_text=False)
            if isinstance(result, str):
                return result, None
            result = adapt_to_repo(result, repo)
            if context_only or not result.manifest_like:
                return result, None
            return result, _check_locally(engine, result)

        try:
            found = load_files(on_disk, [sizes[i] for i in on_disk], jobs, read)
        except WorkerFailed:
            pass
        else:
            for index, (result, early) in zip(on_disk, found, strict=True):
                results[index] = result
                local[index] = early
    for index, (item, context_only) in enumerate(reads):
        if results[index] is None:
            given = options.texts.get(item.display)
            if given is not None:
                result = load_text(
                    SourceFile(item.display, given, context_only), limits, keep_text=False
                )
            else:
                result = read_input(
                    item,
                    context_only,
                    limits,
                    None if context_only else options.stdin_text,
                    keep_text=False,
                )
            results[index] = result if isinstance(result, str) else adapt_to_repo(result, repo)
    return [r for r in results if r is not None], local


def _refuse_past_run_limit(
    reads: Sequence[tuple[Input, bool]],
    sizes: Sequence[int],
    limits: Limits,
    results: list[LoadedFile | str | None],
) -> None:
    """Files after the first ``limits.max_run_bytes`` bytes of the run are refused unread (each
    file is also bounded by ``max_file_bytes``, so the run reads at most one file more)."""
    total = 0
    for index, ((item, context_only), size) in enumerate(zip(reads, sizes, strict=True)):
        if total > limits.max_run_bytes:
            results[index] = _refused_file(
                item,
                context_only,
                f"file refused: the files before it hold more than the run's limit of "
                f"{limits.max_run_bytes} bytes (raise limits.maxRunBytes, or lint fewer files "
                "at once)",
                1,
            )
        total += size


def _size_of(item: Input) -> int:
    if item.path is None:
        return 0
    try:
        return item.path.stat().st_size
    except (OSError, ValueError):
        return 0


def check_files(
    loaded: Sequence[LoadedFile],
    context_files: Sequence[LoadedFile],
    session: Session,
    **kwargs: Any,
) -> tuple[LintResult, list[str]]:
    """:func:`_check_files` with the config's custom pod-template kinds known."""
    with pod_template_kinds(session.config.pod_templates):
        return _check_files(loaded, context_files, session, **kwargs)


def _check_files(
    loaded: Sequence[LoadedFile],
    context_files: Sequence[LoadedFile],
    session: Session,
    *,
    nodes: tuple[KObject, ...] | None = None,
    debug: bool = False,
    errors: Sequence[str] = (),
    local: Sequence[LocalFindings | None] | None = None,
    extra: Sequence[Diagnostic] = (),
    base: Path | None = None,
    repo: RepoModel | None = None,
    context_findings: bool = True,
    new_run: bool = True,
    baseline: bool = True,
) -> tuple[LintResult, list[str]]:
    """Index, run the rules on ``loaded`` (not on ``context_files``) and suppress.

    The CLI and the language server both end here, so they cannot disagree. ``local``: for
    each file of ``loaded``, what a worker's local pass already found (or None); only the
    checks it deferred run here, so the result is the same as without it. ``extra``: findings
    made before (about the repository, not an object), suppressed already when they are.
    ``base``: the working folder, where templates named by ``# Source:`` comments are found.
    ``repo``: the repository model, which tells which objects are applied together.
    ``context_findings``: show a context object's finding on the reported file it relates to
    (the language server, which lints each open file with the others as context, says no: the
    finding is on the other file already, as ``kpolicy lint`` of the workspace shows it). ``new_run``: this
    starts a run, with a fresh budget for user patterns (:func:`kpolicy.patterns.start_run`);
    ``lint`` starts it before reading instead, since worker processes match patterns too.
    ``baseline``: apply the session's baseline (``lint`` does it later, with :func:`with_baseline`,
    once findings are on the files they are shown on and it knows the files it skipped).
    """
    if new_run:
        start_run()
    # a stable order, so that the CLI and the language server resolve duplicates alike
    all_objects = sorted(
        (o for f in (*loaded, *context_files) for o in f.objects),
        key=lambda o: (o.source.display, o.doc_index, o.base),
    )
    index = Index(all_objects, repo.relation if repo is not None else None)
    context = _rule_context(session, index, nodes, _services(session, index))
    engine = Engine(session.active, context, debug=debug)
    early = local if local is not None else [None] * len(loaded)
    origins = TemplateOrigins(str(base or Path.cwd()), session.limits.max_file_bytes)
    per_file = [
        _check_file(engine, file, session, found, origins)
        for file, found in zip(loaded, early, strict=True)
    ]
    kept: list[Diagnostic] = [d for d in extra if not d.suppressed]
    hidden: list[Diagnostic] = [d for d in extra if d.suppressed]
    traces: list[str] = []
    documents = 0
    objects = 0
    judges: dict[str, Suppressor] = {}
    for file, (file_kept, file_hidden, file_traces, judge) in zip(loaded, per_file, strict=True):
        documents += file.documents
        objects += len(file.objects)
        kept.extend(file_kept)
        hidden.extend(file_hidden)
        traces.extend(file_traces)
        judges[file.source.display] = judge
    if context_findings and context_files and loaded:
        moved, moved_hidden = _context_findings(engine, loaded, context_files, judges, kept)
        kept.extend(moved)
        hidden.extend(moved_hidden)
        traces.extend(engine.traces[len(traces) :])
    for judge in judges.values():
        _unused_suppressions(judge, kept, hidden)
    kept.sort(key=lambda d: d.sort_key)
    hidden.sort(key=lambda d: d.sort_key)
    counts = {s: 0 for s in Severity}
    for diag in kept:
        counts[diag.severity] += 1
    summary = Summary(
        files=len(loaded),
        documents=documents,
        objects=objects,
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
        infos=counts[Severity.INFO],
        suppressed=len(hidden),
    )
    result = LintResult(
        diagnostics=tuple(kept),
        suppressed=tuple(hidden),
        summary=summary,
        kubernetes_version=session.kubernetes_version,
        errors=tuple(errors),
        warnings=session.warnings,
        checked=tuple(
            CheckedFile(file.source.display, tuple(o.ref for o in file.objects)) for file in loaded
        ),
    )
    if baseline:
        result = with_baseline(result, session, (f.source.display for f in loaded))
    engine.traces[:] = traces
    return result, engine.traces


def with_baseline(result: LintResult, session: Session, covered: Iterable[str]) -> LintResult:
    """``result`` with the session's baseline applied (when there is one): the findings it
    lists move to ``baselined``, and its entries that match none are ``fixed_baseline`` when
    the run covered their file (``covered``: the files linted or skipped, as displayed)."""
    baseline = session.baseline
    if baseline is None:
        return result
    kept, listed, fixed = apply_baseline(
        baseline,
        result.diagnostics,
        covered,
        session.active,
        session.rules,
        session.cwd,
    )
    because = Suppression("baseline", f"listed in the baseline {baseline.path}")
    baselined = tuple(replace(d, suppression=because) for d in listed)
    counts = {s: 0 for s in Severity}
    for diag in kept:
        counts[diag.severity] += 1
    summary = replace(
        result.summary,
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
        infos=counts[Severity.INFO],
        baselined=len(baselined),
        fixed_baseline_entries=len(fixed),
    )
    return replace(
        result,
        diagnostics=tuple(kept),
        baselined=baselined,
        fixed_baseline=tuple(fixed),
        baseline_file=str(baseline.path),
        summary=summary,
    )


def _check_file(
    engine: Engine,
    file: LoadedFile,
    session: Session,
    local: LocalFindings | None = None,
    origins: TemplateOrigins | None = None,
) -> tuple[list[Diagnostic], list[Diagnostic], list[str], Suppressor]:
    """The kept and suppressed diagnostics of one file, the tracebacks of failed rules, and
    the file's suppressions (whose unused ones are found once findings moved from context
    files have been seen too); with ``local``, the local pass's findings and only the checks
    it deferred."""
    kept: list[Diagnostic] = []
    hidden: list[Diagnostic] = []
    traced = len(engine.traces)
    prior: list[str] = list(local.traces) if local is not None else []
    judge = Suppressor(session.suppression, file)
    tracking = judge.tracking
    for diag in file.diagnostics:
        if diag.rule not in session.active:
            continue
        active = session.active[diag.rule]
        if active.severity is not diag.severity:
            diag = _with_severity(diag, active.severity)
        if active.rule.rejects and not diag.rejects and active.rule.builtin:
            diag = replace(diag, rejects=True)  # yaml-duplicate-key: strict decoding
        _sort(diag, judge.suppression(diag), kept, hidden)
    for position, obj in enumerate(file.objects):
        if local is None:
            found = engine.run(obj)
        else:
            found, deferred = local.per_object[position]
            if deferred:
                found = [*found, *engine.run(obj, only=deferred)]
        if not found and not tracking:
            continue
        if obj.patch:
            found = [d for d in found if d.rule not in PATCH_EXEMPT_RULES]
        elif is_hook(obj.data):
            found = [d for d in found if d.rule not in HOOK_EXEMPT_RULES]
        found = drop_generic_duplicates(found)
        if obj.template is not None and origins is not None:
            found = [origins.attach(d, obj) for d in found]
        ignores = annotation_ignores(obj) if found or file.annotated else ()
        if tracking:
            judge.saw(position, obj, ignores)
        for diag in found:
            _sort(diag, judge.suppression(diag, obj, ignores, position), kept, hidden)
    return kept, hidden, [*prior, *engine.traces[traced:]], judge


def _unused_suppressions(
    judge: Suppressor, kept: list[Diagnostic], hidden: list[Diagnostic]
) -> None:
    """The file's ``unused-suppression`` findings, once every finding on it has been seen."""
    if judge.tracking:
        for diag, owner, ignores in judge.unused():
            _sort(diag, judge.suppression(diag, owner, ignores), kept, hidden)


def _sort(
    diag: Diagnostic,
    suppression: Suppression | None,
    kept: list[Diagnostic],
    hidden: list[Diagnostic],
) -> None:
    if suppression is None:
        kept.append(diag)
    else:
        hidden.append(replace(diag, suppression=suppression))


def _context_findings(
    engine: Engine,
    loaded: Sequence[LoadedFile],
    context_files: Sequence[LoadedFile],
    judges: Mapping[str, Suppressor],
    kept: Sequence[Diagnostic],
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Findings on ``--context`` objects that a reported file causes: a finding whose related
    location is in a reported file is shown there, with the context object's place as its
    related location (a Service made non-headless breaks the StatefulSet that names it, in a
    file that pre-commit did not stage). Only the rules that relate objects run (not the
    schema), on the context objects of the reported objects' namespaces; a finding already
    shown at the same place for the same rule is not repeated. A comment on its new line in
    the reported file, or the context object's annotation or exemption, suppresses it."""
    reported = {f.source.display for f in loaded}
    namespaces = {scope_namespace(o) for f in loaded for o in f.objects}
    taken = {(d.rule, d.file, d.span) for d in kept}
    shown: list[Diagnostic] = []
    hidden: list[Diagnostic] = []
    for file in context_files:
        for obj in file.objects:
            if obj.patch or scope_namespace(obj) not in namespaces:
                continue
            hook = is_hook(obj.data)
            for diag in engine.run(obj, only=engine.relating_steps(engine.key_of(obj))):
                if (diag.rule in PATCH_EXEMPT_RULES and obj.patch) or (
                    hook and diag.rule in HOOK_EXEMPT_RULES
                ):
                    continue
                here = next((r for r in diag.related if r.file in reported), None)
                if here is None or (diag.rule, here.file, here.span) in taken:
                    continue
                taken.add((diag.rule, here.file, here.span))
                subject = diag.object.label() if diag.object is not None else "the object"
                moved = replace(
                    diag,
                    file=here.file,
                    span=here.span,
                    path="",
                    found_at=(diag.file, diag.path),
                    related=(
                        RelatedLocation(
                            diag.file, diag.span, f"{subject}, which this breaks", diag.object
                        ),
                        *(r for r in diag.related if r is not here),
                    ),
                )
                judge = judges[here.file]
                _sort(moved, judge.suppression(moved, obj, annotation_ignores(obj)), shown, hidden)
    return shown, hidden


def drop_generic_duplicates(found: list[Diagnostic]) -> list[Diagnostic]:
    """A schema finding at the same place as a specific rule's finding says the same thing
    less well (an enum error vs. toleration-invalid's reason): keep the specific one."""
    if len(found) < 2:
        return found
    specific = {(d.span.line, d.span.column) for d in found if not d.rule.startswith("schema-")}
    if not specific:
        return found
    return [
        d
        for d in found
        if not (d.rule.startswith("schema-") and (d.span.line, d.span.column) in specific)
    ]


def _services(session: Session, index: Index) -> dict[str, Any]:
    """Per-run helpers that rules share; built only when a rule that needs them is on."""
    services: dict[str, Any] = {}
    if any(
        rule_id.startswith("schema-") or rule_id == PATTERN_TIMEOUT for rule_id in session.active
    ):
        from kpolicy.schema import SchemaValidator

        validator = SchemaValidator.for_version(session.kubernetes_version)
        crds = [o.data for o in index.of_kind("CustomResourceDefinition")]
        if crds:
            validator = validator.with_crds(crds)
        if session.schema_dir is not None:
            try:
                validator = validator.with_schema_dir(session.schema_dir)
            except (OSError, ValueError) as exc:
                raise UsageError(f"{session.schema_dir}: cannot read schemas: {exc}") from None
        services["schema"] = validator
    return services


def _with_severity(diag: Diagnostic, severity: Severity) -> Diagnostic:
    return replace(diag, severity=severity)


def as_baselined(result: LintResult, baseline_file: str) -> LintResult:
    """``result`` as reported with a baseline that lists every one of its findings (the run
    that has just written that baseline)."""
    listed = tuple(
        replace(d, suppression=Suppression("baseline", f"listed in the baseline {baseline_file}"))
        for d in result.diagnostics
    )
    summary = replace(
        result.summary,
        errors=0,
        warnings=0,
        infos=0,
        baselined=len(listed),
        fixed_baseline_entries=0,
    )
    return replace(
        result,
        diagnostics=(),
        baselined=listed,
        fixed_baseline=(),
        baseline_file=baseline_file,
        summary=summary,
    )


def exit_code(result: LintResult, fail_on: str) -> int:
    """2 for a usage or I/O error, 3 when a rule failed (an ``internal-error`` finding: a bug in
    kpolicy, whatever ``--fail-on`` says), 1 for findings at or above ``fail_on``, else 0."""
    if result.errors:
        return 2
    if any(d.rule == INTERNAL_ERROR for d in result.diagnostics):
        from kpolicy.entry import INTERNAL_ERROR_EXIT

        return INTERNAL_ERROR_EXIT
    if fail_on == "never":
        return 0
    threshold = Severity.parse(fail_on).rank
    return 1 if any(d.severity.rank >= threshold for d in result.diagnostics) else 0
