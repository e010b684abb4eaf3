"""rebuild and verify of a real service read model: the logistics service's `shipments`."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from contracts.parties import Service
from eventing.migrate import upgrade_service_async
from orderctl.testing import Invoke, Platform, lines

pytestmark = pytest.mark.integration


@pytest.fixture
async def logistics(platform: Platform) -> Platform:
    await upgrade_service_async(platform.urls[Service.LOGISTICS], "logistics")
    for n in range(3):
        await platform.record(
            Service.LOGISTICS,
            f"O-{n}",
            "logistics.shipment_requested",
            "logistics.shipped",
            actor="seller",
        )
    await platform.record(Service.LOGISTICS, "O-waiting", "logistics.shipment_requested")
    return platform


async def test_the_shipments_read_model_is_rebuilt_from_the_store_and_verified(
    orderctl: Invoke, logistics: Platform
) -> None:
    rebuilt = await orderctl("rebuild", "logistics", "shipments", "--from-position", "1")
    same = await orderctl("verify", "logistics", "shipments")
    async with logistics.engines[Service.LOGISTICS].begin() as connection:
        await connection.execute(text("DELETE FROM shipments WHERE order_id = 'O-1'"))
    different = await orderctl("verify", "logistics", "shipments")

    assert rebuilt.exit_code == 0, rebuilt.output
    assert lines(rebuilt.stdout)[-1].startswith("rebuilt logistics/shipments: 7 events in ")
    assert same.exit_code == 0, same.output
    assert "table shipments " in same.stdout
    assert "the live read model matches the rebuild" in same.stdout
    assert different.exit_code == 1, different.output
    assert "missing (rebuilt, not live): order_id='O-1' shop_id='S-42'" in different.stdout
    assert '"key_id":"dk-' in different.stdout  # the receiver is sealed: nothing to mask
    assert "13812345678" not in different.stdout
