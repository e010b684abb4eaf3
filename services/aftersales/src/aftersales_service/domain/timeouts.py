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
    RecordOrderDelivered,
    RecordOrderShipped,
)
from aftersales_service.domain.policy import RefundPolicy
from aftersales_service.domain.state import AftersalesState, CaseStatus, RefundCase
from contracts.events.aftersales import (
    GoodsStatus,
    RefundCaseEvent,
    RefundClosed,
    RefundCloseReason,
    RefundGoodsStatusCorrected,
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
    """Each unanswered request that was opened as "not shipped" is placed by business time:
    asked before the parcel left, a refund-only request is settled by the shipment (shipping
    inside the answer window); asked at or after it (the shipment reached after-sales late),
    it concerns shipped goods that have not arrived, with their answer window from the request.
    """
    decided: list[RefundCaseEvent] = []
    for case in _unanswered(state, (GoodsStatus.NOT_SHIPPED,)):
        if _asked_since(case, command.shipped_at):
            status = GoodsStatus.NOT_RECEIVED
            decided.append(_corrected(state, case, status, command.shipped_at, command.policy))
        elif case.kind is RefundKind.REFUND_ONLY:
            decided.append(_closed(state, case, RefundCloseReason.SHIPPED_BEFORE_ANSWER))
    return decided


def record_order_delivered(
    command: RecordOrderDelivered, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    """An unanswered request asked after the parcel was signed for (the delivery reached
    after-sales late) concerns received goods, with their answer window from the request; one
    asked before it keeps the window it was given."""
    status = GoodsStatus.RECEIVED
    return [
        _corrected(state, case, status, command.delivered_at, command.policy)
        for case in _unanswered(state, (GoodsStatus.NOT_SHIPPED, GoodsStatus.NOT_RECEIVED))
        if _asked_since(case, command.delivered_at)
    ]


def _unanswered(
    state: AftersalesState, goods_statuses: tuple[GoodsStatus, ...]
) -> list[RefundCase]:
    return [
        case
        for case in state.cases.values()
        if case.status is CaseStatus.WAITING_SELLER
        and case.goods_status in goods_statuses
        and not case.is_intercept
    ]


def _asked_since(case: RefundCase, moment: datetime) -> bool:
    """Whether the request was made at or after `moment` (unknown for old cases: no)."""
    return case.requested_at is not None and case.requested_at >= moment


def _corrected(
    state: AftersalesState,
    case: RefundCase,
    status: GoodsStatus,
    since: datetime,
    policy: RefundPolicy,
) -> RefundGoodsStatusCorrected:
    assert case.requested_at is not None
    order_id, shop_id = order_of(state)
    return RefundGoodsStatusCorrected(
        order_id=order_id, shop_id=shop_id, case_id=case.case_id, goods_status=status,
        status_since=since, answer_due_by=case.requested_at + policy.answer_window(status),
    )  # fmt: skip


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
