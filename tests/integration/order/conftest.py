"""The order service in-process on the real PostgreSQL and Kafka (see harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eventing.testing.fixtures import SettingsFactory
from eventing.testing.service import running
from order_service.main import MANIFEST
from tests.integration.order.harness import Orders


@pytest.fixture
async def service(service_settings: SettingsFactory) -> AsyncIterator[Orders]:
    settings = await service_settings(MANIFEST)
    async with running(MANIFEST, settings, Orders) as running_service:
        yield running_service
