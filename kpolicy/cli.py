"""The command line (the only module that imports typer)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from kpolicy import __version__, escape
from kpolicy.errors import UsageError
from kpolicy.versions import DEFAULT_VERSION, SUPPORTED_VERSIONS

if TYPE_CHECKING:
    from kpolicy.command import LintCommand

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


def color_by_default(tty: bool) -> bool:
    """Colour when nothing on the command line decides: off when ``NO_COLOR`` is set and not
    empty (no-color.org), on when ``FORCE_COLOR`` is (force-color.org; ``NO_COLOR`` wins when
    both are), else on a terminal. ``--color``/``--no-color`` override both."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return tty


def _parse_gates(values: list[str]) -> dict[str, bool]:
    gates: dict[str, bool] = {}
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            name, sep, flag = item.partition("=")
            if not sep or flag.strip().lower() not in ("true", "false"):
                raise UsageError(f"--feature-gates expects Name=true|false, got {item!r}")
            gates[name.strip()] = flag.strip().lower() == "true"
    return gates


def _write_output(output: Path, text: str) -> None:
    """The report to ``--output``: atomically, never through a symbolic link at the target
    (see :class:`kpolicy.fsutil.Output`)."""
    from kpolicy.fsutil import OutputError, write_output

    try:
        write_output(output, text)
    except OutputError as exc:
        raise UsageError(str(exc)) from None


def _parse_reports(values: list[str], output: Path | None) -> list[tuple[str, Path]]:
    """``--report FORMAT=PATH`` values as (format, path); a usage error for a bad one."""
    from kpolicy.report import FORMATS

    reports: list[tuple[str, Path]] = []
    seen = {os.path.abspath(output): "--output"} if output is not None else {}
    for value in values:
        name, sep, target = value.partition("=")
        name = name.strip()
        if not sep or not name or not target:
            raise UsageError(
                f"--report expects FORMAT=PATH (e.g. sarif=kpolicy.sarif), got {value!r}"
            )
        if name not in FORMATS:
            raise UsageError(f"--report: unknown format {name!r}; choose from {', '.join(FORMATS)}")
        if target == "-":
            raise UsageError("--report writes a file; the report on the terminal is --format's")
        where = os.path.abspath(target)
        if where in seen:
            raise UsageError(f"--report: {target} is also written by {seen[where]}")
        seen[where] = f"--report {value}"
        reports.append((name, Path(target)))
    return reports


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
            help="Worker processes for large inputs (default 0: one per idle core; 1: serial).",
        ),
    ] = 0,
) -> None:
    """Lint Kubernetes manifests."""
    try:
        reports = _parse_reports(report_files or [], output)
        fixing = fix or diff
        if unsafe_fixes and not fixing:
            raise UsageError("--unsafe-fixes goes with --fix or --diff")
        if fix and diff:
            raise UsageError("--fix and --diff: give one (--diff changes nothing)")
        if fixing and (kustomize or write_baseline is not None):
            raise UsageError(
                f"{'--fix' if fix else '--diff'} fixes the files given, not --kustomize "
                "output or a baseline being written"
            )
    except UsageError as exc:
        _fail(str(exc))
    from kpolicy.command import LintCommand

    _lint(
        LintCommand(
            paths=tuple(paths or ()),
            output_format=output_format,
            output=output,
            report_formats=tuple(name for name, _ in reports),
            report_paths=tuple(path for _, path in reports),
            config=config,
            select=tuple(select or ()),
            ignore=tuple(ignore or ()),
            fail_on=fail_on,
            context=tuple(context or ()),
            kubernetes_version=kubernetes_version,
            cluster_domain=cluster_domain,
            stdin_filename=stdin_filename,
            policy=tuple(policy or ()),
            nodes=nodes,
            feature_gates=tuple(feature_gates or ()),
            schema_dir=schema_dir,
            max_file_size=max_file_size,
            show_suppressed=show_suppressed,
            baseline=baseline,
            write_baseline=write_baseline,
            show_skipped=show_skipped,
            kustomize=tuple(kustomize or ()),
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


def _lint(command: LintCommand) -> None:
    """Run ``kpolicy lint`` as ``command`` says: replayed from the cache when it can be."""
    import io
    from dataclasses import replace

    cache = None
    if command.cacheable:
        from kpolicy.cache import RunCache

        cache = RunCache.for_command(command.cache_key(), command.linted)
        replayed = cache.replay() if cache is not None else None
        if replayed is not None:
            from kpolicy.cache import emit

            # the report goes to this command line's --output, and the texts of the --report
            # files to this command line's paths, never to a recorded path
            code = emit(replayed, command.output, command.reports)
            if code is not None:
                raise typer.Exit(code)

    from kpolicy.lint import FAIL_LEVELS, as_baselined, build_session, exit_code
    from kpolicy.lint import lint as run_lint
    from kpolicy.report import FORMATS, ReportContext, writer

    output_format = command.output_format
    output = command.output
    write_baseline = command.write_baseline
    try:
        if output_format not in FORMATS:
            raise UsageError(f"unknown format {output_format!r}; choose from {', '.join(FORMATS)}")
        if command.fail_on is not None and command.fail_on not in FAIL_LEVELS:
            raise UsageError(f"--fail-on must be one of {', '.join(FAIL_LEVELS)}")
        if command.baseline is not None and write_baseline is not None:
            raise UsageError(
                "--baseline and --write-baseline: give one (--write-baseline "
                "replaces the baseline with the findings of this run)"
            )
        options = command.options(_parse_gates(list(command.feature_gates)))
        session = build_session(options)
        if command.max_file_size is not None:
            session = replace(
                session, limits=replace(session.limits, max_file_bytes=command.max_file_size)
            )
        if cache is not None:
            origin = session.config.origin
            force_exclude = command.force_exclude
            cache.begin(
                {
                    "paths": list(options.paths),
                    "context": list(options.context),
                    "stdin_name": command.stdin_filename,
                    "exclude": list(session.config.exclude),
                    "force_exclude": bool(
                        force_exclude if force_exclude is not None else session.config.force_exclude
                    ),
                    "ignore_files": not command.no_ignore,
                    "exclude_base": str(origin.parent) if origin is not None else None,
                    "config": str(command.config) if command.config is not None else None,
                    "policies": [str(p) for p in (*session.config.policies, *options.policies)],
                    "nodes": str(command.nodes) if command.nodes is not None else None,
                    "schema_dir": [str(command.schema_dir)]
                    if command.schema_dir is not None
                    else [],
                    "limit": session.limits.max_file_bytes,
                    "baseline": str(session.cwd / session.baseline.path)
                    if session.baseline is not None
                    else None,
                    # an exemption with `until` makes the report depend on the day
                    "dated": any(e.until is not None for e in session.config.exemptions),
                }
            )
        if command.fix or command.diff:
            from kpolicy.fix.cli import run_fix_command

            raise typer.Exit(
                run_fix_command(
                    options,
                    session,
                    unsafe=command.unsafe_fixes,
                    write=command.fix,
                    output_format=output_format,
                    output=output,
                    color=command.color,
                    show_suppressed=command.show_suppressed,
                    show_skipped=command.show_skipped,
                    fail_on=command.fail_on,
                )
            )
        result, traces = run_lint(options, session)
        if write_baseline is not None:
            from kpolicy.baseline import write_baseline as write_baseline_file

            if result.errors:
                raise UsageError(
                    f"{result.errors[0]}; the baseline {write_baseline} was not written (a "
                    "baseline without the findings of unreadable files would hide them later)"
                )
            recorded = write_baseline_file(write_baseline, result.diagnostics, session.cwd)
            result = as_baselined(result, str(recorded.path))
            sys.stderr.write(
                f"kpolicy: wrote {len(recorded.entries)} finding"
                f"{'' if len(recorded.entries) == 1 else 's'} to the baseline "
                f"{escape.path(write_baseline)}\n"
            )
        use_color = (
            command.color
            if command.color is not None
            else (output is None and color_by_default(sys.stdout.isatty()))
        )
        ctx = ReportContext(
            rules=session.rules,
            tool_version=__version__,
            color=use_color and output_format == "text",
            show_suppressed=command.show_suppressed,
            show_skipped=command.show_skipped,
        )
        if "sarif" in (output_format, *command.report_formats):
            result = _with_plain_fixes(result, session.cwd, command.stdin_filename)
        report = io.StringIO()
        writer(output_format)(result, ctx, report)
        if output is None:
            sys.stdout.write(report.getvalue())
        else:
            _write_output(output, report.getvalue())
        written: list[list[str]] = []
        if command.reports:
            file_ctx = replace(ctx, color=False)
            for name, path in command.reports:
                text = io.StringIO()
                writer(name)(result, file_ctx, text)
                _write_output(path, text.getvalue())
                written.append([name, text.getvalue()])
        messages = "".join(f"kpolicy: warning: {escape.text(note)}\n" for note in result.warnings)
        messages += "".join(f"kpolicy: error: {escape.text(error)}\n" for error in result.errors)
        # a traceback names files and objects from the input: escaped line by line
        messages += "".join(
            escape.text(line) + "\n" for trace in traces for line in trace.rstrip("\n").split("\n")
        )
        sys.stderr.write(messages)
        level = command.fail_on or session.config.fail_on or "warning"
        code = exit_code(result, level)
        if cache is not None and not result.errors and not traces:
            cache.watch(result.read_also)
            cache.store(
                {"report": report.getvalue(), "stderr": messages, "exit": code, "reports": written},
                output,
            )
        raise typer.Exit(code)
    except UsageError as exc:
        _fail(str(exc))


def _with_plain_fixes(result: Any, cwd: Path, stdin_name: str) -> Any:
    """SARIF carries fixes as text replacements: written against the reported files' text."""
    from kpolicy.fix.resolve import plain_fixes
    from kpolicy.fix.run import FixedFile, read_fixable

    reported = {c.file for c in result.checked}

    def read(display: str) -> str | None:
        if display not in reported or display == stdin_name:
            return None
        found = read_fixable(display, cwd, stdin_name, None)
        return found.text if isinstance(found, FixedFile) else None

    return plain_fixes(result, read)


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
    # A report must not fail on a name the locale cannot encode (LC_ALL=C in CI images).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.stderr.write("kpolicy: interrupted\n")
        sys.exit(130)
