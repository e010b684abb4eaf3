"""The dashboard in-process on the real PostgreSQL and Kafka (see harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from contracts.parties import SERVICES
from tests.integration.dashboard.harness import (
    Dashboard,
    dashboard_settings,
    serving,
    topic_names,
)


@pytest.fixture
async def dashboard(
    infra: Any,
    migrated_database_factory: Callable[[str], Awaitable[str]],
    topic_factory: Callable[..., Awaitable[str]],
) -> AsyncIterator[Dashboard]:
    url = await migrated_database_factory("dashboard")
    topics = topic_names({service: await topic_factory() for service in SERVICES})
    async with serving(dashboard_settings(infra, url, topics)) as running:
        yield running
