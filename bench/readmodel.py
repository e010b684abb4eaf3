"""The read model the subscription and rebuild benchmarks fill: one summary row per order.

It is what an order list needs (status, buyer, shop, amounts) and is idempotent per stream
sequence, as eventing requires of projectors: an event older than the row's version is ignored.

It comes in the two forms eventing accepts: a projector of one event (one statement each) and a
batch projector (`apply_batch`: two set-based statements per batch, `INSERT … SELECT FROM
unnest(…)` and `UPDATE … FROM unnest(…)`), with the same effect as applying the events in turn.

`LabelOpener` wraps either form in a consumer that also opens every sealed receiver (as a
logistics label view must before it prints), so its cost can be measured against not opening.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.payloads import StoredRow
from eventing.data_keys import PersonalData, is_sealed
from eventing.encoding import ConsumedEvent
from eventing.events import RecordedEvent
from eventing.rebuild import ProjectionTables

SUMMARIES = "order_summaries"


async def create_summaries(dsn: str, table: str = SUMMARIES) -> None:
    """(Re)create the table empty."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP TABLE IF EXISTS "{table}"')
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


async def digest(dsn: str, table: str = SUMMARIES) -> str:
    """A fingerprint of the whole table's content: two projections of the same events must
    leave the same one."""
    connection = await asyncpg.connect(dsn)
    try:
        return str(
            await connection.fetchval(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY order_id), ''))"
                f' FROM "{table}" AS t'
            )
        )
    finally:
        await connection.close()


@dataclass(frozen=True, slots=True)
class _Statements:
    insert_placed: TextClause
    record_paid: TextClause
    insert_placed_batch: TextClause
    record_paid_batch: TextClause


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
        insert_placed_batch=text(
            f'INSERT INTO "{table}" (order_id, shop_id, buyer_id, status, payable, currency,'
            " lines, version) SELECT o, s, b, 'placed', p, c, l, v FROM unnest("
            "CAST(:order_ids AS text[]), CAST(:shop_ids AS text[]), CAST(:buyer_ids AS text[]),"
            " CAST(:payables AS bigint[]), CAST(:currencies AS text[]), CAST(:lines AS int[]),"
            " CAST(:versions AS bigint[])) AS u(o, s, b, p, c, l, v)"
            " ON CONFLICT (order_id) DO NOTHING"
        ),
        record_paid_batch=text(
            f"UPDATE \"{table}\" AS t SET status = 'paid', paid = u.amount, version = u.version"
            " FROM unnest(CAST(:order_ids AS text[]), CAST(:amounts AS bigint[]),"
            " CAST(:versions AS bigint[])) AS u(order_id, amount, version)"
            " WHERE t.order_id = u.order_id AND t.version < u.version"
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


async def apply_batch(connection: AsyncConnection, table: str, events: Sequence[StoredRow]) -> None:
    """Apply `events` with two statements, to the same effect as one by one. Placements go
    first: an order's payment always follows its placement in its stream. Of several payments
    of one order (a redelivery, a replay) only the highest sequence can leave a mark, as one by
    one, where each raises the row's version and an older one is then ignored."""
    placed = [event for event in events if event.event_type == "order.placed"]
    paid: dict[str, StoredRow] = {}
    for event in events:
        if event.event_type == "order.paid":
            seen = paid.get(event.stream_id)
            if seen is None or event.stream_version > seen.stream_version:
                paid[event.stream_id] = event
    statements = _statements(table)
    if placed:
        await connection.execute(
            statements.insert_placed_batch,
            {
                "order_ids": [e.stream_id for e in placed],
                "shop_ids": [e.data["shop_id"] for e in placed],
                "buyer_ids": [e.data["buyer_id"] for e in placed],
                "payables": [e.data["payable"]["amount"] for e in placed],
                "currencies": [e.data["payable"]["currency"] for e in placed],
                "lines": [len(e.data["items"]) for e in placed],
                "versions": [e.stream_version for e in placed],
            },
        )
    if paid:
        await connection.execute(
            statements.record_paid_batch,
            {
                "order_ids": list(paid),
                "amounts": [e.data["amount"]["amount"] for e in paid.values()],
                "versions": [e.stream_version for e in paid.values()],
            },
        )


async def apply_consumed_batch(
    events: Sequence[ConsumedEvent], connection: AsyncConnection
) -> None:
    """The subscription's batch handler."""
    await apply_batch(
        connection,
        SUMMARIES,
        [StoredRow(e.stream_id, e.sequence, e.event_type, e.data) for e in events],
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


async def _project_recorded_batch(
    events: Sequence[RecordedEvent], connection: AsyncConnection, tables: Mapping[str, str]
) -> None:
    await apply_batch(
        connection,
        tables[SUMMARIES],
        [StoredRow(e.stream_id, e.stream_version, e.event_type, e.data) for e in events],
    )


# One event at a time (what a projector written without the batch API costs).
SUMMARIES_FROM_STORE: ProjectionTables[RecordedEvent] = ProjectionTables(
    (SUMMARIES,), _project_recorded
)
# Both forms: the rebuild uses the batch projector.
SUMMARIES_FROM_STORE_BATCHED: ProjectionTables[RecordedEvent] = ProjectionTables(
    (SUMMARIES,), _project_recorded, _project_recorded_batch
)


class LabelOpener:
    """The summaries' projector, opening every sealed receiver first with `PersonalData.reveal`
    (the helper the services' views use); the opened receivers are counted, then dropped."""

    def __init__(self, personal_data: PersonalData) -> None:
        self._personal_data = personal_data
        self.opened = 0

    async def _open(self, data: Mapping[str, Any]) -> None:
        if is_sealed(data.get("receiver")):
            revealed = await self._personal_data.reveal(data)
            if not revealed["receiver"]["name"]:
                raise RuntimeError("a receiver opened without a name")
            self.opened += 1

    async def apply_consumed(self, event: ConsumedEvent, connection: AsyncConnection) -> None:
        await self._open(event.data)
        await apply_consumed(event, connection)

    async def apply_consumed_batch(
        self, events: Sequence[ConsumedEvent], connection: AsyncConnection
    ) -> None:
        for event in events:
            await self._open(event.data)
        await apply_consumed_batch(events, connection)

    async def _project_recorded_batch(
        self,
        events: Sequence[RecordedEvent],
        connection: AsyncConnection,
        tables: Mapping[str, str],
    ) -> None:
        for event in events:
            await self._open(event.data)
        await _project_recorded_batch(events, connection, tables)

    async def _project_recorded(
        self, event: RecordedEvent, connection: AsyncConnection, tables: Mapping[str, str]
    ) -> None:
        await self._open(event.data)
        await _project_recorded(event, connection, tables)

    def from_store(self) -> ProjectionTables[RecordedEvent]:
        """The batched rebuild projection, opening receivers."""
        return ProjectionTables((SUMMARIES,), self._project_recorded, self._project_recorded_batch)
