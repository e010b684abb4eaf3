"""A buyer with orders in all three services is erased: no surface shows their receiver any
more, while their orders, refunds and figures, and every other buyer, carry on as before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from httpx import Response

from contracts.parties import SERVICES, Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.flows import Actors, ServiceUrls, answer
from localinfra.system import System
from tests.e2e.test_personal_data_at_rest import clear_in, database_dump, topic_dump

pytestmark = pytest.mark.e2e


def order_as(actors: Actors, role: Role, order_id: str) -> Callable[[], Awaitable[Response]]:
    async def probe() -> Response:
        return await actors.get(Service.ORDER, role, f"/v1/orders/{order_id}")

    return probe


async def test_an_erased_buyer_is_gone_from_every_surface_and_the_orders_go_on(
    system: System,
) -> None:
    urls = ServiceUrls(*(system.url(service) for service in Service))
    async with (
        Actors(urls, system.tokens, shop_id="erasure-shop") as erased,
        Actors(urls, system.tokens, shop_id="erasure-shop") as other,
    ):
        delivered = await flows.delivered_order(erased)
        shipped = await flows.paid_order(erased)
        await flows.dispatch(erased, shipped)
        terms = flows.refund_terms("refund_only", "not_as_described", 1000)
        refund = await flows.open_refund(erased, delivered, terms)
        neighbour = await flows.paid_order(other)
        await flows.shipment_requested(other, neighbour)
        await flows.order_when(
            erased, shipped, lambda o: o["status"] == "shipped", "shipped in the read model"
        )

        path = f"/v1/buyers/{erased.buyer_id}/erasure"
        erasure = await erased.command(Service.ORDER, Role.PLATFORM, path, None)
        assert sorted(erasure["order_ids"]) == sorted([delivered, shipped])
        (key_id,) = erasure["key_ids"]
        marker = {"erased": True, "key_id": key_id}

        # Every view of the erased buyer's orders shows the marker, to every role.
        for role in (Role.BUYER, Role.SELLER, Role.PLATFORM, Role.OPS):
            for order_id in (delivered, shipped):
                seen = await flows.until(
                    order_as(erased, role, order_id),
                    lambda body: any(
                        e["type"] == "order.personal_data_erased" for e in body["timeline"]
                    ),
                    "the erasure in the order's timeline",
                )
                assert seen["detail"]["receiver"] == marker
                shipment = answer(
                    await erased.get(Service.LOGISTICS, role, f"/v1/shipments/{order_id}"), 200
                )
                assert shipment["receiver"] == marker
        # The other buyer is untouched.
        theirs = answer(
            await other.get(Service.LOGISTICS, Role.SELLER, f"/v1/shipments/{neighbour}"), 200
        )
        assert theirs["receiver"]["name"] == "李雷"

        # Money and rules go on for the erased buyer's orders.
        await flows.approve(erased, refund["case_id"])
        await flows.case_when(
            erased, refund["case_id"], lambda c: c["status"] == "refunded", "refunded"
        )
        await flows.deliver(erased, shipped)
        await flows.confirm_receipt(erased, shipped)
        done = await flows.order_when(
            erased, shipped, lambda o: o["status"] == "completed", "completed after erasure"
        )
        assert done["detail"]["receiver"] == marker
        # A later order of the same buyer gets a new key and shows its receiver.
        later: str = (await flows.place_order(erased))["order_id"]
        fresh = await flows.order_when(erased, later, lambda o: True, "the later order")
        assert fresh["detail"]["receiver"]["name"] == "李雷"
        assert fresh["detail"]["receiver"].get("key_id") is None

    # Stores, read models, topics and dead letters hold ciphertext only (as before the erasure),
    # and no consumer dead-lettered anything on the way.
    assert clear_in(await database_dump(system)) == []
    dump = await topic_dump(system)
    assert clear_in(dump.decode("utf-8", errors="replace")) == []
    for service in SERVICES:
        log = system.services[service].log_file.read_text(encoding="utf-8", errors="replace")
        assert clear_in(log) == [], service
        assert "subscription.dead_lettered" not in log, service
