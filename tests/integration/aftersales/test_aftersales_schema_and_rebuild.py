"""The migration creates exactly the tables the code defines, and the refund-case read model
rebuilt from the event store or from the topic equals the live one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

import aftersales_service.application.state_tables  # noqa: F401  (its tables join `metadata`)
from aftersales_service.projections import PROJECTIONS
from aftersales_service.projections.tables import metadata, refund_cases, refund_orders
from eventing.migrate import upgrade_service_async
from eventing.rebuild import StoreTail, rebuild_from_store, rebuild_from_topics, relay_checkpoint
from eventing.store import EventStore
from eventing.testing.migrations import schema_drift
from tests.integration.aftersales.harness import (
    REFUND_ONLY,
    RETURN_ONE_TEA,
    Aftersales,
    cny,
)

pytestmark = pytest.mark.integration

DatabaseFactory = Callable[[], Awaitable[str]]


async def test_the_migrated_schema_matches_the_table_definitions(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory()
    await upgrade_service_async(url, "aftersales")

    assert await schema_drift(url, metadata) == []


async def _read_model(service: Aftersales) -> list[dict[str, Any]]:
    async with service.engine.connect() as connection:
        cases = await connection.execute(select(refund_cases).order_by(refund_cases.c.case_id))
        orders = await connection.execute(select(refund_orders).order_by(refund_orders.c.order_id))
        return [dict(r._mapping) for r in cases] + [dict(r._mapping) for r in orders]


async def test_a_rebuild_from_the_store_or_the_topic_gives_the_same_cases(
    aftersales: Aftersales,
) -> None:
    projection = next(p for p in PROJECTIONS if p.name == "refund-cases")
    order_id = await aftersales.paid_order(delivered_too=True)
    first = await aftersales.open_case(order_id, {**REFUND_ONLY, "amount": cny(1_000)})
    second = await aftersales.open_case(order_id, RETURN_ONE_TEA)
    approved = await aftersales.command(
        f"/v1/refund-cases/{first['case_id']}/approval", {}, aftersales.seller
    )
    rejected = await aftersales.command(
        f"/v1/refund-cases/{second['case_id']}/rejection", {"reason": "other"}, aftersales.seller
    )
    assert approved.status_code == rejected.status_code == 200
    await aftersales.case(second["case_id"], min_version=rejected.json()["version"])
    live = await _read_model(aftersales)
    assert len(live) == 3

    store = EventStore(aftersales.engine, topic=aftersales.settings.topic_aftersales)
    await rebuild_from_store(store, projection.from_store())
    assert await _read_model(aftersales) == live

    # Projected inline, the read model has no subscription to cover what the relay has not
    # published yet: the store's tail after the relay's checkpoint does.
    tail = StoreTail(store, projection.from_store(), await relay_checkpoint(aftersales.engine))
    await rebuild_from_topics(
        aftersales.engine,
        aftersales.settings.kafka_bootstrap_servers,
        [aftersales.settings.topic_aftersales],
        projection.tables,
        store_tail=tail,
    )
    assert await _read_model(aftersales) == live
