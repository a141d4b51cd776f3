from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SARIF_SCHEMA = SHARED / "third_party" / "sarif" / "sarif-schema-2.1.0.json"


def load_sarif_schema() -> dict[str, Any]:
    """The SARIF 2.1.0 JSON Schema from ../shared; skips the calling test when it is absent, so
    a test that validates SARIF never passes without validating. Call it where the validation
    happens: the test's other checks have run by then."""
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"the SARIF 2.1.0 schema is not at {SARIF_SCHEMA} (../shared is absent)")
    schema: dict[str, Any] = json.loads(SARIF_SCHEMA.read_text())
    return schema


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files (expected.txt, report goldens) from the current output "
        "(or set KPOLICY_UPDATE_GOLDEN=1)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether golden files are (re)written: only when asked, never because one is missing."""
    asked = bool(request.config.getoption("--update-golden"))
    return asked or os.environ.get("KPOLICY_UPDATE_GOLDEN") == "1"


def check_golden(golden: Path, text: str, update: bool) -> None:
    """``text`` equals the golden file; with ``update``, the file is written first. A missing
    golden file fails: writing it silently would make the test pass without checking."""
    if update:
        golden.write_text(text, encoding="utf-8")
    elif not golden.exists():
        pytest.fail(
            f"no golden file {golden}: write it with `pytest --update-golden` (or "
            "KPOLICY_UPDATE_GOLDEN=1) and read it before committing"
        )
    assert text == golden.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kpolicy's cache folder for the whole test session: never the user's own."""
    return tmp_path_factory.mktemp("kpolicy-cache-home")


@pytest.fixture(autouse=True)
def _own_cache(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test (and every process it starts) uses the session's cache folder, unless it
    sets KPOLICY_CACHE_DIR itself; what a process remembers about cache folders starts over."""
    from kpolicy import cache

    monkeypatch.setenv(cache.CACHE_ENV, str(cache_home))
    cache.reset()
