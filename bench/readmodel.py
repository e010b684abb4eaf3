"""The read model the subscription and rebuild benchmarks fill: one summary row per order.

It is what an order list needs (status, buyer, shop, amounts) and is idempotent per stream
sequence, as eventing requires of projectors: an event older than the row's version is ignored.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.encoding import ConsumedEvent
from eventing.events import RecordedEvent
from eventing.rebuild import ProjectionTables

SUMMARIES = "order_summaries"


async def create_summaries(dsn: str, table: str = SUMMARIES) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            f"""CREATE TABLE "{table}" (
                order_id text PRIMARY KEY,
                shop_id text NOT NULL,
                buyer_id text NOT NULL,
                status text NOT NULL,
                payable bigint NOT NULL,
                paid bigint NOT NULL DEFAULT 0,
                currency text NOT NULL,
                lines integer NOT NULL,
                version bigint NOT NULL
            )"""
        )
        await connection.execute(f'CREATE INDEX ON "{table}" (shop_id, status)')
    finally:
        await connection.close()


async def count_rows(dsn: str, table: str = SUMMARIES) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval(f'SELECT count(*) FROM "{table}"'))
    finally:
        await connection.close()


@dataclass(frozen=True, slots=True)
class _Statements:
    insert_placed: TextClause
    record_paid: TextClause


@functools.cache
def _statements(table: str) -> _Statements:
    """Parsed once per table name, as a projector module would hold them."""
    return _Statements(
        insert_placed=text(
            f'INSERT INTO "{table}" (order_id, shop_id, buyer_id, status, payable, currency,'
            " lines, version) VALUES (:order_id, :shop_id, :buyer_id, 'placed', :payable,"
            " :currency, :lines, :version) ON CONFLICT (order_id) DO NOTHING"
        ),
        record_paid=text(
            f"UPDATE \"{table}\" SET status = 'paid', paid = :amount, version = :version"
            " WHERE order_id = :order_id AND version < :version"
        ),
    )


async def apply(
    connection: AsyncConnection,
    table: str,
    event_type: str,
    order_id: str,
    sequence: int,
    data: Mapping[str, Any],
) -> None:
    """Apply one order event to the summary row of its order."""
    if event_type == "order.placed":
        await connection.execute(
            _statements(table).insert_placed,
            {
                "order_id": order_id,
                "shop_id": data["shop_id"],
                "buyer_id": data["buyer_id"],
                "payable": data["payable"]["amount"],
                "currency": data["payable"]["currency"],
                "lines": len(data["items"]),
                "version": sequence,
            },
        )
    elif event_type == "order.paid":
        await connection.execute(
            _statements(table).record_paid,
            {"order_id": order_id, "amount": data["amount"]["amount"], "version": sequence},
        )


async def apply_consumed(event: ConsumedEvent, connection: AsyncConnection) -> None:
    """The subscription handler."""
    await apply(
        connection, SUMMARIES, event.event_type, event.stream_id, event.sequence, event.data
    )


async def _project_recorded(
    event: RecordedEvent, connection: AsyncConnection, tables: Mapping[str, str]
) -> None:
    await apply(
        connection,
        tables[SUMMARIES],
        event.event_type,
        event.stream_id,
        event.stream_version,
        event.data,
    )


SUMMARIES_FROM_STORE: ProjectionTables[RecordedEvent] = ProjectionTables(
    (SUMMARIES,), _project_recorded
)
