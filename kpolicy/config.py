"""Configuration: ``--config``, else the nearest ``.kpolicy.yaml`` upward, else
``[tool.kpolicy]`` in the nearest ``pyproject.toml``, else the defaults."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from functools import cache

from kpolicy.configfile import pyproject_section
from kpolicy.errors import UsageError
from kpolicy.k8s.podtemplates import PodTemplateKind
from kpolicy.model import Limits, Severity, escape_pointer_token
from kpolicy.positions import PositionTable
from kpolicy.records import field, record
from kpolicy.resources import data_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date  # imported where an exemption's until is read, else not at all
    from pathlib import Path  # a config file's path is one (configfile.find_config makes it)
    from typing import Any


@record(frozen=True, slots=True)
class RuleSetting:
    severity: Severity | None  # None: keep the rule's default
    enabled: bool | None  # None: the rule's own default
    params: Mapping[str, Any] = field(default_factory=dict)
    # False: comments and annotations in manifests cannot silence the rule (exemptions can)
    suppressible: bool = True


@record(frozen=True, slots=True)
class Exemption:
    rules: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    reason: str | None = None
    until: date | None = None  # the last day it applies
    where: str = ""  # file:line:column of the exemption in the config

    def expired(self, today: date | None) -> bool:
        """Whether it no longer applies on ``today`` (None only when no exemption of the run
        has an ``until``)."""
        return self.until is not None and today is not None and today > self.until

    def describe(self) -> str:
        """What it exempts, in words, for a warning."""
        parts = [
            f"{label} {', '.join(values)}"
            for label, values in (
                ("rules", self.rules),
                ("kinds", self.kinds),
                ("namespaces", self.namespaces),
                ("names", self.names),
            )
            if values
        ]
        return "; ".join(parts) or "everything"

    def covers(self, rule: str, kind: str, namespace: str, name: str) -> bool:
        def hit(patterns: tuple[str, ...], value: str) -> bool:
            if not patterns:
                return True
            import fnmatch  # here: a run without exemptions does without it

            return any(fnmatch.fnmatchcase(value, p) for p in patterns)

        return (
            hit(self.rules, rule)
            and hit(self.kinds, kind)
            and hit(self.namespaces, namespace)
            and hit(self.names, name)
        )


@record(frozen=True)
class Config:
    rules: Mapping[str, RuleSetting] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    exemptions: tuple[Exemption, ...] = ()
    kubernetes_version: str | None = None
    cluster_domain: str | None = None
    fail_on: str | None = None
    policies: tuple[Path, ...] = ()
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    origin: Path | None = None
    rule_locations: Mapping[str, str] = field(default_factory=dict)
    baseline: Path | None = None  # relative to the working folder, or absolute
    pod_templates: tuple[PodTemplateKind, ...] = ()  # podTemplates: custom pod-template kinds

    @property
    def exclude_base(self) -> str | None:
        """The folder ``exclude`` globs are relative to: the config file's."""
        return os.path.dirname(os.path.abspath(self.origin)) if self.origin is not None else None


@cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads((data_dir("schemas") / "config.schema.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    if path.name == "pyproject.toml":
        section = pyproject_section(path)
        return _build(section or {}, path, None)
    from kpolicy.load import load_own_file

    documents = load_own_file(path, "config", "invalid config: ")
    if not documents:
        return Config(origin=path)
    value = documents[0].value
    if not isinstance(value, dict):
        raise UsageError(f"{path}:1: invalid config: the top level must be a mapping")
    return _build(value, path, documents[0].positions)


def _where(path: Path, positions: PositionTable | None, pointer: str) -> str:
    if positions is None:
        return f"{path}"
    span = positions.resolve(pointer, "key")[0]
    return f"{path}:{span.line}:{span.column}"


def _build(
    data: dict[str, Any],
    path: Path,
    positions: PositionTable | None,
) -> Config:
    data = _dates_as_text(data)
    rules = data.get("rules")
    if isinstance(rules, dict):
        # YAML 1.1 reads an unquoted `off` as false (and `on` as true): take them as meant
        data = {**data, "rules": {k: _level_word(v) for k, v in rules.items()}}
    # before the schema, whose enum would only list the versions: a clearer message, at the
    # value
    _check_version_and_gates(data, path, positions)
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.path])
    if errors:
        err = errors[0]
        parts = [str(p) for p in err.absolute_path]
        pointer = "".join(f"/{p}" for p in parts)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            extra = [k for k in err.instance if k not in allowed]
            if extra:
                pointer += f"/{extra[0]}"
                parts.append(extra[0])
                where = _where(path, positions, pointer)
                raise UsageError(
                    f"{where}: invalid config: unknown key {'.'.join(parts)!r} "
                    f"(allowed: {', '.join(sorted(allowed))})"
                )
        where = _where(path, positions, pointer)
        message = err.message
        if len(message) > 200:
            message = message[:200] + "..."
        if parts == ["kubernetesVersion"] and isinstance(err.instance, int | float):
            message += ' (YAML reads an unquoted 1.30 as the number 1.3: quote it, "1.30")'
        raise UsageError(f"{where}: invalid config at {'.'.join(parts) or 'top level'}: {message}")
    settings: dict[str, RuleSetting] = {}
    locations: dict[str, str] = {}
    for rule_id, value in data.get("rules", {}).items():
        locations[rule_id] = _where(path, positions, f"/rules/{rule_id}")
        if isinstance(value, str):
            value = {"severity": value}
        level = value.get("severity")
        settings[rule_id] = RuleSetting(
            severity=None if level in (None, "off") else Severity.parse(level),
            enabled=None if level is None else level != "off",
            params=value.get("params", {}),
            suppressible=value.get("suppressible", True),
        )
    exemptions = tuple(
        Exemption(
            rules=tuple(e.get("rules", ())),
            namespaces=tuple(e.get("namespaces", ())),
            names=tuple(e.get("names", ())),
            kinds=tuple(e.get("kinds", ())),
            reason=e.get("reason") or None,
            until=_until(e, index, path, positions),
            where=_located(path, positions, f"/exemptions/{index}/until", e["until"])
            if "until" in e
            else _where(path, positions, f"/exemptions/{index}"),
        )
        for index, e in enumerate(data.get("exemptions", []))
    )
    policies = _policy_paths(data, path, positions)
    baseline = _baseline_path(data, path, positions)
    _check_excludes(data, path, positions)
    limits_data = data.get("limits", {})
    defaults = Limits()
    limits = Limits(
        max_file_bytes=limits_data.get("maxFileBytes", defaults.max_file_bytes),
        max_nodes=limits_data.get("maxNodes", defaults.max_nodes),
        max_depth=limits_data.get("maxDepth", defaults.max_depth),
        max_run_bytes=limits_data.get("maxRunBytes", defaults.max_run_bytes),
    )
    return Config(
        rules=settings,
        exclude=tuple(data.get("exclude", ())),
        force_exclude=data.get("forceExclude", False) is True,
        exemptions=exemptions,
        kubernetes_version=data.get("kubernetesVersion"),
        cluster_domain=data.get("clusterDomain"),
        fail_on=data.get("failOn"),
        policies=policies,
        feature_gates=dict(data.get("featureGates", {})),
        limits=limits,
        origin=path,
        rule_locations=locations,
        baseline=baseline,
        pod_templates=_pod_templates(data, path, positions),
    )


def _pod_templates(
    data: dict[str, Any], path: Path, positions: PositionTable | None
) -> tuple[PodTemplateKind, ...]:
    """``podTemplates:`` (shape checked by the schema): a kind kpolicy already knows, or one
    named twice, is a usage error at the entry."""
    from kpolicy.k8s.apis import SERVED
    from kpolicy.k8s.podtemplates import BUILTIN, from_config

    entries = data.get("podTemplates", [])
    where = [_where(path, positions, f"/podTemplates/{i}") for i in range(len(entries))]
    seen: dict[tuple[str, str], str] = {}
    builtin = {entry.kind: entry for entry in BUILTIN}
    for entry, location in zip(entries, where, strict=True):
        api_version, kind = entry["apiVersion"], entry["kind"]
        group = api_version.rpartition("/")[0]
        if kind in SERVED and ("." not in group or group.endswith(".k8s.io")):
            raise UsageError(
                f"{location}: invalid config: podTemplates names the built-in kind {kind} "
                f"({api_version}); kpolicy reads its pod template already"
            )
        known = builtin.get(kind)
        if known is not None and known.group == group:
            raise UsageError(
                f"{location}: invalid config: podTemplates names {kind} ({api_version}), whose "
                "pod template kpolicy reads already"
            )
        previous = seen.get((api_version, kind))
        if previous is not None:
            raise UsageError(
                f"{location}: invalid config: podTemplates names {kind} ({api_version}) twice "
                f"(first at {previous})"
            )
        seen[(api_version, kind)] = location
    return tuple(from_config(entries, where))


def _dates_as_text(data: dict[str, Any]) -> dict[str, Any]:
    """TOML reads ``until = 2026-03-31`` as a date: the schema (and YAML) see text."""
    exemptions = data.get("exemptions")
    dates = sys.modules.get("datetime")  # (tomllib imports it: no date without it)
    if (
        dates is None
        or not isinstance(exemptions, list)
        or not any(
            isinstance(e, dict) and isinstance(e.get("until"), dates.date) for e in exemptions
        )
    ):
        return data
    date = dates.date
    converted = [
        {**e, "until": e["until"].isoformat()[:10]}
        if isinstance(e, dict) and isinstance(e.get("until"), date)
        else e
        for e in exemptions
    ]
    return {**data, "exemptions": converted}


def _until(
    exemption: dict[str, Any], index: int, path: Path, positions: PositionTable | None
) -> date | None:
    """The exemption's ``until`` (YYYY-MM-DD, checked by the schema's pattern) as a date."""
    value = exemption.get("until")
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        where = _located(path, positions, f"/exemptions/{index}/until", value)
        raise UsageError(
            f"{where}: invalid config: exemption until {value!r} is not a date (YYYY-MM-DD)"
        ) from None


def _baseline_path(
    data: dict[str, Any], path: Path, positions: PositionTable | None
) -> Path | None:
    """The config's ``baseline``, relative to the config file and inside the folder that holds
    it (links resolved), like ``policies``; ``--baseline`` on the command line can be anywhere."""
    given = data.get("baseline")
    if given is None:
        return None
    resolved = path.parent / str(given)
    if not _inside_folder(resolved, path):
        where = _located(path, positions, "/baseline", given)
        raise UsageError(
            f"{where}: invalid config: baseline {given!r} is outside the folder that holds the "
            f"config ({_config_folder(path)}); give it with --baseline instead"
        )
    return resolved


def _inside_folder(resolved: Path, config: Path) -> bool:
    folder = _config_folder(config)
    real = os.path.realpath(resolved)
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def _config_folder(path: Path) -> str:
    return os.path.realpath(os.path.dirname(os.path.abspath(path)))


def _located(
    path: Path, positions: PositionTable | None, pointer: str, value: str, value_span: bool = False
) -> str:
    """``file:line:column`` of a config value, or of its key (for ``pyproject.toml``: the first
    line that holds it, quoted); ``value_span``: the value's own place in a YAML config."""
    if positions is not None:
        if value_span:
            span = positions.resolve(pointer, "value")[0]
            return f"{path}:{span.line}:{span.column}"
        return _where(path, positions, pointer)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return str(path)
    for quoted in (json.dumps(value), f"'{value}'"):
        for number, line in enumerate(lines, 1):
            if quoted in line:
                return f"{path}:{number}:{line.index(quoted) + 1}"
    return str(path)


def _policy_paths(
    data: dict[str, Any], path: Path, positions: PositionTable | None
) -> tuple[Path, ...]:
    """The config's ``policies``, relative to the config file, each inside the folder that
    holds it (links resolved): a repository's config cannot load rules from elsewhere on the
    machine (``--policy`` on the command line can)."""
    folder = _config_folder(path)
    found: list[Path] = []
    for index, given in enumerate(data.get("policies", ())):
        resolved = path.parent / given
        real = os.path.realpath(resolved)
        if not (real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)):
            where = _located(path, positions, f"/policies/{index}", given)
            raise UsageError(
                f"{where}: invalid config: policies entry {given!r} is outside the folder that "
                f"holds the config ({folder}); give it with --policy instead"
            )
        found.append(resolved)
    return tuple(found)


def _check_excludes(data: dict[str, Any], path: Path, positions: PositionTable | None) -> None:
    """``exclude`` globs are relative to the config's folder and stay inside it."""
    for index, pattern in enumerate(data.get("exclude", ())):
        parts = pattern.replace("\\", "/").split("/")
        if os.path.isabs(pattern) or pattern.startswith(("/", "\\")) or ".." in parts:
            where = _located(path, positions, f"/exclude/{index}", pattern)
            raise UsageError(
                f"{where}: invalid config: exclude pattern {pattern!r} leaves the folder that "
                "holds the config (globs are relative to it)"
            )


def _check_version_and_gates(
    data: dict[str, Any], path: Path, positions: PositionTable | None
) -> None:
    """``kubernetesVersion`` is one kpolicy supports (kpolicy.versions) and every name in
    ``featureGates`` is a gate it knows: else a usage error at the offending line."""
    from kpolicy.features import unknown_gate
    from kpolicy.versions import SUPPORTED_VERSIONS

    version = data.get("kubernetesVersion")
    if isinstance(version, str) and version not in SUPPORTED_VERSIONS:
        where = _located(path, positions, "/kubernetesVersion", version, value_span=True)
        raise UsageError(
            f"{where}: invalid config: unsupported kubernetesVersion {version!r}; supported: "
            f"{SUPPORTED_VERSIONS[0]} to {SUPPORTED_VERSIONS[-1]}"
        )
    gates = data.get("featureGates")
    for name in gates if isinstance(gates, dict) else ():
        problem = unknown_gate(str(name))
        if problem is not None:
            where = _located(
                path, positions, f"/featureGates/{escape_pointer_token(str(name))}", str(name)
            )
            raise UsageError(f"{where}: invalid config: featureGates: {problem}")


def _level_word(value: object) -> object:
    if value is False:
        return "off"
    if value is True:
        return {}
    if isinstance(value, dict) and isinstance(value.get("severity"), bool):
        return {**value, "severity": "off" if value["severity"] is False else None}
    return value


def check_rule_ids(config: Config, known_rules: Mapping[str, Any]) -> None:
    """Every rule the config names must exist (built-in or a loaded policy)."""
    for rule_id in config.rules:
        if rule_id not in known_rules:
            where = config.rule_locations.get(rule_id, str(config.origin))
            import difflib  # suggestions only: not imported at start-up

            close = difflib.get_close_matches(rule_id, list(known_rules), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"{where}: invalid config: unknown rule {rule_id!r}{hint}")
