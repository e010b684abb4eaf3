"""Builders for after-sales scenarios: one paid order, its facts, a shop policy, past events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aftersales_service.domain.commands import RefundTerms, RequestRefund
from aftersales_service.domain.decide import aftersales_decider
from aftersales_service.domain.facts import OrderFacts
from aftersales_service.domain.policy import ComplaintPolicy, RefundPolicy
from contracts.events.aftersales import (
    Disputed,
    DisputeParty,
    GoodsStatus,
    RefundApproved,
    RefundKind,
    RefundReason,
    RefundRejected,
    RefundRejectionReason,
    RefundRequested,
    ReturnRejected,
    ReturnRejectionReason,
    ReturnShipped,
)
from contracts.values import Address, Money, SkuQuantity, Waybill
from eventing.testing import DeciderSpec

T0 = datetime(2031, 3, 1, 8, 0, tzinfo=UTC)
ORDER_ID = "ord-1"
SHOP_ID = "shop-1"
BUYER_ID = "buyer-1"
CASE_ID = "case-1"
PAID = 10_000
RETURN_ADDRESS = Address(province="Zhejiang", city="Hangzhou", street="1 Returns Road")
WAYBILL = Waybill(carrier="SF", tracking_number="SF123456789")

POLICY = RefundPolicy(
    answer_before_shipment=timedelta(hours=24),
    answer_not_received=timedelta(hours=36),
    answer_after_receipt=timedelta(days=5),
    return_ship_window=timedelta(days=7),
    return_confirm_window=timedelta(days=10),
    appeal_window=timedelta(days=5),
    evidence_window=timedelta(days=3),
    complaints=ComplaintPolicy(
        accept_window=timedelta(hours=24),
        reply_window=timedelta(days=3),
        follow_up_window=timedelta(days=7),
    ),
    return_address=RETURN_ADDRESS,
)

FACTS = OrderFacts(
    order_id=ORDER_ID,
    shop_id=SHOP_ID,
    buyer_id=BUYER_ID,
    currency="CNY",
    ordered={"SKU-A": 2, "SKU-B": 1},
    paid=PAID,
)
SHIPPED = replace(
    FACTS,
    shipped=True,
    shipped_items=(SkuQuantity(sku="SKU-A", quantity=2), SkuQuantity(sku="SKU-B", quantity=1)),
)
RECEIVED = replace(SHIPPED, delivered=True)


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def spec() -> DeciderSpec[Any, Any, Any]:
    return DeciderSpec(aftersales_decider)


def terms(
    kind: RefundKind = RefundKind.REFUND_ONLY,
    amount: int = 3_000,
    items: tuple[SkuQuantity, ...] = (),
    reason: RefundReason = RefundReason.CHANGED_MIND,
) -> RefundTerms:
    return RefundTerms(kind=kind, reason=reason, amount=cny(amount), items=items)


def request(
    case_id: str = CASE_ID,
    facts: OrderFacts | None = FACTS,
    at: datetime = T0,
    **kwargs: Any,
) -> RequestRefund:
    return RequestRefund(
        case_id=case_id, buyer_id=BUYER_ID, terms=terms(**kwargs), facts=facts, policy=POLICY,
        at=at,
    )  # fmt: skip


def requested(
    case_id: str = CASE_ID,
    kind: RefundKind = RefundKind.REFUND_ONLY,
    amount: int = 3_000,
    items: tuple[SkuQuantity, ...] = (),
    goods_status: GoodsStatus = GoodsStatus.NOT_SHIPPED,
    at: datetime = T0,
) -> RefundRequested:
    return RefundRequested(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=case_id, buyer_id=BUYER_ID, kind=kind,
        reason=RefundReason.CHANGED_MIND, amount=cny(amount), items=items,
        goods_status=goods_status, answer_due_by=at + POLICY.answer_window(goods_status),
        requested_at=at,
    )  # fmt: skip


RETURN_ITEMS = (SkuQuantity(sku="SKU-A", quantity=1),)


def return_requested(case_id: str = CASE_ID, amount: int = 4_000) -> RefundRequested:
    return requested(
        case_id, RefundKind.RETURN_AND_REFUND, amount, RETURN_ITEMS, GoodsStatus.RECEIVED
    )


def return_approved(
    case_id: str = CASE_ID, amount: int = 4_000, at: datetime = T0
) -> RefundApproved:
    return RefundApproved(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=case_id, amount=cny(amount), automatic=False,
        return_by=at + POLICY.return_ship_window, return_address=RETURN_ADDRESS,
    )  # fmt: skip


def return_shipped(case_id: str = CASE_ID, at: datetime = T0) -> ReturnShipped:
    return ReturnShipped(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=case_id, waybill=WAYBILL, shipped_at=at,
        confirm_by=at + POLICY.return_confirm_window,
    )  # fmt: skip


def rejected(case_id: str = CASE_ID, at: datetime = T0) -> RefundRejected:
    return RefundRejected(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=case_id,
        reason=RefundRejectionReason.OUTSIDE_RETURN_POLICY, appeal_by=at + POLICY.appeal_window,
    )  # fmt: skip


def return_rejected(case_id: str = CASE_ID, at: datetime = T0) -> ReturnRejected:
    return ReturnRejected(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=case_id,
        reason=ReturnRejectionReason.NOT_THE_GOODS_SHIPPED, appeal_by=at + POLICY.appeal_window,
    )  # fmt: skip


def disputed(case_id: str = CASE_ID, at: datetime = T0) -> Disputed:
    return Disputed(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=case_id, opened_by=DisputeParty.BUYER,
        reason="the seller refuses a fair request", evidence_due_by=at + POLICY.evidence_window,
    )  # fmt: skip
