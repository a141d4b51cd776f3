"""Property: ``--fix`` on real manifests laid out in many ways (comments, CRLF, a byte order
mark, flow style) never crashes and never changes what the file loads to outside the paths
its fixes name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.fix.run import run_fixes
from kpolicy.fix.text import documents_of
from kpolicy.lint import LintOptions, build_session
from kpolicy.model import escape_pointer_token
from kpolicy.ruledefs import builtin_rules

RULES = builtin_rules()
FIXTURES = Path(__file__).parent / "rules"
SOURCES = sorted(
    (FIXTURES / rule / "bad.yaml").read_text(encoding="utf-8")
    for rule in RULES
    if RULES[rule].fix != "none" and (FIXTURES / rule / "bad.yaml").is_file()
)
EXAMPLES = int(os.environ.get("KPOLICY_HYPOTHESIS_EXAMPLES", "25"))


def _layout(text: str, crlf: bool, comments: list[bool], indent_comment: bool) -> str:
    lines = text.split("\n")
    out = []
    for index, line in enumerate(lines):
        if index < len(comments) and comments[index] and line.strip() and "#" not in line:
            line = f"{line}  # note {index}"
        if indent_comment and index % 7 == 3:
            out.append("# a comment line")
        out.append(line)
    joined = "\n".join(out)
    return joined.replace("\n", "\r\n") if crlf else joined


def _leaves(value: Any, pointer: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _leaves(item, f"{pointer}/{escape_pointer_token(key)}", out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            _leaves(item, f"{pointer}/{index}", out)
    else:
        out[pointer] = value


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    source=st.sampled_from(SOURCES),
    crlf=st.booleans(),
    comments=st.lists(st.booleans(), max_size=80),
    indent_comment=st.booleans(),
)
def test_fix_changes_only_the_paths_its_fixes_name(
    source: str, crlf: bool, comments: list[bool], indent_comment: bool
) -> None:
    text = _layout(source, crlf, comments, indent_comment)
    options = LintOptions(
        paths=["-"], stdin_text=text, stdin_filename="x.yaml", use_config_discovery=False
    )
    outcome = run_fixes(options, build_session(options), unsafe=True)
    named = {(e.doc, e.pointer) for fix in outcome.applied.get("x.yaml", []) for e in fix.expect}
    after = outcome.files["x.yaml"].text if "x.yaml" in outcome.files else text
    before_docs, before_errors = documents_of(text)
    after_docs, after_errors = documents_of(after)
    assert before_errors == after_errors
    assert [i for i, _ in before_docs] == [i for i, _ in after_docs]
    for (index, old), (_, new) in zip(before_docs, after_docs, strict=True):
        old_leaves: dict[str, Any] = {}
        new_leaves: dict[str, Any] = {}
        _leaves(old, "", old_leaves)
        _leaves(new, "", new_leaves)
        for pointer in set(old_leaves) | set(new_leaves):
            if old_leaves.get(pointer, ...) == new_leaves.get(pointer, ...):
                continue
            assert any(
                doc == index and (pointer == p or pointer.startswith(p + "/")) for doc, p in named
            ), f"{pointer} changed, but no fix names it"
