"""End-to-end fixtures: the three services as real processes (see `localinfra.system`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from localinfra.system import System, start_system, stop_system
from localinfra.testing import InfraEndpoints


@pytest.fixture(scope="session")
async def system(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """The running system for the whole session; each test uses its own orders."""
    running = await start_system(infra, tmp_path_factory.mktemp("e2e-logs"))
    try:
        yield running
    finally:
        await stop_system(running)
