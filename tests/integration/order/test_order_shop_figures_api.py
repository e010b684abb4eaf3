"""The shop and platform figures through the API: placed, paid, GMV, conversion, order value,
cancels, automatic closes, presale money and ratings, each counted by its own business time in
the shop's time zone; who may read them, and the refusals of bad parameters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest

from eventing.testing.service import Headers, assert_problem
from tests.integration.order.harness import (
    SHOP,
    Orders,
    cny,
    delivered,
    order_body,
    payable,
    shipped,
)

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIGURES = f"/v1/stats/shops/{SHOP}"


async def figures(
    service: Orders, caller: Headers | None = None, path: str = FIGURES, /, **params: str
) -> httpx.Response:
    """GET the figures; `from_` stands for the `from` parameter."""
    return await service.client.get(
        path, headers=caller or service.seller, params={k.rstrip("_"): v for k, v in params.items()}
    )


async def figures_when(service: Orders, condition: Any, message: str, **params: str) -> Any:
    """The shop's figures (as its seller sees them) once `condition` holds: the read model is
    fed by the service's own subscription, a moment after each command."""
    query = urlencode({k.rstrip("_"): v for k, v in params.items()})
    return await service.read_when(f"{FIGURES}?{query}", service.seller, condition, message)


async def today(service: Orders, zone: ZoneInfo = SHANGHAI) -> date:
    return (await service.now()).astimezone(zone).date()


async def settled(service: Orders, order_id: str, version: int) -> None:
    """Wait until the read model shows the order at `version` (its figures row with it)."""
    answer = await service.order(order_id, min_version=version)
    assert answer.status_code == 200, answer.text


async def test_a_day_counts_placed_paid_gmv_conversion_order_value_and_cancels(
    service: Orders,
) -> None:
    await service.stocked(tea=20, cup=10)
    first = await service.place()
    second = await service.place(order_body(tea=1, cup=0))
    third = await service.place()
    assert (await service.pay(first["order_id"], payable())).status_code == 200
    assert (await service.pay(second["order_id"], payable(1, 0))).status_code == 200
    duplicate = await service.pay(second["order_id"], payable(1, 0))
    assert duplicate.status_code == 200, duplicate.text
    cancelled = await service.command(
        f"/v1/orders/{third['order_id']}/cancellation", {"reason": "other"}, service.buyer
    )
    assert cancelled.status_code == 200, cancelled.text
    await settled(service, second["order_id"], duplicate.json()["version"])
    await settled(service, third["order_id"], cancelled.json()["version"])
    await figures_when(service, lambda f: f["orders"]["paid"] == 2, "both payments counted")

    answer = await figures(service, on=(await today(service)).isoformat())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scope"]["shop_id"] == SHOP
    assert body["scope"]["period"] == "day"
    assert body["scope"]["time_zone"] == "Asia/Shanghai"
    assert body["scope"]["from"].endswith("T00:00:00+08:00")
    orders = body["orders"]
    assert (orders["placed"], orders["paid"], orders["cancelled"]) == (3, 2, 1)
    assert orders["gmv"] == {"CNY": payable() + payable(1, 0)}  # the duplicate is not GMV
    assert orders["payment_conversion"] == 2 / 3
    assert orders["average_order_value"] == {"CNY": (payable() + payable(1, 0)) // 2}
    assert orders["auto_closed_unpaid"] == 0
    assert orders["presale_deposits"] == {"count": 0, "amount": {}}
    assert orders["deposits_forfeited"] == {"count": 0, "amount": {}}

    assert (await figures(service)).json()["orders"] == orders  # today is the default day
    everything = await figures(service, period="all")
    assert everything.json()["orders"] == orders
    assert everything.json()["scope"]["from"] is None
    platform = await figures(service, service.platform, "/v1/stats/platform", period="all")
    assert platform.status_code == 200, platform.text
    assert platform.json()["orders"] == orders
    assert platform.json()["scope"]["shop_id"] is None


async def test_a_payment_counts_on_the_day_it_was_taken_not_the_day_it_was_reported(
    service: Orders,
) -> None:
    await service.stocked()
    placed = await service.place()
    placed_at = await service.now()
    placed_on = await today(service)
    await service.advance(timedelta(days=2))
    # Two days in, the buyer was reminded to pay (a day before the window ends): let that land
    # first, or the payment races the reminder and gets a retryable 409.
    await service.order_when(
        placed["order_id"], lambda o: o["detail"]["payment_reminded"], "reminded to pay"
    )
    body = {
        "payment_id": "pay-late-report",
        "stage": "full",
        "method": "wechat",
        "amount": cny(payable()),
        "paid_at": (placed_at + timedelta(seconds=1)).isoformat(),
    }
    paid = await service.command(
        f"/v1/orders/{placed['order_id']}/payments", body, service.payment_provider
    )
    assert paid.status_code == 200, paid.text
    await settled(service, placed["order_id"], paid.json()["version"])

    that_day = (await figures(service, on=placed_on.isoformat())).json()["orders"]
    assert (that_day["placed"], that_day["paid"], that_day["gmv"]) == (1, 1, {"CNY": payable()})
    reported_day = (await figures(service)).json()["orders"]
    assert (reported_day["placed"], reported_day["paid"], reported_day["gmv"]) == (0, 0, {})
    assert reported_day["payment_conversion"] is None
    assert reported_day["average_order_value"] == {}


async def test_an_unpaid_order_counts_as_auto_closed_on_the_day_its_window_ran_out(
    service: Orders,
) -> None:
    await service.stocked()
    await service.place()
    placed_on = await today(service)
    await service.advance(timedelta(hours=72, minutes=1))
    closed = await figures_when(
        service, lambda f: f["orders"]["auto_closed_unpaid"] == 1, "auto-closed", period="day"
    )
    assert closed["orders"]["placed"] == 0
    that_day = (await figures(service, on=placed_on.isoformat())).json()["orders"]
    assert (that_day["placed"], that_day["auto_closed_unpaid"]) == (1, 0)
    assert that_day["payment_conversion"] == 0.0
    since = {"from_": placed_on.isoformat(), "to": (await today(service)).isoformat()}
    week = await figures(service, period="range", **since)
    assert week.json()["orders"]["placed"] == 1
    assert week.json()["orders"]["auto_closed_unpaid"] == 1


async def test_a_presale_order_counts_its_deposit_and_balance_on_their_own_days(
    service: Orders,
) -> None:
    await service.stocked()
    now = await service.now()
    terms = {
        "deposit": 5000,
        "balance": payable() - 5000,
        "balance_starts_at": (now + timedelta(days=2)).isoformat(),
        "balance_due_by": (now + timedelta(days=4)).isoformat(),
    }
    order_id = (await service.place(order_body(presale=terms)))["order_id"]
    assert (await service.pay(order_id, 5000, stage="deposit")).status_code == 200
    deposit_day = await today(service)
    await service.advance(timedelta(days=3, hours=1))  # 23 h before the balance deadline
    await service.order_when(order_id, lambda o: o["detail"]["balance_reminded"], "reminded")
    balance = await service.pay(order_id, payable() - 5000, stage="balance")
    assert balance.status_code == 200, balance.text
    await settled(service, order_id, balance.json()["version"])

    first = (await figures(service, on=deposit_day.isoformat())).json()["orders"]
    assert first["presale_deposits"] == {"count": 1, "amount": {"CNY": 5000}}
    assert first["presale_balances"] == {"count": 0, "amount": {}}
    assert (first["paid"], first["gmv"]) == (1, {"CNY": 5000})
    assert first["average_order_value"] == {"CNY": payable()}  # the order's payable
    last = (await figures(service)).json()["orders"]
    assert last["presale_balances"] == {"count": 1, "amount": {"CNY": payable() - 5000}}
    assert (last["paid"], last["gmv"]) == (0, {"CNY": payable() - 5000})
    everything = (await figures(service, period="all")).json()["orders"]
    assert (everything["paid"], everything["gmv"]) == (1, {"CNY": payable()})


async def test_a_missed_balance_counts_as_auto_closed_with_the_deposit_forfeited(
    service: Orders,
) -> None:
    await service.stocked()
    now = await service.now()
    terms = {
        "deposit": 5000,
        "balance": payable() - 5000,
        "balance_starts_at": (now + timedelta(hours=1)).isoformat(),
        "balance_due_by": (now + timedelta(hours=30)).isoformat(),
    }
    order_id = (await service.place(order_body(presale=terms)))["order_id"]
    assert (await service.pay(order_id, 5000, stage="deposit")).status_code == 200
    await service.advance(timedelta(hours=31))
    closed = await figures_when(
        service, lambda f: f["orders"]["auto_closed_unpaid"] == 1, "balance close", period="all"
    )
    assert closed["orders"]["deposits_forfeited"] == {"count": 1, "amount": {"CNY": 5000}}
    assert closed["orders"]["gmv"] == {"CNY": 5000}  # the deposit was taken; it is kept


async def test_ratings_average_over_the_180_days_ending_at_the_period_end(
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    await service.publish(shipped(order_id))
    await service.order_when(order_id, lambda o: o["status"] == "shipped", "shipped")
    await service.publish(delivered(order_id))
    await service.order_when(
        order_id, lambda o: o["detail"]["shipment"]["delivered_at"] is not None, "delivered"
    )
    confirmed = await service.command(
        f"/v1/orders/{order_id}/receipt-confirmation", None, service.buyer
    )
    assert confirmed.status_code == 200, confirmed.text
    scores = {"description_score": 5, "service_score": 4, "shipping_speed_score": 3}
    rated = await service.command(f"/v1/orders/{order_id}/rating", scores, service.buyer)
    assert rated.status_code == 200, rated.text
    await settled(service, order_id, rated.json()["version"])
    rated_on = await today(service)

    ratings = (await figures(service, period="all")).json()["ratings"]
    assert ratings == {
        "window_days": 180,
        "count": 1,
        "description": 5.0,
        "service": 4.0,
        "shipping_speed": 3.0,
        "follow_up": {  # a 3 is no medium or bad rating by default (2 or less)
            "needed": 0,
            "answered": 0,
            "answered_in_time": 0,
            "rate": None,
            "rate_in_time": None,
        },
    }
    await service.advance(timedelta(days=181))
    later = (await figures(service, period="all")).json()["ratings"]
    assert later["count"] == 0
    assert later["description"] is None
    that_month = await figures(service, period="month", on=rated_on.isoformat())
    assert that_month.json()["ratings"]["count"] == 1
    before = await figures(service, on=(rated_on - timedelta(days=1)).isoformat())
    assert before.json()["ratings"]["count"] == 0


async def test_the_figures_count_in_the_shop_policy_time_zone_or_the_tz_asked_for(
    service: Orders,
) -> None:
    path = f"/v1/shops/{SHOP}/policy"
    defaults = (await service.client.get(path, headers=service.seller)).json()["policy"]
    assert defaults["time_zone"] == "Asia/Shanghai"
    berlin = {**defaults, "time_zone": "Europe/Berlin"}
    stored = await service.command(path, berlin, service.seller, method="PUT")
    assert stored.status_code == 200, stored.text
    scope = (await figures(service, period="month", on="2026-03-15")).json()["scope"]
    assert scope["time_zone"] == "Europe/Berlin"
    assert (scope["from"], scope["to"]) == (
        "2026-03-01T00:00:00+01:00",
        "2026-04-01T00:00:00+02:00",
    )
    asked = await figures(service, period="week", on="2026-12-02", tz="America/New_York")
    assert asked.json()["scope"]["from"] == "2026-11-30T00:00:00-05:00"
    assert asked.json()["scope"]["to"] == "2026-12-07T00:00:00-05:00"

    unknown = await service.command(
        path, {**defaults, "time_zone": "Mars/Olympus"}, service.seller, method="PUT"
    )
    assert_problem(unknown, 422, "validation-error")
    without = {k: v for k, v in defaults.items() if k != "time_zone"}
    reset = await service.command(path, without, service.seller, method="PUT")
    assert reset.status_code == 200, reset.text
    assert reset.json()["policy"]["time_zone"] == "Asia/Shanghai"


async def test_a_seller_reads_its_own_shop_only_and_buyers_read_no_figures(
    service: Orders,
) -> None:
    assert (await figures(service, service.platform)).status_code == 200
    assert (await figures(service, service.ops)).status_code == 200
    assert (await figures(service, service.payment_provider)).status_code == 200
    assert_problem(await figures(service, service.other_seller), 403, "forbidden")
    assert_problem(await figures(service, service.buyer), 403, "forbidden")
    platform = "/v1/stats/platform"
    assert_problem(await figures(service, service.seller, platform), 403, "forbidden")
    assert_problem(await figures(service, service.buyer, platform), 403, "forbidden")
    assert (await figures(service, service.ops, platform)).status_code == 200
    unsigned = await service.client.get(FIGURES)
    assert_problem(unsigned, 401, "unauthenticated")


BAD_PARAMETERS: list[tuple[dict[str, str], str]] = [
    ({"period": "year"}, "query.period"),
    ({"on": "2026-13-01"}, "query.on"),
    ({"on": "20261201"}, "query.on"),
    ({"on": "1764547200"}, "query.on"),
    ({"on": "0001-01-01"}, "query.on"),
    ({"tz": "Mars/Olympus"}, "query.tz"),
    ({"tz": "x" * 100}, "query.tz"),
    ({"from_": "2026-11-01"}, "query.from"),
    ({"period": "range", "to": "2026-11-01"}, "query.from"),
    ({"period": "range", "from_": "2026-11-01"}, "query.to"),
    ({"period": "range", "from_": "2026-11-02", "to": "2026-11-01"}, "query.to"),
    ({"period": "range", "from_": "2026-01-01", "to": "2027-01-02"}, "query.to"),
    ({"period": "all", "on": "2026-11-01"}, "query.on"),
]


async def test_bad_parameters_are_refused_naming_the_parameter(service: Orders) -> None:
    for params, location in BAD_PARAMETERS:
        assert_problem(await figures(service, **params), 422, "validation-error", location)
        platform = await figures(service, service.platform, "/v1/stats/platform", **params)
        assert_problem(platform, 422, "validation-error", location)
    longest = await figures(service, period="range", from_="2028-01-01", to="2028-12-31")
    assert longest.status_code == 200, longest.text
