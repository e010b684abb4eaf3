"""Defence in depth: an event its own contract refuses is never appended, so never published;
the command's transaction rolls back with whatever it wrote beside the events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.events.base import EventPayload
from contracts.events.order import OrderPaid, OrderRated, PaymentMethod
from contracts.values import MAX_AMOUNT, Money
from eventing.aggregate import AggregateRepository, deferred_append
from eventing.codec import UnpublishableEvent
from eventing.decider import Decider
from eventing.events import EventMetadata
from eventing.store import EventStore

pytestmark = pytest.mark.integration

METADATA = EventMetadata(actor="system")
PAID = OrderPaid(
    order_id="O-1",
    shop_id="S-1",
    payment_id="P-1",
    method=PaymentMethod.ALIPAY,
    amount=Money(amount=100, currency="CNY"),
    paid_at=datetime(2025, 6, 11, 8, 31, tzinfo=UTC),
)
RATED = OrderRated(
    order_id="O-1", shop_id="S-1", description_score=5, service_score=5, shipping_speed_score=5
)

# (what, a payload that escaped validation, the field the refusal names)
POISONS: list[tuple[str, Callable[[], EventPayload], str]] = [
    (
        "an amount past 2^53 - 1, built with model_construct",
        lambda: PAID.model_copy(
            update={"amount": Money.model_construct(amount=MAX_AMOUNT + 1, currency="CNY")}
        ),
        "amount.amount",
    ),
    (
        "an amount past int64",
        lambda: PAID.model_copy(
            update={"amount": Money.model_construct(amount=2**63, currency="CNY")}
        ),
        "amount.amount",
    ),
    (
        "a currency outside ISO 4217",
        lambda: PAID.model_copy(
            update={"amount": Money.model_construct(amount=100, currency="BTC")}
        ),
        "amount.currency",
    ),
    ("an order id with NUL", lambda: RATED.model_copy(update={"order_id": "O-\x00"}), "order_id"),
    (
        "a score out of range",
        lambda: RATED.model_copy(update={"service_score": 9}),
        "service_score",
    ),
    (
        "a comment with a lone surrogate",
        lambda: RATED.model_copy(update={"comment": "good\udbe4"}),
        "JSON",
    ),
    ("a score given as a string", lambda: RATED.model_copy(update={"service_score": "5"}), "score"),
]


@dataclass(frozen=True)
class Emit:
    """A command whose decision is a given (possibly poisoned) event."""

    event: EventPayload


def decide(command: Emit, _: int) -> Sequence[EventPayload]:
    return [command.event]


def evolve(state: int, _: EventPayload) -> int:
    return state + 1


async def _side_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            (await connection.execute(text("SELECT count(*) FROM poison_side"))).scalar_one()
        )


@pytest.fixture
async def side_table(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE poison_side (stream text)"))


@pytest.mark.usefixtures("side_table")
@pytest.mark.parametrize(("what", "poison", "field"), POISONS, ids=[row[0] for row in POISONS])
async def test_a_poisoned_event_is_refused_and_its_transaction_rolls_back(
    engine: AsyncEngine, what: str, poison: Callable[[], EventPayload], field: str
) -> None:
    store = EventStore(engine, topic="orders.order.v1")
    repository = AggregateRepository(store, Decider(decide, evolve, 0))
    head = await store.head_position()

    async def command() -> None:
        async with engine.begin() as connection:

            async def reserve_stock(*_: object) -> None:  # a side table that commits with events
                await connection.execute(text("INSERT INTO poison_side VALUES ('O-1')"))

            await repository.execute(
                "O-1",
                Emit(poison()),
                metadata=METADATA,
                connection=connection,
                before_append=reserve_stock,
            )

    with pytest.raises(UnpublishableEvent) as refused:
        await command()

    assert field in str(refused.value)
    assert await store.current_version("O-1") == 0
    assert await store.head_position() == head  # nothing for the relay to publish
    assert await _side_rows(engine) == 0


@pytest.mark.usefixtures("side_table")
async def test_a_poisoned_event_is_refused_before_a_deferred_append_is_queued(
    engine: AsyncEngine,
) -> None:
    store = EventStore(engine, topic="orders.order.v1")
    repository = AggregateRepository(store, Decider(decide, evolve, 0))
    poisoned = RATED.model_copy(update={"description_score": 0})

    async def command() -> None:
        async with engine.begin() as connection:
            with deferred_append() as pending:
                try:
                    await repository.execute(
                        "O-2", Emit(poisoned), metadata=METADATA, connection=connection
                    )
                finally:
                    queued.append(pending.waiting)

    queued: list[bool] = []
    with pytest.raises(UnpublishableEvent, match="description_score"):
        await command()
    assert queued == [False]
    assert await store.current_version("O-2") == 0


async def test_a_valid_event_of_the_same_command_is_appended(engine: AsyncEngine) -> None:
    store = EventStore(engine, topic="orders.order.v1")
    repository = AggregateRepository(store, Decider(decide, evolve, 0))

    async with engine.begin() as connection:
        await repository.execute("O-3", Emit(PAID), metadata=METADATA, connection=connection)

    (stored,) = await store.read_stream("O-3")
    assert stored.data["amount"] == {"amount": 100, "currency": "CNY"}
