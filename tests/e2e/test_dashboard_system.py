"""The dashboard beside the three running services: fed only by their topics, its all-time
figures of a shop equal the logistics and aftersales shop figures, and `orderctl verify
dashboard` finds its read model equal to a build from the three event stores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from contracts.parties import SERVICES, Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.config import ReadSide
from localinfra.flows import Actors
from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import InfraEndpoints
from orderctl.cli import build_app

pytestmark = pytest.mark.e2e
# The dashboard's shipping block and logistics' shop figures, name for name.
SHIPPING_AS_LOGISTICS = {
    "requested": "requested", "shipped": "shipped",
    "within_24h_share": "within_24h_of_payment_share",
    "within_48h_share": "within_48h_of_payment_share",
    "target_missed": "target_missed", "limit_missed": "limit_missed",
    "with_exceptions": "with_exceptions", "exception_rate": "exception_rate",
    "cancelled": "cancelled",
}  # fmt: skip
AFTERSALES_AS_AFTERSALES = {
    "paid_orders": "paid_orders", "cases": "cases", "refund_rate": "refund_rate",
    "refund_amount_rate": "refund_amount_rate", "timeouts": "timeout_count",
    "disputes": "disputes", "dispute_rate": "dispute_rate", "rulings": "rulings",
    "ruled_against_seller_share": "ruled_against_seller_share",
}  # fmt: skip


@pytest.fixture(scope="module")
async def system_with_dashboard(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    logs = run_logs(infra, "e2e-dashboard") or tmp_path_factory.mktemp("e2e-dashboard-logs")
    running = await start_system(infra, logs, dashboard=True)
    try:
        yield running
    finally:
        await stop_system(running)


async def _a_shops_week(actors: Actors) -> None:
    """Delivered; refunded in full before shipment; shipped with an exception; cancelled."""
    await flows.delivered_order(actors)
    refunded = await flows.paid_order(actors)
    case = await flows.open_refund(
        actors, refunded, flows.refund_terms("refund_only", "changed_mind", flows.payable())
    )
    await flows.approve(actors, case["case_id"])
    troubled = await flows.paid_order(actors)
    await flows.dispatch(actors, troubled)
    await flows.open_exception(actors, troubled, "delayed", "no scan for two days")
    placed = await flows.place_order(actors)
    await flows.cancel(actors, placed["order_id"])


def _dashboard_view(figures: dict[str, Any]) -> dict[str, Any]:
    shipping = {theirs: figures["shipping"][ours] for ours, theirs in SHIPPING_AS_LOGISTICS.items()}
    # Aftersales answers 0.0 where there is no denominator and rounds to 4 places.
    aftersales = {
        theirs: round(value, 4) if isinstance(value := figures["aftersales"][ours], float)
        else (0.0 if value is None else value)
        for ours, theirs in AFTERSALES_AS_AFTERSALES.items()
    }  # fmt: skip
    return {"logistics": shipping, "aftersales": aftersales}


async def test_the_dashboard_agrees_with_the_services_own_shop_figures(
    system_with_dashboard: System,
) -> None:
    system = system_with_dashboard
    async with Actors.of(system) as actors:
        await _a_shops_week(actors)
        shop = actors.shop_id

        async def services_view() -> dict[str, Any]:
            path = f"/v1/stats/shops/{shop}"
            logistics = (await actors.get(Service.LOGISTICS, Role.PLATFORM, path)).json()
            aftersales = (await actors.get(Service.AFTERSALES, Role.PLATFORM, path)).json()
            return {
                "logistics": {name: logistics[name] for name in SHIPPING_AS_LOGISTICS.values()},
                "aftersales": {
                    name: aftersales[name] for name in AFTERSALES_AS_AFTERSALES.values()
                },
            }

        theirs = await flows.until(
            lambda: actors.get(Service.AFTERSALES, Role.PLATFORM, f"/v1/stats/shops/{shop}"),
            lambda body: body["cases"] == 1 and body["paid_orders"] == 3,
            "aftersales counted the week",
        )
        assert theirs["refund_amount_rate"] > 0
        expected = await flows.until(
            lambda: actors.get(Service.LOGISTICS, Role.PLATFORM, f"/v1/stats/shops/{shop}"),
            lambda body: body["shipped"] == 2 and body["with_exceptions"] == 1
            and body["cancelled"] == 1,
            "logistics counted the week",
        )  # fmt: skip
        assert expected["requested"] == 3
        wanted = await services_view()
        async with system.dashboard_client(Role.PLATFORM, "judge-1") as dashboard:
            await flows.until(
                lambda: dashboard.get("/v1/figures", params={"shop_id": shop, "period": "all"}),
                lambda body: _dashboard_view(body) == wanted,
                "the dashboard's figures equal the services'",
            )
            figures = (
                await dashboard.get("/v1/figures", params={"shop_id": shop, "period": "all"})
            ).json()
        assert figures["orders"]["placed"] == 4
        assert figures["orders"]["paid"] == 3
        assert figures["orders"]["cancelled"] == 1
    await _verify_dashboard(system)


async def test_a_seller_sees_its_shop_on_the_dashboard_and_not_another(
    system_with_dashboard: System,
) -> None:
    system = system_with_dashboard
    async with system.dashboard_client(Role.SELLER, "clerk-1", "shop-mine") as seller:
        assert (await seller.get("/v1/figures", params={"shop_id": "shop-mine"})).status_code == 200
        refused = await seller.get("/v1/figures", params={"shop_id": "shop-theirs"})
        assert refused.status_code == 403
        page = await seller.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")


async def _verify_dashboard(system: System) -> None:
    """`orderctl verify dashboard` on the running system (in a thread: it runs its own loop)."""
    assert system.dashboard is not None
    environment = {
        **{f"ORDERCTL_{s.value.upper()}_DB": system.services[s].database_url for s in SERVICES},
        **{f"ORDERCTL_{s.value.upper()}_TOPIC": system.topics[s] for s in SERVICES},
        "ORDERCTL_DASHBOARD_DB": system.dashboard.database_url,
        "ORDERCTL_BOOTSTRAP": system.bootstrap,
        "ORDERCTL_GROUP_PREFIX": f"e2e.{system.run}.",
        "COLUMNS": "220",
    }

    def verify() -> Any:
        return CliRunner().invoke(
            build_app(), ["verify", ReadSide.DASHBOARD.value, "--wait", "60"], env=environment,
            catch_exceptions=False,
        )  # fmt: skip

    result = await asyncio.to_thread(verify)
    assert result.exit_code == 0, result.output
    assert "the live read model matches the rebuild" in result.stdout


async def test_the_dashboard_serves_its_page_and_static_files(
    system_with_dashboard: System,
) -> None:
    assert system_with_dashboard.dashboard is not None
    async with httpx.AsyncClient(base_url=system_with_dashboard.dashboard.url) as anonymous:
        page = await anonymous.get("/")
        assert page.status_code == 200
        assert (await anonymous.get("/static/index.html")).status_code == 200
        assert (await anonymous.get("/ready")).status_code == 200
