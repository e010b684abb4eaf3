"""End-to-end fixtures: the three services as real processes (see `localinfra.system`)."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator

import pytest

from localinfra.system import System, start_system, stop_system
from localinfra.testing import InfraEndpoints


@pytest.fixture(scope="session")
async def system(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """The running system for the whole session; each test uses its own orders.

    Service logs go under the local infrastructure's home (`.run/test/e2e-logs/…`), where
    they outlive pytest's rotation of temporary directories, so a failure can be read later.
    """
    if infra.settings is not None:
        logs = infra.settings.infra_home / "e2e-logs" / f"{os.getpid()}-{int(time.time())}"
        logs.mkdir(parents=True, exist_ok=True)
    else:
        logs = tmp_path_factory.mktemp("e2e-logs")
    running = await start_system(infra, logs)
    try:
        yield running
    finally:
        await stop_system(running)
