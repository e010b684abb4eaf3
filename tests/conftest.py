"""Test-suite wiring: real infrastructure fixtures (localinfra) and the service test kit's
fixtures (eventing.testing.fixtures) for every test; structlog's global configuration is put
back after each test (orderctl's CLI silences it for its own process, which in-process CLI
tests would otherwise leak into later tests that capture logs)."""

from collections.abc import Iterator

import pytest
import structlog

pytest_plugins = ["localinfra.pytest_plugin", "eventing.testing.fixtures"]


@pytest.fixture(autouse=True)
def _structlog_configuration() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
