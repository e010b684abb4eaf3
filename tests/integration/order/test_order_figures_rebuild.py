"""The figures' table is part of the order read model: rebuilt from the store or the topics, and
by the batch or the per-event projector, it equals the live one row for row."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from contracts.parties import Service
from eventing.projections import Projection
from eventing.rebuild import ProjectionTables, rebuild_from_store, rebuild_from_topics
from eventing.store import EventStore
from order_service.projections import PROJECTIONS
from order_service.projections.tables import order_figures
from tests.integration.order.harness import Orders, order_body, payable

pytestmark = pytest.mark.integration


async def figure_rows(service: Orders) -> list[dict[str, Any]]:
    async with service.engine.connect() as connection:
        rows = await connection.execute(select(order_figures).order_by(order_figures.c.order_id))
        return [dict(row._mapping) for row in rows]


async def some_orders(service: Orders) -> None:
    """A paid order (paid twice), a cancelled one, a presale deposit and an unpaid one closed
    by the clock: every kind of fact the figures count."""
    await service.stocked(tea=20, cup=10)
    paid = await service.place()
    cancelled = await service.place()
    now = await service.now()
    terms = {
        "deposit": 5000,
        "balance": payable() - 5000,
        "balance_starts_at": (now + timedelta(days=5)).isoformat(),
        "balance_due_by": (now + timedelta(days=6)).isoformat(),
    }
    presale = await service.place(order_body(presale=terms))
    unpaid = await service.place()
    await service.pay(paid["order_id"], payable())
    twice = await service.pay(paid["order_id"], payable())
    deposit = await service.pay(presale["order_id"], 5000, stage="deposit")
    cancel = await service.command(
        f"/v1/orders/{cancelled['order_id']}/cancellation", {"reason": "other"}, service.buyer
    )
    await service.advance(timedelta(hours=72, minutes=1))
    await service.order_when(
        unpaid["order_id"], lambda o: o["detail"]["close_reason"] == "unpaid_timeout", "closed"
    )
    for order_id, answer in (
        (paid["order_id"], twice),
        (presale["order_id"], deposit),
        (cancelled["order_id"], cancel),
    ):
        assert answer.status_code == 200, answer.text
        await service.order(order_id, min_version=answer.json()["version"])


async def test_the_figures_rebuilt_from_the_store_or_the_topics_equal_the_live_ones(
    service: Orders,
) -> None:
    (projection,) = PROJECTIONS
    assert order_figures.name in projection.tables.tables
    await some_orders(service)
    live = await figure_rows(service)
    assert len(live) == 4
    assert sum(1 for row in live if row["close_reason"] == "unpaid_timeout") == 1

    store = EventStore(service.engine, topic=service.settings.topic(Service.ORDER))
    await rebuild_from_store(store, projection.from_store())
    assert await figure_rows(service) == live

    bootstrap = service.settings.kafka_bootstrap_servers
    topic = service.settings.topic(Service.ORDER)
    await rebuild_from_topics(service.engine, bootstrap, [topic], projection.tables)
    assert await figure_rows(service) == live


async def test_the_batch_and_the_per_event_projector_give_the_same_figures(
    service: Orders,
) -> None:
    (projection,) = PROJECTIONS
    await some_orders(service)
    live = await figure_rows(service)

    one_by_one = ProjectionTables(projection.tables.tables, projection.tables.projector)
    store = EventStore(service.engine, topic=service.settings.topic(Service.ORDER))
    await rebuild_from_store(store, Projection.from_store(replace(projection, tables=one_by_one)))
    assert await figure_rows(service) == live
