"""The repository's `before_append` hook: side effects commit with the events, or neither."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.events.order import OrderRated
from eventing.aggregate import AggregateRepository
from eventing.decider import Decider
from eventing.events import EventMetadata
from eventing.store import EventStore

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
