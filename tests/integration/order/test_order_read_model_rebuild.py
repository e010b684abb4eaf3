"""The order read model rebuilt from the event store and from the topics equals the live one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from contracts.parties import Service
from eventing.projections import Projection
from eventing.rebuild import ProjectionTables, rebuild_from_store, rebuild_from_topics
from eventing.store import EventStore
from order_service.projections import PROJECTIONS
from order_service.projections.tables import order_view
from tests.integration.order.harness import CUP, TEA, Orders, payable

pytestmark = pytest.mark.integration


async def orders(service: Orders) -> list[dict[str, Any]]:
    async with service.engine.connect() as connection:
        rows = await connection.execute(select(order_view).order_by(order_view.c.order_id))
        return [dict(row._mapping) for row in rows]


async def test_a_rebuild_from_the_store_or_the_topics_gives_the_same_orders(
    service: Orders,
) -> None:
    (projection,) = PROJECTIONS
    assert projection.group == "read-model"  # the deployed group `order.read-model`
    await service.set_stock(TEA, 10)
    await service.set_stock(CUP, 10)
    first = await service.place()
    second = await service.place()
    paid = await service.pay(first["order_id"], payable())
    await service.order(first["order_id"], min_version=paid.json()["version"])
    await service.order(second["order_id"], min_version=second["version"])
    live = await orders(service)
    assert len(live) == 2

    store = EventStore(service.engine, topic=service.settings.topic(Service.ORDER))
    await rebuild_from_store(store, projection.from_store())
    assert await orders(service) == live

    bootstrap, topic = (
        service.settings.kafka_bootstrap_servers,
        service.settings.topic(Service.ORDER),
    )
    await rebuild_from_topics(service.engine, bootstrap, [topic], projection.tables)
    assert await orders(service) == live


async def test_the_batch_projector_and_the_per_event_projector_give_the_same_orders(
    service: Orders,
) -> None:
    (projection,) = PROJECTIONS
    assert projection.tables.batch_projector is not None
    await service.set_stock(TEA, 10)
    await service.set_stock(CUP, 10)
    first = await service.place()
    second = await service.place()
    paid = await service.pay(first["order_id"], payable())
    cancelled = await service.command(
        f"/v1/orders/{second['order_id']}/cancellation",
        {"reason": "buyer_changed_mind"},
        service.buyer,
    )
    assert cancelled.status_code == 200, cancelled.text
    await service.order(first["order_id"], min_version=paid.json()["version"])
    await service.order(second["order_id"], min_version=cancelled.json()["version"])
    live = await orders(service)

    one_by_one = ProjectionTables(projection.tables.tables, projection.tables.projector)
    store = EventStore(service.engine, topic=service.settings.topic(Service.ORDER))
    await rebuild_from_store(store, Projection.from_store(replace(projection, tables=one_by_one)))
    assert await orders(service) == live
