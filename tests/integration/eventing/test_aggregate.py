"""The repository's `before_append` hook: side effects commit with the events, or neither; and
the deferred append of the HTTP command runner's scope."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.events.order import OrderRated
from eventing.aggregate import AggregateRepository, deferred_append
from eventing.decider import Decider
from eventing.events import EventMetadata
from eventing.store import EventStore, WrongExpectedVersion

pytestmark = pytest.mark.integration

METADATA = EventMetadata(actor="buyer")


@dataclass(frozen=True)
class Rate:
    score: int


def decide(command: Rate, state: int) -> Sequence[OrderRated]:
    if command.score == state:
        return []
    score = command.score
    return [
        OrderRated(
            order_id="o-1",
            shop_id="s",
            description_score=score,
            service_score=score,
            shipping_speed_score=score,
        )
    ]


def evolve(_: int, event: OrderRated) -> int:
    return event.description_score


async def side_table(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT score FROM side"))).scalars())


async def test_the_hook_sees_both_states_and_commits_with_the_events(engine: AsyncEngine) -> None:
    repository = AggregateRepository(EventStore(engine, topic="t"), Decider(decide, evolve, 0))
    seen: list[tuple[int, int, int]] = []
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE side (score int)"))

        async def record(before: int, after: int, events: tuple[OrderRated, ...]) -> None:
            seen.append((before, after, len(events)))
            await connection.execute(text("INSERT INTO side VALUES (:s)"), {"s": after})

        decision = await repository.execute(
            "o-1", Rate(4), metadata=METADATA, connection=connection, before_append=record
        )
        nothing = await repository.execute(
            "o-1", Rate(4), metadata=METADATA, connection=connection, before_append=record
        )
    assert (decision.version, nothing.version, nothing.events) == (1, 1, ())
    assert seen == [(0, 4, 1)]
    assert await side_table(engine) == [4]


async def test_a_failing_hook_appends_nothing(engine: AsyncEngine) -> None:
    store = EventStore(engine, topic="t")
    repository = AggregateRepository(store, Decider(decide, evolve, 0))

    async def refuse(*_: object) -> None:
        raise RuntimeError("stock table unavailable")

    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await repository.execute(
                "o-2", Rate(3), metadata=METADATA, connection=connection, before_append=refuse
            )
    assert await store.current_version("o-2") == 0


async def test_a_deferred_append_is_made_by_the_flush_with_the_version_it_announced(
    engine: AsyncEngine,
) -> None:
    store = EventStore(engine, topic="t")
    repository = AggregateRepository(store, Decider(decide, evolve, 0))
    async with engine.begin() as connection:
        await repository.execute("o-3", Rate(1), metadata=METADATA, connection=connection)
    async with engine.begin() as connection:
        with deferred_append() as pending:
            decision = await repository.execute(
                "o-3", Rate(5), metadata=METADATA, connection=connection
            )
            waiting = pending.waiting
            before_flush = await store.current_version("o-3")  # nothing appended yet
            await pending.flush()
            assert not pending.waiting
    assert (waiting, before_flush) == (True, 1)
    assert (decision.version, decision.positions) == (2, ())
    assert await store.current_version("o-3") == 2
    assert [e.stream_version for e in await store.read_stream("o-3")] == [1, 2]


async def test_a_writer_that_got_there_first_fails_the_deferred_append(
    engine: AsyncEngine,
) -> None:
    store = EventStore(engine, topic="t")
    repository = AggregateRepository(store, Decider(decide, evolve, 0))

    async def other_writer() -> None:
        async with engine.begin() as other:
            await repository.execute("o-4", Rate(3), metadata=METADATA, connection=other)

    async def ours() -> None:
        async with engine.begin() as connection:
            with deferred_append() as pending:
                await repository.execute("o-4", Rate(2), metadata=METADATA, connection=connection)
                # Another request (its own task and context) commits while ours is pending.
                await asyncio.create_task(other_writer(), context=contextvars.Context())
                await pending.flush()

    with pytest.raises(WrongExpectedVersion):
        await ours()
    assert [e.data["description_score"] for e in await store.read_stream("o-4")] == [3]


async def test_a_second_command_in_one_deferred_scope_is_refused_at_once(
    engine: AsyncEngine,
) -> None:
    store = EventStore(engine, topic="t")
    repository = AggregateRepository(store, Decider(decide, evolve, 0))

    async def two_commands() -> None:
        async with engine.begin() as connection:
            with deferred_append():
                await repository.execute("o-5", Rate(2), metadata=METADATA, connection=connection)
                await repository.execute("o-6", Rate(2), metadata=METADATA, connection=connection)

    with pytest.raises(RuntimeError, match="deferred"):
        await two_commands()
    assert await store.current_version("o-5") == 0
    assert await store.current_version("o-6") == 0


async def test_a_command_that_decides_nothing_leaves_nothing_to_flush(engine: AsyncEngine) -> None:
    repository = AggregateRepository(EventStore(engine, topic="t"), Decider(decide, evolve, 0))
    async with engine.begin() as connection:
        with deferred_append() as pending:
            decision = await repository.execute(
                "o-7", Rate(0), metadata=METADATA, connection=connection
            )
            assert not pending.waiting
    assert (decision.version, decision.events) == (0, ())
