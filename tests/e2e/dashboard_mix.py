"""The scripted mix of orders the dashboard's browser test drives through the public APIs: every
story of `make demo` in each of three shops, plus orders paid and left unpaid, presale orders
(deposit, then balance), and one clock move that closes the unpaid ones by the payment time-out.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.demo import STORIES
from localinfra.flows import Actors
from localinfra.system import System

# Beyond the unpaid orders' window (72 h by default) and the presale balance's start.
CLOCK_MOVE = timedelta(hours=73)
PRESALE_DEPOSIT = 5_000


@dataclass
class ShopMix:
    """What was done in one shop (for reading failures, not for the figures: those are folded
    from the topics)."""

    shop_id: str
    orders: dict[str, str] = field(default_factory=dict)  # order id → what happened to it
    presale_awaiting_balance: list[str] = field(default_factory=list)
    unpaid: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.orders)


def new_shops(count: int = 3) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"shop-dash-{run}-{letter}" for letter in "abcdefgh"[:count]]


async def before_the_clock_moves(
    system: System, shop_id: str, between: Callable[[], Awaitable[None]] | None = None
) -> ShopMix:
    """Every demo story, two more paid orders, two left unpaid, two presale orders with their
    deposit paid; `between` runs half-way (e.g. to kill the dashboard mid-stream)."""
    mix = ShopMix(shop_id)
    async with Actors(system, system.tokens, shop_id=shop_id) as actors:
        for index, (name, story) in enumerate(STORIES):
            mix.orders[await story(actors)] = name
            if between is not None and index == len(STORIES) // 2:
                await between()
        for _ in range(2):
            mix.orders[await flows.paid_order(actors)] = "paid, awaiting shipment"
        for _ in range(2):
            order_id = (await flows.place_order(actors))["order_id"]
            mix.orders[order_id] = "left unpaid"
            mix.unpaid.append(order_id)
        now = await system.now()
        for _ in range(2):
            presale = {
                "deposit": PRESALE_DEPOSIT,
                "balance": flows.payable() - PRESALE_DEPOSIT,
                "balance_starts_at": (now + timedelta(hours=1)).isoformat(),
                "balance_due_by": (now + timedelta(days=10)).isoformat(),
            }
            order_id = (await flows.place_order(actors, presale=presale))["order_id"]
            await flows.pay(actors, order_id, PRESALE_DEPOSIT, "deposit")
            mix.orders[order_id] = "presale: deposit paid"
            mix.presale_awaiting_balance.append(order_id)
    return mix


async def after_the_clock_moved(system: System, mix: ShopMix) -> None:
    """The unpaid orders closed by their time-out; one presale balance paid, the other left."""
    async with Actors(system, system.tokens, shop_id=mix.shop_id) as actors:
        for order_id in mix.unpaid:
            await flows.order_when(
                actors, order_id, lambda o: o["status"] == "closed", "unpaid order closed", 60
            )
            mix.orders[order_id] = "closed by the payment time-out"
        paying = mix.presale_awaiting_balance.pop(0)
        await flows.pay(actors, paying, flows.payable() - PRESALE_DEPOSIT, "balance")
        mix.orders[paying] = "presale: balance paid"


async def service_figures(system: System, shop_id: str) -> dict[str, dict[str, object]]:
    """The three services' own figures endpoints for one shop, all time."""
    async with Actors(system, system.tokens, shop_id=shop_id) as actors:
        order = await actors.get(
            Service.ORDER, Role.PLATFORM, f"/v1/stats/shops/{shop_id}", {"period": "all"}
        )
        logistics = await actors.get(Service.LOGISTICS, Role.PLATFORM, f"/v1/stats/shops/{shop_id}")
        aftersales = await actors.get(
            Service.AFTERSALES, Role.PLATFORM, f"/v1/stats/shops/{shop_id}"
        )
    return {
        "order": flows.answer(order, 200),
        "logistics": flows.answer(logistics, 200),
        "aftersales": flows.answer(aftersales, 200),
    }
