"""``kpolicy plan``: read the manifests (and, in diff mode, their previous version), match the
workloads, and plan each one with :mod:`kpolicy.plan`.

The inputs go through the lint pipeline's first stages (``discover`` → ``read_input`` →
``Index``); broken YAML becomes a warning and the other objects are still planned. The previous
version comes from ``--from`` paths or from git (``--base REV``: ``git show REV:path`` of the
same files). Nothing here writes output: the formats live in ``kpolicy/report/plan_*.py``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from kpolicy.config import Config
from kpolicy.discover import MANIFEST_SUFFIXES, STDIN, Input, discover
from kpolicy.errors import UsageError
from kpolicy.index import Index
from kpolicy.k8s.podtemplates import DEPLOYMENT_CONFIG, ROLLOUT
from kpolicy.k8s.podtemplates import configured as pod_template_kinds
from kpolicy.k8s.validation import is_dns1123_subdomain
from kpolicy.load import decode, load_text
from kpolicy.model import KObject, Limits, LoadedFile, Severity, SourceFile
from kpolicy.plan.context import PlanContext
from kpolicy.plan.cron import cron_plan
from kpolicy.plan.custom import as_deployment, planned_as_deployment_note, rollout_plan
from kpolicy.plan.daemonset_live import daemonset_live_plan
from kpolicy.plan.data import (
    DEFAULT_CLUSTER_DOMAIN,
    CronPlan,
    NotPlanned,
    PlanEntry,
    PlanReport,
    Rejection,
    RolloutPlan,
    ServiceShares,
    StatefulSetStep,
    WorkloadPlan,
)
from kpolicy.plan.deployment_live import UndoError, deployment_live_plan
from kpolicy.plan.dispatch import plan_for
from kpolicy.plan.live import LiveState, LiveWorkload, live_state
from kpolicy.plan.services import BackendCandidate, service_shares
from kpolicy.plan.statefulset import statefulset_plan
from kpolicy.plan.statefulset_live import statefulset_live_plan
from kpolicy.versions import DEFAULT_VERSION, check_version
from kpolicy.workload import PLANNED_KINDS, Workload, custom_layout, get, services_for

if TYPE_CHECKING:
    from kpolicy.lint import Session
    from kpolicy.repo import RepoModel

_GIT_TIMEOUT: Final = 120

Key = tuple[str, str, str]  # kind, namespace, name
Refusals = dict[int, list[Rejection]]  # id() of a workload → why the API server refuses it


@dataclass(frozen=True)
class PlanOptions:
    paths: Sequence[str] = (".",)
    from_paths: Sequence[str] = ()  # --from: the previous version's files or folders
    base: str | None = None  # --base: the previous version is the same files at this git rev
    nodes_file: Path | None = None
    cluster_domain: str | None = None
    kubernetes_version: str | None = None
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    config_path: Path | None = None
    stdin_filename: str = "<stdin>"
    cwd: Path | None = None
    now: datetime | None = None  # --now: where a CronJob's next runs start (default: now)
    live_paths: Sequence[str] = ()  # --live: the live state (kubectl get -o yaml)
    undo: str | None = None  # --undo deployment/NAME
    to_revision: int | None = None  # --to-revision
    namespace: str | None = None  # -n: the namespace of --undo
    assume_ready: bool = False  # --assume-ready


@dataclass(frozen=True)
class PlanRun:
    report: PlanReport
    warnings: tuple[str, ...]  # broken YAML and the like: one line each, the run goes on
    errors: tuple[str, ...]  # unreadable paths: one line each, exit code 2


# --------------------------------------------------------------------------------------------
# Reading inputs


def _location(obj: KObject) -> str:
    return f"{obj.source.display}:{obj.span(('kind',), 'key').line}"


def _warnings_of(files: Iterable[LoadedFile]) -> list[str]:
    return [
        f"{diag.file}:{diag.span.line}:{diag.span.column}: {diag.message} [{diag.rule}]"
        for file in files
        for diag in file.diagnostics
    ]


def _read(items: Iterable[Input], limits: Limits, errors: list[str]) -> list[LoadedFile]:
    from kpolicy.lint import read_input

    loaded: list[LoadedFile] = []
    for item in items:
        result = read_input(item, False, limits, None)
        if isinstance(result, str):
            errors.append(result)
        elif item.explicit or result.manifest_like:
            # as in lint: YAML found by walking a folder that is no manifest is left alone
            loaded.append(result)
    return loaded


# git's own safety for repositories found by walking up (git 2.38+; older versions ignore it):
# a bare repository is used only when named with --git-dir or GIT_DIR
_GIT_SAFETY: Final = ("-c", "safe.bareRepository=explicit")


def _git(
    args: Sequence[str], cwd: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603 - git with fixed subcommands; REV and paths follow --end-of-options or --
            ["git", *_GIT_SAFETY, *args],  # noqa: S607 - the user's git from PATH, as they run it
            cwd=cwd or ".",
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=_GIT_TIMEOUT,
            check=False,
            env=dict(env) if env is not None else None,
        )
    except FileNotFoundError:
        raise UsageError("--base needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {args[0]} took longer than {_GIT_TIMEOUT} s in {cwd}") from None


def _git_message(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return text[-1].removeprefix("fatal: ") if text else f"exit code {result.returncode}"


def _hidden(relative: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in relative.split("/"))


@dataclass(frozen=True)
class BaseCommit:
    """The commit ``--base REV`` resolved to in one repository."""

    repository: str  # the top of its working tree
    commit: str  # the full object name


def _linted_roots(paths: Sequence[str]) -> list[str]:
    roots = []
    for given in paths:
        real = os.path.realpath(given)
        roots.append(real if os.path.isdir(real) else os.path.dirname(real))
    return roots


def _planted(git_dir: str, roots: Sequence[str]) -> bool:
    """Whether a git directory lies inside the linted files other than inside a ``.git``
    folder (which no checkout can create: git refuses the name): a repository committed into
    the linted tree, bare or with ``core.worktree``, that would supply the previous version."""
    from kpolicy.fsutil import inside

    real = os.path.realpath(git_dir)
    for root in roots:
        if inside(real, root) and ".git" not in os.path.relpath(real, root).split(os.sep):
            return True
    return False


def _repository_of(given: str, folder: str, roots: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The top of the working tree whose git repository holds ``given``, and the environment
    to run git in. Refused (a usage error): ``GIT_DIR`` or the repository git would find
    lying inside the linted files, or a bare repository."""
    from kpolicy.cache import repositories_around

    env = dict(os.environ)
    git_dir = env.get("GIT_DIR")
    if git_dir:
        if _planted(os.path.join(folder, git_dir), roots):
            raise UsageError(
                f"--base: GIT_DIR {git_dir} is inside the linted files; kpolicy "
                "does not take the previous version from a repository they hold"
            )
    else:
        # what git's discovery will find: the nearest folder holding .git, or being a
        # repository itself (bare): refused before git reads its config
        around = repositories_around(os.path.realpath(folder or "."))
        if around and not os.path.lexists(os.path.join(around[0], ".git")):
            if _planted(around[0], roots):
                raise UsageError(
                    f"{given}: the git repository git would use, {around[0]}, lies inside the "
                    "linted files (committed into them, not a working tree's .git); kpolicy "
                    "does not take the previous version from it"
                )
            raise UsageError(
                f"{given}: the nearest git repository, {around[0]}, is a bare "
                "repository; --base reads the previous version from the "
                "repository of a working tree"
            )
    top = _git(["rev-parse", "--show-toplevel", "--absolute-git-dir"], folder, env)
    if top.returncode != 0:
        message = _git_message(top)
        if "not a git repository" in message:
            raise UsageError(
                f"{given}: not in a git repository; --base reads the previous version from git"
            )
        raise UsageError(f"{given}: git cannot read the repository: {message}")
    lines = top.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 2:
        raise UsageError(f"{given}: git names no working tree for the repository")
    toplevel, found_dir = lines[0].strip(), lines[1].strip()
    if _planted(found_dir, roots):
        raise UsageError(
            f"{given}: the git repository {found_dir} is inside the linted files; "
            "kpolicy does not take the previous version from a repository they hold"
        )
    return toplevel, env


def _load_base(
    paths: Sequence[str], rev: str, exclude: Sequence[str], limits: Limits, base: str | None = None
) -> tuple[list[LoadedFile], int, list[BaseCommit]]:
    """The files under ``paths`` as they were at git revision ``rev``; the number of files
    found there, and the commit ``rev`` named in each repository. Folders are walked as
    :func:`kpolicy.discover.discover` walks them; ``base``: the folder of ``exclude``."""
    from kpolicy.discover import is_excluded as _excluded

    if rev.startswith("-") or not rev.strip():
        raise UsageError(f"--base {rev!r} is not a git revision")
    loaded: list[LoadedFile] = []
    commits: dict[str, BaseCommit] = {}
    seen: set[str] = set()
    count = 0
    roots = _linted_roots([p for p in paths if p != STDIN])
    for given in paths:
        if given == STDIN:
            raise UsageError("--base cannot read the previous version of stdin; use --from")
        folder = given if os.path.isdir(given) else os.path.dirname(given)
        spec = "." if os.path.isdir(given) else os.path.basename(given)
        toplevel, env = _repository_of(given, folder, roots)
        if toplevel not in commits:
            verify = _git(
                ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                folder,
                env,
            )
            name = verify.stdout.decode("ascii", "replace").strip()
            if verify.returncode != 0 or not name:
                raise UsageError(f"--base {rev!r} is not a commit in the repository {toplevel}")
            commits[toplevel] = BaseCommit(toplevel, name)
        commit = commits[toplevel].commit
        # the commit as resolved once: a branch that moves meanwhile cannot mix two versions
        listing = _git(["ls-tree", "-r", "-z", "--end-of-options", commit, "--", spec], folder, env)
        if listing.returncode != 0:
            raise UsageError(f"{given}: git ls-tree {rev}: {_git_message(listing)}")
        for record in listing.stdout.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, relative = record.partition("\t")
            if not relative or meta.split(" ")[0] not in ("100644", "100755"):
                continue  # symbolic links, submodules
            explicit = spec != "."
            display = given if explicit else os.path.normpath(os.path.join(given, relative))
            if not explicit and (
                not relative.endswith(MANIFEST_SUFFIXES)
                or _hidden(relative)
                or _excluded(display, exclude, base)
            ):
                continue
            real = os.path.realpath(os.path.join(folder, relative))
            if real in seen:
                continue
            seen.add(real)
            count += 1
            shown = _git(["show", f"{commit}:./{relative}"], folder, env)
            if shown.returncode != 0:
                raise UsageError(f"{display}: git show {rev}: {_git_message(shown)}")
            source = SourceFile(f"{rev}:{display}", "", True)
            text, error, line = decode(shown.stdout[: limits.max_file_bytes + 1])
            if len(shown.stdout) > limits.max_file_bytes:
                text, error, line = None, "file refused: larger than the file size limit", 1
            if text is None:
                from kpolicy.model import Diagnostic, Severity, Span

                diag = Diagnostic(
                    "yaml-syntax",
                    Severity.ERROR,
                    error or "cannot decode",
                    source.display,
                    Span.point(line, 1),
                    "",
                    None,
                )
                loaded.append(LoadedFile(source, (), (diag,), 0, {}))
                continue
            result = load_text(replace(source, text=text), limits)
            if explicit or result.manifest_like:
                loaded.append(result)
    return loaded, count, list(commits.values())


def _load_nodes(path: Path, limits: Limits, warnings: list[str]) -> list[dict[str, Any]]:
    from kpolicy.lint import nodes_of, read_input

    loaded = read_input(Input(str(path), path), True, limits, None)
    found = nodes_of(loaded, path)  # a file that does not load is a usage error
    if not isinstance(loaded, str):
        warnings.extend(_warnings_of([loaded]))
    nodes = [obj.data for obj in found]
    if not nodes:
        warnings.append(
            f"{path}: no Node objects (--nodes wants `kubectl get nodes -o yaml`); "
            "every DaemonSet is planned over no nodes"
        )
    return nodes


# --------------------------------------------------------------------------------------------
# Planning


def _key(obj: KObject) -> Key:
    return obj.kind, obj.namespace, obj.name


def _workloads(files: Iterable[LoadedFile]) -> list[KObject]:
    """The workloads to plan: a kustomize patch is a fragment of one, not a workload."""
    return [
        obj for file in files for obj in file.objects if obj.kind in PLANNED_KINDS and not obj.patch
    ]


def _dns_service_names(obj: KObject) -> list[str]:
    """The Service names ``obj``'s Pods take DNS names from: a StatefulSet's serviceName and
    the template's subdomain."""
    names: list[str] = []
    view = Workload.of(obj)
    for name in (
        get(obj.data, "spec", "serviceName") if obj.kind == "StatefulSet" else None,
        get(view.pod_spec, "subdomain") if view is not None else None,
    ):
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    return names


def governing_services(
    index: Index, obj: KObject, previous: KObject | None = None
) -> list[dict[str, Any]]:
    """The Services that govern the DNS names of ``obj``'s Pods, found as lint finds them
    (workload.governing_service), and those of the names of its ``previous`` version (whose
    Pods stay when the API server refuses the update), looked up for ``obj``."""
    names = _dns_service_names(obj)
    if previous is not None:
        names += [n for n in _dns_service_names(previous) if n not in names]
    return services_for(obj, names, index)


def _plan(
    obj: dict[str, Any] | None,
    old: dict[str, Any] | None,
    *,
    diff: bool,
    context: PlanContext,
    rejections: Sequence[Rejection] = (),
) -> WorkloadPlan | None:
    return plan_for(obj, old, diff=diff, rejections=rejections, context=context)


def _update_entry(
    obj: KObject, index: Index, settings: PlanContext, refusals: Refusals
) -> PlanEntry | None:
    """A template update from a fully available old revision (no previous version given)."""
    context = replace(settings, services=governing_services(index, obj))
    rejections = refusals.get(id(obj), ())
    plan = _plan(obj.data, None, diff=False, context=context, rejections=rejections)
    if plan is None:
        return None
    creation: tuple[tuple[str, ...], ...] = ()
    if obj.kind == "StatefulSet" and not rejections:
        created = statefulset_plan(obj.data, None, diff=True, context=context)
        # a step lists at most MAX_SHOWN_NAMES Pods; the others are counted after them
        creation = tuple(
            (*step.create, *([f"{step.create_omitted} more"] if step.create_omitted else []))
            for step in created.steps
            if isinstance(step, StatefulSetStep) and step.create
        )
    return PlanEntry(plan, _location(obj), None, (0, plan.replicas), creation)


def _diff_entry(
    new: KObject | None,
    old: KObject | None,
    index: Index,
    old_index: Index,
    settings: PlanContext,
    refusals: Refusals,
) -> PlanEntry | None:
    subject = new if new is not None else old
    assert subject is not None
    services = (
        governing_services(index, new, old)
        if new is not None
        else governing_services(old_index, subject)
    )
    context = replace(settings, services=services)
    plan = _plan(
        None if new is None else new.data,
        None if old is None else old.data,
        diff=True,
        context=context,
        rejections=refusals.get(id(new), ()) if new is not None else (),
    )
    if plan is None:
        return None
    start = (0, 0)
    if old is not None:
        before = _plan(old.data, None, diff=True, context=context)
        count = before.replicas if before is not None else 0
        template_changed = plan.change in ("rollout", "rollout+scale")
        start = (0, count) if template_changed else (count, 0)
    return PlanEntry(plan, _location(subject), None if old is None else _location(old), start)


def _settings(options: PlanOptions, config: Config, warnings: list[str]) -> PlanContext:
    """The context every plan of the run shares (its Services are set per workload)."""
    version = check_version(
        options.kubernetes_version or config.kubernetes_version or DEFAULT_VERSION
    )
    domain = options.cluster_domain or config.cluster_domain or DEFAULT_CLUSTER_DOMAIN
    domain = domain.rstrip(".")
    problems = is_dns1123_subdomain(domain)
    if problems:
        raise UsageError(f"--cluster-domain: {problems[0]}")
    nodes = None
    if options.nodes_file is not None:
        nodes = _load_nodes(options.nodes_file, config.limits, warnings)
    return PlanContext(
        kubernetes_version=version,
        feature_gates={**config.feature_gates, **options.feature_gates},
        cluster_domain=domain,
        nodes=nodes,
    )


def _planned(obj: KObject) -> bool:
    """A kind ``kpolicy plan`` plans (or lists as not planned): the three workload kinds, a
    CronJob, and a pod template in a custom resource (needs the run's podTemplates: set)."""
    return obj.kind in PLANNED_KINDS or _is_cronjob(obj) or custom_layout(obj) is not None


def _is_cronjob(obj: KObject) -> bool:
    api_version = obj.data.get("apiVersion")
    return (
        obj.kind == "CronJob" and isinstance(api_version, str) and api_version.startswith("batch/")
    )


def _refusals(
    files: Sequence[LoadedFile], session: Session, repo: RepoModel | None, base: Path
) -> Refusals:
    holding = [file for file in files if any(_planned(o) for o in file.objects)]
    others = [file for file in files if not any(_planned(o) for o in file.objects)]
    return workload_refusals(holding, others, session, repo, base, planned=_planned)


def workload_refusals(
    files: Sequence[LoadedFile],
    context: Sequence[LoadedFile],
    session: Session,
    repo: RepoModel | None = None,
    base: Path | None = None,
    planned: Callable[[KObject], bool] | None = None,
) -> Refusals:
    """Why the API server refuses each workload of ``files`` it refuses: the findings of error
    severity of the rules whose findings are refusals (``rejects`` in rules/<id>.yaml), as
    ``kpolicy lint`` reports them with the same config (rules turned off and suppressions
    included) and the same repository model (``repo``: kustomize patches are fragments);
    ``context``: the other files, for the index; ``planned``: which objects count (default:
    the three workload kinds). Keyed by ``id()`` of the workload."""
    from kpolicy.lint import check_files

    def is_planned(obj: KObject) -> bool:
        return planned(obj) if planned is not None else obj.kind in PLANNED_KINDS

    rejecting = {
        rule_id: active
        for rule_id, active in session.active.items()
        if active.rule.rejects and active.rule.builtin
    }
    reported = [file for file in files if any(is_planned(o) for o in file.objects)]
    if not rejecting or not reported:
        return {}
    result, _ = check_files(
        reported,
        context,
        replace(session, active=rejecting),
        base=base,
        repo=repo,
        context_findings=False,
    )
    # each workload's lines; a finding belongs to the innermost object around it (an item of
    # a List lies inside the List's document)
    spans: dict[str, list[tuple[int, int, KObject]]] = {}
    for file in reported:
        for obj in file.objects:
            if is_planned(obj):
                first, last = _lines_of(obj)
                spans.setdefault(obj.source.display, []).append((first, last, obj))
    refusals: Refusals = {}
    for diag in result.diagnostics:
        if not diag.rejects or diag.severity is not Severity.ERROR:
            continue
        around = [
            (last - first, obj)
            for first, last, obj in spans.get(diag.file, ())
            if first <= diag.span.line <= last
        ]
        if not around:
            continue
        obj = min(around, key=lambda item: item[0])[1]
        refusals.setdefault(id(obj), []).append(
            Rejection(diag.rule, diag.message, diag.file, diag.span.line, diag.span.column)
        )
    return refusals


def _lines_of(obj: KObject) -> tuple[int, int]:
    entry = obj.positions.lookup(obj.base)
    if entry is None:
        line = obj.span(("kind",), "key").line
        return line, line
    key_span, value_span = entry
    return (key_span or value_span).line, value_span.end_line


def build_report(options: PlanOptions) -> PlanRun:
    """Read, match and plan; raises :class:`UsageError` for a bad command line."""
    from kpolicy.lint import LintOptions, adapt_to_repo, build_session
    from kpolicy.repo import RepoModel

    if options.from_paths and options.base is not None:
        raise UsageError("--from and --base both name the previous version; give one")
    _check_live_options(options)
    live_mode = bool(options.live_paths)
    # with --live, no PATH means no new version: the live workloads are planned as they stand
    paths = list(options.paths) or ([] if live_mode else ["."])
    if STDIN in paths and STDIN in options.live_paths:
        raise UsageError("stdin (-) can be the new version or the live state, not both")
    if STDIN in paths and STDIN in options.from_paths:
        raise UsageError("stdin (-) can be the new or the previous version, not both")
    # the lint session of the same config, version and feature gates: its rules tell which
    # workloads the API server refuses
    session = build_session(
        LintOptions(
            config_path=options.config_path,
            cwd=options.cwd,
            kubernetes_version=options.kubernetes_version,
            feature_gates=options.feature_gates,
        )
    )
    config = session.config
    limits = config.limits
    warnings: list[str] = []
    errors: list[str] = []
    settings = _settings(options, config, warnings)

    inputs, discover_errors = discover(
        paths, config.exclude, options.stdin_filename, base=config.exclude_base
    )
    errors.extend(discover_errors)
    # the repository as lint sees it: which files are kustomize patches (fragments, never
    # planned on their own), which labels and images kustomizations set
    base = options.cwd or Path.cwd()
    repo = RepoModel.scan([i.display for i in inputs if i.path is not None], base)
    files = [adapt_to_repo(file, repo) for file in _read(inputs, limits, errors)]
    warnings.extend(_warnings_of(files))
    index = Index(
        [obj for file in files for obj in file.objects], repo.relation, repo.relation_class
    )
    with pod_template_kinds(config.pod_templates):
        refusals = _refusals(files, session, repo, base)
    entries: list[PlanEntry] = []

    diff = bool(options.from_paths) or options.base is not None
    compared_with: str | None = None
    comparison: dict[str, Any] | None = None
    file_count = len(files)
    if live_mode:
        live_inputs, live_errors = discover(
            options.live_paths, config.exclude, options.stdin_filename, base=config.exclude_base
        )
        errors.extend(live_errors)
        live_files = _read(live_inputs, limits, errors)
        warnings.extend(_warnings_of(live_files))
        live = live_state(obj.data for file in live_files for obj in file.objects)
        warnings.extend(live.warnings)
        entries, services = _live_entries(
            _workloads(files), live, index, settings, refusals, options, warnings
        )
        # the kinds the live state does not cover are planned from the new version alone
        # (nothing beside the rollback with --undo)
        extra = _Others()
        if options.undo is None:
            with pod_template_kinds(config.pod_templates):
                extra = _others(
                    files, None, index, settings, refusals, options.now or datetime.now(UTC)
                )
        entries.extend(extra.entries)
        report = PlanReport(
            entries=tuple(entries),
            kubernetes_version=settings.kubernetes_version,
            cluster_domain=settings.cluster_domain,
            mode="live",
            compared_with="--live " + " ".join(options.live_paths),
            files=file_count,
            live=tuple(options.live_paths),
            services=services,
            rollouts=tuple(extra.rollouts),
            cron_jobs=tuple(extra.cron_jobs),
            not_planned=tuple(extra.not_planned),
        )
        return PlanRun(report, tuple(warnings), tuple(errors))
    if not diff:
        for obj in _workloads(files):
            entry = _update_entry(obj, index, settings, refusals)
            if entry is not None:
                entries.append(entry)
    else:
        if options.base is not None:
            old_files, _, commits = _load_base(
                paths, options.base, config.exclude, limits, config.exclude_base
            )
            # the commit compared with, as git resolved the revision
            named = ", ".join(
                f"commit {c.commit[:12]}" + (f" in {c.repository}" if len(commits) > 1 else "")
                for c in commits
            )
            compared_with = f"git {options.base} ({named})" if named else f"git {options.base}"
            comparison = {
                "git": options.base,
                "commits": [{"repository": c.repository, "commit": c.commit} for c in commits],
            }
        else:
            old_inputs, old_errors = discover(
                options.from_paths, config.exclude, options.stdin_filename, base=config.exclude_base
            )
            errors.extend(old_errors)
            # a folder given to --from may hold the new version too (examples/ and
            # examples/v2/): a file being planned is never its own previous version
            planned = {os.path.realpath(i.path) for i in inputs if i.path is not None}
            old_inputs = [
                i for i in old_inputs if i.path is None or os.path.realpath(i.path) not in planned
            ]
            old_files = _read(old_inputs, limits, errors)
            compared_with = "--from " + " ".join(options.from_paths)
            comparison = {"from": list(options.from_paths)}
        warnings.extend(_warnings_of(old_files))
        old_index = Index([obj for file in old_files for obj in file.objects])
        entries = _match(
            _workloads(files), _workloads(old_files), index, old_index, settings, warnings, refusals
        )
    with pod_template_kinds(config.pod_templates):
        others = _others(
            files,
            old_files if diff else None,
            index,
            settings,
            refusals,
            options.now or datetime.now(UTC),
        )
    entries.extend(others.entries)
    report = PlanReport(
        entries=tuple(entries),
        kubernetes_version=settings.kubernetes_version,
        cluster_domain=settings.cluster_domain,
        mode="diff" if diff else "update",
        compared_with=compared_with,
        files=file_count,
        comparison=comparison,
        rollouts=tuple(others.rollouts),
        cron_jobs=tuple(others.cron_jobs),
        not_planned=tuple(others.not_planned),
    )
    return PlanRun(report, tuple(warnings), tuple(errors))


@dataclass
class _Others:
    entries: list[PlanEntry] = field(default_factory=list)
    rollouts: list[RolloutPlan] = field(default_factory=list)
    cron_jobs: list[CronPlan] = field(default_factory=list)
    not_planned: list[NotPlanned] = field(default_factory=list)


def _others(
    files: Sequence[LoadedFile],
    old_files: Sequence[LoadedFile] | None,
    index: Index,
    settings: PlanContext,
    refusals: Refusals,
    now: datetime,
) -> _Others:
    """CronJobs, Argo Rollouts, and the kinds planned as a Deployment (a DeploymentConfig, a
    configured podTemplates: kind; in diff mode against their previous version), or listed as
    not planned with why. Runs with the run's podTemplates: set."""
    out = _Others()
    old_by_key: dict[Key, KObject] = {}
    if old_files is not None:
        for file in old_files:
            for old in file.objects:
                if not old.patch and custom_layout(old) is not None:
                    old_by_key.setdefault(_key(old), old)
    for file in files:
        for obj in file.objects:
            if obj.patch:
                continue
            rejections = refusals.get(id(obj), ())
            if _is_cronjob(obj):
                out.cron_jobs.append(cron_plan(obj, now, _location(obj), rejections))
                continue
            layout = custom_layout(obj)
            if layout is None:
                continue
            if layout is ROLLOUT:
                planned = rollout_plan(obj, _location(obj), rejections)
                if isinstance(planned, NotPlanned):
                    out.not_planned.append(planned)
                else:
                    out.rollouts.append(planned)
                continue
            if not layout.runs_pods:
                out.not_planned.append(
                    NotPlanned(obj.ref, _location(obj), f"a {obj.kind} runs no Pods itself")
                )
                continue
            entry = _as_deployment_entry(
                obj,
                old_by_key.get(_key(obj)) if old_files is not None else None,
                old_files is not None,
                index,
                settings,
                rejections,
            )
            if isinstance(entry, str):
                out.not_planned.append(NotPlanned(obj.ref, _location(obj), entry))
            else:
                out.entries.append(entry)
    return out


def _as_deployment_entry(
    obj: KObject,
    old: KObject | None,
    diff: bool,
    index: Index,
    settings: PlanContext,
    rejections: Sequence[Rejection],
) -> PlanEntry | str:
    """The plan of a DeploymentConfig or configured kind as a Deployment, or why not."""
    deployment, why = as_deployment(obj)
    if deployment is None:
        return why.removeprefix("not planned: ")
    previous = as_deployment(old)[0] if old is not None else None
    if previous is not None:
        # the Deployment's immutable selector is no rule of these kinds: compare the rest
        previous["spec"]["selector"] = deployment["spec"]["selector"]
    context = replace(settings, services=governing_services(index, obj, old))
    plan = plan_for(deployment, previous, diff=diff, rejections=rejections, context=context)
    if plan is None:
        return "the Deployment planner cannot read it"
    # the Deployment planner's notes speak of a Deployment and its ReplicaSets
    through = layout_runs_through(obj)
    notes = tuple(
        note.replace("Deployment as written", f"{obj.kind} as written").replace(
            "ReplicaSet", through
        )
        for note in plan.notes
    )
    fields = tuple(_own_pointer(obj, pointer) for pointer in plan.changed_fields)
    notes = tuple(_own_pointers(obj, note) for note in notes)
    plan = replace(
        plan,
        object=obj.ref,
        notes=(*notes, planned_as_deployment_note(obj)),
        changed_fields=fields,
    )
    start = (0, plan.replicas)
    if diff:
        if previous is None:
            start = (0, 0)
        else:
            before = plan_for(previous, None, diff=True, context=context)
            count = before.replicas if before is not None else 0
            start = (0, count) if plan.change in ("rollout", "rollout+scale") else (count, 0)
    source = None if old is None else _location(old)
    return PlanEntry(plan, _location(obj), source, start)


def _pointer(path: Sequence[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _pointer_map(obj: KObject) -> list[tuple[str, str]]:
    """The Deployment's pointers and the object's own, for a kind planned as a Deployment."""
    layout = custom_layout(obj)
    if layout is None:
        return []
    pairs = [("/spec/template", _pointer(layout.template))]
    if layout.replicas is not None:
        pairs.append(("/spec/replicas", _pointer(layout.replicas)))
    if layout is DEPLOYMENT_CONFIG:
        pairs.append(("/spec/strategy/rollingUpdate", "/spec/strategy/rollingParams"))
    return [(ours, theirs) for ours, theirs in pairs if ours != theirs]


def _own_pointer(obj: KObject, pointer: str) -> str:
    for ours, theirs in _pointer_map(obj):
        if pointer == ours or pointer.startswith(ours + "/"):
            return theirs + pointer[len(ours) :]
    return pointer


def _own_pointers(obj: KObject, note: str) -> str:
    """A note's JSON pointers (``/spec/template/...``) as pointers into the object."""
    pairs = _pointer_map(obj)
    if not pairs:
        return note
    words = []
    for word in note.split(" "):
        bare = word.rstrip(",;:.")
        if bare.startswith("/"):
            word = _own_pointer(obj, bare) + word[len(bare) :]
        words.append(word)
    return " ".join(words)


def layout_runs_through(obj: KObject) -> str:
    """What the kind's Pods belong to, in the singular (``ReplicationController``)."""
    layout = custom_layout(obj)
    if layout is DEPLOYMENT_CONFIG:
        return "ReplicationController"
    return "ReplicaSet"


# --------------------------------------------------------------------------------------------
# From the live state


_UNDO_KINDS: Final = ("deployment", "deployments", "deploy", "deployment.apps", "deployments.apps")


def _check_live_options(options: PlanOptions) -> None:
    if options.live_paths and (options.from_paths or options.base is not None):
        raise UsageError("--live is the previous version; give no --from or --base with it")
    if options.undo is not None and not options.live_paths:
        raise UsageError("--undo plans from the live state: give --live")
    if options.to_revision is not None and options.undo is None:
        raise UsageError("--to-revision goes with --undo")
    if options.to_revision is not None and options.to_revision < 0:
        raise UsageError("--to-revision: a revision is 0 (the previous one) or more")
    if options.undo is not None and list(options.paths):
        raise UsageError("--undo plans a rollback from --live alone; give no PATH")
    if options.assume_ready and not options.live_paths:
        raise UsageError("--assume-ready goes with --live")


def _undo_target(text: str) -> str:
    """The Deployment name of ``--undo deployment/NAME`` (kubectl's TYPE/NAME)."""
    kind, _, name = text.partition("/")
    if not name or kind.lower() not in _UNDO_KINDS or "/" in name:
        raise UsageError(f"--undo {text!r}: give deployment/NAME")
    return name


def _template_labels(obj: Mapping[str, Any]) -> dict[str, str]:
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    metadata = template.get("metadata") if isinstance(template, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if not isinstance(labels, dict):
        return {}
    return {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}


def _live_location(workload: LiveWorkload) -> str:
    return f"live {workload.kind} {workload.namespace}/{workload.name}"


def _live_plan(
    live: LiveWorkload,
    new: dict[str, Any] | None,
    context: PlanContext,
    rejections: Sequence[Rejection],
    options: PlanOptions,
) -> WorkloadPlan | None:
    if live.kind == "Deployment":
        return deployment_live_plan(
            live, new, assume_ready=options.assume_ready, rejections=rejections, context=context
        )
    if live.kind == "StatefulSet":
        return statefulset_live_plan(
            live, new, assume_ready=options.assume_ready, rejections=rejections, context=context
        )
    if live.kind == "DaemonSet":
        return daemonset_live_plan(
            live, new, assume_ready=options.assume_ready, rejections=rejections, context=context
        )
    return None


def _ready_steps(plan: WorkloadPlan) -> tuple[int, ...]:
    """Ready Pods after each step, and at the end once the last step's Pods are ready."""
    ready = [step.available for step in plan.steps]
    if plan.ready_at_end is not None:
        end = plan.ready_at_end
    elif plan.rejected is not None:
        end = 0
    else:
        end = plan.replicas  # a creation: every Pod ready in the end
    if plan.steps or end != (plan.start.available if plan.start is not None else 0):
        ready.append(end)
    return tuple(ready)


def _live_entries(
    new_workloads: list[KObject],
    live: LiveState,
    index: Index,
    settings: PlanContext,
    refusals: Refusals,
    options: PlanOptions,
    warnings: list[str],
) -> tuple[list[PlanEntry], tuple[ServiceShares, ...]]:
    """Each new workload planned from its live one (or as a creation), each live workload
    without a new version as it stands; with --undo, only the rollback."""
    services: list[dict[str, Any]] = [obj.data for obj in index.of_kind("Service", None)]
    services += [dict(s) for s in live.services]

    def context_for(namespace: str) -> PlanContext:
        def namespace_of(service: Mapping[str, Any]) -> str:
            metadata = service.get("metadata")
            value = metadata.get("namespace") if isinstance(metadata, dict) else None
            return value if isinstance(value, str) and value else "default"

        return replace(settings, services=[s for s in services if namespace_of(s) == namespace])

    entries: list[PlanEntry] = []
    targets: list[Mapping[str, Any]] = []

    def add(
        plan: WorkloadPlan | None,
        source: str | None,
        old: str | None,
        target: Any,
        before: LiveWorkload | None,
    ) -> None:
        if plan is None:
            return
        # the size before: the live spec's replicas (the formats say "10 -> 15 replicas")
        spec = before.object.get("spec") if before is not None else None
        replicas = spec.get("replicas") if isinstance(spec, dict) else None
        counts = (0, replicas if isinstance(replicas, int) and replicas >= 0 else 0)
        entries.append(PlanEntry(plan, source, old, counts))
        targets.append(target)

    if options.undo is not None:
        name = _undo_target(options.undo)
        namespace = options.namespace or "default"
        workload = live.get("Deployment", namespace, name)
        if workload is None:
            raise UsageError(f"deployment {namespace}/{name} is not in the live state")
        try:
            undone = deployment_live_plan(
                workload,
                undo=True,
                to_revision=options.to_revision or None,
                assume_ready=options.assume_ready,
                context=context_for(namespace),
            )
        except UndoError as exc:
            raise UsageError(f"--undo deployment/{name}: {exc}") from None
        add(undone, _live_location(workload), None, workload.object, workload)
    else:
        planned: set[Key] = set()
        plan: WorkloadPlan | None
        for obj in new_workloads:
            key = _key(obj)
            if key in planned:
                warnings.append(
                    f"{_location(obj)}: {obj.kind} {obj.namespace}/{obj.name} is given twice; "
                    "the first is planned"
                )
                continue
            planned.add(key)
            context = context_for(obj.namespace)
            rejections = refusals.get(id(obj), ())
            workload = live.get(*key)
            if workload is None:
                plan = plan_for(obj.data, None, diff=True, rejections=rejections, context=context)
                add(plan, _location(obj), None, obj.data, None)
                continue
            plan = _live_plan(workload, obj.data, context, rejections, options)
            if plan is None:
                warnings.append(
                    f"{_location(obj)}: a {obj.kind} is not planned from the live state yet; "
                    "planned as a Pod template update"
                )
                plan = plan_for(obj.data, None, rejections=rejections, context=context)
            add(plan, _location(obj), _live_location(workload), obj.data, workload)
        for key, workload in sorted(live.workloads.items()):
            if key in planned:
                continue
            plan = _live_plan(workload, None, context_for(workload.namespace), (), options)
            if plan is None:
                warnings.append(
                    f"{_live_location(workload)}: a {workload.kind} is not planned from the "
                    "live state yet"
                )
                continue
            add(plan, _live_location(workload), None, workload.object, workload)

    candidates = [
        BackendCandidate(
            entry.plan.object,
            _template_labels(target),
            entry.plan.start.available if entry.plan.start is not None else 0,
            _ready_steps(entry.plan),
        )
        for entry, target in zip(entries, targets, strict=True)
    ]
    return entries, service_shares(services, candidates)


def _first_by_key(objects: Iterable[KObject], what: str, warnings: list[str]) -> dict[Key, KObject]:
    found: dict[Key, KObject] = {}
    for obj in objects:
        key = _key(obj)
        if key in found:
            warnings.append(
                f"{_location(obj)}: {obj.kind} {obj.namespace}/{obj.name} is "
                f"also in {_location(found[key])}; the {what} version there is "
                "compared"
            )
            continue
        found[key] = obj
    return found


def _match(
    new: list[KObject],
    old: list[KObject],
    index: Index,
    old_index: Index,
    settings: PlanContext,
    warnings: list[str],
    refusals: Refusals,
) -> list[PlanEntry]:
    """Pairs by kind, namespace and name: changed, created (new only), deleted (old only)."""
    new_by_key = _first_by_key(new, "new", warnings)
    old_by_key = _first_by_key(old, "previous", warnings)
    entries: list[PlanEntry] = []
    for key, obj in new_by_key.items():
        entry = _diff_entry(obj, old_by_key.get(key), index, old_index, settings, refusals)
        if entry is not None:
            entries.append(entry)
    for key, previous in old_by_key.items():
        if key not in new_by_key:
            entry = _diff_entry(None, previous, index, old_index, settings, refusals)
            if entry is not None:
                entries.append(entry)
    return entries


# --------------------------------------------------------------------------------------------
# Output


def write_report(output_format: str, report: PlanReport, out: TextIO) -> None:
    from kpolicy.report import PLAN_FORMATS, plan_writer

    if output_format not in PLAN_FORMATS:
        raise UsageError(f"unknown format {output_format!r}; choose from {', '.join(PLAN_FORMATS)}")
    plan_writer(output_format)(report, out)
