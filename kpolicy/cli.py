"""The command line (the only module that imports typer)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from kpolicy import __version__, escape
from kpolicy.errors import UsageError
from kpolicy.lintcmd import color_by_default as color_by_default
from kpolicy.lintcmd import parse_gates as _parse_gates
from kpolicy.versions import DEFAULT_VERSION, SUPPORTED_VERSIONS

_VERSION_HELP = (
    f"Kubernetes minor version, {SUPPORTED_VERSIONS[0]} to {SUPPORTED_VERSIONS[-1]} "
    f"(default {DEFAULT_VERSION})."
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="kpolicy: a Kubernetes manifest linter and policy checker.",
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"kpolicy: error: {escape.text(message)}\n")
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"kpolicy {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """kpolicy: a Kubernetes manifest linter and policy checker."""


@app.command()
def lint(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files, folders, or - for stdin (default: .).")
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="text, json, sarif, github, junit, gitlab or checkstyle."
        ),
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here.")
    ] = None,
    report_files: Annotated[
        list[str] | None,
        typer.Option(
            "--report",
            metavar="FORMAT=PATH",
            help="Also write a report in FORMAT to PATH (repeatable), e.g. sarif=kpolicy.sarif.",
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file.")] = None,
    select: Annotated[
        list[str] | None, typer.Option(help="Only these rule ids (comma-separated).")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="Skip these rule ids (comma-separated).")
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option(help="error, warning (default), info or never.")
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(help="Files or folders indexed for cross-object rules, never reported on."),
    ] = None,
    kubernetes_version: Annotated[str | None, typer.Option(help=_VERSION_HELP)] = None,
    cluster_domain: Annotated[str | None, typer.Option(help="Default cluster.local.")] = None,
    stdin_filename: Annotated[str, typer.Option(help="Name of stdin in reports.")] = "<stdin>",
    policy: Annotated[list[Path] | None, typer.Option(help="Policy file or folder.")] = None,
    nodes: Annotated[
        Path | None,
        typer.Option(help="Node objects (kubectl get nodes -o yaml) for DaemonSet rules."),
    ] = None,
    feature_gates: Annotated[
        list[str] | None,
        typer.Option(help="Name=true|false,... (default: the version's defaults)."),
    ] = None,
    schema_dir: Annotated[
        Path | None,
        typer.Option(
            help="More JSON Schemas ({kind}_{version}.json or {kind}-{group}-{version}.json)."
        ),
    ] = None,
    max_file_size: Annotated[
        int | None,
        typer.Option(min=1, help="Refuse files larger than this many bytes (default 16 MiB)."),
    ] = None,
    show_suppressed: Annotated[
        bool, typer.Option(help="List suppressed and baselined findings too.")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Report only findings this baseline file does not list (default: "
            "the config's baseline:)."
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(help="Write every finding of this run to this baseline file."),
    ] = None,
    show_skipped: Annotated[
        bool,
        typer.Option(
            "--show-skipped",
            "-v",
            help="List the files not linted (not manifests, chart templates) and why.",
        ),
    ] = False,
    kustomize: Annotated[
        list[str] | None,
        typer.Option(
            "--kustomize",
            help="Build this kustomization folder (kubectl kustomize or kustomize build) "
            "and lint what it renders, placed on the source files (repeatable).",
        ),
    ] = None,
    no_ignore: Annotated[
        bool, typer.Option("--no-ignore", help="Walk folders without honouring .gitignore.")
    ] = False,
    force_exclude: Annotated[
        bool | None,
        typer.Option(
            "--force-exclude/--no-force-exclude",
            help="Apply the config's exclude to files named on the command line too "
            "(as the pre-commit hook does; default: the config's forceExclude).",
        ),
    ] = None,
    color: Annotated[
        bool | None, typer.Option("--color/--no-color", help="Colour (default: when a terminal).")
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks of internal errors.")] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither replay nor record this run in the cache (see KPOLICY_CACHE_DIR).",
        ),
    ] = False,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Apply the safe fixes, rewriting the files (stdin: the fixed text to stdout, "
            "the report to stderr), then report what is left.",
        ),
    ] = False,
    unsafe_fixes: Annotated[
        bool,
        typer.Option(
            "--unsafe-fixes",
            help="With --fix or --diff: the unsafe fixes too (they change behaviour).",
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Print the fixes as a unified diff and change nothing (exit 1 when there is "
            "something to fix).",
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Processes that read large inputs (default 0: one per idle core; 1: serial).",
        ),
    ] = 0,
) -> None:
    """Lint Kubernetes manifests."""
    from kpolicy.lintcmd import run

    raise typer.Exit(
        run(
            paths=paths,
            output_format=output_format,
            output=output,
            report_files=report_files,
            config=config,
            select=select,
            ignore=ignore,
            fail_on=fail_on,
            context=context,
            kubernetes_version=kubernetes_version,
            cluster_domain=cluster_domain,
            stdin_filename=stdin_filename,
            policy=policy,
            nodes=nodes,
            feature_gates=feature_gates,
            schema_dir=schema_dir,
            max_file_size=max_file_size,
            show_suppressed=show_suppressed,
            baseline=baseline,
            write_baseline=write_baseline,
            show_skipped=show_skipped,
            kustomize=kustomize,
            no_ignore=no_ignore,
            force_exclude=force_exclude,
            color=color,
            debug=debug,
            no_cache=no_cache,
            fix=fix,
            unsafe_fixes=unsafe_fixes,
            diff=diff,
            jobs=jobs,
        )
    )


@app.command()
def rules(
    rule_id: Annotated[
        str | None, typer.Argument(help="Show one rule's full documentation.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text, json or markdown.")
    ] = "text",
    policy: Annotated[list[Path] | None, typer.Option(help="Include these policies.")] = None,
) -> None:
    """List the rules, or document one."""
    from kpolicy.docs import rule_json, rule_markdown, rule_text, rules_markdown
    from kpolicy.lint import load_policies
    from kpolicy.ruledefs import builtin_rules

    try:
        if output_format not in ("text", "json", "markdown"):
            raise UsageError("--format must be text, json or markdown")
        builtin = builtin_rules()
        known = {**builtin, **load_policies(policy or [], builtin)}
        if rule_id is not None:
            if rule_id not in known:
                raise UsageError(f"unknown rule {rule_id!r} (see `kpolicy rules`)")
            rule = known[rule_id]
            if output_format == "json":
                sys.stdout.write(json.dumps(rule_json(rule), indent=2) + "\n")
            elif output_format == "markdown":
                sys.stdout.write(rule_markdown(rule))
            else:
                sys.stdout.write(rule_text(rule))
            return
        ordered = sorted(known.values(), key=lambda r: r.id)
        if output_format == "json":
            sys.stdout.write(json.dumps([rule_json(r) for r in ordered], indent=2) + "\n")
        elif output_format == "markdown":
            sys.stdout.write(rules_markdown(ordered))
        else:
            width = max(len(r.id) for r in ordered)
            for r in ordered:
                off = "" if r.enabled else " (off by default)"
                title = escape.text(r.title)  # a policy's title is the repository's text
                fixed = "" if r.fix == "none" else f" (fix: {r.fix})"
                sys.stdout.write(f"{r.id:<{width}}  {r.severity.value:<7}  {title}{off}{fixed}\n")
    except UsageError as exc:
        _fail(str(exc))


@app.command()
def lsp(
    stdio: Annotated[
        bool,
        typer.Option("--stdio", help="Serve over stdin/stdout (the default and only transport)."),
    ] = False,
) -> None:
    """Run the language server over stdio (for editors)."""
    from kpolicy.lsp.server import main as serve

    serve()


@app.command("test-policies")
def test_policies(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Policy files or folders (default: the built-in rules)."),
    ] = None,
) -> None:
    """Run the bad and good examples of policies (or of the built-in rules) as tests."""
    from kpolicy.testpolicies import run_test_policies

    try:
        raise typer.Exit(run_test_policies(list(paths or []), sys.stdout))
    except UsageError as exc:
        _fail(str(exc))


# ---- kpolicy plan (below this line) ----


@app.command()
def plan(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files, folders, or - for stdin (default: .).")
    ] = None,
    from_paths: Annotated[
        list[str] | None,
        typer.Option(
            "--from", help="The previous version (files or folders; repeatable): plan the change."
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            help="Plan the change from the same files at this git revision (git show REV:path)."
        ),
    ] = None,
    nodes: Annotated[
        Path | None,
        typer.Option(help="Node objects (kubectl get nodes -o yaml) for DaemonSet placement."),
    ] = None,
    cluster_domain: Annotated[str | None, typer.Option(help="Default cluster.local.")] = None,
    kubernetes_version: Annotated[str | None, typer.Option(help=_VERSION_HELP)] = None,
    feature_gates: Annotated[
        list[str] | None,
        typer.Option(help="Name=true|false,... (default: the version's defaults)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text, json, markdown or svg.")
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the plan here.")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file.")] = None,
    stdin_filename: Annotated[str, typer.Option(help="Name of stdin in the plan.")] = "<stdin>",
    now: Annotated[
        str | None,
        typer.Option(
            help="ISO 8601 date and time a CronJob's next runs start from (default: now; "
            "UTC without an offset)."
        ),
    ] = None,
    live: Annotated[
        list[str] | None,
        typer.Option(
            "--live",
            help="The live state (kubectl get deploy,rs,sts,ds,controllerrevisions,pods,svc "
            "-A -o yaml; files, folders or -; repeatable): plan from it.",
        ),
    ] = None,
    undo: Annotated[
        str | None,
        typer.Option(help="deployment/NAME: plan kubectl rollout undo (with --live)."),
    ] = None,
    to_revision: Annotated[
        int | None, typer.Option(help="With --undo: the revision to go back to.")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="With --undo (default: default).")
    ] = None,
    assume_ready: Annotated[
        bool,
        typer.Option(
            help="With --live: live Pods that are not ready become ready (else they never do)."
        ),
    ] = False,
) -> None:
    """Plan rollouts: Pods per controller sync, update order, DNS names, DaemonSet nodes."""
    from kpolicy.plan.command import PlanOptions, build_report, write_report
    from kpolicy.report import PLAN_FORMATS

    try:
        if output_format not in PLAN_FORMATS:
            raise UsageError(
                f"unknown format {output_format!r}; choose from {', '.join(PLAN_FORMATS)}"
            )
        start = None
        if now is not None:
            from kpolicy.plan.cron import parse_now

            try:
                start = parse_now(now)
            except ValueError:
                raise UsageError(
                    f"--now {now!r} is not an ISO 8601 date and time (2026-03-01T09:00:00Z)"
                ) from None
        options = PlanOptions(
            paths=paths or ([] if live else ["."]),
            from_paths=from_paths or [],
            base=base,
            nodes_file=nodes,
            cluster_domain=cluster_domain,
            kubernetes_version=kubernetes_version,
            feature_gates=_parse_gates(feature_gates or []),
            config_path=config,
            stdin_filename=stdin_filename,
            now=start,
            live_paths=live or [],
            undo=undo,
            to_revision=to_revision,
            namespace=namespace,
            assume_ready=assume_ready,
        )
        run = build_report(options)
        for warning in run.warnings:
            sys.stderr.write(f"kpolicy: warning: {escape.text(warning)}\n")
        if output is None:
            write_report(output_format, run.report, sys.stdout)
        else:
            from kpolicy.fsutil import Output, OutputError

            try:
                target = Output(output)
            except OutputError as exc:
                raise UsageError(str(exc)) from None
            try:
                write_report(output_format, run.report, target.stream)
            except BaseException:
                target.abort()
                raise
            try:
                target.commit()
            except OutputError as exc:
                raise UsageError(str(exc)) from None
        for error in run.errors:
            sys.stderr.write(f"kpolicy: error: {escape.text(error)}\n")
        raise typer.Exit(2 if run.errors else 0)
    except UsageError as exc:
        _fail(str(exc))


def main() -> None:
    from kpolicy.lintcmd import reconfigure_streams

    reconfigure_streams()
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.stderr.write("kpolicy: interrupted\n")
        sys.exit(130)
