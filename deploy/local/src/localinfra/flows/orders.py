"""Order service steps: stock, placement, payment, address, cancellation, receipt, rating."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra.flows.actors import Actors, Condition, Json, answer, until


def cny(amount: int) -> Json:
    return {"amount": amount, "currency": "CNY"}


def receiver(name: str = "李雷", street: str = "文三路 90 号", city: str = "杭州市") -> Json:
    province = "上海市" if city == "上海市" else "浙江省"
    return {
        "name": name,
        "phone": "13812345678",
        "address": {"province": province, "city": city, "street": street},
    }


@dataclass(frozen=True)
class Line:
    sku: str
    title: str
    unit_price: int
    quantity: int


TEA = Line("TEA-250", "Longjing tea 250 g", 8800, 2)
CUP = Line("CUP-01", "Celadon cup", 3500, 1)
SHIPPING_FEE, DISCOUNT = 1000, 500


def payable(lines: tuple[Line, ...] = (TEA, CUP)) -> int:
    return sum(line.unit_price * line.quantity for line in lines) + SHIPPING_FEE - DISCOUNT


def order_body(shop_id: str, lines: tuple[Line, ...] = (TEA, CUP), **changes: Any) -> Json:
    body: Json = {
        "shop_id": shop_id,
        "items": [
            {
                "sku": x.sku,
                "title": x.title,
                "unit_price": cny(x.unit_price),
                "quantity": x.quantity,
            }
            for x in lines
        ],
        "receiver": receiver(),
        "shipping_fee": SHIPPING_FEE,
        "discount": DISCOUNT,
        "payable": payable(lines),
    }
    return {**body, **changes}


async def set_stock(actors: Actors, sku: str, on_hand: int) -> Json:
    path = f"/v1/shops/{actors.shop_id}/skus/{sku}/stock"
    return await actors.command(
        Service.ORDER, Role.SELLER, path, {"on_hand": on_hand}, method="PUT"
    )


async def stock(actors: Actors, sku: str) -> Json:
    path = f"/v1/shops/{actors.shop_id}/skus/{sku}/stock"
    return answer(await actors.get(Service.ORDER, Role.SELLER, path), 200)


async def place_order(
    actors: Actors, lines: tuple[Line, ...] = (TEA, CUP), *, on_hand: int = 100, **changes: Any
) -> Json:
    """Stock the shop's SKUs (if `on_hand`), then the buyer places the order (201)."""
    if on_hand:
        for line in lines:
            await set_stock(actors, line.sku, on_hand)
    body = order_body(actors.shop_id, lines, **changes)
    placed = await actors.command(Service.ORDER, Role.BUYER, "/v1/orders", body, expect=201)
    assert placed["status"] in ("awaiting_payment", "awaiting_deposit"), placed
    return placed


def payment(amount: int, stage: str = "full", payment_id: str | None = None) -> Json:
    return {
        "payment_id": payment_id or f"pay-{uuid.uuid4().hex[:16]}",
        "stage": stage,
        "method": "alipay",
        "amount": cny(amount),
    }


async def pay(actors: Actors, order_id: str, amount: int, stage: str = "full") -> Json:
    """A successful payment, as the payment provider's integration records it (role system)."""
    path = f"/v1/orders/{order_id}/payments"
    return await actors.command(Service.ORDER, Role.SYSTEM, path, payment(amount, stage))


async def cancel(actors: Actors, order_id: str, reason: str = "buyer_changed_mind") -> Json:
    path = f"/v1/orders/{order_id}/cancellation"
    return await actors.command(Service.ORDER, Role.BUYER, path, {"reason": reason})


async def change_address(actors: Actors, order_id: str, new_receiver: Json) -> Json:
    path = f"/v1/orders/{order_id}/address"
    return await actors.command(Service.ORDER, Role.BUYER, path, {"receiver": new_receiver})


async def order(actors: Actors, order_id: str, min_version: int | None = None) -> Json:
    params = {"min_version": str(min_version)} if min_version else None
    return answer(
        await actors.get(Service.ORDER, Role.BUYER, f"/v1/orders/{order_id}", params), 200
    )


async def order_when(
    actors: Actors, order_id: str, condition: Condition, what: str, timeout: float = 30.0
) -> Json:
    """The order's read model once `condition` holds (policies and deadlines are async)."""
    path = f"/v1/orders/{order_id}"
    probe = lambda: actors.get(Service.ORDER, Role.PLATFORM, path)  # noqa: E731
    return await until(probe, condition, what, timeout)


async def confirm_receipt(actors: Actors, order_id: str) -> Json:
    """Waits until the order service has recorded the shipment, then the buyer confirms."""
    await order_when(actors, order_id, lambda o: o["status"] == "shipped", "order shipped")
    path = f"/v1/orders/{order_id}/receipt-confirmation"
    confirmed = await actors.command(Service.ORDER, Role.BUYER, path)
    assert confirmed["status"] == "completed", confirmed
    return confirmed


async def rate(actors: Actors, order_id: str, scores: tuple[int, int, int] = (5, 5, 4)) -> Json:
    body = {
        "description_score": scores[0],
        "service_score": scores[1],
        "shipping_speed_score": scores[2],
        "comment": "fresh and well packed",
    }
    return await actors.command(Service.ORDER, Role.BUYER, f"/v1/orders/{order_id}/rating", body)
