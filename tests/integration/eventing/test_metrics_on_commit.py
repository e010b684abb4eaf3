"""Business counters count what committed, once: on the real PostgreSQL, through the command
runner (a replay, a refusal, a lost race, a rolled-back append) and savepoints."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.events.order import OrderRated
from eventing.aggregate import AggregateRepository
from eventing.app import build_service_app
from eventing.clock import SystemClock
from eventing.codec import ContractsCodec
from eventing.committed_events import counted_on_commit
from eventing.decider import Decider, DomainError, Rejection
from eventing.events import EventMetadata, StreamState
from eventing.http.auth import Caller, Role, TokenIssuer, require_roles
from eventing.http.commands import CommandResult, CommandRunner, IdempotencyKey, IfMatch
from eventing.http.problems import ProblemError
from eventing.idempotency import IdempotencyStore
from eventing.settings import DEVELOPMENT_AUTH_SECRET, ServiceSettings
from eventing.store import EventStore

pytestmark = pytest.mark.integration

SHOP = "shop-metrics-commit"
RATED = {"service": "order", "type": "order.rated", "shop": "other"}
ROUTE = "/v1/orders/{order_id}/rating"


class AlreadyRated(DomainError):
    code = "order-already-rated"
    kind = Rejection.CONFLICT
    title = "The order was already rated"


def rated(order_id: str, score: int = 5) -> OrderRated:
    return OrderRated(
        order_id=order_id, shop_id=SHOP, description_score=score, service_score=score,
        shipping_speed_score=score,
    )  # fmt: skip


def decide(command: str, state: bool) -> Sequence[OrderRated]:
    if state:
        raise AlreadyRated(f"order {command} was rated")
    return [rated(command)]


RATINGS = Decider(decide, lambda state, event: True, False)
Buyer = Annotated[Caller, Depends(require_roles(Role.BUYER))]


def metrics_app(database_url: str, engine: AsyncEngine) -> FastAPI:
    clock = SystemClock()
    repository = AggregateRepository(EventStore(engine, topic="toy"), RATINGS)
    runner = CommandRunner(engine, IdempotencyStore(engine, clock), clock)
    router = APIRouter()

    @router.post(ROUTE)
    async def rate(
        caller: Buyer, order_id: str, request: Request, key: IdempotencyKey, expected: IfMatch
    ) -> object:
        async def work(connection: AsyncConnection) -> CommandResult:
            decision = await repository.execute(
                order_id,
                order_id,
                metadata=EventMetadata(actor=caller.actor.value, actor_id=caller.subject),
                connection=connection,
                expected_version=expected,
            )
            return CommandResult({}, 201, decision.version)

        return await runner.run(request, key, caller, work)

    @router.post("/v1/orders/{order_id}/doomed-rating")
    async def doomed(caller: Buyer, order_id: str, request: Request, key: IdempotencyKey) -> object:
        async def work(connection: AsyncConnection) -> CommandResult:
            await repository.execute(
                order_id,
                order_id,
                metadata=EventMetadata(actor=caller.actor.value, actor_id=caller.subject),
                connection=connection,
            )  # appended at once (no deferral), then the whole transaction rolls back
            raise ProblemError(409, "rating-withdrawn", "The rating was withdrawn")

        return await runner.run(request, key, caller, work, defer_append=False)

    settings = ServiceSettings(database_url=database_url, kafka_bootstrap_servers="127.0.0.1:1")
    return build_service_app("toy", settings, title="toy", description="toy", routers=[router])


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = metrics_app(database_url, engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://toy") as http:
            yield http


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def headers(key: str | None = None, **extra: str) -> dict[str, str]:
    token = TokenIssuer(DEVELOPMENT_AUTH_SECRET).issue(Role.BUYER, "buyer-1")
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key or str(uuid.uuid4()),
            **extra}  # fmt: skip


def conflicts(status: str, problem: str) -> float:
    return value(
        "orderflow_http_conflicts_total", service="toy", method="POST", route=ROUTE,
        status=status, type=problem,
    )  # fmt: skip


async def test_a_command_counts_its_event_once_and_its_replay_counts_none(
    client: httpx.AsyncClient,
) -> None:
    order = f"o-{uuid.uuid4().hex[:8]}"
    before = value("orderflow_events_recorded_total", **RATED)
    replays = value(
        "orderflow_http_idempotent_replays_total", service="toy", method="POST", route=ROUTE,
        status="201",
    )  # fmt: skip
    sent = headers("same-key-" + order)
    first = await client.post(f"/v1/orders/{order}/rating", headers=sent)
    again = await client.post(f"/v1/orders/{order}/rating", headers=sent)
    assert (first.status_code, again.status_code) == (201, 201)
    assert value("orderflow_events_recorded_total", **RATED) == before + 1
    assert value(
        "orderflow_http_idempotent_replays_total", service="toy", method="POST", route=ROUTE,
        status="201",
    ) == replays + 1  # fmt: skip


async def test_refusals_and_stale_versions_count_as_conflicts_and_record_nothing(
    client: httpx.AsyncClient,
) -> None:
    order = f"o-{uuid.uuid4().hex[:8]}"
    assert (await client.post(f"/v1/orders/{order}/rating", headers=headers())).status_code == 201
    before = (
        value("orderflow_events_recorded_total", **RATED),
        conflicts("409", "order-already-rated"),
        conflicts("412", "version-mismatch"),
    )
    refused = await client.post(f"/v1/orders/{order}/rating", headers=headers())
    stale = await client.post(f"/v1/orders/{order}/rating", headers=headers(**{"If-Match": '"7"'}))
    assert (refused.status_code, stale.status_code) == (409, 412)
    assert (
        value("orderflow_events_recorded_total", **RATED),
        conflicts("409", "order-already-rated"),
        conflicts("412", "version-mismatch"),
    ) == (before[0], before[1] + 1, before[2] + 1)


async def test_racing_commands_count_the_winners_event_only(client: httpx.AsyncClient) -> None:
    order = f"o-{uuid.uuid4().hex[:8]}"
    before = value("orderflow_events_recorded_total", **RATED)
    answers = await asyncio.gather(
        *(client.post(f"/v1/orders/{order}/rating", headers=headers()) for _ in range(4))
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409]
    assert value("orderflow_events_recorded_total", **RATED) == before + 1


async def test_an_append_rolled_back_with_its_transaction_is_not_counted(
    client: httpx.AsyncClient, store: EventStore
) -> None:
    order = f"o-{uuid.uuid4().hex[:8]}"
    before = value("orderflow_events_recorded_total", **RATED)
    answer = await client.post(f"/v1/orders/{order}/doomed-rating", headers=headers())
    assert answer.status_code == 409
    assert await store.read_stream(order) == []
    assert value("orderflow_events_recorded_total", **RATED) == before


async def append_in_failing_savepoint(
    connection: AsyncConnection, store: EventStore, payload: OrderRated
) -> None:
    event = ContractsCodec().encode(payload, EventMetadata(actor="system", actor_id="test"))
    with counted_on_commit():
        async with connection.begin_nested():
            await store.append(
                payload.order_id, [event], StreamState.NO_STREAM, connection=connection
            )
            raise LookupError("the handler failed after its append")


async def test_a_savepoint_rolled_back_forgets_its_events_and_a_released_one_counts_at_commit(
    engine: AsyncEngine, store: EventStore
) -> None:
    codec = ContractsCodec()
    metadata = EventMetadata(actor="system", actor_id="test")
    kept, undone = f"o-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    before = value("orderflow_events_recorded_total", **RATED)
    with counted_on_commit():
        async with engine.begin() as connection:
            with counted_on_commit():
                async with connection.begin_nested():
                    event = codec.encode(rated(kept), metadata)
                    await store.append(kept, [event], StreamState.NO_STREAM, connection=connection)
            with pytest.raises(LookupError):
                await append_in_failing_savepoint(connection, store, rated(undone))
            assert value("orderflow_events_recorded_total", **RATED) == before  # not committed
    assert value("orderflow_events_recorded_total", **RATED) == before + 1
    assert [len(await store.read_stream(order)) for order in (kept, undone)] == [1, 0]
