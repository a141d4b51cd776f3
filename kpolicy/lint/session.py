"""The session of a run: config, rules and version resolved once from the options; the rules' context."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property

from kpolicy.checks import Reads, RuleContext, SchemaService, registry
from kpolicy.config import Config, check_rule_ids, load_config
from kpolicy.configfile import find_config
from kpolicy.engine import INTERNAL_ERROR, ActiveRule
from kpolicy.errors import UsageError
from kpolicy.features import unknown_gate
from kpolicy.index import Index
from kpolicy.lint.options import LintOptions
from kpolicy.model import (
    KObject,
    Limits,
)
from kpolicy.records import field, record
from kpolicy.ruledefs import RuleDef, builtin_rules, load_rule_dir, parse_rule_file
from kpolicy.suppress import (
    SuppressionPolicy,
    suppression_policy,
)
from kpolicy.versions import DEFAULT_VERSION, check_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # made where asked: a plain run does without pathlib (3 ms)
    from typing import Any

    from kpolicy.baseline import Baseline


@record(frozen=True)
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
    # what reported file names are relative to (the working folder); :attr:`cwd` as a Path
    folder: str = field(default_factory=os.getcwd)
    warnings: tuple[str, ...] = ()  # one-line warnings about the config (expired exemptions)
    fixes: bool = True  # LintOptions.fixes

    @cached_property
    def generic(self) -> frozenset[str]:
        """The ids of the built-in rules of the schema family (``family: schema``), whose
        findings give way to a specific rule's at the same place."""
        return frozenset(
            rule_id
            for rule_id, rule in self.rules.items()
            if rule.family == "schema" and rule.builtin
        )

    @cached_property
    def cwd(self) -> Path:
        """:attr:`folder` as a Path, made when a baseline or a fix asks for it."""
        from pathlib import Path

        return Path(self.folder)


def resolve_config(options: LintOptions) -> Config:
    if options.config_path is not None:
        if not options.config_path.is_file():
            raise UsageError(f"{options.config_path}: config file not found")
        return load_config(options.config_path)
    if options.use_config_discovery:
        return load_config(find_config(options.cwd or os.getcwd()))
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
            import difflib  # suggestions only: not imported at start-up

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
    folder = os.fspath(options.cwd) if options.cwd else os.getcwd()
    # today's date only where an exemption has an `until` (else datetime is not imported)
    dated = any(e.until is not None for e in config.exemptions)
    today = options.today
    if today is None and dated:
        from kpolicy import dates

        today = dates.today()
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
        from pathlib import Path

        baseline = read_baseline(baseline_path, Path(folder))
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
        folder=folder,
        warnings=warnings,
        fixes=options.fixes,
    )


def read_baseline(path: Path, cwd: Path) -> Baseline:
    """The baseline at ``path`` (relative to ``cwd``, as the config or --baseline gives it);
    a usage error when it is missing or invalid."""
    from kpolicy.baseline import load_baseline  # a run without a baseline does without it

    return load_baseline(_shown(path, cwd), cwd)


def rule_context(
    session: Session,
    index: Index,
    nodes: tuple[KObject, ...] | None,
    schemas: SchemaService | None,
) -> RuleContext:
    return RuleContext(
        index=index,
        kubernetes_version=session.kubernetes_version,
        cluster_domain=session.cluster_domain,
        feature_gates=session.feature_gates,
        nodes=nodes,
        enabled=frozenset(session.active),
        schemas=schemas,
        fixes=session.fixes,
    )


def reads_schemas(session: Session) -> bool:
    """Whether a rule of the run reads schemas (:attr:`kpolicy.checks.Reads.SCHEMAS`)."""
    checks = registry()
    return any(
        entry.reads is Reads.SCHEMAS
        for entry in (checks.get(rule_id) for rule_id in session.active)
        if entry is not None
    )


def run_schemas(session: Session, index: Index) -> SchemaService | None:
    """The schemas of the run: the bundled ones of its version, the custom kinds of the
    CustomResourceDefinitions in the index and of ``--schema-dir``; None when no rule of the
    run reads them."""
    if not reads_schemas(session):
        return None
    from kpolicy.schema import SchemaValidator

    validator = SchemaValidator.for_version(session.kubernetes_version)
    crds = index.of_kind("CustomResourceDefinition")
    if crds:
        # a packed definition (a parallel run's) is unpacked only if one of its kinds is
        # validated; a definition that a later one of its kinds replaces is dropped
        validator = validator.with_crds(o.data for o in crds)
    if session.schema_dir is not None:
        try:
            validator = validator.with_schema_dir(session.schema_dir)
        except (OSError, ValueError) as exc:
            raise UsageError(f"{session.schema_dir}: cannot read schemas: {exc}") from None
    return validator
