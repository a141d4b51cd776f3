from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig

from tests.lsp.support import SERVER, Client, initialize, make_client, write_workspace

CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_workspace(tmp_path / "ws")


async def finish(client: Client) -> None:
    """Shut the server down, or kill it: pytest-lsp's teardown waits for it to exit by itself,
    which a server that was never told to would not do."""
    server = client._server
    if server is not None and server.returncode is None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 10)
    if server is not None and server.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            server.kill()


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: Client, workspace: Path) -> AsyncIterator[None]:
    """A server initialized on ``workspace`` as VS Code does it."""
    await initialize(lsp_client, workspace)
    yield
    await finish(lsp_client)


@pytest_lsp.fixture(config=CONFIG)
async def fresh_client(lsp_client: Client) -> AsyncIterator[None]:
    """A started server that the test initializes itself."""
    yield
    await finish(lsp_client)


FIX_CONFIG = ClientServerConfig(
    server_command=[SERVER[0], str(Path(__file__).with_name("fix_server.py"))],
    client_factory=make_client,
)


@pytest_lsp.fixture(config=FIX_CONFIG)
async def fix_client(lsp_client: Client, workspace: Path) -> AsyncIterator[None]:
    """A server whose ``deployment-paused`` findings carry a rule-declared fix."""
    await initialize(lsp_client, workspace)
    yield
    await finish(lsp_client)


SLOW_CONFIG = ClientServerConfig(
    server_command=[SERVER[0], str(Path(__file__).with_name("slow_server.py"))],
    client_factory=make_client,
)


@pytest_lsp.fixture(config=SLOW_CONFIG)
async def slow_client(lsp_client: Client) -> AsyncIterator[None]:
    """A started server whose every lint takes at least half a second."""
    yield
    await finish(lsp_client)
