"""The event store on the real PostgreSQL: expected versions, reads, transactions."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.events import EventMetadata, NewEvent, StreamState
from eventing.migrate import upgrade_async
from eventing.store import EventStore, WrongExpectedVersion
from eventing.testing.waiting import eventually

pytestmark = pytest.mark.integration


def _event(n: int, metadata: EventMetadata | None = None) -> NewEvent:
    return NewEvent("thing.happened", {"n": n}, metadata=metadata or EventMetadata())


async def test_appended_events_are_read_back_in_stream_order_with_their_metadata(
    store: EventStore,
) -> None:
    result = await store.append(
        "order-1",
        [_event(1, EventMetadata("c1", "k1", "buyer:7")), _event(2)],
        StreamState.NO_STREAM,
    )

    stream = await store.read_stream("order-1")
    assert [e.stream_version for e in stream] == [1, 2]
    assert [e.data["n"] for e in stream] == [1, 2]
    assert stream[0].metadata == EventMetadata("c1", "k1", "buyer:7")
    assert [e.position for e in stream] == list(result.positions)
    assert result.last_version == 2
    assert await store.current_version("order-1") == 2


async def test_a_stale_expected_version_is_refused_and_nothing_is_appended(
    store: EventStore,
) -> None:
    await store.append("order-1", [_event(1), _event(2)], StreamState.NO_STREAM)

    with pytest.raises(WrongExpectedVersion) as refused:
        await store.append("order-1", [_event(3)], 1)

    assert refused.value.actual == 2
    assert [e.stream_version for e in await store.read_stream("order-1")] == [1, 2]


async def test_an_expected_version_ahead_of_the_stream_is_refused(store: EventStore) -> None:
    await store.append("order-1", [_event(1)], StreamState.NO_STREAM)

    with pytest.raises(WrongExpectedVersion):
        await store.append("order-1", [_event(2)], 5)


async def test_no_stream_expectation_refuses_a_stream_that_exists(store: EventStore) -> None:
    await store.append("order-1", [_event(1)], StreamState.NO_STREAM)

    with pytest.raises(WrongExpectedVersion):
        await store.append("order-1", [_event(2)], StreamState.NO_STREAM)


async def test_any_expectation_appends_after_whatever_is_there(store: EventStore) -> None:
    await store.append("order-1", [_event(1)], StreamState.ANY)
    result = await store.append("order-1", [_event(2), _event(3)], StreamState.ANY)

    assert (result.first_version, result.last_version) == (2, 3)


async def test_concurrent_writers_on_one_stream_never_lose_an_update(store: EventStore) -> None:
    await store.append("order-1", [_event(0)], StreamState.NO_STREAM)

    async def write(n: int) -> bool:
        try:
            await store.append("order-1", [_event(n)], 1)
        except WrongExpectedVersion:
            return False
        return True

    outcomes = await asyncio.gather(*(write(n) for n in range(1, 11)))

    assert outcomes.count(True) == 1
    assert [e.stream_version for e in await store.read_stream("order-1")] == [1, 2]


async def test_a_refused_expectation_reports_the_actual_version_of_a_new_stream(
    store: EventStore,
) -> None:
    with pytest.raises(WrongExpectedVersion) as refused:
        await store.append("order-1", [_event(1)], 3)

    assert (refused.value.expected, refused.value.actual) == (3, 0)
    assert await store.current_version("order-1") == 0


async def test_a_negative_expected_version_is_a_programming_error(store: EventStore) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        await store.append("order-1", [_event(1)], -1)


async def test_a_batch_gets_consecutive_versions_and_ascending_positions(
    store: EventStore,
) -> None:
    await store.append("order-1", [_event(0)], StreamState.NO_STREAM)

    result = await store.append("order-1", [_event(n) for n in range(1, 101)], 1)

    stream = await store.read_stream("order-1", 2)
    assert (result.first_version, result.last_version) == (2, 101)
    assert [e.data["n"] for e in stream] == list(range(1, 101))
    assert [e.position for e in stream] == list(result.positions)
    assert list(result.positions) == sorted(result.positions)


async def _lock_waiters(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        )
    return int(waiting or 0)


async def test_a_transaction_appending_to_two_streams_does_not_deadlock_with_a_writer_of_the_second(
    store: EventStore, engine: AsyncEngine
) -> None:
    # The position lock is taken before the stream row is claimed, so the single writer of "b"
    # waits for the lock holding no row, and the two-stream transaction can claim "b".
    async with engine.begin() as connection:
        await store.append("a", [_event(1)], StreamState.NO_STREAM, connection=connection)
        writer = asyncio.create_task(store.append("b", [_event(2)], StreamState.ANY))
        await eventually(lambda: _lock_waiters(engine), lambda waiting: waiting == 1)
        await store.append("b", [_event(3)], StreamState.NO_STREAM, connection=connection)
    second = await writer

    assert [e.data["n"] for e in await store.read_stream("b")] == [3, 2]
    assert second.first_version == 2


async def test_an_append_inside_the_callers_transaction_rolls_back_with_it(
    store: EventStore, engine: AsyncEngine
) -> None:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await store.append("order-1", [_event(1)], 0, connection=connection)
        await transaction.rollback()

    assert await store.read_stream("order-1") == []
    assert await store.current_version("order-1") == 0


async def test_read_stream_starts_at_the_requested_version(store: EventStore) -> None:
    await store.append("order-1", [_event(n) for n in range(1, 6)], 0)

    assert [e.stream_version for e in await store.read_stream("order-1", 4)] == [4, 5]


async def test_read_all_returns_every_stream_in_position_order_after_a_position(
    store: EventStore,
) -> None:
    for round_ in range(3):
        for stream in ("a", "b"):
            await store.append(stream, [_event(round_)], StreamState.ANY)

    everything = await store.read_all()
    after_two = await store.read_all(after_position=everything[1].position, limit=2)

    assert [(e.stream_id, e.data["n"]) for e in everything] == [
        ("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2),
    ]  # fmt: skip
    assert after_two == everything[2:4]
    assert await store.head_position() == everything[-1].position


async def test_event_ids_are_unique_across_the_store(store: EventStore) -> None:
    event = _event(1)
    await store.append("a", [event], 0)

    with pytest.raises(Exception, match="event_id"):
        await store.append("b", [event], 0)


async def test_migrating_an_up_to_date_database_again_changes_nothing(
    database_url: str, store: EventStore
) -> None:
    await store.append("order-1", [_event(1)], 0)

    await upgrade_async(database_url)

    assert len(await store.read_stream("order-1")) == 1
