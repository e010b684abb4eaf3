"""The access log of full reads of personal data on the real PostgreSQL: the database refuses
every change to it, a response showing several orders appends one record each in one request,
and a log that cannot be written means a 503 and no data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.access_log import AccessFilter, AccessLog, PersonalDataAccess
from eventing.app import build_service_app
from eventing.database import create_engine
from eventing.http.access import Parties, masked, sees_personal_data
from eventing.http.access_audit import Audit, Shown
from eventing.http.auth import CurrentCaller, Role, TokenIssuer
from eventing.settings import DEVELOPMENT_AUTH_SECRET, ServiceSettings
from eventing.testing.personal_data import RECEIVER

pytestmark = pytest.mark.integration

ORDERS = {"o-1": Parties("buyer-1", "shop-1"), "o-2": Parties("buyer-2", "shop-1")}


def access(order_id: str = "o-1", caller: str = "platform-1") -> PersonalDataAccess:
    return PersonalDataAccess(
        caller_subject=caller,
        caller_role="platform",
        caller_shop_id=None,
        data_subject=ORDERS[order_id].buyer_id,
        order_id=order_id,
        fields=("receiver.name", "receiver.phone", "receiver.address"),
        endpoint="GET /v1/things/{order_id}",
        correlation_id="c-1",
        service="toy",
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE eventing.personal_data_access SET caller_subject = 'nobody'",
        "UPDATE eventing.personal_data_access SET fields = '{x}' WHERE id = -1",
        "DELETE FROM eventing.personal_data_access",
        "DELETE FROM eventing.personal_data_access WHERE id = -1",
        "TRUNCATE eventing.personal_data_access",
    ],
)
async def test_the_database_refuses_to_change_or_remove_a_record(
    engine: AsyncEngine, statement: str
) -> None:
    log = AccessLog(engine, "toy")
    await log.append([access()])
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    assert len(await log.read(AccessFilter(), 10)) == 1


async def test_records_are_read_back_newest_first_by_buyer_order_and_caller(
    engine: AsyncEngine,
) -> None:
    log = AccessLog(engine, "toy")
    await log.append([access("o-1"), access("o-2", caller="platform-2")])
    await log.append([access("o-1", caller="platform-2")])
    everything = await log.read(AccessFilter(), 10)
    assert [r.id for r in everything] == sorted((r.id for r in everything), reverse=True)
    by_buyer = await log.read(AccessFilter(buyer_id="buyer-1"), 10)
    assert [(r.access.order_id, r.access.caller_subject) for r in by_buyer] == [
        ("o-1", "platform-2"),
        ("o-1", "platform-1"),
    ]
    assert len(await log.read(AccessFilter(order_id="o-2"), 10)) == 1
    assert len(await log.read(AccessFilter(caller="platform-2"), 10)) == 2
    older = await log.read(AccessFilter(before_id=everything[0].id), 10)
    assert [r.id for r in older] == [r.id for r in everything[1:]]
    assert everything[0].at.tzinfo is not None


def toy_app(database_url: str, log: AccessLog) -> FastAPI:
    """A list of two orders' receivers, shown as the access rule decides, and recorded."""
    router = APIRouter()

    @router.get("/v1/things")
    async def things(caller: CurrentCaller, audit: Audit) -> list[dict[str, Any]]:
        views = [
            (order, parties, masked({"receiver": RECEIVER}, sees_personal_data(caller, parties)))
            for order, parties in ORDERS.items()
        ]
        await audit.record(*(Shown(o, p, view) for o, p, view in views))
        return [view for _, _, view in views]

    settings = ServiceSettings(database_url=database_url, kafka_bootstrap_servers="127.0.0.1:1")
    app = build_service_app("toy", settings, title="toy", description="toy", routers=[router])
    app.state.access_log = log
    return app


@pytest.fixture
async def toy(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = toy_app(database_url, AccessLog(engine, "toy"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as http:
        yield http


def caller(role: Role, subject: str, shop_id: str | None = None) -> dict[str, str]:
    token = TokenIssuer(DEVELOPMENT_AUTH_SECRET).issue(role, subject, shop_id)
    return {"Authorization": f"Bearer {token}", "X-Correlation-Id": f"flow-{subject}"}


async def test_a_list_records_each_order_it_shows_in_full_and_none_it_masks(
    toy: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    log = AccessLog(engine, "toy")
    as_platform = await toy.get("/v1/things", headers=caller(Role.PLATFORM, "arbiter-1"))
    assert as_platform.status_code == 200
    recorded = await log.read(AccessFilter(caller="arbiter-1"), 10)
    assert sorted((r.access.order_id, r.access.data_subject) for r in recorded) == [
        ("o-1", "buyer-1"),
        ("o-2", "buyer-2"),
    ]
    first = recorded[0].access
    assert first.fields == ("receiver.name", "receiver.phone", "receiver.address")
    assert (first.caller_role, first.endpoint, first.service) == (
        "platform",
        "GET /v1/things",
        "toy",
    )
    assert first.correlation_id == "flow-arbiter-1"
    # One statement, one transaction: the request's records share the database's time.
    assert len({r.at for r in recorded}) == 1

    as_buyer = await toy.get("/v1/things", headers=caller(Role.BUYER, "buyer-2"))
    assert as_buyer.json()[1]["receiver"] == RECEIVER
    assert [r.access.order_id for r in await log.read(AccessFilter(caller="buyer-2"), 10)] == [
        "o-2"
    ]
    assert (await toy.get("/v1/things", headers=caller(Role.OPS, "ops-1"))).status_code == 200
    assert await log.read(AccessFilter(caller="ops-1"), 10) == []


async def test_a_log_that_cannot_be_written_answers_503_without_the_data(
    database_url: str,
) -> None:
    away = create_engine("postgresql://nobody@127.0.0.1:1/none", pool_size=1)
    app = toy_app(database_url, AccessLog(away, "toy"))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://toy") as http:
            answer = await http.get("/v1/things", headers=caller(Role.PLATFORM, "arbiter-1"))
            masked_view = await http.get("/v1/things", headers=caller(Role.OPS, "ops-1"))
    finally:
        await away.dispose()
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "database-unavailable"
    assert answer.headers["Retry-After"]
    assert RECEIVER["name"] not in answer.text
    assert masked_view.status_code == 200  # nothing to record, nothing refused
