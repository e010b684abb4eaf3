"""The order as the platform's tools know it: trade status and when its current time-out fires."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from order_service.domain.state import OrderState, OrderStatus


class PlatformStatus(StrEnum):
    """The platform's trade states (DOMAIN.md, reference vocabulary), one per order state."""

    WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
    FRONT_PAID_FINAL_NOPAID = "FRONT_PAID_FINAL_NOPAID"  # presale: deposit paid, balance not
    WAIT_SELLER_SEND_GOODS = "WAIT_SELLER_SEND_GOODS"
    WAIT_BUYER_CONFIRM_GOODS = "WAIT_BUYER_CONFIRM_GOODS"
    TRADE_FINISHED = "TRADE_FINISHED"
    TRADE_CLOSED = "TRADE_CLOSED"  # closed after money moved (refunded or cancelled when paid)
    TRADE_CLOSED_BY_TAOBAO = "TRADE_CLOSED_BY_TAOBAO"  # closed before any payment


_OPEN = {
    OrderStatus.AWAITING_PAYMENT: PlatformStatus.WAIT_BUYER_PAY,
    OrderStatus.AWAITING_DEPOSIT: PlatformStatus.WAIT_BUYER_PAY,
    OrderStatus.AWAITING_BALANCE: PlatformStatus.FRONT_PAID_FINAL_NOPAID,
    OrderStatus.AWAITING_SHIPMENT: PlatformStatus.WAIT_SELLER_SEND_GOODS,
    OrderStatus.SHIPPED: PlatformStatus.WAIT_BUYER_CONFIRM_GOODS,
    OrderStatus.COMPLETED: PlatformStatus.TRADE_FINISHED,
}


def platform_status(state: OrderState) -> PlatformStatus | None:
    """The trade status, or None for an order that does not exist."""
    if state.status in _OPEN:
        return _OPEN[state.status]
    if state.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
        paid = state.paid > 0
        return PlatformStatus.TRADE_CLOSED if paid else PlatformStatus.TRADE_CLOSED_BY_TAOBAO
    return None


def timeout_at(state: OrderState) -> datetime | None:
    """When the order's current time-out fires: payment, balance or automatic receipt."""
    if state.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_DEPOSIT):
        return state.payment_due_by
    if state.status is OrderStatus.AWAITING_BALANCE and state.presale is not None:
        return state.presale.balance_due_by
    if state.status is OrderStatus.SHIPPED:
        return state.auto_confirm_at
    return None
