"""``kpolicy plan --format json``: the document of ``schemas/plan.schema.json``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from kpolicy.plan.data import PlanReport


def write(report: PlanReport, out: TextIO) -> None:
    out.write(json.dumps(report.document(), indent=2, ensure_ascii=True) + "\n")
