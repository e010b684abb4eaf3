"""After the demo's whole mix of orders, no topic, dead letter, database or service log holds a
receiver's name, phone or street in clear; the roles that ship or arbitrate still see them, each
full view is audited, and an erased buyer's receivers are gone from every surface."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text

from contracts.parties import SERVICES, Service
from eventing.http.auth import Role
from eventing.topics import connect_admin
from localinfra.demo import run_demo
from localinfra.flows import Actors, ServiceUrls, answer
from localinfra.system import System

pytestmark = pytest.mark.e2e

CLEAR = ("李雷", "13812345678", "文三路")
"""The demo receiver's name, phone and street (`localinfra.flows.receiver`)."""

_TABLES = (
    "SELECT table_schema, table_name FROM information_schema.tables "
    "WHERE table_schema IN ('public', 'eventing') AND table_type = 'BASE TABLE'"
)


async def topic_dump(system: System) -> bytes:
    """Every record (key, headers, value) of the run's topics and dead-letter topics."""
    admin = await connect_admin(system.bootstrap)
    try:
        prefix = f"e2e.{system.run}."
        names = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        *names,
        bootstrap_servers=system.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    dumped = bytearray()
    try:
        partitions = consumer.assignment() or set()
        while not partitions:
            await consumer.getmany(timeout_ms=200)
            partitions = consumer.assignment()
        ends = await consumer.end_offsets(list(partitions))
        while [p for p, end in ends.items() if await consumer.position(p) < end]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    dumped += record.key or b""
                    dumped += record.value or b""
                    for _, value in record.headers:
                        dumped += value
    finally:
        await consumer.stop()
    assert names, "no topic of the run"
    return bytes(dumped)


async def database_dump(system: System) -> str:
    """Every row of every table of the three service databases, as JSON text."""
    rows: list[str] = []
    for service in SERVICES:
        async with system.services[service].engine.connect() as connection:
            tables = (await connection.execute(text(_TABLES))).all()
            for schema, table in tables:
                found = await connection.execute(
                    text(f'SELECT row_to_json(t)::text FROM "{schema}"."{table}" t')
                )
                rows.extend(found.scalars())
    return "\n".join(rows)


def clear_in(dump: str) -> list[str]:
    return [value for value in CLEAR if value in dump]


async def test_after_the_demo_nothing_at_rest_holds_a_receiver_in_clear(system: System) -> None:
    urls = ServiceUrls(*(system.url(service) for service in Service))
    outcome = await run_demo(urls, system.tokens, system.clock_url)

    assert clear_in((await topic_dump(system)).decode("utf-8", errors="replace")) == []
    assert clear_in(await database_dump(system)) == []
    for service in SERVICES:
        log = system.services[service].log_file.read_text(encoding="utf-8", errors="replace")
        assert clear_in(log) == [], service

    order_id = next(iter(outcome.orders))
    async with Actors(urls, system.tokens, shop_id=outcome.shop_id) as actors:
        path = f"/v1/orders/{order_id}"
        full = answer(await actors.get(Service.ORDER, Role.PLATFORM, path), 200)
        masked = answer(await actors.get(Service.ORDER, Role.OPS, path), 200)
        audit = answer(
            await actors.get(
                Service.ORDER, Role.OPS, f"/v1/personal-data-access?order_id={order_id}"
            ),
            200,
        )
    assert full["detail"]["receiver"]["name"] == "李雷"
    assert masked["detail"]["receiver"]["name"] == "李*"
    assert masked["detail"]["receiver"]["phone"] == "138****5678"
    assert any(r["caller_role"] == "platform" for r in _items(audit))


def _items(page: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = page["items"]
    return items
