"""Where a command meets a shipment that cannot take it: not requested, cancelled, not left."""

from __future__ import annotations

from logistics_service.domain.errors import (
    OrderAlreadyCancelled,
    ShipmentNotDispatched,
    ShipmentNotRequested,
)
from logistics_service.domain.state import Shipment, ShipmentStatus


def existing_ids(state: Shipment) -> tuple[str, str, str]:
    """Order, shop and shipment id of a shipment that exists; refuses one not requested yet."""
    if state.order_id is None or state.shop_id is None or state.shipment_id is None:
        raise ShipmentNotRequested(
            "the shipment has not been requested yet: the order's payment has not reached"
            " logistics; retry later"
        )
    return state.order_id, state.shop_id, state.shipment_id


def awaiting_or_gone(state: Shipment) -> tuple[str, str, str]:
    """Ids of a requested shipment that was not cancelled (it may have left already)."""
    ids = existing_ids(state)
    if state.status is ShipmentStatus.CANCELLED:
        raise cancelled_error(state)
    return ids


def dispatched_ids(state: Shipment) -> tuple[str, str, str]:
    """Ids of a shipment whose parcel left (tracking, exceptions and delivery need one)."""
    ids = awaiting_or_gone(state)
    if not state.dispatched:
        raise ShipmentNotDispatched(
            f"order {ids[0]} has not been dispatched yet; retry once it is",
            order_id=ids[0],
        )
    return ids


def cancelled_error(state: Shipment) -> OrderAlreadyCancelled:
    reason = state.cancellation.value if state.cancellation else None
    return OrderAlreadyCancelled(
        f"order {state.order_id} was cancelled or closed before dispatch; nothing ships",
        reason=reason,
    )


def waybill_json(state: Shipment) -> dict[str, str] | None:
    return None if state.waybill is None else state.waybill.model_dump()
