"""The one command handler: authorise → If-Match → build from what is given → decide → side
tables → append, in the caller's transaction, with the shop's policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.events.order import OrderRated
from eventing.aggregate import VersionMismatch
from eventing.clock import ManualClock
from eventing.deadlines import Deadline
from eventing.decider import Decider, DomainError, Rejection
from eventing.events import EventMetadata
from eventing.handler import Acting, Change, CommandHandler, Given
from eventing.http.auth import Caller, Role
from eventing.shop_policies import ShopPolicies, ShopPolicyModel
from eventing.store import EventStore

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
BUYER = Caller(Role.BUYER, "b-1")


class NotYours(DomainError):
    code = "not-yours"
    kind = Rejection.NOT_FOUND


class MaxScore(ShopPolicyModel[int]):
    max_score: int = Field(ge=1, le=5)

    def domain(self) -> int:
        return self.max_score


@dataclass(frozen=True)
class Rate:
    score: int
    shop_id: str = "shop-1"


@dataclass(frozen=True)
class Rated:
    shop_id: str | None = None
    score: int = 0


def decide(command: Rate, state: Rated) -> Sequence[OrderRated]:
    return [
        OrderRated(
            order_id="o-1",
            shop_id=command.shop_id,
            description_score=command.score,
            service_score=command.score,
            shipping_speed_score=command.score,
        )
    ]


def evolve(_: Rated, event: OrderRated) -> Rated:
    return Rated(event.shop_id, event.description_score)


class Rules:
    decider = Decider(decide, evolve, Rated())

    def __init__(self) -> None:
        self.side: list[tuple[str, int, int, str]] = []

    def shop_of(self, state: Rated) -> str | None:
        return state.shop_id

    def authorize(self, stream_id: str, state: Rated, caller: Caller) -> None:
        if caller.subject != "b-1":
            raise NotYours(f"{stream_id} is not yours")

    async def before_append(
        self,
        connection: AsyncConnection,
        change: Change[Rated, OrderRated],
        given: Given[Rated, int],
        acting: Acting,
    ) -> None:
        await connection.execute(text("SELECT 1"))  # in the command's transaction
        self.side.append((change.stream_id, change.before.score, change.after.score, acting.actor))


@pytest.fixture
async def handler(engine: AsyncEngine) -> CommandHandler[Rate, OrderRated, Rated, int]:
    policies = ShopPolicies(MaxScore(max_score=5))
    async with engine.begin() as connection:
        await policies.put(connection, "shop-1", MaxScore(max_score=3), at=NOW, by="test")
    return CommandHandler(EventStore(engine, topic="t"), Rules(), policies, ManualClock(NOW))


async def test_a_builder_gets_the_state_the_shops_policy_and_the_time(
    engine: AsyncEngine, handler: CommandHandler[Rate, OrderRated, Rated, int]
) -> None:
    acting = Acting(EventMetadata(actor="buyer", actor_id="b-1"), BUYER)
    seen: list[Given[Rated, int]] = []

    async def build(given: Given[Rated, int]) -> Rate:
        seen.append(given)
        return Rate(given.policy)

    async with engine.begin() as connection:
        # A new stream knows no shop yet: the caller names it, else the defaults apply.
        first = await handler.execute(connection, "o-1", build, acting, shop_id="shop-1")
        second = await handler.execute(connection, "o-1", build, acting)
    assert [(g.version, g.policy, g.now) for g in seen] == [(0, 3, NOW), (1, 3, NOW)]
    assert (first.version, second.version, second.state.score) == (1, 2, 3)
    rules = handler.rules
    assert isinstance(rules, Rules)
    assert rules.side == [("o-1", 0, 3, "buyer"), ("o-1", 3, 3, "buyer")]


async def test_callers_are_authorised_before_the_version_is_checked(
    engine: AsyncEngine, handler: CommandHandler[Rate, OrderRated, Rated, int]
) -> None:
    stranger = Acting(EventMetadata(actor="buyer", actor_id="b-2"), Caller(Role.BUYER, "b-2"))
    owner = Acting(EventMetadata(actor="buyer", actor_id="b-1"), BUYER)
    async with engine.begin() as connection:
        await handler.execute(connection, "o-2", Rate(2), owner)
        with pytest.raises(NotYours):
            await handler.execute(connection, "o-2", Rate(2), stranger, expected_version=7)
        with pytest.raises(VersionMismatch):
            await handler.execute(connection, "o-2", Rate(2), owner, expected_version=7)


async def test_reactions_and_deadlines_act_as_the_system_with_their_cause(
    engine: AsyncEngine, handler: CommandHandler[Rate, OrderRated, Rated, int]
) -> None:
    deadline = Deadline("rating.reminder", "o-3", NOW + timedelta(days=1))
    acting = Acting.deadline(deadline)
    assert acting.caller is None
    assert (acting.metadata.actor, acting.metadata.actor_id) == (
        "system",
        "deadline:rating.reminder",
    )
    assert acting.metadata.correlation_id == "o-3"
    scheduled = Deadline("k", "o-3", NOW, payload={"correlation_id": "flow-7"})
    assert Acting.deadline(scheduled).metadata.correlation_id == "flow-7"
    async with engine.begin() as connection:
        decision = await handler.execute(connection, "o-3", Rate(1), acting)
    assert decision.events[0].description_score == 1
