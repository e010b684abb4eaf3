"""The logistics service in-process on the real PostgreSQL and Kafka (see harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eventing.testing.fixtures import SettingsFactory
from eventing.testing.service import running
from logistics_service.main import MANIFEST
from tests.integration.logistics.harness import Logistics


@pytest.fixture
async def logistics(service_settings: SettingsFactory) -> AsyncIterator[Logistics]:
    settings = await service_settings(MANIFEST)
    async with running(MANIFEST, settings, Logistics) as service:
        yield service
