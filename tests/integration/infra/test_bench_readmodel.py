"""The benchmarks' batch projector leaves exactly what its per-event projector leaves.

Benchmarks 4 and 5 record the batch projector's rate; that figure only means something if the
two forms of the projector agree, whatever the batch boundaries and redeliveries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from bench import payloads, readmodel
from bench.payloads import StoredRow
from eventing.database import create_engine

pytestmark = pytest.mark.asyncio

DatabaseFactory = Callable[[], Awaitable[str]]


def lifecycle_events(orders: int) -> list[StoredRow]:
    """Placed and paid per order, interleaved, with a redelivered placement and payment and a
    stale payment (an older version arriving after a newer one) mixed in."""
    events = list(payloads.order_lifecycles("rm", orders))
    first_paid = next(e for e in events if e.event_type == "order.paid")
    newer_paid = StoredRow(
        first_paid.stream_id,
        3,
        "order.paid",
        {**first_paid.data, "amount": {**first_paid.data["amount"], "amount": 1}},
    )
    return [*events, events[0], first_paid, newer_paid, first_paid]


async def project(
    dsn: str,
    events: Sequence[StoredRow],
    apply: Callable[[AsyncConnection, Sequence[StoredRow]], Awaitable[None]],
    batch_size: int,
) -> str:
    await readmodel.create_summaries(dsn)
    engine = create_engine(dsn)
    try:
        for start in range(0, len(events), batch_size):
            async with engine.begin() as connection:
                await apply(connection, events[start : start + batch_size])
    finally:
        await engine.dispose()
    return await readmodel.digest(dsn)


async def one_by_one(connection: AsyncConnection, events: Sequence[StoredRow]) -> None:
    for e in events:
        await readmodel.apply(
            connection, readmodel.SUMMARIES, e.event_type, e.stream_id, e.stream_version, e.data
        )


async def batched(connection: AsyncConnection, events: Sequence[StoredRow]) -> None:
    await readmodel.apply_batch(connection, readmodel.SUMMARIES, events)


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
async def test_batch_projector_matches_the_per_event_projector(
    database_factory: DatabaseFactory, batch_size: int
) -> None:
    dsn = await database_factory()
    events = lifecycle_events(40)

    expected = await project(dsn, events, one_by_one, 1)
    actual = await project(dsn, events, batched, batch_size)

    assert actual == expected
    assert await readmodel.count_rows(dsn) == 40


async def test_the_newest_payment_wins_and_stale_ones_are_ignored(
    database_factory: DatabaseFactory,
) -> None:
    dsn = await database_factory()
    events = lifecycle_events(3)
    await project(dsn, events, batched, 1000)

    engine = create_engine(dsn)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.exec_driver_sql(
                    "SELECT order_id, status, paid, version FROM order_summaries ORDER BY order_id"
                )
            ).all()
    finally:
        await engine.dispose()
    by_order = {row.order_id: row for row in rows}
    first = events[1].stream_id  # the order whose payment was redelivered and superseded
    assert (by_order[first].status, by_order[first].paid, by_order[first].version) == (
        "paid",
        1,
        3,
    )
    assert all(row.status == "paid" and row.version == 2 for row in rows if row.order_id != first)
