"""Fuzzing fixtures: one running system (`localinfra.system`) shared by the fuzz tests, apart
from the end-to-end tests' own, so what the fuzzing leaves behind is its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import InfraEndpoints


@pytest.fixture(scope="session")
async def fuzzed_system(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """The three services and the dashboard as real processes; logs go under the
    infrastructure's home (`.run/<home>/fuzz-logs/…`) so a failure can be read after pytest
    cleans up."""
    logs = run_logs(infra, "fuzz") or tmp_path_factory.mktemp("fuzz-logs")
    running = await start_system(infra, logs, dashboard=True)
    try:
        yield running
    finally:
        await stop_system(running)
