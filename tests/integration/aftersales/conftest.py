"""The aftersales service in-process on the real PostgreSQL and Kafka (see harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aftersales_service.main import MANIFEST
from eventing.testing.fixtures import SettingsFactory
from eventing.testing.service import running
from tests.integration.aftersales.harness import Aftersales


@pytest.fixture
async def aftersales(service_settings: SettingsFactory) -> AsyncIterator[Aftersales]:
    settings = await service_settings(MANIFEST)
    async with running(MANIFEST, settings, Aftersales) as service:
        yield service
