"""Logistics steps (dispatch, delivery, exceptions) and whole stories up to a delivered order."""

from __future__ import annotations

import random

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra.flows.actors import Actors, Condition, Json, until
from localinfra.flows.orders import CUP, TEA, Line, order_when, pay, payable, place_order


def waybill(carrier: str = "SF") -> Json:
    """A fresh waybill in the carrier's own numbering (SF: 12 digits, ZTO: 15)."""
    digits = 12 if carrier == "SF" else 15
    number = str(random.randrange(10 ** (digits - 1), 10**digits))
    return {"carrier": carrier, "tracking_number": f"SF{number}" if carrier == "SF" else number}


async def shipment_when(
    actors: Actors, order_id: str, condition: Condition, what: str, timeout: float = 30.0
) -> Json:
    path = f"/v1/shipments/{order_id}"
    probe = lambda: actors.get(Service.LOGISTICS, Role.SELLER, path)  # noqa: E731
    return await until(probe, condition, what, timeout)


async def shipment_requested(actors: Actors, order_id: str, timeout: float = 30.0) -> Json:
    """The shipment once logistics has requested it from the order's payment."""
    requested: Condition = lambda s: s["status"] != "not_requested"  # noqa: E731
    return await shipment_when(actors, order_id, requested, f"shipment of {order_id}", timeout)


def dispatch_body(shipment: Json, parcel_waybill: Json | None = None) -> Json:
    return {"waybill": parcel_waybill or waybill(), "items": shipment["items"]}


async def dispatch(actors: Actors, order_id: str, parcel_waybill: Json | None = None) -> Json:
    """Waits for the shipment request, then the seller hands the parcel to the carrier."""
    shipment = await shipment_requested(actors, order_id)
    path = f"/v1/shipments/{order_id}/dispatch"
    body = dispatch_body(shipment, parcel_waybill)
    dispatched = await actors.command(Service.LOGISTICS, Role.SELLER, path, body)
    assert dispatched["events"] == ["logistics.shipped"], dispatched
    return dispatched


async def deliver(actors: Actors, order_id: str, parcel_waybill: Json | None = None) -> Json:
    body: Json = {"signed_by": "本人"}
    if parcel_waybill is not None:
        body["waybill"] = parcel_waybill
    path = f"/v1/shipments/{order_id}/delivery"
    delivered = await actors.command(Service.LOGISTICS, Role.SYSTEM, path, body)
    assert delivered["status"] == "delivered", delivered
    return delivered


async def open_exception(actors: Actors, order_id: str, kind: str, description: str) -> Json:
    path = f"/v1/shipments/{order_id}/exceptions"
    body = {"kind": kind, "description": description}
    return await actors.command(Service.LOGISTICS, Role.SELLER, path, body, expect=201)


async def reship(actors: Actors, order_id: str, exception_id: str, new_waybill: Json) -> Json:
    path = f"/v1/shipments/{order_id}/exceptions/{exception_id}/resolution"
    body = {"resolution": "reshipped", "new_waybill": new_waybill}
    return await actors.command(Service.LOGISTICS, Role.SELLER, path, body)


async def paid_order(actors: Actors, lines: tuple[Line, ...] = (TEA, CUP)) -> str:
    """An order placed and paid in full; returns its id once logistics requested the parcel."""
    placed = await place_order(actors, lines)
    paid = await pay(actors, placed["order_id"], payable(lines))
    assert paid["status"] == "awaiting_shipment", paid
    await shipment_requested(actors, placed["order_id"])
    return str(placed["order_id"])


async def delivered_order(actors: Actors, lines: tuple[Line, ...] = (TEA, CUP)) -> str:
    """An order paid, dispatched, delivered, and known as shipped by the order service."""
    order_id = await paid_order(actors, lines)
    await dispatch(actors, order_id)
    await deliver(actors, order_id)
    await order_when(actors, order_id, lambda o: o["status"] == "shipped", "order shipped")
    return order_id
