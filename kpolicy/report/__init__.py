"""Report formats, in one registry: name → writer. Writers only write."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from kpolicy.model import LintResult
from kpolicy.ruledefs import RuleDef


@dataclass(frozen=True)
class ReportContext:
    rules: Mapping[str, RuleDef]
    tool_version: str
    color: bool = False
    show_suppressed: bool = False


Writer = Callable[[LintResult, ReportContext, TextIO], None]


def writers() -> dict[str, Writer]:
    from kpolicy.report import github, json_report, sarif, text

    return {
        "text": text.write,
        "json": json_report.write,
        "sarif": sarif.write,
        "github": github.write,
    }


FORMATS = ("text", "json", "sarif", "github")
