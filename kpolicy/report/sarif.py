"""SARIF 2.1.0, built with sarif-om, accepted by GitHub code scanning."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import attr
import sarif_om as om

from kpolicy import escape
from kpolicy.model import SORT_KEY, Diagnostic, LintResult, Severity, Span, TextEdit
from kpolicy.report import ReportContext, fingerprint, write_json_lines
from kpolicy.ruledefs import RuleDef

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kpolicy/kpolicy"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


_ALWAYS = frozenset({"level"})  # written even when equal to SARIF's default, for readers


@functools.cache
def _fields_of(cls: type) -> tuple[tuple[str, str, Any, bool], ...] | None:
    """(attribute, SARIF property, default, always written) of a sarif-om class; None for
    anything else. Read once per class: attrs' reflection is the slow part of serializing."""
    if not attr.has(cls):
        return None
    return tuple(
        (
            field.name,
            field.metadata.get("schema_property_name", field.name),
            field.default,
            field.name in _ALWAYS,
        )
        for field in attr.fields(cls)
    )


def _serialize(value: Any) -> Any:
    """sarif-om objects → JSON, with the schema's property names and without unset fields."""
    fields = _fields_of(value.__class__)
    if fields is not None:
        out: dict[str, Any] = {}
        for name, property_name, default, always in fields:
            item = getattr(value, name)
            if item is None or (not always and item == default):
                continue
            out[property_name] = _serialize(item)
        return out
    if isinstance(value, list | tuple):
        return [_serialize(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialize(v) for k, v in value.items()}
    return value


def _rule_descriptor(rule: RuleDef) -> om.ReportingDescriptor:
    # a policy's texts come from the repository: escaped like everything else from the input
    title, rationale = escape.text(rule.title), escape.text(rule.rationale)
    remediation = escape.text(rule.remediation)
    shown = (lambda value: value) if rule.builtin else escape.markdown
    markdown = (
        f"**{shown(rule.title)}**\n\n{shown(rule.rationale)}\n\n**Fix:** {shown(rule.remediation)}"
    )
    return om.ReportingDescriptor(
        id=rule.id,
        name="".join(p.capitalize() for p in rule.id.split("-")),
        short_description=om.MultiformatMessageString(text=title),
        full_description=om.MultiformatMessageString(text=rationale),
        help=om.MultiformatMessageString(text=remediation, markdown=markdown),
        help_uri=rule.help_uri,
        default_configuration=om.ReportingConfiguration(level=_LEVEL[rule.severity]),
        properties={"tags": ["kubernetes"]},
    )


def _working_tree(folder: str, known: dict[str, str | None]) -> str | None:
    """The top of the git working tree that holds ``folder``: the nearest folder at or above
    it with a ``.git`` (a folder, or a file in a worktree), found without running git."""
    visited: list[str] = []
    current = folder
    found: str | None = None
    while True:
        if current in known:
            found = known[current]
            break
        visited.append(current)
        if os.path.lexists(os.path.join(current, ".git")):
            found = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in visited:
        known[path] = found
    return found


def source_root(cwd: str, files: Iterable[str] = ()) -> str:
    """The folder SARIF URIs are relative to, as code scanning resolves them: the top of the
    git working tree that holds every reported file (whichever folder kpolicy runs in), else
    the one that holds ``cwd``, else ``cwd`` itself. ``files`` are as reported (relative to
    ``cwd``, or absolute)."""
    cwd = os.path.abspath(cwd)
    known: dict[str, str | None] = {}
    tops = {
        _working_tree(os.path.dirname(os.path.normpath(os.path.join(cwd, file))), known)
        for file in files
    }
    if len(tops) == 1:
        top = tops.pop()
        if top is not None:
            return top
    return _working_tree(cwd, known) or cwd


def _folder_uri(folder: str) -> str:
    """An absolute ``file:`` URI ending in ``/`` (SARIF's rule for a base URI); a name that is
    not UTF-8 keeps its own bytes, percent-encoded."""
    path = folder.replace(os.sep, "/")
    if not path.startswith("/"):
        path = "/" + path  # a Windows drive: file:///C:/...
    drive = path[:3] if re.match(r"/[A-Za-z]:", path) else ""
    return "file://" + drive + escape.uri_path(path[len(drive) :]).rstrip("/") + "/"


class _Uris:
    """File names as reported (relative to ``cwd``, or absolute) → URIs relative to ``root``;
    never absolute: a file outside the root gets ``../`` segments."""

    def __init__(self, cwd: str, root: str) -> None:
        self.cwd = cwd
        self.root = root
        self._known: dict[str, str] = {}

    def __call__(self, file: str) -> str:
        uri = self._known.get(file)
        if uri is None:
            uri = self._known[file] = self._relative(file)
        return uri

    def _relative(self, file: str) -> str:
        absolute = os.path.normpath(os.path.join(self.cwd, file))
        try:
            relative = os.path.relpath(absolute, self.root)
        except ValueError:  # another drive (Windows): the name is all that is left
            relative = os.path.basename(absolute)
        return escape.uri_path(relative.replace(os.sep, "/").replace("\\", "/"))


def _location(file: str, diag_span: Any, uris: _Uris) -> dict[str, Any]:
    """A SARIF physicalLocation (as JSON: results are many, and sarif-om's objects cost ten
    times more to build and serialize than the dicts they become)."""
    uri = uris(file)
    end_column = diag_span.end_column
    if diag_span.end_line == diag_span.line:
        end_column = max(end_column, diag_span.column + 1)
    return {
        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
        "region": {
            "endColumn": end_column,
            "endLine": diag_span.end_line,
            "startColumn": diag_span.column,
            "startLine": diag_span.line,
        },
    }


def _result(diag: Diagnostic, rule_index: int, uris: _Uris, print_: str) -> dict[str, Any]:
    """One SARIF result, with the property names and order sarif-om would write."""
    location: dict[str, Any] = {}
    if diag.object is not None:
        obj = diag.object
        name = "/".join(p for p in (obj.namespace, obj.name) if p)
        logical: dict[str, Any] = {"fullyQualifiedName": f"{obj.kind}/{name}", "kind": "object"}
        if obj.name is not None:
            logical["name"] = obj.name
        location["logicalLocations"] = [logical]
    related = [(r.file, r.span, r.message) for r in diag.related]
    origin = diag.origin
    if origin is not None and origin.local is not None:
        # code scanning shows it on the chart's template; the rendered place is related
        location["physicalLocation"] = _location(
            origin.local, Span(origin.line, 1, origin.line, 2), uris
        )
        related.append((diag.file, diag.span, "where the finding is in the rendered output"))
    else:
        location["physicalLocation"] = _location(diag.file, diag.span, uris)
    result: dict[str, Any] = {
        "message": {"text": escape.text(diag.message)},
        "level": _LEVEL[diag.severity],
        "locations": [location],
        "partialFingerprints": {"kpolicyFingerprint/v1": print_},
    }
    if diag.path:
        result["properties"] = {"path": diag.path}
    if related:
        result["relatedLocations"] = [
            {
                "id": i,
                "message": {"text": escape.text(message)},
                "physicalLocation": _location(file, span, uris),
            }
            for i, (file, span, message) in enumerate(related)
        ]
    result["ruleId"] = diag.rule
    result["ruleIndex"] = rule_index
    fixes = _fixes(diag, uris)
    if fixes:
        result["fixes"] = fixes
    return result


def _fixes(diag: Diagnostic, uris: _Uris) -> list[dict[str, Any]]:
    """The finding's fix as SARIF ``fixes``: only text replacements (a fix whose edits are
    still structural was not resolved against its file's text, see kpolicy.fix.resolve)."""
    fix = diag.fix
    if fix is None or not fix.edits or not all(isinstance(e, TextEdit) for e in fix.edits):
        return []
    replacements = []
    for edit in fix.edits:
        assert isinstance(edit, TextEdit)
        span = edit.span
        replacements.append(
            {
                "deletedRegion": {
                    "endColumn": span.end_column,
                    "endLine": span.end_line,
                    "startColumn": span.column,
                    "startLine": span.line,
                },
                "insertedContent": {"text": edit.new_text},
            }
        )
    return [
        {
            "artifactChanges": [
                {
                    "artifactLocation": {
                        "uri": uris(fix.file or diag.file),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "replacements": replacements,
                }
            ],
            "description": {"text": escape.text(fix.description)},
            "properties": {"applicability": fix.applicability},
        }
    ]


def _hidden_result(diag: Diagnostic, rule_index: int, uris: _Uris, print_: str) -> dict[str, Any]:
    """A suppressed or baselined finding (``--show-suppressed``): its ``suppressions`` (kind
    ``inSource`` for a comment or an annotation, ``external`` for a config exemption or the
    baseline) with the reason given; a baselined one is ``baselineState: unchanged``."""
    data = _result(diag, rule_index, uris, print_)
    suppression = diag.suppression
    if suppression is None:
        return data
    entry: dict[str, Any] = {"kind": "inSource" if suppression.in_source else "external"}
    if suppression.justification:
        entry["justification"] = escape.text(suppression.justification)
    data["suppressions"] = [entry]
    if suppression.kind == "baseline":
        data["baselineState"] = "unchanged"
    return data


def to_sarif(result: LintResult, ctx: ReportContext) -> dict[str, Any]:
    hidden: list[Diagnostic] = []
    if ctx.show_suppressed:
        # GitHub code scanning ignores `suppressions` and would open an alert for each: they
        # are in the log only when asked for (viewers and scripts that honour them)
        hidden = sorted([*result.suppressed, *result.baselined], key=SORT_KEY)
    used = sorted({d.rule for d in (*result.diagnostics, *hidden)})
    ids = sorted(set(ctx.rules) | set(used))
    rule_index = {rule_id: i for i, rule_id in enumerate(ids)}
    descriptors = []
    for rule_id in ids:
        rule = ctx.rules.get(rule_id)
        if rule is None:
            descriptors.append(om.ReportingDescriptor(id=rule_id))
        else:
            descriptors.append(_rule_descriptor(rule))
    cwd = ctx.cwd or os.getcwd()
    everything = [*result.diagnostics, *hidden]
    root = ctx.source_root or source_root(
        cwd,
        {
            name
            for d in everything
            for name in (
                d.file,
                *(r.file for r in d.related),
                *((d.origin.local,) if d.origin is not None and d.origin.local else ()),
            )
        },
    )
    uris = _Uris(cwd, root)
    prints = _fingerprints(everything, uris)
    shown = len(result.diagnostics)
    results = [
        _result(diag, rule_index[diag.rule], uris, print_)
        for diag, print_ in zip(result.diagnostics, prints[:shown], strict=True)
    ]
    if result.baseline_file is not None:
        for item in results:
            item["baselineState"] = "new"  # not in the baseline
    results += [
        _hidden_result(diag, rule_index[diag.rule], uris, print_)
        for diag, print_ in zip(hidden, prints[shown:], strict=True)
    ]
    properties: dict[str, Any] = {"kubernetesVersion": result.kubernetes_version}
    summary = result.summary
    if summary.fixed_baseline_entries is not None:
        properties["baseline"] = escape.text(result.baseline_file)
        properties["baselined"] = summary.baselined
        properties["fixedBaselineEntries"] = summary.fixed_baseline_entries
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
        results=[],  # the plain dicts of the results go in after serializing
        column_kind="unicodeCodePoints",
        original_uri_base_ids={
            "%SRCROOT%": om.ArtifactLocation(
                uri=_folder_uri(root),
                description=om.Message(
                    text="the top of the git working tree that holds the reported files (the "
                    "folder with .git), else the folder kpolicy ran in"
                ),
            )
        },
        properties=properties,
    )
    if result.warnings:
        run.invocations = [
            om.Invocation(
                execution_successful=True,
                tool_configuration_notifications=[
                    om.Notification(message=om.Message(text=escape.text(text)), level="warning")
                    for text in result.warnings
                ],
            )
        ]
    log = om.SarifLog(version="2.1.0", schema_uri=SARIF_SCHEMA, runs=[run])
    data: dict[str, Any] = _serialize(log)
    data["runs"][0]["results"] = results
    return {"$schema": data.pop("$schema"), **data}


def _fingerprints(diagnostics: Sequence[Diagnostic], uris: _Uris) -> list[str]:
    """One fingerprint per result; results that share one (same rule, file, pointer, object
    and related objects: two problems of one field) are numbered in their order (by line),
    which moving lines does not change."""
    prints: list[str] = []
    seen: dict[str, int] = {}
    for diag in diagnostics:
        base = fingerprint(diag, uris(diag.file), [uris(r.file) for r in diag.related])
        count = seen.get(base, 0) + 1
        seen[base] = count
        prints.append(base if count == 1 else f"{base}:{count}")
    return prints


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    # laid out to the results (one per line) and the rule descriptors (one per line)
    write_json_lines(to_sarif(result, ctx), out, expand=4, also=_LAID_OUT)


_LAID_OUT = frozenset({"driver", "rules"})
