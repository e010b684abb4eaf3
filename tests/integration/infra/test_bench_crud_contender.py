"""Benchmark 2's CRUD contender does what it claims, so its figure is a fair comparison.

`bench.crud_app` runs as the benchmark runs it (uvicorn process, real PostgreSQL) and is driven
with the requests the benchmark's generator sends: place, pay, and retries of both with the same
Idempotency-Key. A retry must be one effect (one order, stock decremented once, one outbox row
per change), a payment of an order that no longer awaits one a 409, and a refusal changes
nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bench.servers import crud_app_on
from eventing.http.auth import Role, TokenIssuer
from localinfra import flows
from localinfra.system import AUTH_SECRET

pytestmark = pytest.mark.asyncio

DatabaseFactory = Callable[[], Awaitable[str]]
TOKENS = TokenIssuer(AUTH_SECRET)
SHOP, BUYER = "shop-crud-1", "buyer-crud-1"


def bearer(role: Role, subject: str, shop: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS.issue(role, subject, shop)}"}


BUYER_HEADERS = bearer(Role.BUYER, BUYER)
PROVIDER_HEADERS = bearer(Role.SYSTEM, "payment-provider")


class Contender:
    """The running app, a client, and its database."""

    def __init__(self, client: httpx.AsyncClient, dsn: str) -> None:
        self.client = client
        self.dsn = dsn

    async def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str], key: str | None
    ) -> httpx.Response:
        sent = {**headers, **({"Idempotency-Key": key} if key else {})}
        return await self.client.post(path, json=body, headers=sent)

    async def place(self, key: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.post("/v1/orders", body or flows.order_body(SHOP), BUYER_HEADERS, key)

    async def pay(
        self, order_id: str, key: str, headers: dict[str, str] = PROVIDER_HEADERS
    ) -> httpx.Response:
        body = flows.payment(flows.payable(), payment_id=f"pay-{key}")
        return await self.post(f"/v1/orders/{order_id}/payments", body, headers, key)

    async def rows(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.dsn)
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()

    async def stock(self) -> dict[str, int]:
        rows = await self.rows("SELECT sku, available FROM stock WHERE shop_id = $1", SHOP)
        return {row["sku"]: row["available"] for row in rows}

    async def outbox(self) -> list[tuple[str, str]]:
        rows = await self.rows("SELECT aggregate_id, event_type FROM outbox ORDER BY id")
        return [(row["aggregate_id"], row["event_type"]) for row in rows]


@pytest.fixture
async def crud(database_factory: DatabaseFactory, tmp_path: Path) -> AsyncIterator[Contender]:
    dsn = await database_factory()
    async with (
        crud_app_on(dsn, tmp_path) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as client,
    ):
        seller = bearer(Role.SELLER, "clerk-1", SHOP)
        for line, on_hand in ((flows.TEA, 10), (flows.CUP, 5)):
            path = f"/v1/shops/{SHOP}/skus/{line.sku}/stock"
            stocked = await client.put(path, json={"on_hand": on_hand}, headers=seller)
            assert stocked.status_code == 200, stocked.text
        yield Contender(client, dsn)


async def test_place_pay_and_their_retries_are_one_effect_each(crud: Contender) -> None:
    placed = await crud.place("place-1")
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    assert placed.json()["status"] == "awaiting_payment"
    assert placed.headers["Location"] == f"/v1/orders/{order_id}"

    replayed = await crud.place("place-1")
    assert replayed.status_code == 201
    assert replayed.json() == placed.json()
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert await crud.stock() == {flows.TEA.sku: 10 - 2, flows.CUP.sku: 5 - 1}
    orders = await crud.rows("SELECT order_id::text, status, payable FROM orders")
    assert [tuple(row) for row in orders] == [(order_id, "awaiting_payment", flows.payable())]
    lines = await crud.rows("SELECT sku, quantity FROM order_lines ORDER BY line_no")
    assert [tuple(row) for row in lines] == [(flows.TEA.sku, 2), (flows.CUP.sku, 1)]
    assert await crud.outbox() == [(order_id, "order.placed"), (order_id, "order.stock_reserved")]

    paid = await crud.pay(order_id, "pay-1")
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "awaiting_shipment"
    assert paid.json()["version"] == 2
    again = await crud.pay(order_id, "pay-1")
    assert again.status_code == 200
    assert again.json() == paid.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    orders = await crud.rows("SELECT status, paid, version FROM orders")
    assert [tuple(row) for row in orders] == [("awaiting_shipment", flows.payable(), 2)]
    assert len(await crud.rows("SELECT 1 FROM payments")) == 1
    assert [kind for _, kind in await crud.outbox()] == [
        "order.placed",
        "order.stock_reserved",
        "order.paid",
    ]


async def test_paying_an_order_that_awaits_no_payment_is_409_and_changes_nothing(
    crud: Contender,
) -> None:
    order_id = (await crud.place("place-2")).json()["order_id"]
    assert (await crud.pay(order_id, "pay-2")).status_code == 200

    refused = await crud.pay(order_id, "pay-3")
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "invalid-state"
    # A refusal is not stored: the retry decides again, and is refused again.
    assert (await crud.pay(order_id, "pay-3")).status_code == 409
    assert len(await crud.rows("SELECT 1 FROM payments")) == 1
    assert len(await crud.outbox()) == 3


async def test_concurrent_retries_with_one_key_place_one_order(crud: Contender) -> None:
    answers = await asyncio.gather(*(crud.place("place-race") for _ in range(4)))

    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["order_id"] for a in answers}) == 1
    assert len(await crud.rows("SELECT 1 FROM orders")) == 1
    assert await crud.stock() == {flows.TEA.sku: 8, flows.CUP.sku: 4}
    assert len(await crud.outbox()) == 2


async def test_refusals_leave_stock_and_outbox_untouched(crud: Contender) -> None:
    too_many = flows.order_body(SHOP, (flows.Line(flows.TEA.sku, "tea", 8800, 11),), payable=None)
    short = await crud.place("place-short", too_many)
    assert short.status_code == 409
    assert short.json()["code"] == "insufficient-stock"

    reused = await crud.place("place-short", flows.order_body(SHOP))
    assert reused.status_code == 201  # the refusal was not stored: the key is free

    mismatch = await crud.place("place-short", flows.order_body(SHOP, buyer_note="other"))
    assert mismatch.status_code == 422
    assert mismatch.json()["code"] == "idempotency-key-reused"
    keyless = await crud.post("/v1/orders", flows.order_body(SHOP), BUYER_HEADERS, None)
    assert keyless.status_code == 400
    unsigned = await crud.client.post("/v1/orders", json=flows.order_body(SHOP))
    assert unsigned.status_code == 401
    order_id = reused.json()["order_id"]
    assert (await crud.pay(order_id, "pay-4", headers=BUYER_HEADERS)).status_code == 403
    assert (await crud.pay(str(uuid.uuid4()), "pay-5")).status_code == 404

    assert await crud.stock() == {flows.TEA.sku: 8, flows.CUP.sku: 4}
    assert len(await crud.outbox()) == 2
