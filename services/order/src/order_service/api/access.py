"""Who may see and change which order, and which personal data each caller sees in full.

An order a caller may not see answers 404, exactly like an order that does not exist, so its
existence does not leak. Receiver data is full for the order's buyer, its shop's seller, the
platform and system callers (they ship or arbitrate); ops and anyone else see it masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.values import Receiver
from eventing.http.auth import Caller, Role
from eventing.http.masking import mask_name, mask_receiver
from order_service.domain.errors import OrderNotFound
from order_service.domain.state import OrderState

PII_FIELDS = ("receiver", "signed_by")


def may_see(caller: Caller, buyer_id: str, shop_id: str) -> bool:
    if caller.sees_everything:
        return True
    return caller.is_buyer(buyer_id) or caller.is_seller_of(shop_id)


def sees_personal_data(caller: Caller, buyer_id: str, shop_id: str) -> bool:
    if caller.role in (Role.PLATFORM, Role.SYSTEM):
        return True
    return caller.is_buyer(buyer_id) or caller.is_seller_of(shop_id)


def authorizer(caller: Caller) -> Callable[[OrderState], None]:
    """For command handlers: refuse (404) an order the caller may not act on."""

    def authorize(state: OrderState) -> None:
        if not state.exists or not may_see(caller, state.buyer_id, state.shop_id):
            raise OrderNotFound("no such order")

    return authorize


def masked(data: dict[str, Any], full: bool) -> dict[str, Any]:
    """`data` with its personal-data fields masked unless `full`."""
    if full:
        return data
    shown = dict(data)
    receiver = shown.get("receiver")
    if isinstance(receiver, dict):
        shown["receiver"] = mask_receiver(Receiver.model_validate(receiver)).model_dump(mode="json")
    signed_by = shown.get("signed_by")
    if isinstance(signed_by, str):
        shown["signed_by"] = mask_name(signed_by)
    return shown
