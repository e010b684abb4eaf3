"""The logistics service in-process on the real PostgreSQL and Kafka (see harness.py), its data
keys from an in-memory key custodian (the order service is not running)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contracts.examples import EXAMPLE_DATA_KEY
from eventing.testing.data_keys import FakeCustodian, with_custodian
from eventing.testing.fixtures import SettingsFactory
from eventing.testing.service import running
from logistics_service.main import MANIFEST
from tests.integration.logistics.harness import Logistics


@pytest.fixture
def custodian() -> FakeCustodian:
    """The order service's key custodian, holding the examples' data key (the harness's buyer)."""
    return FakeCustodian(EXAMPLE_DATA_KEY)


@pytest.fixture
async def logistics(
    service_settings: SettingsFactory, custodian: FakeCustodian
) -> AsyncIterator[Logistics]:
    settings = await service_settings(MANIFEST)
    async with running(with_custodian(MANIFEST, custodian), settings, Logistics) as service:
        yield service
