"""The complaint flow (handbooks' 投诉处理流程): the buyer files, the shop accepts, analyses
(responsibility), handles (remedy) and replies, the buyer follows up; a shop that lets its
accept or reply deadline pass, or a buyer left unsatisfied, hands it to the platform, which rules.

A deadline that no longer applies (the complaint moved on) decides nothing, so a deadline firing
late or twice is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aftersales_service.domain import errors
from aftersales_service.domain.cases import order_of
from aftersales_service.domain.commands import (
    AcceptComplaint,
    AnalyseComplaint,
    ExpireComplaintAcceptance,
    ExpireComplaintFollowUp,
    ExpireComplaintReply,
    FileComplaint,
    FollowUpComplaint,
    HandleComplaint,
    ReplyToComplaint,
    RuleOnComplaint,
)
from aftersales_service.domain.complaints import Complaint, ComplaintStatus
from aftersales_service.domain.facts import OrderFacts
from aftersales_service.domain.requests import paid_order
from aftersales_service.domain.state import AftersalesState
from contracts.events.aftersales import (
    ComplaintAccepted,
    ComplaintAnalysed,
    ComplaintClosed,
    ComplaintCloseReason,
    ComplaintEscalated,
    ComplaintEscalationReason,
    ComplaintEvent,
    ComplaintFiled,
    ComplaintFiler,
    ComplaintFollowedUp,
    ComplaintHandled,
    ComplaintRemedy,
    ComplaintRemedyKind,
    ComplaintReplied,
    ComplaintRuled,
    ComplaintRulingOutcome,
)
from contracts.values import Money


def file_complaint(command: FileComplaint, state: AftersalesState) -> Sequence[ComplaintEvent]:
    facts = paid_order(command.facts)  # complaint rate = complaints / paid orders
    if command.buyer_id is not None and command.buyer_id != facts.buyer_id:
        raise errors.NotTheOrdersBuyerToComplain(
            f"order {facts.order_id} belongs to another buyer", order_id=facts.order_id
        )
    if command.complaint_id in state.complaints:
        raise errors.ComplaintAlreadyExists(f"complaint {command.complaint_id} exists already")
    for other in state.complaints.values():
        if other.open and (other.about, other.category) == (command.about, command.category):
            raise errors.ComplaintAlreadyOpen(
                f"complaint {other.complaint_id} about the {command.about.value} "
                f"({command.category.value}) is open", complaint_id=other.complaint_id,
            )  # fmt: skip
    filer = ComplaintFiler.BUYER if command.buyer_id else ComplaintFiler.CUSTOMER_SERVICE
    return [
        ComplaintFiled(
            order_id=facts.order_id, shop_id=facts.shop_id, complaint_id=command.complaint_id,
            buyer_id=facts.buyer_id, filed_by=filer, about=command.about,
            category=command.category, text=command.text, attachments=command.attachments,
            filed_at=command.at, accept_due_by=command.at + command.policy.complaints.accept_window,
        )
    ]  # fmt: skip


def accept_complaint(command: AcceptComplaint, state: AftersalesState) -> Sequence[ComplaintEvent]:
    complaint = _at_step(state, command.complaint_id, ComplaintStatus.WAIT_SELLER_ACCEPT)
    _in_time(complaint.accept_due_by, command.at, "accept")
    reply_due_by = command.at + command.policy.complaints.reply_window
    return [ComplaintAccepted(**_ids(state, complaint), note=command.note,
                              reply_due_by=reply_due_by)]  # fmt: skip


def analyse_complaint(
    command: AnalyseComplaint, state: AftersalesState
) -> Sequence[ComplaintEvent]:
    complaint = _handling(
        state, command.complaint_id, ComplaintStatus.WAIT_SELLER_ANALYSE, command.at
    )
    return [
        ComplaintAnalysed(
            **_ids(state, complaint), responsibility=command.responsibility, finding=command.finding
        )
    ]


def handle_complaint(command: HandleComplaint, state: AftersalesState) -> Sequence[ComplaintEvent]:
    complaint = _handling(
        state, command.complaint_id, ComplaintStatus.WAIT_SELLER_HANDLE, command.at
    )
    _check_remedy(command.remedy, command.facts, state)
    return [ComplaintHandled(**_ids(state, complaint), remedy=command.remedy)]


def reply_to_complaint(
    command: ReplyToComplaint, state: AftersalesState
) -> Sequence[ComplaintEvent]:
    complaint = _handling(
        state, command.complaint_id, ComplaintStatus.WAIT_SELLER_REPLY, command.at
    )
    follow_up_by = command.at + command.policy.complaints.follow_up_window
    return [
        ComplaintReplied(
            **_ids(state, complaint), reply=command.reply, replied_at=command.at,
            follow_up_by=follow_up_by,
        )
    ]  # fmt: skip


def follow_up_complaint(
    command: FollowUpComplaint, state: AftersalesState
) -> Sequence[ComplaintEvent]:
    complaint = _at_step(state, command.complaint_id, ComplaintStatus.WAIT_BUYER_FOLLOW_UP)
    assert complaint.follow_up_by is not None
    _in_time(complaint.follow_up_by, command.at, "follow up")
    ids = _ids(state, complaint)
    followed = ComplaintFollowedUp(**ids, satisfied=command.satisfied, comment=command.comment)
    if command.satisfied:
        reason = ComplaintCloseReason.BUYER_SATISFIED
        return [followed, ComplaintClosed(**ids, reason=reason, closed_at=command.at)]
    reason_ = ComplaintEscalationReason.BUYER_UNSATISFIED
    return [followed, ComplaintEscalated(**ids, reason=reason_, escalated_at=command.at)]


def rule_on_complaint(command: RuleOnComplaint, state: AftersalesState) -> Sequence[ComplaintEvent]:
    complaint = _at_step(state, command.complaint_id, ComplaintStatus.PLATFORM_INTERVENED)
    if command.compensation is not None:
        if command.outcome is ComplaintRulingOutcome.DISMISSED:
            raise errors.ComplaintCompensationInvalid("a dismissed complaint awards nothing")
        _check_compensation(command.compensation, command.facts)
    return [
        ComplaintRuled(
            **_ids(state, complaint), outcome=command.outcome,
            responsibility=command.responsibility, note=command.note,
            compensation=command.compensation, ruled_at=command.at,
        )
    ]  # fmt: skip


def expire_complaint_acceptance(
    command: ExpireComplaintAcceptance, state: AftersalesState
) -> Sequence[ComplaintEvent]:
    complaint = state.complaints.get(command.complaint_id)
    if complaint is None or complaint.status is not ComplaintStatus.WAIT_SELLER_ACCEPT:
        return []
    if command.at < complaint.accept_due_by:
        return []
    return [
        _escalated(state, complaint, ComplaintEscalationReason.NOT_ACCEPTED_IN_TIME, command.at)
    ]


def expire_complaint_reply(
    command: ExpireComplaintReply, state: AftersalesState
) -> Sequence[ComplaintEvent]:
    complaint = state.complaints.get(command.complaint_id)
    if complaint is None or not complaint.status.with_seller:
        return []
    assert complaint.reply_due_by is not None
    if command.at < complaint.reply_due_by:
        return []
    return [_escalated(state, complaint, ComplaintEscalationReason.NOT_HANDLED_IN_TIME, command.at)]


def expire_complaint_follow_up(
    command: ExpireComplaintFollowUp, state: AftersalesState
) -> Sequence[ComplaintEvent]:
    complaint = state.complaints.get(command.complaint_id)
    if complaint is None or complaint.status is not ComplaintStatus.WAIT_BUYER_FOLLOW_UP:
        return []
    assert complaint.follow_up_by is not None
    if command.at < complaint.follow_up_by:
        return []
    reason = ComplaintCloseReason.FOLLOW_UP_WINDOW_EXPIRED
    return [ComplaintClosed(**_ids(state, complaint), reason=reason, closed_at=command.at)]


def _complaint_of(state: AftersalesState, complaint_id: str) -> Complaint:
    complaint = state.complaints.get(complaint_id)
    if complaint is None:
        raise errors.ComplaintNotFound(f"no complaint {complaint_id}", complaint_id=complaint_id)
    return complaint


def _at_step(state: AftersalesState, complaint_id: str, step: ComplaintStatus) -> Complaint:
    complaint = _complaint_of(state, complaint_id)
    if complaint.status is not step:
        raise errors.ComplaintNotAtThisStep(
            f"complaint {complaint_id} is {complaint.status.value}, not {step.value}",
            complaint_status=complaint.status.value,
        )
    return complaint


def _handling(
    state: AftersalesState, complaint_id: str, step: ComplaintStatus, at: datetime
) -> Complaint:
    """A step of the shop's handling, taken before the reply deadline."""
    complaint = _at_step(state, complaint_id, step)
    assert complaint.reply_due_by is not None
    _in_time(complaint.reply_due_by, at, "reply")
    return complaint


def _in_time(due_by: datetime, at: datetime, step: str) -> None:
    if at > due_by:
        raise errors.ComplaintDeadlinePassed(
            f"the time to {step} ended at {due_by.isoformat()}", due_by=due_by.isoformat()
        )


def _check_remedy(remedy: ComplaintRemedy, facts: OrderFacts, state: AftersalesState) -> None:
    """Each kind carries its own field and no other's: a refund its case (one of this order's),
    a reshipment its waybill, a compensation its amount, an apology its text."""
    given = {
        ComplaintRemedyKind.REFUND: remedy.refund_case_id is not None,
        ComplaintRemedyKind.RESHIPMENT: remedy.waybill is not None,
        ComplaintRemedyKind.COMPENSATION: remedy.compensation is not None,
    }
    extra = [kind.value for kind, present in given.items() if present and kind is not remedy.kind]
    if extra or not given.get(remedy.kind, bool(remedy.note)):
        raise errors.ComplaintRemedyInvalid(
            f"a {remedy.kind.value} remedy carries "
            + {
                ComplaintRemedyKind.REFUND: "refund_case_id",
                ComplaintRemedyKind.RESHIPMENT: "waybill",
                ComplaintRemedyKind.COMPENSATION: "compensation",
                ComplaintRemedyKind.APOLOGY: "note",
            }[remedy.kind]
            + (f" and no {', '.join(extra)}" if extra else "")
        )
    if remedy.refund_case_id is not None and remedy.refund_case_id not in state.cases:
        raise errors.ComplaintRemedyCaseUnknown(
            f"refund case {remedy.refund_case_id} is not one of order {facts.order_id}'s"
        )
    if remedy.compensation is not None:
        _check_compensation(remedy.compensation, facts)


def _check_compensation(amount: Money, facts: OrderFacts) -> None:
    paid = facts.paid or 0
    if amount.currency != facts.currency or not 0 < amount.amount <= paid:
        raise errors.ComplaintCompensationInvalid(
            f"a compensation is between 1 and {paid} {facts.currency}"
        )


def _ids(state: AftersalesState, complaint: Complaint) -> dict[str, str]:
    order_id, shop_id = order_of(state)
    return {"order_id": order_id, "shop_id": shop_id, "complaint_id": complaint.complaint_id}


def _escalated(
    state: AftersalesState, complaint: Complaint, reason: ComplaintEscalationReason, at: datetime
) -> ComplaintEscalated:
    return ComplaintEscalated(**_ids(state, complaint), reason=reason, escalated_at=at)
