"""Read-model rows as API views, masked by role."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row

from aftersales_service.api.models import CaseView, DisputeView
from aftersales_service.domain.state import CaseStatus
from aftersales_service.domain.status import (
    InterventionStatus,
    ReferenceGoodsStatus,
    reference_status,
)
from contracts.events.aftersales import GoodsStatus
from contracts.values import Address, Money, SkuQuantity, Waybill
from eventing.http.auth import Caller, Role
from eventing.http.masking import mask_address


def case_view(row: Row[Any], caller: Caller, now: Any) -> CaseView:
    status = CaseStatus(row.status)
    dispute = _dispute(row.dispute)
    address = Address.model_validate(_json(row.return_address)) if row.return_address else None
    if address is not None and caller.role is Role.OPS:
        address = mask_address(address)  # ops work the queues; they do not ship anything
    waybill = Waybill.model_validate(_json(row.return_waybill)) if row.return_waybill else None
    return CaseView(
        case_id=row.case_id, order_id=row.order_id, shop_id=row.shop_id, buyer_id=row.buyer_id,
        kind=row.kind, reason=row.reason, description=row.description, status=status,
        refund_status=reference_status(status), goods_status=row.goods_status,
        reference_goods_status=_goods(row.goods_status, waybill),
        intervention=_intervention(dispute, now),
        amount=Money(amount=row.amount, currency=row.currency),
        refunded=(Money(amount=row.refunded_amount, currency=row.currency)
                  if row.refunded_amount is not None else None),
        items=[SkuQuantity.model_validate(i) for i in _json(row.items)],
        intercept=row.intercept, answer_due_by=row.answer_due_by, return_by=row.return_by,
        confirm_by=row.confirm_by, appeal_by=row.appeal_by,
        next_deadline_at=row.next_deadline_at, next_deadline_kind=row.next_deadline_kind,
        return_address=address, return_waybill=waybill, rejection_reason=row.rejection_reason,
        rejection_note=row.rejection_note, automatic_approval=row.automatic_approval,
        seller_timed_out=row.seller_timed_out, dispute=dispute,
        refund_trigger=row.refund_trigger, close_reason=row.close_reason,
        opened_at=row.opened_at, updated_at=row.updated_at, ended_at=row.ended_at,
        version=row.stream_version,
    )  # fmt: skip


def _dispute(document: Any) -> DisputeView | None:
    if not document:
        return None
    return DisputeView.model_validate(_json(document))


def _intervention(dispute: DisputeView | None, now: Any) -> InterventionStatus | None:
    if dispute is None:
        return None
    if dispute.ruling is not None:
        return InterventionStatus.RULED
    if now <= dispute.evidence_due_by:
        return InterventionStatus.REQUESTED
    return InterventionStatus.INTERVENED


def _goods(goods_status: str, waybill: Waybill | None) -> ReferenceGoodsStatus:
    if waybill is not None:
        return ReferenceGoodsStatus.BUYER_RETURNED_GOODS
    if GoodsStatus(goods_status) is GoodsStatus.RECEIVED:
        return ReferenceGoodsStatus.BUYER_RECEIVED
    return ReferenceGoodsStatus.BUYER_NOT_RECEIVED


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
