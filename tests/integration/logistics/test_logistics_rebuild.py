"""The shipments read model rebuilt from the event store equals the one fed live."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from eventing.rebuild import rebuild_from_store
from eventing.service import manifest_of
from eventing.store import EventStore
from logistics_service.projections import PROJECTIONS
from tests.integration.logistics.harness import Logistics

pytestmark = pytest.mark.integration

_TABLES = {
    "shipments": "order_id",
    "shipment_tracking": "order_id, occurred_at, status",
    "shipment_exceptions": "order_id, exception_id",
}


async def snapshot(logistics: Logistics) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    async with logistics.engine.connect() as connection:
        for table, order in _TABLES.items():
            rows = await connection.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}'))
            tables[table] = [
                {k: v for k, v in row._asdict().items() if k not in ("id", "updated_at")}
                for row in rows
            ]
    return tables


async def test_a_rebuild_from_the_store_gives_the_live_read_model(logistics: Logistics) -> None:
    assert manifest_of("logistics").projections == PROJECTIONS
    shipped, waiting = await logistics.paid_order(), await logistics.paid_order()
    dispatched = await logistics.dispatch(shipped)
    opened = await logistics.command(
        f"/v1/shipments/{shipped}/exceptions",
        {"kind": "delayed", "description": "stuck at the hub"},
        logistics.seller(),
    )
    assert opened.status_code == 201
    await logistics.shipment(shipped, min_version=opened.json()["version"])
    live = await snapshot(logistics)
    assert [row["order_id"] for row in live["shipments"]] == sorted([shipped, waiting])
    assert dispatched.status_code == 200

    [projection] = PROJECTIONS
    store = EventStore(logistics.engine, topic=logistics.settings.topic_logistics)
    applied = await rebuild_from_store(store, projection.from_store())
    assert applied == 4  # two requests, a dispatch, an exception
    assert await snapshot(logistics) == live


async def test_events_delivered_again_change_nothing_in_the_read_model(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    dispatched = await logistics.dispatch(order_id)
    await logistics.shipment(order_id, min_version=dispatched.json()["version"])
    before = await snapshot(logistics)

    [projection] = PROJECTIONS
    store = EventStore(logistics.engine, topic=logistics.settings.topic_logistics)
    replay = projection.from_store()
    async with logistics.engine.begin() as connection:
        for event in await store.read_stream(order_id, connection=connection):
            await replay.projector(event, connection, {})
    assert await snapshot(logistics) == before
