"""The dashboard's figures from the three topics: every figure, periods and time zones, who
may see what, refused queries, the day series and the live stream."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from contracts.parties import SERVICES
from eventing.http.auth import Role
from eventing.testing import eventually
from eventing.testing.service import assert_problem
from tests.integration.dashboard.harness import (
    Dashboard,
    at,
    cny,
    dashboard_settings,
    event,
    serving,
    topic_names,
)
from tests.integration.dashboard.story import (
    HOUR,
    MONDAY,
    WEEK_AFTERSALES,
    WEEK_ORDERS,
    WEEK_SHIPPING,
    publish_week,
)

pytestmark = pytest.mark.integration
SHOP = "shop-tea"


async def test_every_figure_of_a_shop_counts_what_its_events_say(dashboard: Dashboard) -> None:
    published = await publish_week(dashboard, SHOP)
    await dashboard.has_applied(published)
    figures = await dashboard.figures(shop_id=SHOP, period="all")
    assert figures["scope"] == {"shop_id": SHOP, "period": "all", "from": None, "to": None,
                                "time_zone": "Asia/Shanghai"}  # fmt: skip
    assert figures["orders"] == WEEK_ORDERS
    assert figures["shipping"] == WEEK_SHIPPING
    assert figures["aftersales"] == WEEK_AFTERSALES
    no_follow_up = {"needed": 0, "answered": 0, "answered_in_time": 0, "rate": None,
                    "rate_in_time": None}  # fmt: skip
    assert figures["ratings"] == {"window_days": 180, "count": 1, "description": 5.0,
                                  "service": 4.0, "shipping_speed": 5.0,
                                  "follow_up": no_follow_up}  # fmt: skip
    assert figures["last_event"]["type"] == "aftersales.dispute_resolved"
    assert figures["last_event"]["at"] == "2026-11-13T06:00:00+08:00"
    assert figures["last_event"]["applied_at"] is not None


async def test_the_platform_adds_up_its_shops(dashboard: Dashboard) -> None:
    published = await publish_week(dashboard, SHOP) + await publish_week(dashboard, "shop-two")
    await dashboard.has_applied(published)
    platform = await dashboard.figures(period="all")
    assert platform["scope"]["shop_id"] is None
    assert platform["orders"]["placed"] == 10
    assert platform["orders"]["gmv"] == {"CNY": 70_000}
    assert platform["shipping"]["shipped"] == 4
    assert platform["aftersales"]["cases"] == 4
    shops = (await dashboard.client.get("/v1/shops", headers=dashboard.viewer())).json()
    assert [shop["shop_id"] for shop in shops["shops"]] == ["shop-tea", "shop-two"]


async def test_days_are_days_in_the_time_zone_asked_for(dashboard: Dashboard) -> None:
    # 17:30 UTC on the 10th is 01:30 on the 11th in Shanghai.
    late = at("2026-11-10T17:30:00+00:00")
    await dashboard.publish(event("order.placed", "o-late", SHOP, payable=cny(1_000)), at=late)
    await dashboard.has_applied(1)

    async def placed(**query: str) -> int:
        body = await dashboard.figures(shop_id=SHOP, **query)
        return int(body["orders"]["placed"])

    assert await placed(period="day", on="2026-11-10") == 0
    assert await placed(period="day", on="2026-11-11") == 1
    assert await placed(period="day", on="2026-11-10", tz="UTC") == 1
    assert await placed(period="week", on="2026-11-15") == 1  # Monday 9th to Sunday 15th
    assert await placed(period="week", on="2026-11-16") == 0
    assert await placed(period="month", on="2026-11-30") == 1
    assert await placed(period="range", **{"from": "2026-11-11", "to": "2026-11-11"}) == 1
    assert await placed(period="range", **{"from": "2026-11-01", "to": "2026-11-10"}) == 0
    utc_day = await dashboard.figures(shop_id=SHOP, period="day", on="2026-11-10", tz="UTC")
    assert utc_day["scope"]["from"] == "2026-11-10T00:00:00Z"
    shanghai = await dashboard.figures(shop_id=SHOP, period="day", on="2026-11-11")
    assert (shanghai["scope"]["from"], shanghai["scope"]["to"]) == (
        "2026-11-11T00:00:00+08:00", "2026-11-12T00:00:00+08:00",
    )  # fmt: skip


async def test_a_periods_figures_count_each_fact_when_it_happened(dashboard: Dashboard) -> None:
    published = await publish_week(dashboard, SHOP)
    await dashboard.has_applied(published)
    monday = await dashboard.figures(shop_id=SHOP, period="day", on="2026-11-09")
    assert monday["orders"]["placed"] == 5
    assert monday["orders"]["paid"] == 3  # the presale order's deposit was its first payment
    assert monday["orders"]["gmv"] == {"CNY": 17_000}  # the balance came on Tuesday
    assert monday["shipping"]["shipped"] == 1
    assert monday["aftersales"]["cases"] == 1
    tuesday = await dashboard.figures(shop_id=SHOP, period="day", on="2026-11-10")
    assert tuesday["orders"]["placed"] == 0
    assert tuesday["orders"]["presale_balances"] == {"count": 1, "amount": {"CNY": 18_000}}
    assert tuesday["orders"]["payment_conversion"] is None  # nothing placed that day
    assert tuesday["shipping"]["requested"] == 1
    # A day's ratings are those of the 180 days up to its end.
    assert tuesday["ratings"]["count"] == 1
    before = await dashboard.figures(shop_id=SHOP, period="day", on="2026-11-08")
    assert before["ratings"]["count"] == 0
    assert before["ratings"]["description"] is None


async def test_the_series_has_every_day_with_zeros(dashboard: Dashboard) -> None:
    published = await publish_week(dashboard, SHOP)
    await dashboard.has_applied(published)
    answer = await dashboard.client.get(
        "/v1/series",
        params={"shop_id": SHOP, "from": "2026-11-08", "to": "2026-11-12"},
        headers=dashboard.viewer(),
    )
    assert answer.status_code == 200, answer.text
    days = {bucket["day"]: bucket for bucket in answer.json()["buckets"]}
    assert list(days) == ["2026-11-08", "2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12"]
    assert days["2026-11-08"] == {"day": "2026-11-08", "placed": 0, "paid": 0, "gmv": {},
                                  "refunded": {}, "shipped": 0}  # fmt: skip
    assert days["2026-11-09"]["placed"] == 5
    assert days["2026-11-09"]["gmv"] == {"CNY": 17_000}
    assert days["2026-11-09"]["refunded"] == {"CNY": 3_000}
    assert days["2026-11-10"]["gmv"] == {"CNY": 18_000}
    assert days["2026-11-11"]["shipped"] == 1
    default = await dashboard.client.get("/v1/series", headers=dashboard.viewer())
    assert len(default.json()["buckets"]) == 14


async def test_a_seller_sees_its_own_shop_only_and_buyers_nothing(dashboard: Dashboard) -> None:
    seller = dashboard.viewer(Role.SELLER, SHOP)
    assert (await dashboard.client.get("/v1/figures", params={"shop_id": SHOP},
                                       headers=seller)).status_code == 200  # fmt: skip
    for query in ({"shop_id": "shop-other"}, {}):
        refused = await dashboard.client.get("/v1/figures", params=query, headers=seller)
        assert_problem(refused, 403, "forbidden")
    refused = await dashboard.client.get("/v1/series", headers=seller)
    assert_problem(refused, 403, "forbidden")
    buyer = dashboard.viewer(Role.BUYER)
    for path in ("/v1/figures", "/v1/series", "/v1/shops", "/v1/stream"):
        assert_problem(await dashboard.client.get(path, headers=buyer), 403, "forbidden")
    assert_problem(await dashboard.client.get("/v1/figures"), 401, "unauthenticated")
    for role in (Role.PLATFORM, Role.OPS, Role.SYSTEM):
        answer = await dashboard.client.get(
            "/v1/figures", params={"shop_id": SHOP}, headers=dashboard.viewer(role)
        )
        assert answer.status_code == 200, answer.text


async def test_a_seller_lists_only_its_own_shop(dashboard: Dashboard) -> None:
    await dashboard.publish(event("order.placed", "o-a", SHOP), event("order.placed", "o-b", "b"))
    await dashboard.has_applied(2)
    seller = dashboard.viewer(Role.SELLER, SHOP)
    shops = (await dashboard.client.get("/v1/shops", headers=seller)).json()["shops"]
    assert [shop["shop_id"] for shop in shops] == [SHOP]


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("/v1/figures", {"period": "year"}, "query.period"),
        ("/v1/figures", {"on": "2026-13-01"}, "query.on"),
        ("/v1/figures", {"on": "0"}, "query.on"),
        ("/v1/figures", {"period": "range", "from": "1", "to": "2026-11-01"}, "query.from"),
        ("/v1/figures", {"period": "range", "from": "2026-11-01", "to": "2026-1-1"}, "query.to"),
        ("/v1/figures", {"on": "0001-01-01"}, "query.on"),
        ("/v1/figures", {"tz": "Mars/Olympus_Mons"}, "query.tz"),
        ("/v1/figures", {"period": "range", "from": "2026-11-05", "to": "2026-11-01"}, "query.to"),
        ("/v1/figures", {"period": "range", "from": "2026-11-05"}, "query.to"),
        ("/v1/figures", {"period": "range", "from": "2025-01-01", "to": "2026-01-02"}, "query.to"),
        ("/v1/figures", {"period": "day", "from": "2026-11-05"}, "query.from"),
        ("/v1/figures", {"shop_id": "a shop"}, "query.shop_id"),
        ("/v1/series", {"from": "2026-01-01", "to": "2026-06-01"}, "query.to"),
        ("/v1/series", {"to": "2026-06-01"}, "query.from"),
        ("/v1/series", {"tz": "Nowhere"}, "query.tz"),
        ("/v1/series", {"from": "1", "to": "2026-11-01"}, "query.from"),
        ("/v1/series", {"from": "2026-11-01", "to": "2026-1-1"}, "query.to"),
    ],
)
async def test_a_query_the_dashboard_cannot_answer_is_a_422_naming_the_parameter(
    dashboard: Dashboard, path: str, query: dict[str, str], parameter: str
) -> None:
    answer = await dashboard.client.get(path, params=query, headers=dashboard.viewer())
    assert_problem(answer, 422, "validation-error", parameter)


async def _next_applied(lines: Any) -> dict[str, Any]:
    """The data of the next `applied` event on an SSE line stream."""
    event_name = None
    async for line in lines:
        if line.startswith("event: "):
            event_name = line.removeprefix("event: ")
        elif line.startswith("data: ") and event_name == "applied":
            data: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return data
    raise AssertionError("the stream ended")


async def test_the_stream_tells_a_listener_which_shops_just_changed(dashboard: Dashboard) -> None:
    platform, seller = dashboard.viewer(), dashboard.viewer(Role.SELLER, SHOP)
    async with (
        dashboard.client.stream("GET", "/v1/stream", headers=platform) as everyone,
        dashboard.client.stream("GET", "/v1/stream", headers=seller) as own,
    ):
        assert everyone.status_code == 200
        assert everyone.headers["content-type"].startswith("text/event-stream")
        everything, owned = everyone.aiter_lines(), own.aiter_lines()
        assert await anext(everything) == ": connected"
        assert await anext(owned) == ": connected"
        await dashboard.publish(event("order.placed", "o-other", "shop-other"), at=MONDAY)
        notice = await _next_applied(everything)
        assert notice["shop_ids"] == ["shop-other"]
        assert notice["last_event_at"] == "2026-11-09T02:00:00+00:00"
        await dashboard.publish(event("order.placed", "o-own", SHOP), at=MONDAY)
        assert (await _next_applied(everything))["shop_ids"] == [SHOP]
        # The seller heard nothing of the other shop: its first notice is its own.
        assert (await _next_applied(owned))["shop_ids"] == [SHOP]
        figures = await dashboard.figures(shop_id=SHOP, period="all")
        assert figures["orders"]["placed"] == 1  # committed before the notice went out
    listeners = dashboard.app.state.dashboard.broadcast

    async def remaining() -> int:
        return int(listeners.listeners)

    await eventually(remaining, lambda count: count == 0, message="listeners gone")


async def test_stopping_with_a_stream_open_ends_it_without_a_traceback(
    infra: Any,
    migrated_database_factory: Callable[[str], Awaitable[str]],
    topic_factory: Callable[..., Awaitable[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As `make run` and the fuzz suite stop it: SIGTERM, a grace for open answers, then
    # uvicorn cancels what is still open (a live stream always is).
    url = await migrated_database_factory("dashboard")
    topics = topic_names({service: await topic_factory() for service in SERVICES})
    settings = dashboard_settings(infra, url, topics)
    async with (
        serving(settings, shutdown_grace=1) as dashboard,
        dashboard.client.stream("GET", "/v1/stream", headers=dashboard.viewer()) as live,
    ):
        lines = live.aiter_lines()
        assert await anext(lines) == ": connected"
        await dashboard.stop()
        # The body ends as a body should: a cut connection would raise here.
        assert [line async for line in lines if line] == []
    errors = [r for r in caplog.records if r.exc_info or "Exception in ASGI" in r.getMessage()]
    assert errors == []
    assert dashboard.app.state.dashboard.broadcast.listeners == 0


async def test_the_bad_rating_follow_up_rate_counts_answers_and_answers_in_time(
    dashboard: Dashboard,
) -> None:
    shop = "shop-care"
    rated = MONDAY + 10 * HOUR
    due = rated + 24 * HOUR
    story = []
    # Three bad ratings: one answered in time, one late, one not at all; one good, answered.
    for n, answered_at in enumerate((rated + HOUR, due + HOUR, None, rated + 2 * HOUR)):
        order = f"o-{shop}-{n}"
        story += [
            (event("order.placed", order, shop, payable=cny(1_000)), MONDAY),
            (event("order.rated", order, shop, description_score=5 if n == 3 else 2,
                   service_score=5, shipping_speed_score=5), rated),
        ]  # fmt: skip
        if n != 3:
            story.append((event("order.rating_follow_up_opened", order, shop, due_by=due), rated))
        if answered_at is not None:
            story.append((event("order.rating_answered", order, shop), answered_at))
    for payload, when in story:
        await dashboard.publish(payload, at=when)
    await dashboard.has_applied(len(story))
    figures = await dashboard.figures(shop_id=shop, period="all")
    assert figures["ratings"]["count"] == 4
    assert figures["ratings"]["follow_up"] == {
        "needed": 3,
        "answered": 2,
        "answered_in_time": 1,
        "rate": 2 / 3,
        "rate_in_time": 1 / 3,
    }
