"""The shared command pipeline over HTTP on the real PostgreSQL: idempotency, If-Match,
conflicts, authentication and problem+json answers, with a one-rule toy aggregate."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.events.order import OrderRated
from eventing.aggregate import AggregateRepository
from eventing.app import build_service_app
from eventing.clock import SystemClock
from eventing.decider import Decider, DomainError, Rejection
from eventing.events import EventMetadata
from eventing.http.auth import Caller, Role, TokenIssuer, require_roles
from eventing.http.commands import CommandResult, CommandRunner, IdempotencyKey, IfMatch
from eventing.idempotency import IdempotencyStore
from eventing.settings import DEVELOPMENT_AUTH_SECRET, ServiceSettings
from eventing.store import EventStore

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Rate:
    order_id: str
    score: int


@dataclass(frozen=True)
class Rated:
    score: int | None = None


class AlreadyRated(DomainError):
    code = "order-already-rated"
    kind = Rejection.CONFLICT
    title = "The order was already rated"


def decide(command: Rate, state: Rated) -> Sequence[OrderRated]:
    if state.score is not None:
        raise AlreadyRated(f"order {command.order_id} was rated {state.score}", score=state.score)
    return [
        OrderRated(
            order_id=command.order_id,
            shop_id="shop-1",
            description_score=command.score,
            service_score=command.score,
            shipping_speed_score=command.score,
        )
    ]


def evolve(state: Rated, event: OrderRated) -> Rated:
    return Rated(event.description_score)


TOY = Decider(decide, evolve, Rated())


class RateBody(BaseModel):
    score: int = Field(ge=1, le=5)


def toy_app(database_url: str, engine: AsyncEngine) -> FastAPI:
    clock = SystemClock()
    repository = AggregateRepository(EventStore(engine, topic="toy"), TOY)
    runner = CommandRunner(engine, IdempotencyStore(engine, clock), clock)
    router = APIRouter()

    @router.post("/v1/orders/{order_id}/rating")
    async def rate(
        # The role check comes first, so a forbidden caller hears 403 before anything else.
        caller: Annotated[Caller, Depends(require_roles(Role.BUYER))],
        order_id: str,
        body: RateBody,
        request: Request,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> object:
        async def work(connection: object) -> CommandResult:
            decision = await repository.execute(
                order_id,
                Rate(order_id, body.score),
                metadata=EventMetadata(actor=caller.actor.value, actor_id=caller.subject),
                connection=connection,  # type: ignore[arg-type]
                expected_version=expected,
            )
            return CommandResult({"score": body.score}, 201, decision.version)

        return await runner.run(request, key, caller, work)

    settings = ServiceSettings(database_url=database_url, kafka_bootstrap_servers="127.0.0.1:1")
    return build_service_app("toy", settings, title="toy", description="toy", routers=[router])


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = toy_app(database_url, engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://toy") as http:
            yield http


def rating(order_id: str) -> str:
    return f"/v1/orders/{order_id}/rating"


def buyer(subject: str = "buyer-1") -> dict[str, str]:
    token = TokenIssuer(DEVELOPMENT_AUTH_SECRET).issue(Role.BUYER, subject)
    return {"Authorization": f"Bearer {token}"}


def command_headers(key: str | None = None, **extra: str) -> dict[str, str]:
    return {**buyer(), "Idempotency-Key": key or str(uuid.uuid4()), **extra}


async def test_a_command_answers_with_its_new_version_as_etag(client: httpx.AsyncClient) -> None:
    response = await client.post(rating("o-1"), json={"score": 5}, headers=command_headers())
    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'
    assert response.json() == {"score": 5}


async def test_a_retry_with_the_same_key_replays_the_first_response(
    client: httpx.AsyncClient,
) -> None:
    headers = command_headers("key-1")
    first = await client.post(rating("o-2"), json={"score": 4}, headers=headers)
    again = await client.post(rating("o-2"), json={"score": 4}, headers=headers)
    assert (again.status_code, again.json(), again.headers["ETag"]) == (201, {"score": 4}, '"1"')
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


async def test_a_key_reused_with_another_body_is_refused(client: httpx.AsyncClient) -> None:
    headers = command_headers("key-2")
    await client.post(rating("o-3"), json={"score": 4}, headers=headers)
    reused = await client.post(rating("o-3"), json={"score": 1}, headers=headers)
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["type"] == "https://orderflow.dev/problems/idempotency-key-reused"


async def test_a_domain_refusal_is_a_problem_with_its_code_and_details(
    client: httpx.AsyncClient,
) -> None:
    await client.post(rating("o-4"), json={"score": 3}, headers=command_headers())
    refused = await client.post(rating("o-4"), json={"score": 2}, headers=command_headers())
    problem = refused.json()
    assert refused.status_code == 409
    assert problem["code"] == "order-already-rated"
    assert problem["score"] == 3
    assert problem["detail"] == "order o-4 was rated 3"


async def test_if_match_on_an_old_version_is_a_412_with_the_current_etag(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post(
        rating("o-5"), json={"score": 2}, headers=command_headers(**{"If-Match": '"3"'})
    )
    assert refused.status_code == 412
    assert refused.json()["code"] == "version-mismatch"
    assert refused.json()["current_version"] == 0


async def test_two_racing_commands_one_wins_the_other_gets_a_409(
    client: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(rating("o-6"), json={"score": s}, headers=command_headers())
            for s in (1, 2, 3, 4)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409, 409, 409]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthenticated"),
        ({"Authorization": "Bearer not-a-token"}, 401, "unauthenticated"),
        (
            {"Authorization": "Bearer " + TokenIssuer(DEVELOPMENT_AUTH_SECRET).issue("ops", "op")},
            403,
            "forbidden",
        ),
        (buyer(), 400, "idempotency-key-missing"),
        ({**buyer(), "Idempotency-Key": "k", "If-Match": "seven"}, 400, "invalid-if-match"),
    ],
)
async def test_refusals_at_the_edge_are_problems(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, code: str
) -> None:
    response = await client.post(rating("o-7"), json={"score": 5}, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_an_invalid_body_is_a_validation_problem_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(rating("o-8"), json={"score": 9}, headers=command_headers())
    problem = response.json()
    assert response.status_code == 422
    assert problem["code"] == "validation-error"
    assert problem["errors"][0]["location"] == "body.score"


async def test_a_token_signed_with_another_key_is_refused(client: httpx.AsyncClient) -> None:
    forged = TokenIssuer("another-secret-long-enough-for-hmac-sha256").issue(Role.BUYER, "buyer-1")
    response = await client.post(
        rating("o-9"),
        json={"score": 5},
        headers={"Authorization": f"Bearer {forged}", "Idempotency-Key": "k"},
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_detail_named_like_a_problem_member_cannot_overwrite_it() -> None:
    from eventing.http.problems import install_problem_handlers

    class Clash(DomainError):
        code = "clash"

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/clash")
    async def clash() -> None:
        raise Clash("refused", status="open", code="x", sku="A-1")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        problem = (await http.get("/clash")).json()
    assert (problem["status"], problem["code"]) == (409, "clash")
    assert (problem["detail_status"], problem["detail_code"], problem["sku"]) == (
        "open",
        "x",
        "A-1",
    )
