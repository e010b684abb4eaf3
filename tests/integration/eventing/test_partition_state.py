"""A subscription group's stored positions and stream sequences (`PartitionState`)."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.subscription_state import PartitionState

pytestmark = pytest.mark.integration

TP = TopicPartition("orders.order.v1", 2)


async def test_positions_and_sequences_are_saved_and_read_back(engine: AsyncEngine) -> None:
    state = PartitionState(engine, "g")
    async with engine.begin() as connection:
        assert await state.lock_position(connection, TP) == 0  # the row is created
        await state.save(connection, TP, 17, {"o-1": 3, "o-2": 1})
    async with engine.begin() as connection:
        assert await state.lock_position(connection, TP) == 17
        sequences = await state.load_sequences(connection, TP.topic, ["o-1", "o-2", "o-3"])
        assert sequences == {"o-1": 3, "o-2": 1}
        assert await state.load_sequences(connection, TP.topic, []) == {}
    assert await PartitionState(engine, "g").read_positions([TP]) == {TP: 17}
    assert await PartitionState(engine, "other").read_positions([TP]) == {}


async def test_a_position_row_removed_by_hand_is_created_again_not_lost(
    engine: AsyncEngine,
) -> None:
    state = PartitionState(engine, "g")
    async with engine.begin() as connection:
        await state.lock_position(connection, TP)
        await state.save(connection, TP, 5, {})
    async with engine.begin() as connection:  # an operator resets the group's position
        await connection.execute(text("DELETE FROM eventing.consumer_positions"))

    async with engine.begin() as connection:  # the member still remembers offset 5
        assert await state.lock_position(connection, TP) == 0
        await state.save(connection, TP, 2, {})
    assert await PartitionState(engine, "g").read_positions([TP]) == {TP: 2}


async def test_the_position_another_member_committed_is_the_one_remembered(
    engine: AsyncEngine,
) -> None:
    """Two members briefly hold a partition in a rebalance: the one that read the position at
    assignment and finds its records applied by the other remembers the other's position (the
    one its lag gauge counts from), though it saves nothing."""
    early, other = PartitionState(engine, "g"), PartitionState(engine, "g")
    async with engine.begin() as connection:
        await early.lock_position(connection, TP)
        await early.save(connection, TP, 98, {})
    async with engine.begin() as connection:
        await other.lock_position(connection, TP)
        await other.save(connection, TP, 100, {})

    async with engine.begin() as connection:
        assert await early.lock_position(connection, TP) == 100

    assert early.positions[TP] == 100
