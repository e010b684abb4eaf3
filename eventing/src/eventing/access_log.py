"""The append-only log of full reads of personal data (`eventing.personal_data_access`): what
one record holds, appending a response's records in one INSERT, reading them back newest first.

The database refuses every UPDATE, DELETE and TRUNCATE of the table (migration 0005), and the
time of a record is the database server's, so nothing a service does can rewrite the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.database import single_statements
from eventing.schema import personal_data_access

# Built once, run with a list of rows (one prepared statement for any count; a multi-row
# VALUES would be compiled again for every response, a fifth of a GET's CPU: issue 19).
_APPEND = insert(personal_data_access)


@dataclass(frozen=True, slots=True)
class PersonalDataAccess:
    """One full read: who (subject, role, shop) saw which fields of whose order, where."""

    caller_subject: str
    caller_role: str
    caller_shop_id: str | None
    data_subject: str | None  # the buyer; None while the service does not know them yet
    order_id: str
    fields: tuple[str, ...]
    endpoint: str  # method and route template, e.g. "GET /v1/orders/{order_id}"
    correlation_id: str
    service: str


@dataclass(frozen=True, slots=True)
class AccessFilter:
    """Which records to read (None: any); `before_id` continues a newest-first page."""

    buyer_id: str | None = None
    order_id: str | None = None
    caller: str | None = None
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class RecordedAccess:
    """A record as stored: its id and the database's time of the read."""

    id: int
    at: datetime
    access: PersonalDataAccess

    def document(self) -> dict[str, Any]:
        """The record as one flat JSON object (time as RFC 3339)."""
        shown = {**asdict(self.access), "fields": list(self.access.fields)}
        return {"id": self.id, "at": self.at.isoformat(), **shown}


class AccessLog:
    """One service database's access log."""

    def __init__(self, engine: AsyncEngine, service: str) -> None:
        self.engine = engine
        self.service = service

    async def append(self, records: Sequence[PersonalDataAccess]) -> None:
        """Append `records` in one statement, committed by itself (nothing to do for none)."""
        if not records:
            return
        rows = [{**asdict(record), "fields": list(record.fields)} for record in records]
        async with single_statements(self.engine) as connection:
            await connection.execute(_APPEND, rows)

    async def read(self, where: AccessFilter, limit: int) -> list[RecordedAccess]:
        async with self.engine.connect() as connection:
            return await read_accesses(connection, where, limit)


async def read_accesses(
    connection: AsyncConnection, where: AccessFilter, limit: int
) -> list[RecordedAccess]:
    """Up to `limit` records matching `where`, newest first."""
    c = personal_data_access.c
    statement = select(personal_data_access).order_by(c.id.desc()).limit(limit)
    if where.buyer_id is not None:
        statement = statement.where(c.data_subject == where.buyer_id)
    if where.order_id is not None:
        statement = statement.where(c.order_id == where.order_id)
    if where.caller is not None:
        statement = statement.where(c.caller_subject == where.caller)
    if where.before_id is not None:
        statement = statement.where(c.id < where.before_id)
    return [_recorded(row) for row in await connection.execute(statement)]


def _recorded(row: Row[Any]) -> RecordedAccess:
    access = PersonalDataAccess(
        caller_subject=row.caller_subject,
        caller_role=row.caller_role,
        caller_shop_id=row.caller_shop_id,
        data_subject=row.data_subject,
        order_id=row.order_id,
        fields=tuple(row.fields),
        endpoint=row.endpoint,
        correlation_id=row.correlation_id,
        service=row.service,
    )
    return RecordedAccess(int(row.id), row.at, access)
