"""Complaint steps: file one through an order (retrying while the payment is not yet known to
aftersales), act on it as the seller, the buyer or the platform, read it back."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from contracts.parties import Service
from eventing.http.auth import Role
from eventing.testing import eventually
from localinfra.flows.actors import Actors, Json, answer, until
from localinfra.flows.refunds import RETRYABLE


def complaint_body(category: str = "goods", about: str = "order", text: str = "茶叶受潮") -> Json:
    return {"about": about, "category": category, "text": text, "attachments": []}


async def file_complaint(
    actors: Actors, order_id: str, body: Json, role: Role = Role.BUYER
) -> Json:
    """The buyer (or customer service, `Role.PLATFORM`) files a complaint; retried with the same
    key while aftersales has not yet seen the order's payment."""
    key = str(uuid.uuid4())
    path = f"/v1/orders/{order_id}/complaints"

    async def attempt() -> httpx.Response:
        return await actors.send(Service.AFTERSALES, role, path, body, key=key)

    def settled(response: httpx.Response) -> bool:
        return response.status_code != 409 or response.json().get("code") != RETRYABLE

    response = await eventually(attempt, settled, message=f"complaint filed on {order_id}")
    filed = answer(response, 201)
    assert filed["status"] == "WAIT_SELLER_ACCEPT", filed
    return filed


async def complaint_command(
    actors: Actors, role: Role, complaint_id: str, action: str, body: Json
) -> Json:
    path = f"/v1/complaints/{complaint_id}/{action}"
    return await actors.command(Service.AFTERSALES, role, path, body)


async def complaint(actors: Actors, complaint_id: str, min_version: int | None = None) -> Json:
    params = {"min_version": str(min_version)} if min_version else None
    path = f"/v1/complaints/{complaint_id}"
    return answer(await actors.get(Service.AFTERSALES, Role.PLATFORM, path, params), 200)


async def complaint_when(
    actors: Actors, complaint_id: str, condition: Callable[[Json], bool], what: str
) -> Json:
    path = f"/v1/complaints/{complaint_id}"
    return await until(lambda: actors.get(Service.AFTERSALES, Role.PLATFORM, path), condition, what)


async def complaint_figures(actors: Actors) -> Json:
    """The shop's complaint figures as its seller reads them."""
    path = f"/v1/stats/shops/{actors.shop_id}/complaints"
    return answer(await actors.get(Service.AFTERSALES, Role.SELLER, path), 200)
