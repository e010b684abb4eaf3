"""The store's append hooks (what an inline read model runs on): they see the events as stored,
in the appending transaction, and a hook that fails takes the append down with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.events import EventMetadata, NewEvent, RecordedEvent, StreamState
from eventing.store import EventStore

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


class ProjectorBug(Exception):
    pass


def _events() -> list[NewEvent]:
    metadata = EventMetadata(correlation_id="flow-1", actor="seller", actor_id="clerk-7")
    return [
        NewEvent("toy.opened", {"b": 2, "a": [1, "x"]}, metadata=metadata, occurred_at=AT),
        NewEvent("toy.noted", {"note": "defaulted time"}, schema_version=2, metadata=metadata),
    ]


async def _stored_count(engine: AsyncEngine, stream_id: str) -> int:
    async with engine.connect() as connection:
        statement = text("SELECT count(*) FROM eventing.events WHERE stream_id = :id")
        return int(await connection.scalar(statement, {"id": stream_id}) or 0)


async def test_a_hook_sees_the_appended_events_as_a_reader_of_the_store_gets_them(
    store: EventStore,
) -> None:
    seen: list[RecordedEvent] = []
    visible: list[int] = []

    async def hook(events: Sequence[RecordedEvent], connection: AsyncConnection) -> None:
        seen.extend(events)
        statement = text("SELECT count(*) FROM eventing.events WHERE stream_id = 'toy-1'")
        visible.append(int(await connection.scalar(statement) or 0))  # its own transaction

    store.after_append(hook)
    result = await store.append("toy-1", _events(), StreamState.NO_STREAM)

    stored = await store.read_all()
    assert visible == [2]
    assert [event.position for event in seen] == list(result.positions)
    # Everything a projector can read is the stored value; `recorded_at` is the server's.
    assert [replace(e, recorded_at=AT) for e in seen] == [
        replace(e, recorded_at=AT) for e in stored
    ]


async def test_a_failing_hook_rolls_back_an_append_made_alone(
    engine: AsyncEngine, store: EventStore
) -> None:
    async def hook(events: Sequence[RecordedEvent], connection: AsyncConnection) -> None:
        raise ProjectorBug("the read model refused the event")

    store.after_append(hook)
    with pytest.raises(ProjectorBug):
        await store.append("toy-2", _events(), StreamState.NO_STREAM)

    assert await _stored_count(engine, "toy-2") == 0
    assert await store.current_version("toy-2") == 0


async def test_a_failing_hook_fails_the_callers_transaction(
    engine: AsyncEngine, store: EventStore
) -> None:
    async def hook(events: Sequence[RecordedEvent], connection: AsyncConnection) -> None:
        await connection.execute(text("SELECT 1 / 0"))  # the projector's statement fails

    store.after_append(hook)
    with pytest.raises(Exception, match="division by zero"):
        async with engine.begin() as connection:
            await store.append("toy-3", _events(), StreamState.NO_STREAM, connection=connection)

    assert await _stored_count(engine, "toy-3") == 0
