from __future__ import annotations

import pytest

from kpolicy.schema import SchemaValidator


@pytest.fixture(scope="session")
def validator() -> SchemaValidator:
    return SchemaValidator.for_version("1.37")
