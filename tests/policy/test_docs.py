"""docs/rules.md is generated from rules/*.yaml and checked in; docs/policies.md shows real files
and real output."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

from kpolicy.docs import rules_markdown
from kpolicy.report.text import format_line
from kpolicy.ruledefs import builtin_rules
from kpolicy.testpolicies import run_test_policies
from tests.conftest import ROOT
from tests.helpers import lint_paths

DOCS = ROOT / "docs"


def test_rules_md_is_up_to_date() -> None:
    committed = (DOCS / "rules.md").read_text(encoding="utf-8")
    generated = rules_markdown(builtin_rules().values())
    assert committed == generated, (
        "docs/rules.md differs from the rules: regenerate it with `make docs` "
        "(kpolicy rules --format markdown > docs/rules.md) and commit the result"
    )


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page (duplicates get -1, -2...)."""
    seen: Counter[str] = Counter()
    anchors: set[str] = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("#"):
            continue
        text = line.lstrip("#").strip().lower()
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return anchors


def test_every_rule_help_uri_lands_on_its_section() -> None:
    anchors = github_anchors(rules_markdown(builtin_rules().values()))
    for rule in builtin_rules().values():
        page, _, anchor = rule.help_uri.partition("#")
        assert page.endswith("/docs/rules.md")
        assert anchor == rule.id and anchor in anchors, rule.id


def test_each_rule_section_has_what_the_issue_asks_for() -> None:
    text = rules_markdown(builtin_rules().values())
    sections = text.split("\n## ")[1:]
    assert len(sections) == len(builtin_rules())
    for section in sections:
        rule_id = section.splitlines()[0]
        for part in (
            "- Default severity: `",
            "### What it does",
            "### Why it matters",
            "### How to fix it",
            "### Configure and suppress",
            f"kpolicy: ignore[{rule_id}]",
        ):
            assert part in section, (rule_id, part)
        assert "### Example" in section, rule_id


def test_bad_examples_show_their_findings() -> None:
    text = rules_markdown([builtin_rules()["image-tag-missing-or-latest"]])
    assert (
        "kpolicy reports:\n\n```text\nbad.yaml:15:18: warning[image-tag-missing-or-latest] "
        "image 'nginx' has no tag" in text
    )


def test_policies_md_shows_the_example_files_verbatim() -> None:
    text = (DOCS / "policies.md").read_text(encoding="utf-8")
    for name in ("images-from-registry.yaml", "prod-replicas-minimum.yaml"):
        body = (ROOT / "examples" / "policies" / name).read_text(encoding="utf-8")
        assert f"```yaml\n{body.rstrip()}\n```" in text, f"docs/policies.md does not show {name}"


def test_policies_md_shows_the_real_test_policies_output() -> None:
    out = io.StringIO()
    assert run_test_policies([ROOT / "examples" / "policies"], out) == 0
    text = (DOCS / "policies.md").read_text(encoding="utf-8")
    assert f"$ kpolicy test-policies examples/policies/\n{out.getvalue()}```" in text


def test_policies_md_shows_the_real_lint_output(tmp_path: Path) -> None:
    text = (DOCS / "policies.md").read_text(encoding="utf-8")
    manifest = text.split("`prod-web.yaml`:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "prod-web.yaml").write_text(manifest)
    result = lint_paths(
        ["prod-web.yaml"],
        tmp_path,
        policies=[ROOT / "examples" / "policies"],
        select=["images-from-registry", "prod-replicas-minimum"],
        use_config_discovery=False,
    )
    for diag in result.diagnostics:
        assert format_line(diag) + "\n" in text
    assert len(result.diagnostics) == 2
