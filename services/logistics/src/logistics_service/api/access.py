"""Who may read a shipment, and who sees the receiver in full (DOMAIN: data protection)."""

from __future__ import annotations

from contracts.values import Receiver
from eventing.http.auth import Caller, Role
from eventing.http.masking import mask_name, mask_receiver
from eventing.http.problems import ProblemError

# Roles that ship or arbitrate see personal data in full; ops and the others see it masked.
_FULL_VIEW_ROLES = (Role.PLATFORM, Role.SYSTEM)


def may_read(caller: Caller, shop_id: str, buyer_id: str | None) -> bool:
    """Platform, ops and system see all; a seller their shop; a buyer their own orders."""
    return (
        caller.sees_everything
        or caller.is_seller_of(shop_id)
        or (buyer_id is not None and caller.is_buyer(buyer_id))
    )


def sees_personal_data(caller: Caller, shop_id: str, buyer_id: str | None) -> bool:
    return (
        caller.role in _FULL_VIEW_ROLES
        or caller.is_seller_of(shop_id)
        or (buyer_id is not None and caller.is_buyer(buyer_id))
    )


def shown_receiver(receiver: Receiver | None, full: bool) -> Receiver | None:
    if receiver is None or full:
        return receiver
    return mask_receiver(receiver)


def shown_signer(signed_by: str | None, full: bool) -> str | None:
    return signed_by if signed_by is None or full else mask_name(signed_by)


def shop_scope(caller: Caller, shop_id: str | None) -> str | None:
    """The shop a list is limited to: a seller's own shop, whatever they asked for."""
    if caller.role is Role.SELLER:
        if shop_id is not None and shop_id != caller.shop_id:
            raise ProblemError(
                403, "forbidden", "Forbidden", "a seller sees the shipments of their own shop only"
            )
        return caller.shop_id
    return shop_id


def not_found(order_id: str) -> ProblemError:
    return ProblemError(
        404, "shipment-not-found", "No such shipment", f"no shipment is known for order {order_id}"
    )
