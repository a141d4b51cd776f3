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


_MODULES = {
    "text": "kpolicy.report.text",
    "json": "kpolicy.report.json_report",
    "sarif": "kpolicy.report.sarif",
    "github": "kpolicy.report.github",
}
FORMATS = tuple(_MODULES)


def writer(name: str) -> Writer:
    """The writer of one format, importing only its module (sarif-om is slow to import)."""
    import importlib

    module = importlib.import_module(_MODULES[name])
    write: Writer = module.write
    return write


def writers() -> dict[str, Writer]:
    return {name: writer(name) for name in FORMATS}
