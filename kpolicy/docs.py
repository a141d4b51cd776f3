"""Rule documentation rendered from ``rules/*.yaml`` (text, JSON and Markdown).

``kpolicy rules --format markdown`` writes ``docs/rules.md`` (``make docs``); a test fails when
the committed file differs. Each rule's section is headed by its id, so the SARIF ``helpUri``
(``docs/rules.md#<id>``) lands on it. The output kpolicy prints for each bad example is produced
by linting the example, so the docs cannot drift from the rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from kpolicy import escape
from kpolicy.ruledefs import RuleDef

_TARGETS = {
    "object": "the whole object",
    "metadata": "the object's metadata",
    "podSpec": "the pod spec (a Pod's spec, or the pod template's spec of a workload)",
    "container": "each container of the pod spec",
}


def rule_json(rule: RuleDef) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity.value,
        "enabled": rule.enabled,
        "kinds": sorted(rule.kinds),
        "podTemplates": rule.pod_templates,
        "rationale": rule.rationale,
        "remediation": rule.remediation,
        "message": rule.message,
        "references": list(rule.references),
        "params": dict(rule.params),
        "fix": rule.fix,
        "examples": [{"bad": e.bad, "good": e.good} for e in rule.examples],
        "helpUri": rule.help_uri,
    }
    if rule.check is not None:
        data["target"] = rule.target
        data["check"] = rule.check
        if rule.match:
            data["match"] = dict(rule.match)
    return data


FIX_TEXT = {
    "safe": "safe: `kpolicy lint --fix` applies it (the object means the same to the API "
    "server, or is only made valid); the editor offers it as a preferred quick fix.",
    "unsafe": "unsafe: it changes behaviour, as its title says; `kpolicy lint --fix "
    "--unsafe-fixes` applies it, the editor offers it as a quick fix.",
    "none": "none: kpolicy does not change the file for this rule.",
}

# the custom pod-template kinds of kpolicy.k8s.podtemplates, for the rules that run on them
POD_TEMPLATE_KINDS_TEXT = (
    "Rollout (argoproj.io), DeploymentConfig (apps.openshift.io), PodTemplate and the kinds of "
    "podTemplates: in the config"
)


def _kinds(rule: RuleDef) -> str:
    if "*" in rule.kinds:
        return "all kinds"
    listed = ", ".join(sorted(rule.kinds))
    return f"{listed}; {POD_TEMPLATE_KINDS_TEXT}" if rule.pod_templates else listed


def rule_text(rule: RuleDef) -> str:
    lines = [
        f"{rule.id} ({rule.severity.value}{'' if rule.enabled else ', off by default'})",
        f"  {rule.title}",
        f"  applies to: {_kinds(rule)}",
        "",
        "Why it matters:",
        *(f"  {line}" for line in rule.rationale.splitlines()),
        "",
        "How to fix it:",
        *(f"  {line}" for line in rule.remediation.splitlines()),
        "",
        f"Fix: {FIX_TEXT[rule.fix]}",
    ]
    for example in rule.examples:
        if example.bad:
            lines += ["", "Bad:", *(f"  {line}" for line in example.bad.rstrip().splitlines())]
        if example.good:
            lines += ["", "Good:", *(f"  {line}" for line in example.good.rstrip().splitlines())]
    if rule.references:
        lines += ["", "References:", *(f"  {r}" for r in rule.references)]
    lines += ["", f"Documentation: {rule.help_uri}"]
    # a policy's texts come from its file: escaped like everything else printed from input
    return "\n".join(escape.text(line) for line in lines) + "\n"


class _Runner:
    """Lints the bad examples for the docs; any failure leaves the output out, never the page."""

    def __init__(self, rules: Sequence[RuleDef]) -> None:
        self._rules = rules
        self._runner: Any = None

    def output(self, rule: RuleDef, index: int) -> list[str]:
        from kpolicy.errors import UsageError
        from kpolicy.report.text import format_line
        from kpolicy.testpolicies import ExampleRunner

        example = rule.examples[index]
        if example.bad is None:
            return []
        try:
            if self._runner is None:
                policies = sorted(
                    {Path(r.origin) for r in self._rules if r.origin and not r.builtin}
                )
                self._runner = ExampleRunner(policies, sorted(r.id for r in self._rules))
            run = self._runner.run(rule, example, example.bad, "bad.yaml")
        except (UsageError, OSError):
            return []
        return [format_line(d) for d in run.findings]


def _what_it_does(rule: RuleDef) -> str:
    first, _, rest = rule.title.partition(" ")
    text = (
        f"Reports when {first.lower()} {rest}." if first in ("A", "An", "The") else f"{rule.title}."
    )
    if rule.check is not None:
        where = _TARGETS.get(rule.target, rule.target)
        if rule.target == "container":
            extra = [
                n
                for n, on in (
                    ("init", rule.init_containers),
                    ("ephemeral", rule.ephemeral_containers),
                )
                if on
            ]
            where += (
                f" ({' and '.join(extra)} containers too)" if extra else " (not init containers)"
            )
        text += f" A JSON Schema is applied to {where}."
    return text


def _configure(rule: RuleDef) -> list[str]:
    if rule.enabled:
        head = ["On by default. Turn it off, or change its severity, in `.kpolicy.yaml`:", ""]
        setting = f"  {rule.id}: off   # or error | warning | info"
    else:
        head = ["Off by default. Turn it on in `.kpolicy.yaml`:", ""]
        setting = f"  {rule.id}: {rule.severity.value}"
    lines = [*head, "```yaml", "rules:", setting]
    if rule.params:
        params = yaml.safe_dump(
            {rule.id: {"severity": rule.severity.value, "params": dict(rule.params)}},
            sort_keys=False,
            default_flow_style=None,
        )
        lines += ["  # or, with parameters:", *(f"  {line}" for line in params.splitlines())]
    lines += [
        "```",
        "",
        f"Suppress one finding with `# kpolicy: ignore[{rule.id}]` at the end of its line "
        f"(or alone on the line above), a whole object with the annotation "
        f'`kpolicy.io/ignore: "{rule.id}"`, or a set of objects with `exemptions` in '
        f"`.kpolicy.yaml`. `kpolicy lint --select {rule.id}` runs only this rule.",
    ]
    return lines


def rule_markdown(rule: RuleDef, runner: _Runner | None = None) -> str:
    runner = runner or _Runner([rule])
    default = "on" if rule.enabled else "off (opt-in)"
    lines = [
        f"## {rule.id}",
        "",
        f"**{rule.title}**",
        "",
        f"- Default severity: `{rule.severity.value}`",
        f"- Default: {default}",
        f"- Applies to: {_kinds(rule)}",
        "",
        "### What it does",
        "",
        _what_it_does(rule),
        "",
        "### Why it matters",
        "",
        rule.rationale,
    ]
    for index, example in enumerate(rule.examples):
        heading = "### Example" if len(rule.examples) == 1 else f"### Example {index + 1}"
        lines += ["", heading]
        if example.description:
            lines += ["", example.description[0].upper() + example.description[1:] + "."]
        if example.kubernetes_version:
            lines += ["", f"With `--kubernetes-version {example.kubernetes_version}`."]
        if example.bad:
            lines += ["", "Bad:", "", "```yaml", example.bad.rstrip(), "```"]
            output = runner.output(rule, index)
            if output:
                lines += ["", "kpolicy reports:", "", "```text", *output, "```"]
        if example.good:
            lines += ["", "Good:", "", "```yaml", example.good.rstrip(), "```"]
        if example.nodes:
            lines += [
                "",
                "Linted with these Nodes (`--nodes`):",
                "",
                "```yaml",
                example.nodes.rstrip(),
                "```",
            ]
    lines += ["", "### How to fix it", "", rule.remediation]
    lines += ["", "### Fix", "", FIX_TEXT[rule.fix]]
    if rule.params:
        lines += ["", "### Parameters", ""]
        lines += [f"- `{k}`: default `{json.dumps(v)}`" for k, v in rule.params.items()]
    if rule.check is not None:
        check = yaml.safe_dump(dict(rule.check), sort_keys=False, default_flow_style=None)
        lines += [
            "",
            "### The check",
            "",
            f"Target `{rule.target}`"
            + (f", match `{json.dumps(dict(rule.match))}`" if rule.match else "")
            + " (see [policies.md](policies.md) to write your own):",
            "",
            "```yaml",
            check.rstrip(),
            "```",
        ]
    lines += ["", "### Configure and suppress", "", *_configure(rule)]
    if rule.references:
        lines += ["", "### References", ""] + [f"- {r}" for r in rule.references]
    return "\n".join(lines) + "\n"


def rules_markdown(rules: Iterable[RuleDef]) -> str:
    ordered = sorted(rules, key=lambda r: r.id)
    runner = _Runner(ordered)
    head = [
        "# kpolicy rules",
        "",
        "Generated by `kpolicy rules --format markdown` (`make docs`); do not edit by hand.",
        "The output under each bad example is what kpolicy prints for it.",
        "",
        "What a severity means:",
        "",
        "- `error`: the API server rejects the object (or kubectl cannot send it), or it",
        "  cannot work as written;",
        "- `warning`: it works, but is very likely a mistake;",
        "- `info`: advice.",
        "",
        "Severity and on/off are defaults: `.kpolicy.yaml` changes both per rule, and",
        "`kpolicy lint --select ID` runs any rule, on or off. Your own rules are",
        "[policies](policies.md).",
        "",
        "| rule | severity | default | title |",
        "|---|---|---|---|",
    ]
    head += [
        f"| [{r.id}](#{r.id}) | {r.severity.value} | {'on' if r.enabled else 'off'} | {r.title} |"
        for r in ordered
    ]
    return "\n".join(head) + "\n\n" + "\n".join(rule_markdown(r, runner) for r in ordered)
