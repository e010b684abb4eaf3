"""`make demo` drives its whole mix of orders through the running services without a hitch."""

from __future__ import annotations

import pytest

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra.demo import STORIES, run_demo
from localinfra.flows import Actors, Json, ServiceUrls, answer
from localinfra.system import System

pytestmark = pytest.mark.e2e


async def test_the_demo_takes_every_story_to_its_end(system: System) -> None:
    urls = ServiceUrls(*(system.url(service) for service in Service))
    outcome = await run_demo(urls, system.tokens, system.clock_url)
    assert len(outcome.orders) == len(STORIES) + 1
    async with Actors(urls, system.tokens, shop_id=outcome.shop_id) as actors:
        statuses = {
            story: (await order_as_platform(actors, order_id))["status"]
            for order_id, story in outcome.orders.items()
        }
    assert statuses["completed and rated"] == "completed"
    assert statuses["disputed, platform ruled a partial refund"] == "shipped"
    assert statuses["refund only before shipment: refunded in full, order closed"] == "closed"
    assert statuses["unpaid: closed by the payment time-out (clock moved 73 h)"] == "closed"


async def order_as_platform(actors: Actors, order_id: str) -> Json:
    return answer(await actors.get(Service.ORDER, Role.PLATFORM, f"/v1/orders/{order_id}"), 200)
