"""A failure with personal data in it (in the request, in the SQL parameters, in the event) leaves
none of it in the service's log or in the dead letter's error headers (issue 16, item 6)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.values import Receiver
from eventing.dead_letters import ERROR_HEADER_PREFIX, dead_letter_topic
from eventing.encoding import ConsumedEvent
from eventing.http.guard import EdgeGuard
from eventing.http.problems import install_problem_handlers
from eventing.subscriptions import Handler, Subscription, SubscriptionOptions
from eventing.testing.kafka import publish_records, read_topic, synthetic_record
from eventing.testing.personal_data import NAME, PHONE, RECEIVER, leaked
from eventing.testing.waiting import eventually
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration

# A phone column too narrow for a phone: the insert fails in PostgreSQL, parameters and all.
_NARROW_TABLE = "CREATE TABLE receivers (name text, phone varchar(5), street text)"
_INSERT = text("INSERT INTO receivers (name, phone, street) VALUES (:name, :phone, :street)")


@pytest.fixture
async def narrow_table(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as connection:
        await connection.execute(text(_NARROW_TABLE))
    return engine


async def _store_receiver(connection: AsyncConnection, receiver: dict[str, Any]) -> None:
    row = {
        "name": receiver["name"],
        "phone": receiver["phone"],
        "street": receiver["address"]["street"],
    }
    await connection.execute(_INSERT, row)


async def test_a_statement_error_shows_no_parameters(narrow_table: AsyncEngine) -> None:
    with pytest.raises(DBAPIError) as caught:
        async with narrow_table.begin() as connection:
            await _store_receiver(connection, RECEIVER)

    assert "value too long" in str(caught.value)
    assert "SQL parameters hidden" in str(caught.value)
    assert not leaked(str(caught.value))


@pytest.mark.usefixtures("service_logging")
async def test_a_500_with_personal_data_in_the_request_logs_none_of_it(
    narrow_table: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(EdgeGuard)

    @app.post("/receivers")
    async def add_receiver(body: dict[str, Any]) -> None:
        async with narrow_table.begin() as connection:
            await _store_receiver(connection, body)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://order") as client:
        answer = await client.post(f"/receivers?phone={PHONE}", json=RECEIVER)
    logged = capsys.readouterr()

    assert answer.status_code == 500
    assert not leaked(answer.text)
    assert "unexpected error for POST /receivers" in logged.err
    assert "StringDataRightTruncationError" in logged.err  # the traceback is there
    assert not leaked(logged.out + logged.err), logged.err


async def _refuse_receiver(event: ConsumedEvent, connection: AsyncConnection) -> None:
    """Validates the receiver the way a service does (a ValidationError holding it)."""
    Receiver.model_validate({**event.data["receiver"], "name": NAME * 20})


async def _dead_lettered(subscription: Subscription) -> int:
    return subscription.dead_lettered


async def _insert_receiver(event: ConsumedEvent, connection: AsyncConnection) -> None:
    """Writes the receiver into a column too narrow for it (a statement error holding it)."""
    await _store_receiver(connection, event.data["receiver"])


@pytest.mark.usefixtures("service_logging")
@pytest.mark.parametrize("handler", [_refuse_receiver, _insert_receiver])
async def test_a_dead_letter_and_the_log_of_it_hold_no_personal_data(
    handler: Handler,
    narrow_table: AsyncEngine,
    infra: InfraEndpoints,
    topic_factory: Callable[..., Awaitable[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic = await topic_factory(1)
    event = synthetic_record(topic, "order-1", 1, {"order_id": "O-1", "receiver": RECEIVER})
    await publish_records(infra.kafka_bootstrap, [event])
    options = SubscriptionOptions(
        group="shipments", topics=(topic,), poll_timeout_ms=100, retry_backoff=0.01
    )
    subscription = Subscription(narrow_table, infra.kafka_bootstrap, options, handler)
    running = asyncio.create_task(subscription.run())
    try:
        await eventually(
            lambda: _dead_lettered(subscription), lambda n: n == 1, timeout=60, message="dlq"
        )
    finally:
        subscription.stop()
        await running
    [dead] = await read_topic(
        infra.kafka_bootstrap, dead_letter_topic(topic, "shipments"), until=lambda got: got != []
    )
    logged = capsys.readouterr()

    error_headers = {
        name: value.decode() for name, value in dead.headers if name.startswith(ERROR_HEADER_PREFIX)
    }
    assert error_headers["dlq_attempts"] == "3"
    assert not leaked(" ".join(error_headers.values())), error_headers
    assert "subscription.dead_lettered" in logged.out
    assert not leaked(logged.out + logged.err), logged.out
    # The event itself is dead-lettered unchanged (encrypting it is item 1 of the issue).
    assert dead.data["receiver"] == RECEIVER
