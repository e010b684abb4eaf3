"""Preloading a service's event store with millions of realistic events, fast, by COPY.

The same rows as `bench.loading.load_store` (an `order.placed` of three lines and a receiver and
its `order.paid` per order, the payloads of `bench.payloads`, every order its own stream), but
each payload is serialised once as a template and only the order and buyer ids are substituted
per row, and the streams are COPYed alongside rather than aggregated afterwards: at 10M events
the per-row `json.dumps` and the final GROUP BY were most of the preload's time.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench import payloads
from bench.loading import EVENT_COLUMNS
from contracts.events.order import OrderPaid, OrderPlaced

_ORDER, _BUYER, _CORRELATION = "@@order@@", "@@buyer@@", "00000000-0000-0000-0000-00000000c0de"
_CHUNK = 10_000  # orders per COPY (20,000 events)


def _template(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False)


# The v1 shape (receiver in clear), as stores written before issue 16 hold it: the service
# upcasts it on read. Sealing 10M receivers would be most of the preload's time.
_PLACED = _template(
    {**payloads.Placements.for_orders(1, sealed=False).placed(_ORDER, 0), "buyer_id": _BUYER}
)
_PAID = _template(payloads.paid(_ORDER))
_METADATA = _template(payloads.metadata(0).to_json()).replace(str(uuid.UUID(int=0)), _CORRELATION)
_ACTOR_ID = '"actor_id": "B-0"'


def _metadata(n: int) -> str:
    return _METADATA.replace(_CORRELATION, str(uuid.UUID(int=n))).replace(
        _ACTOR_ID, f'"actor_id": "B-{n}"'
    )


def _rows(run: str, orders: range, topic: str, at: datetime) -> Iterator[tuple[Any, ...]]:
    for n in orders:
        order = payloads.order_id(run, n)
        placed = _PLACED.replace(_ORDER, order).replace(_BUYER, f"B-{n % 50_000}")
        metadata = _metadata(n)
        yield (order, 1, uuid.uuid4(), OrderPlaced.event_type, 1, topic, placed, metadata, at)
        paid = _PAID.replace(_ORDER, order)
        yield (order, 2, uuid.uuid4(), OrderPaid.event_type, 1, topic, paid, metadata, at)


async def preload_store(dsn: str, events: int, topic: str, run: str = "growth") -> int:
    """COPY `events` events (events // 2 orders) and their streams; how many events."""
    connection = await asyncpg.connect(dsn)
    at = datetime.now(UTC)
    loaded = 0
    try:
        orders = iter(range(events // 2))
        while chunk := range(*_bounds(list(itertools.islice(orders, _CHUNK)))):
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "events", schema_name="eventing", columns=EVENT_COLUMNS,
                    records=list(_rows(run, chunk, topic, at)),
                )  # fmt: skip
                await connection.copy_records_to_table(
                    "streams", schema_name="eventing", columns=("stream_id", "version"),
                    records=[(payloads.order_id(run, n), 2) for n in chunk],
                )  # fmt: skip
            loaded += 2 * len(chunk)
        await connection.execute("VACUUM (ANALYZE) eventing.events")
        await connection.execute("VACUUM (ANALYZE) eventing.streams")
    finally:
        await connection.close()
    return loaded


def _bounds(numbers: list[int]) -> tuple[int, int]:
    return (numbers[0], numbers[-1] + 1) if numbers else (0, 0)
