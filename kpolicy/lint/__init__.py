"""The lint pipeline: discover → load → index → engine → suppress, as one function (:func:`lint`).

One module per job: :mod:`.options`, :mod:`.session`, :mod:`.inputs`, :mod:`.run` (the parallel
run), :mod:`.check` and :mod:`.post` (post-processing of findings)."""

from __future__ import annotations

import gc

from kpolicy.k8s.podtemplates import configured as pod_template_kinds
from kpolicy.lifetime import keep
from kpolicy.lint.check import check_files
from kpolicy.lint.inputs import (
    CHART_NOT_RENDERED,
    adapt_to_repo,
    build_kustomize,
    chart_finding,
    gather_inputs,
    load_nodes,
    nodes_of,
    read_input,
    refused_file,
    shapeless_reason,
)
from kpolicy.lint.options import FAIL_LEVELS, LintOptions
from kpolicy.lint.post import (
    HOOK_EXEMPT_RULES,
    as_baselined,
    drop_generic_duplicates,
    exit_code,
    placed_on_sources,
    source_displays,
    with_baseline,
)
from kpolicy.lint.run import LocalFindings, read_all
from kpolicy.lint.session import Session, build_session, load_policies, read_baseline
from kpolicy.model import LintResult, LoadedFile, Skipped
from kpolicy.patterns import start_run
from kpolicy.records import replace

__all__ = [
    "CHART_NOT_RENDERED",
    "FAIL_LEVELS",
    "HOOK_EXEMPT_RULES",
    "LintOptions",
    "Session",
    "adapt_to_repo",
    "as_baselined",
    "build_session",
    "check_files",
    "drop_generic_duplicates",
    "exit_code",
    "lint",
    "load_nodes",
    "load_policies",
    "nodes_of",
    "read_baseline",
    "read_input",
    "refused_file",
    "with_baseline",
]


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
    gathered = gather_inputs(options, session)
    reads, skipped, errors = gathered.reads, gathered.skipped, gathered.errors
    repo, base, unrendered = gathered.repo, gathered.base, gathered.unrendered
    read_also = gathered.read_also
    nodes = load_nodes(options.nodes_file, session.limits)
    results, found_locally = read_all(reads, session, options, nodes, repo)
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
            skipped.append(Skipped(item.display, shapeless_reason(item, result, repo)))
    charts = [chart_finding(folder, count, repo, session) for folder, count in unrendered.items()]
    builds = [build_kustomize(folder, session.limits) for folder in options.kustomize]
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
        checked = placed_on_sources(checked, builds, str(base), session.limits)
        covered.extend(source_displays(builds, str(base)))
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
    # a one-shot process ends without freeing the files read and their findings
    keep(loaded, local, context_files, results, found_locally, builds)
    return checked, traces
