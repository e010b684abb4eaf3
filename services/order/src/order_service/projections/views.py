"""The order as its read model shows it, folded from the order's own events with the domain's
`evolve`, plus what the other services said about it (delivery, refund cases)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from contracts.events.base import OrderEvent
from contracts.events.order import OrderPlaced, OrderRated
from order_service.domain import order_decider
from order_service.domain.state import OrderState
from order_service.domain.status import platform_status, timeout_at


def order_state(events: Sequence[OrderEvent]) -> OrderState:
    return order_decider.fold(events)


def order_detail(
    state: OrderState,
    events: Sequence[OrderEvent],
    others: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The JSON detail of an order; `others` are the timeline rows of other services."""
    placed = next(event for event in events if isinstance(event, OrderPlaced))
    rating = next((event for event in events if isinstance(event, OrderRated)), None)
    currency = state.currency

    def money(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": currency}

    delivered = [row for row in others if row["event_type"] == "logistics.delivered"]
    cases: dict[str, str] = {}
    for row in others:
        case_id = row["data"].get("case_id")
        if row["source"] == "aftersales" and case_id:
            cases[case_id] = row["event_type"].removeprefix("aftersales.")
    return {
        "channel": placed.channel.value,
        "goods_kind": placed.goods_kind.value,
        "items": [item.model_dump(mode="json") for item in placed.items],
        "receiver": state.receiver.model_dump(mode="json") if state.receiver else None,
        "buyer_note": placed.buyer_note,
        "amounts": {
            "items_total": placed.items_total.model_dump(mode="json"),
            "shipping_fee": placed.shipping_fee.model_dump(mode="json"),
            "discount": placed.discount.model_dump(mode="json"),
            "payable": money(state.payable),
            "paid": money(state.paid),
            "refunded": money(state.refunded),
            "refundable": money(state.refundable),
            "cancellation_refund_due": money(state.cancellation_refund_due),
            "duplicate_surplus": money(state.surplus),
        },
        "payment_due_by": placed.payment_due_by.isoformat(),
        "presale": placed.presale.model_dump(mode="json") if placed.presale else None,
        "balance_reminded": state.balance_reminded,
        "shipment": None
        if state.waybill is None
        else {
            "waybill": state.waybill.model_dump(mode="json"),
            "shipped_at": _iso(state.shipped_at),
            "delivered_at": delivered[-1]["data"].get("delivered_at") if delivered else None,
            "auto_confirm_at": _iso(state.auto_confirm_at),
            "auto_confirm_extended": state.auto_confirm_extended,
        },
        "refund_cases": cases,
        "close_reason": state.close_reason.value if state.close_reason else None,
        "rating": None
        if rating is None
        else rating.model_dump(mode="json", exclude={"order_id", "shop_id"}),
    }


def summary_columns(state: OrderState) -> dict[str, Any]:
    """The queryable columns of `order_view` for the state."""
    status = platform_status(state)
    assert status is not None  # only existing orders have a row
    return {
        "shop_id": state.shop_id,
        "buyer_id": state.buyer_id,
        "status": state.status.value,
        "platform_status": status.value,
        "timeout_at": timeout_at(state),
        "currency": state.currency,
        "payable": state.payable,
        "paid": state.paid,
        "refunded": state.refunded,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
