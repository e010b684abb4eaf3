"""End-to-end fixtures: the three services as real processes (see `localinfra.system`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import InfraEndpoints


@pytest.fixture(scope="session")
async def system(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """The running system for the whole session; each test uses its own orders.

    Service logs go under the local infrastructure's home (`.run/test/e2e-logs/…`), where
    they outlive pytest's rotation of temporary directories, so a failure can be read later.
    """
    logs = run_logs(infra, "e2e") or tmp_path_factory.mktemp("e2e-logs")
    running = await start_system(infra, logs)
    try:
        yield running
    finally:
        await stop_system(running)
