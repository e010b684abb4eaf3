"""The platform's refund vocabulary, derived from a case (DOMAIN.md: reference vocabulary)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from aftersales_service.domain.state import CaseStatus, RefundCase
from contracts.events.aftersales import GoodsStatus


class ReferenceStatus(StrEnum):
    WAIT_SELLER_AGREE = "WAIT_SELLER_AGREE"
    WAIT_BUYER_RETURN_GOODS = "WAIT_BUYER_RETURN_GOODS"
    WAIT_SELLER_CONFIRM_GOODS = "WAIT_SELLER_CONFIRM_GOODS"
    SELLER_REFUSE_BUYER = "SELLER_REFUSE_BUYER"
    CLOSED = "CLOSED"
    SUCCESS = "SUCCESS"


class InterventionStatus(StrEnum):
    """Platform intervention: evidence being collected, under review, or ruled."""

    REQUESTED = "requested"
    INTERVENED = "intervened"
    RULED = "ruled"


class ReferenceGoodsStatus(StrEnum):
    BUYER_NOT_RECEIVED = "BUYER_NOT_RECEIVED"
    BUYER_RECEIVED = "BUYER_RECEIVED"
    BUYER_RETURNED_GOODS = "BUYER_RETURNED_GOODS"


_BY_STATUS = {
    CaseStatus.WAITING_SELLER: ReferenceStatus.WAIT_SELLER_AGREE,
    CaseStatus.WAITING_RETURN: ReferenceStatus.WAIT_BUYER_RETURN_GOODS,
    CaseStatus.WAITING_RETURN_RECEIPT: ReferenceStatus.WAIT_SELLER_CONFIRM_GOODS,
    CaseStatus.REFUND_REJECTED: ReferenceStatus.SELLER_REFUSE_BUYER,
    CaseStatus.RETURN_REJECTED: ReferenceStatus.SELLER_REFUSE_BUYER,
    # While the platform intervenes the case stays refused; the sub-state tells the rest.
    CaseStatus.DISPUTED: ReferenceStatus.SELLER_REFUSE_BUYER,
    CaseStatus.REFUNDED: ReferenceStatus.SUCCESS,
    CaseStatus.CLOSED: ReferenceStatus.CLOSED,
}


def reference_status(status: CaseStatus) -> ReferenceStatus:
    return _BY_STATUS[status]


def intervention_status(case: RefundCase, now: datetime) -> InterventionStatus | None:
    """None when the platform was never asked to intervene."""
    if case.dispute is None:
        return None
    if case.dispute.ruling is not None:
        return InterventionStatus.RULED
    if now <= case.dispute.evidence_due_by:
        return InterventionStatus.REQUESTED
    return InterventionStatus.INTERVENED


def reference_goods_status(case: RefundCase) -> ReferenceGoodsStatus:
    if case.return_waybill is not None:
        return ReferenceGoodsStatus.BUYER_RETURNED_GOODS
    if case.goods_status is GoodsStatus.RECEIVED:
        return ReferenceGoodsStatus.BUYER_RECEIVED
    return ReferenceGoodsStatus.BUYER_NOT_RECEIVED
