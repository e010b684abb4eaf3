"""Aftersales steps: open a refund case (retrying while a fact is not yet known) and act on it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from contracts.parties import Service
from eventing.http.auth import Role
from eventing.testing import eventually
from localinfra.flows.actors import Actors, Json, answer, until
from localinfra.flows.orders import cny
from localinfra.flows.shipping import waybill

RETRYABLE = "order-payment-not-yet-known"


def refund_terms(kind: str, reason: str, amount: int, items: list[Json] | None = None) -> Json:
    return {"kind": kind, "reason": reason, "amount": cny(amount), "items": items or []}


async def open_refund(
    actors: Actors, order_id: str, terms: Json, *, awaiting: tuple[str, ...] = (RETRYABLE,)
) -> Json:
    """The buyer asks for a refund; retried (same key) while aftersales answers one of the
    `awaiting` codes, i.e. has not yet seen the payment (or the shipment) it depends on."""
    key = str(uuid.uuid4())
    path = f"/v1/orders/{order_id}/refund-cases"

    async def attempt() -> httpx.Response:
        return await actors.send(Service.AFTERSALES, Role.BUYER, path, terms, key=key)

    def settled(response: httpx.Response) -> bool:
        return response.status_code != 409 or response.json().get("code") not in awaiting

    response = await eventually(attempt, settled, message=f"refund case opened on {order_id}")
    opened = answer(response, 201)
    assert opened["refund_status"] == "WAIT_SELLER_AGREE", opened
    return opened


async def refusal(actors: Actors, order_id: str, terms: Json) -> Json:
    """The problem aftersales answers a refund request it refuses (once it knows the payment)."""
    key = str(uuid.uuid4())
    path = f"/v1/orders/{order_id}/refund-cases"

    async def attempt() -> httpx.Response:
        return await actors.send(Service.AFTERSALES, Role.BUYER, path, terms, key=key)

    def settled(response: httpx.Response) -> bool:
        return response.status_code != 409 or response.json().get("code") != RETRYABLE

    response = await eventually(attempt, settled, message=f"refund refused on {order_id}")
    assert response.status_code >= 400, response.text
    problem: Json = response.json()
    return problem


async def case_command(actors: Actors, role: Role, case_id: str, action: str, body: Json) -> Json:
    path = f"/v1/refund-cases/{case_id}/{action}"
    return await actors.command(Service.AFTERSALES, role, path, body)


async def approve(actors: Actors, case_id: str, return_address: Json | None = None) -> Json:
    body = {"return_address": return_address} if return_address else {}
    return await case_command(actors, Role.SELLER, case_id, "approval", body)


async def ship_return(actors: Actors, case_id: str) -> Json:
    return await case_command(
        actors, Role.BUYER, case_id, "return-shipment", {"waybill": waybill()}
    )


async def confirm_return(actors: Actors, case_id: str) -> Json:
    return await case_command(actors, Role.SELLER, case_id, "return-receipt", {"note": "all back"})


async def case(actors: Actors, case_id: str, min_version: int | None = None) -> Json:
    params = {"min_version": str(min_version)} if min_version else None
    path = f"/v1/refund-cases/{case_id}"
    return answer(await actors.get(Service.AFTERSALES, Role.PLATFORM, path, params), 200)


async def case_when(
    actors: Actors, case_id: str, condition: Callable[[Json], bool], what: str
) -> Json:
    path = f"/v1/refund-cases/{case_id}"
    return await until(lambda: actors.get(Service.AFTERSALES, Role.PLATFORM, path), condition, what)


async def cases_of(actors: Actors, order_id: str) -> list[Json]:
    """Every refund case of the order (platform view)."""
    response = await actors.get(
        Service.AFTERSALES, Role.PLATFORM, "/v1/refund-cases", {"order_id": order_id}
    )
    items: list[Json] = answer(response, 200)["items"]
    return items
