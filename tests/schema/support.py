from __future__ import annotations

import textwrap
from typing import Any

import yaml

from kpolicy.schema import SchemaProblem, SchemaValidator


def load(text: str) -> Any:
    return yaml.safe_load(textwrap.dedent(text))


def problems(validator: SchemaValidator, text: str) -> list[SchemaProblem]:
    return validator.validate(load(text))


def found(result: list[SchemaProblem]) -> set[tuple[str, tuple[str | int, ...], str]]:
    return {(p.rule, p.path, p.at) for p in result}
