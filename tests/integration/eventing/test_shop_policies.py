"""Per-shop policies over HTTP: defaults until set, seller of the shop or platform writes,
If-Match guards concurrent edits, bad durations are refused, new fields take defaults."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import Field
from sqlalchemy import text

from contracts.parties import Service
from eventing.http.auth import Role, TokenIssuer
from eventing.runtime import ServiceRuntime
from eventing.settings import DEVELOPMENT_AUTH_SECRET, ServiceSettings
from eventing.shop_policies import ShopPolicies, ShopPolicyModel, shop_policy_router

pytestmark = pytest.mark.integration


class ShipPolicy(ShopPolicyModel[timedelta]):
    ship_by: timedelta = Field(gt=timedelta(0), le=timedelta(days=7))
    ship_limit: timedelta = Field(gt=timedelta(0), le=timedelta(days=14))

    def domain(self) -> timedelta:
        return self.ship_by


DEFAULTS = ShipPolicy(ship_by=timedelta(hours=24), ship_limit=timedelta(hours=48))
TOKENS = TokenIssuer(DEVELOPMENT_AUTH_SECRET)


def as_(role: Role, shop: str | None = None, **extra: str) -> dict[str, str]:
    token = TOKENS.issue(role, "someone", shop)
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4()), **extra}


@pytest.fixture
async def http(migrated_database: str) -> AsyncIterator[httpx.AsyncClient]:
    runtime = ServiceRuntime(
        Service.LOGISTICS, ServiceSettings(database_url=migrated_database, run_workers=False)
    )
    router = shop_policy_router(runtime, ShopPolicies(DEFAULTS), what="ship-by limits")
    app = runtime.app(title="t", description="t", routers=[router])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_a_shop_without_a_policy_reads_the_defaults(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/shops/s-1/policy", headers=as_(Role.BUYER))
    assert response.json() == {
        "shop_id": "s-1",
        "policy": {"ship_by": "P1D", "ship_limit": "P2D"},
        "version": 0,
        "is_default": True,
        "updated_at": None,
        "updated_by": None,
    }
    assert response.headers["ETag"] == '"0"'


async def test_the_seller_sets_the_policy_and_if_match_guards_the_next_edit(
    http: httpx.AsyncClient,
) -> None:
    body = {"ship_by": "PT12H", "ship_limit": "PT36H"}
    first = await http.put("/v1/shops/s-2/policy", json=body, headers=as_(Role.SELLER, "s-2"))
    assert (first.status_code, first.json()["version"], first.headers["ETag"]) == (200, 1, '"1"')
    stale = await http.put(
        "/v1/shops/s-2/policy", json=body, headers=as_(Role.PLATFORM, **{"If-Match": '"0"'})
    )
    assert (stale.status_code, stale.json()["code"]) == (412, "version-mismatch")
    read = await http.get("/v1/shops/s-2/policy", headers=as_(Role.OPS))
    assert read.json()["policy"] == {"ship_by": "PT12H", "ship_limit": "P1DT12H"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [(as_(Role.SELLER, "another-shop"), 403), (as_(Role.BUYER), 403), ({}, 401)],
)
async def test_only_the_shops_seller_or_the_platform_may_set_it(
    http: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    body = {"ship_by": "PT12H", "ship_limit": "PT36H"}
    response = await http.put("/v1/shops/s-3/policy", json=body, headers=headers)
    assert response.status_code == status


async def test_a_duration_out_of_range_is_refused_and_changes_nothing(
    http: httpx.AsyncClient,
) -> None:
    body = {"ship_by": "P30D", "ship_limit": "PT36H"}
    refused = await http.put("/v1/shops/s-4/policy", json=body, headers=as_(Role.PLATFORM))
    assert (refused.status_code, refused.json()["errors"][0]["location"]) == (422, "body.ship_by")
    read = await http.get("/v1/shops/s-4/policy", headers=as_(Role.OPS))
    assert read.json()["is_default"] is True


async def test_a_field_added_to_the_policy_later_takes_its_default(migrated_database: str) -> None:
    runtime = ServiceRuntime(Service.ORDER, ServiceSettings(database_url=migrated_database))
    try:
        async with runtime.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO eventing.shop_policies VALUES"
                    " ('s-5', '{\"ship_by\": \"PT6H\"}', 1, now(), 'migration')"
                )
            )
            policies = ShopPolicies(DEFAULTS)
            stored = await policies.get(connection, "s-5")
            applied = await policies.domain_for(connection, "s-5")
            unknown_shop = await policies.domain_for(connection, None)
    finally:
        await runtime.close()
    assert stored.policy.model_dump() == {
        "ship_by": timedelta(hours=6),
        "ship_limit": timedelta(hours=48),
    }
    assert (applied, unknown_shop) == (timedelta(hours=6), timedelta(hours=24))


async def test_a_stored_value_todays_bounds_refuse_gives_way_to_its_default(
    migrated_database: str,
) -> None:
    runtime = ServiceRuntime(Service.ORDER, ServiceSettings(database_url=migrated_database))
    try:
        async with runtime.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO eventing.shop_policies VALUES ('s-6',"
                    ' \'{"ship_by": "P99999D", "ship_limit": "PT30H"}\', 3, now(), \'old\')'
                )
            )
            stored = await ShopPolicies(DEFAULTS).get(connection, "s-6")
    finally:
        await runtime.close()
    assert stored.policy.model_dump() == {
        "ship_by": timedelta(hours=24),
        "ship_limit": timedelta(hours=30),
    }
    assert stored.version == 3
