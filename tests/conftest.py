from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SARIF_SCHEMA = SHARED / "third_party" / "sarif" / "sarif-schema-2.1.0.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files (expected.txt, report goldens) from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


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
