"""`make demo`: drives a realistic mix of orders through the public APIs of a running system.

Against `make run` (or any system whose URLs are given): one shop, a few buyers, and orders
that end up completed and rated, shipped, awaiting shipment, cancelled, refunded in full or in
part, returned, disputed and ruled, paid twice, reshipped after a lost parcel, and closed unpaid
by the payment time-out (the database clock is moved for that, as an operator could). It prints
what it did and where to look.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from contracts.parties import Service
from eventing.clock import advance_clock
from eventing.database import create_engine
from eventing.http.auth import Role, TokenIssuer
from localinfra import flows
from localinfra.flows import Actors, ServiceUrls

RETURNS = {"province": "浙江省", "city": "杭州市", "street": "仓前街道 1 号 退货仓"}
Story = Callable[[Actors], Awaitable[str]]


class DemoError(RuntimeError):
    """The system is not there or answered something the demo did not expect."""


@dataclass
class DemoRun:
    """What the demo did: order id → the story it tells."""

    shop_id: str
    orders: dict[str, str] = field(default_factory=dict)


async def run_demo(urls: ServiceUrls, tokens: TokenIssuer, clock_url: str) -> DemoRun:
    """Drive every story on one new shop; returns the orders it made."""
    await _check_ready(urls)
    shop_id = f"demo-shop-{uuid.uuid4().hex[:6]}"
    run = DemoRun(shop_id)
    for name, story in STORIES:
        async with Actors(urls, tokens, shop_id=shop_id) as actors:
            order_id = await story(actors)
        run.orders[order_id] = name
    async with Actors(urls, tokens, shop_id=shop_id) as actors:
        order_id = await _unpaid_order_closed_by_time_out(actors, clock_url)
    run.orders[order_id] = "unpaid: closed by the payment time-out (clock moved 73 h)"
    return run


async def _check_ready(urls: ServiceUrls) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for service in Service:
            url = urls.url(service)
            try:
                ready = (await http.get(f"{url}/ready")).status_code == 200
            except httpx.HTTPError:
                ready = False
            if not ready:
                raise DemoError(f"the {service} service at {url} is not ready: start `make run`")


async def _completed_and_rated(actors: Actors) -> str:
    order_id = await flows.delivered_order(actors)
    await flows.confirm_receipt(actors, order_id)
    await flows.rate(actors, order_id)
    return order_id


async def _shipped(actors: Actors) -> str:
    order_id = await flows.paid_order(actors)
    await flows.dispatch(actors, order_id)
    return order_id


async def _awaiting_shipment(actors: Actors) -> str:
    order_id = await flows.paid_order(actors)
    await flows.shipment_requested(actors, order_id)
    return order_id


async def _cancelled_before_payment(actors: Actors) -> str:
    order_id: str = (await flows.place_order(actors))["order_id"]
    await flows.cancel(actors, order_id)
    return order_id


async def _cancelled_after_payment(actors: Actors) -> str:
    order_id = await flows.paid_order(actors)
    await flows.shipment_requested(actors, order_id)
    await flows.cancel(actors, order_id, "wrong_items_or_address")
    return order_id


async def _refunded_before_shipment(actors: Actors) -> str:
    order_id = await flows.paid_order(actors)
    terms = flows.refund_terms("refund_only", "changed_mind", flows.payable())
    case = await flows.open_refund(actors, order_id, terms)
    await flows.approve(actors, case["case_id"])
    return order_id


async def _returned_and_refunded(actors: Actors) -> str:
    order_id = await flows.delivered_order(actors)
    items = [{"sku": flows.TEA.sku, "quantity": flows.TEA.quantity}]
    amount = flows.TEA.unit_price * flows.TEA.quantity
    terms = flows.refund_terms("return_and_refund", "quality_issue", amount, items)
    case = await flows.open_refund(actors, order_id, terms)
    await flows.approve(actors, case["case_id"], RETURNS)
    await flows.ship_return(actors, case["case_id"])
    await flows.confirm_return(actors, case["case_id"])
    return order_id


async def _partially_refunded(actors: Actors) -> str:
    order_id = await flows.delivered_order(actors)
    terms = flows.refund_terms("partial_refund", "quality_issue", 2_000)
    case = await flows.open_refund(actors, order_id, terms)
    await flows.approve(actors, case["case_id"])
    return order_id


async def _disputed_and_ruled(actors: Actors) -> str:
    order_id = await flows.delivered_order(actors)
    terms = flows.refund_terms("partial_refund", "not_as_described", 8_000)
    case_id = (await flows.open_refund(actors, order_id, terms))["case_id"]
    await flows.case_command(
        actors, Role.SELLER, case_id, "rejection", {"reason": "amount_not_justified"}
    )
    await flows.case_command(
        actors, Role.BUYER, case_id, "escalation", {"reason": "the tea is not as described"}
    )
    for role, evidence in ((Role.BUYER, "photos of the tins"), (Role.SELLER, "batch certificate")):
        await flows.case_command(actors, role, case_id, "evidence", {"description": evidence})
    ruling = {
        "outcome": "partial_refund",
        "refund_amount": flows.cny(3_000),
        "responsible_party": "seller",
        "note": "one tin was not as described",
    }
    await flows.case_command(actors, Role.PLATFORM, case_id, "ruling", ruling)
    return order_id


async def _paid_twice(actors: Actors) -> str:
    order_id = await flows.paid_order(actors)
    await flows.pay(actors, order_id, flows.payable())
    return order_id


async def _lost_and_reshipped(actors: Actors) -> str:
    order_id = await flows.paid_order(actors)
    await flows.dispatch(actors, order_id)
    exception = await flows.open_exception(actors, order_id, "lost", "no scan for four days")
    new_waybill = flows.waybill("ZTO")
    await flows.reship(actors, order_id, exception["exception_id"], new_waybill)
    await flows.deliver(actors, order_id, new_waybill)
    return order_id


async def _unpaid_order_closed_by_time_out(actors: Actors, clock_url: str) -> str:
    order_id: str = (await flows.place_order(actors))["order_id"]
    engine = create_engine(clock_url, pool_size=1, max_overflow=0)
    try:  # one write moves the whole system's time
        await advance_clock(engine, timedelta(hours=73))
    finally:
        await engine.dispose()
    await flows.order_when(
        actors, order_id, lambda o: o["status"] == "closed", "unpaid order closed", timeout=60
    )
    return order_id


STORIES: tuple[tuple[str, Story], ...] = (
    ("completed and rated", _completed_and_rated),
    ("completed and rated", _completed_and_rated),
    ("shipped, awaiting the buyer's receipt", _shipped),
    ("paid, awaiting shipment", _awaiting_shipment),
    ("cancelled before payment", _cancelled_before_payment),
    ("cancelled after payment, shipment called off", _cancelled_after_payment),
    ("refund only before shipment: refunded in full, order closed", _refunded_before_shipment),
    ("returned and refunded (one item)", _returned_and_refunded),
    ("partially refunded", _partially_refunded),
    ("disputed, platform ruled a partial refund", _disputed_and_ruled),
    ("paid twice: surplus recorded for refund", _paid_twice),
    ("parcel lost, reshipped, delivered", _lost_and_reshipped),
)


def run(urls: ServiceUrls, tokens: TokenIssuer, clock_url: str) -> DemoRun:
    """`run_demo` from synchronous code (the CLI)."""
    return asyncio.run(run_demo(urls, tokens, clock_url))
