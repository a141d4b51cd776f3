"""SARIF 2.1.0, built with sarif-om, accepted by GitHub code scanning."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TextIO

import attr
import sarif_om as om

from kpolicy.model import Diagnostic, LintResult, Severity
from kpolicy.report import ReportContext
from kpolicy.ruledefs import RuleDef

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kpolicy/kpolicy"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


_ALWAYS = frozenset({"level"})  # written even when equal to SARIF's default, for readers


def _serialize(value: Any) -> Any:
    """sarif-om objects → JSON, with the schema's property names and without unset fields."""
    if attr.has(type(value)):
        out: dict[str, Any] = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None or (item == field.default and field.name not in _ALWAYS):
                continue
            out[field.metadata.get("schema_property_name", field.name)] = _serialize(item)
        return out
    if isinstance(value, list | tuple):
        return [_serialize(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialize(v) for k, v in value.items()}
    return value


def _rule_descriptor(rule: RuleDef) -> om.ReportingDescriptor:
    markdown = f"**{rule.title}**\n\n{rule.rationale}\n\n**Fix:** {rule.remediation}"
    return om.ReportingDescriptor(
        id=rule.id,
        name="".join(p.capitalize() for p in rule.id.split("-")),
        short_description=om.MultiformatMessageString(text=rule.title),
        full_description=om.MultiformatMessageString(text=rule.rationale),
        help=om.MultiformatMessageString(text=rule.remediation, markdown=markdown),
        help_uri=rule.help_uri,
        default_configuration=om.ReportingConfiguration(level=_LEVEL[rule.severity]),
        properties={"tags": ["kubernetes"]},
    )


def fingerprint(diag: Diagnostic) -> str:
    """Stable when unrelated lines move: rule, file, object and pointer, not line numbers."""
    obj = diag.object
    parts = [diag.rule, diag.file, diag.path]
    if obj is not None:
        parts += [obj.kind or "", obj.namespace or "", obj.name or ""]
    else:
        parts.append(diag.message)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _location(file: str, diag_span: Any) -> om.PhysicalLocation:
    return om.PhysicalLocation(
        artifact_location=om.ArtifactLocation(uri=_uri(file), uri_base_id="%SRCROOT%"),
        region=om.Region(
            start_line=diag_span.line,
            start_column=diag_span.column,
            end_line=diag_span.end_line,
            end_column=max(diag_span.end_column, diag_span.column + 1)
            if diag_span.end_line == diag_span.line
            else diag_span.end_column,
        ),
    )


def _uri(file: str) -> str:
    from urllib.parse import quote

    path = file.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return quote(path, safe="/:@-._~!$&'()*+,;=")


def to_sarif(result: LintResult, ctx: ReportContext) -> dict[str, Any]:
    used = sorted({d.rule for d in result.diagnostics})
    ids = sorted(set(ctx.rules) | set(used))
    rule_index = {rule_id: i for i, rule_id in enumerate(ids)}
    descriptors = []
    for rule_id in ids:
        rule = ctx.rules.get(rule_id)
        if rule is None:
            descriptors.append(om.ReportingDescriptor(id=rule_id))
        else:
            descriptors.append(_rule_descriptor(rule))
    results = []
    for diag in result.diagnostics:
        logical = None
        if diag.object is not None:
            obj = diag.object
            name = "/".join(p for p in (obj.namespace, obj.name) if p)
            logical = [
                om.LogicalLocation(
                    name=obj.name,
                    fully_qualified_name=f"{obj.kind}/{name}",
                    kind="object",
                )
            ]
        related = [
            om.Location(
                id=i,
                physical_location=_location(r.file, r.span),
                message=om.Message(text=r.message),
            )
            for i, r in enumerate(diag.related)
        ] or None
        results.append(
            om.Result(
                rule_id=diag.rule,
                rule_index=rule_index[diag.rule],
                level=_LEVEL[diag.severity],
                message=om.Message(text=diag.message),
                locations=[
                    om.Location(
                        physical_location=_location(diag.file, diag.span),
                        logical_locations=logical,
                    )
                ],
                related_locations=related,
                partial_fingerprints={"kpolicyFingerprint/v1": fingerprint(diag)},
                properties={"path": diag.path} if diag.path else None,
            )
        )
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="kpolicy",
                version=ctx.tool_version,
                semantic_version=ctx.tool_version,
                information_uri=INFORMATION_URI,
                rules=descriptors,
            )
        ),
        results=results,
        column_kind="unicodeCodePoints",
        properties={"kubernetesVersion": result.kubernetes_version},
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SARIF_SCHEMA, runs=[run])
    data: dict[str, Any] = _serialize(log)
    return {"$schema": data.pop("$schema"), **data}


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    json.dump(to_sarif(result, ctx), out, indent=2)
    out.write("\n")
