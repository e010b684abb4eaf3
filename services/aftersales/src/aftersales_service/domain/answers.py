"""The seller's side: approve or reject a request, then the return of the goods.

A case that needs no return is paid out the moment it is approved; a return-and-refund case
waits for the goods to come back (or for the seller's time to confirm them to run out).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aftersales_service.domain import errors
from aftersales_service.domain.cases import open_case_of, order_of
from aftersales_service.domain.commands import (
    ApproveRefund,
    ConfirmReturnReceived,
    RejectRefund,
    RejectReturn,
    SubmitReturnShipment,
)
from aftersales_service.domain.policy import RefundPolicy
from aftersales_service.domain.state import AftersalesState, CaseStatus, RefundCase
from contracts.events.aftersales import (
    RefundApproved,
    RefundCaseEvent,
    Refunded,
    RefundRejected,
    RefundTrigger,
    ReturnReceived,
    ReturnRejected,
    ReturnShipped,
)
from contracts.values import Address, Money


def approve_refund(command: ApproveRefund, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    case = _awaiting_answer(state, command.case_id)
    address = command.return_address or command.policy.return_address
    if case.needs_return and address is None:
        raise errors.ReturnAddressRequired("name the address the goods go back to")
    return approval(
        state, case, command.policy, command.at, automatic=False, return_address=address
    )


def approval(
    state: AftersalesState,
    case: RefundCase,
    policy: RefundPolicy,
    at: datetime,
    *,
    automatic: bool,
    return_address: Address | None,
) -> list[RefundCaseEvent]:
    """The seller's yes (or the deadline's): a return starts, anything else is paid out."""
    order_id, shop_id = order_of(state)
    approved = RefundApproved(
        order_id=order_id, shop_id=shop_id, case_id=case.case_id, amount=case.amount,
        automatic=automatic,
        return_by=at + policy.return_ship_window if case.needs_return else None,
        return_address=return_address if case.needs_return else None,
    )  # fmt: skip
    if case.needs_return:
        return [approved]
    trigger = RefundTrigger.ANSWER_TIMEOUT if automatic else RefundTrigger.SELLER_APPROVED
    return [approved, payout(state, case, case.amount, trigger, at)]


def payout(
    state: AftersalesState, case: RefundCase, amount: Money, trigger: RefundTrigger, at: datetime
) -> Refunded:
    order_id, shop_id = order_of(state)
    return Refunded(
        order_id=order_id, shop_id=shop_id, case_id=case.case_id, kind=case.kind,
        amount=amount, trigger=trigger, refunded_at=at,
    )  # fmt: skip


def reject_refund(command: RejectRefund, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    case = _awaiting_answer(state, command.case_id)
    order_id, shop_id = order_of(state)
    return [
        RefundRejected(
            order_id=order_id, shop_id=shop_id, case_id=case.case_id, reason=command.reason,
            note=command.note, appeal_by=command.at + command.policy.appeal_window,
        )
    ]  # fmt: skip


def submit_return_shipment(
    command: SubmitReturnShipment, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    case = open_case_of(state, command.case_id)
    if case.status is not CaseStatus.WAITING_RETURN:
        raise errors.ReturnNotExpected(
            f"case {case.case_id} is {case.status.value}", case_status=case.status.value
        )
    assert case.return_by is not None
    if command.at > case.return_by:
        raise errors.ReturnWindowExpired(
            f"the goods had to be shipped back by {case.return_by.isoformat()}"
        )
    order_id, shop_id = order_of(state)
    return [
        ReturnShipped(
            order_id=order_id, shop_id=shop_id, case_id=case.case_id, waybill=command.waybill,
            shipped_at=command.at, confirm_by=command.at + command.policy.return_confirm_window,
        )
    ]  # fmt: skip


def confirm_return_received(
    command: ConfirmReturnReceived, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    """Also allowed before the buyer entered a waybill: a refused parcel comes back unasked."""
    case = open_case_of(state, command.case_id)
    if case.status not in (CaseStatus.WAITING_RETURN, CaseStatus.WAITING_RETURN_RECEIPT):
        raise errors.ReturnNotAwaitingReceipt(
            f"case {case.case_id} is {case.status.value}", case_status=case.status.value
        )
    order_id, shop_id = order_of(state)
    return [
        ReturnReceived(order_id=order_id, shop_id=shop_id, case_id=case.case_id,
                       note=command.note),
        payout(state, case, case.amount, RefundTrigger.RETURN_RECEIVED, command.at),
    ]  # fmt: skip


def reject_return(command: RejectReturn, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    case = open_case_of(state, command.case_id)
    if case.status is not CaseStatus.WAITING_RETURN_RECEIPT:
        raise errors.ReturnNotAwaitingReceipt(
            f"case {case.case_id} is {case.status.value}", case_status=case.status.value
        )
    order_id, shop_id = order_of(state)
    return [
        ReturnRejected(
            order_id=order_id, shop_id=shop_id, case_id=case.case_id, reason=command.reason,
            note=command.note, appeal_by=command.at + command.policy.appeal_window,
        )
    ]  # fmt: skip


def _awaiting_answer(state: AftersalesState, case_id: str) -> RefundCase:
    case = open_case_of(state, case_id)
    if case.status is not CaseStatus.WAITING_SELLER:
        raise errors.RefundCaseNotAwaitingAnswer(
            f"case {case_id} is {case.status.value}", case_status=case.status.value
        )
    return case
