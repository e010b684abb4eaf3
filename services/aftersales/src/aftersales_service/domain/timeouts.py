"""What happens when a deadline fires or the parcel leaves: the system acts for a silent side.

A deadline that no longer applies (the case moved on, or its deadline was moved later)
decides nothing, so a deadline firing late or twice is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aftersales_service.domain.answers import approval, payout
from aftersales_service.domain.cases import order_of
from aftersales_service.domain.commands import (
    ExpireAnswerDeadline,
    ExpireAppealWindow,
    ExpireReturnConfirmation,
    ExpireReturnShipment,
    RecordOrderShipped,
)
from aftersales_service.domain.state import AftersalesState, CaseStatus, RefundCase
from contracts.events.aftersales import (
    GoodsStatus,
    RefundCaseEvent,
    RefundClosed,
    RefundCloseReason,
    RefundKind,
    RefundTrigger,
)


def expire_answer_deadline(
    command: ExpireAnswerDeadline, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    case = _due(state, command.case_id, CaseStatus.WAITING_SELLER, "answer_due_by", command.at)
    if case is None:
        return []
    policy = command.policy
    return approval(
        state, case, policy, command.at, automatic=True, return_address=policy.return_address
    )


def expire_return_shipment(
    command: ExpireReturnShipment, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    case = _due(state, command.case_id, CaseStatus.WAITING_RETURN, "return_by", command.at)
    if case is None:
        return []
    return [_closed(state, case, RefundCloseReason.RETURN_NOT_SHIPPED)]


def expire_return_confirmation(
    command: ExpireReturnConfirmation, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    case = _due(state, command.case_id, CaseStatus.WAITING_RETURN_RECEIPT, "confirm_by", command.at)
    if case is None:
        return []
    return [payout(state, case, case.amount, RefundTrigger.RETURN_CONFIRM_TIMEOUT, command.at)]


def expire_appeal_window(
    command: ExpireAppealWindow, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    case = state.cases.get(command.case_id)
    if case is None or not case.status.rejected:
        return []
    assert case.appeal_by is not None
    if command.at < case.appeal_by:
        return []
    return [_closed(state, case, RefundCloseReason.APPEAL_WINDOW_EXPIRED)]


def record_order_shipped(
    command: RecordOrderShipped, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    """Shipping inside the answer window settles a refund-only request for unshipped goods."""
    return [
        _closed(state, case, RefundCloseReason.SHIPPED_BEFORE_ANSWER)
        for case in state.cases.values()
        if case.kind is RefundKind.REFUND_ONLY
        and case.goods_status is GoodsStatus.NOT_SHIPPED
        and case.status is CaseStatus.WAITING_SELLER
    ]


def _due(
    state: AftersalesState, case_id: str, status: CaseStatus, deadline: str, at: datetime
) -> RefundCase | None:
    case = state.cases.get(case_id)
    if case is None or case.status is not status:
        return None
    due_at: datetime | None = getattr(case, deadline)
    if due_at is None or at < due_at:
        return None
    return case


def _closed(state: AftersalesState, case: RefundCase, reason: RefundCloseReason) -> RefundClosed:
    order_id, shop_id = order_of(state)
    return RefundClosed(order_id=order_id, shop_id=shop_id, case_id=case.case_id, reason=reason)
