"""The case and complaint deadlines (one per case or complaint and kind, key = its id): their
kinds, which decided events start or stop them, and what each does when it fires."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.state_tables import find_case, find_complaint
from aftersales_service.domain.commands import (
    ComplaintDeadlineCommand,
    DeadlineCommand,
    ExpireAnswerDeadline,
    ExpireAppealWindow,
    ExpireComplaintAcceptance,
    ExpireComplaintFollowUp,
    ExpireComplaintReply,
    ExpireReturnConfirmation,
    ExpireReturnShipment,
)
from aftersales_service.domain.policy import RefundPolicy
from contracts.events.aftersales import (
    AftersalesStreamEvent,
    ComplaintAccepted,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintFiled,
    ComplaintReplied,
    ComplaintRuled,
    Disputed,
    RefundAmended,
    RefundApproved,
    RefundCaseEvent,
    RefundClosed,
    Refunded,
    RefundGoodsStatusCorrected,
    RefundRejected,
    RefundRequested,
    RefundWithdrawn,
    ReturnReceived,
    ReturnRejected,
    ReturnShipped,
)
from eventing.deadlines import Deadline, DeadlineHandler, DeadlineScheduler
from eventing.handler import Acting

if TYPE_CHECKING:  # the kit's types are declared with the rules, which schedule deadlines
    from aftersales_service.application.commands import AftersalesGiven, AftersalesKit


class DeadlineKind(StrEnum):
    ANSWER = "aftersales.answer"
    RETURN_SHIPMENT = "aftersales.return_shipment"
    RETURN_CONFIRMATION = "aftersales.return_confirmation"
    APPEAL = "aftersales.appeal"
    COMPLAINT_ACCEPT = "aftersales.complaint_accept"
    COMPLAINT_REPLY = "aftersales.complaint_reply"
    COMPLAINT_FOLLOW_UP = "aftersales.complaint_follow_up"

    @property
    def of_complaint(self) -> bool:
        return self in _COMPLAINT_KINDS


_COMPLAINT_KINDS = (
    DeadlineKind.COMPLAINT_ACCEPT, DeadlineKind.COMPLAINT_REPLY, DeadlineKind.COMPLAINT_FOLLOW_UP,
)  # fmt: skip
_CASE_KINDS = tuple(kind for kind in DeadlineKind if not kind.of_complaint)


@dataclass(frozen=True, slots=True)
class ScheduleDeadline:
    kind: DeadlineKind
    case_id: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class CancelDeadline:
    kind: DeadlineKind
    case_id: str


DeadlineChange = ScheduleDeadline | CancelDeadline


def deadline_changes(events: Sequence[AftersalesStreamEvent]) -> list[DeadlineChange]:
    """The deadline changes `events` call for, in order (a later change wins)."""
    changes: list[DeadlineChange] = []
    for event in events:
        if isinstance(event, RefundCaseEvent):
            changes.extend(_changes(event))
        else:
            changes.extend(_complaint_changes(event))
    return changes


def _complaint_changes(event: AftersalesStreamEvent) -> list[DeadlineChange]:
    """A complaint waits on one deadline at a time: accept, then reply, then follow-up."""
    match event:
        case ComplaintFiled():
            return [ScheduleDeadline(DeadlineKind.COMPLAINT_ACCEPT, event.complaint_id,
                                     event.accept_due_by)]  # fmt: skip
        case ComplaintAccepted():
            return [CancelDeadline(DeadlineKind.COMPLAINT_ACCEPT, event.complaint_id),
                    ScheduleDeadline(DeadlineKind.COMPLAINT_REPLY, event.complaint_id,
                                     event.reply_due_by)]  # fmt: skip
        case ComplaintReplied():
            return [CancelDeadline(DeadlineKind.COMPLAINT_REPLY, event.complaint_id),
                    ScheduleDeadline(DeadlineKind.COMPLAINT_FOLLOW_UP, event.complaint_id,
                                     event.follow_up_by)]  # fmt: skip
        case ComplaintEscalated() | ComplaintRuled() | ComplaintClosed():
            return [CancelDeadline(kind, event.complaint_id) for kind in _COMPLAINT_KINDS]
    return []


def _changes(event: RefundCaseEvent) -> list[DeadlineChange]:
    case = event.case_id
    match event:
        case RefundRequested() | RefundAmended():
            return [CancelDeadline(DeadlineKind.APPEAL, case),
                    ScheduleDeadline(DeadlineKind.ANSWER, case, event.answer_due_by)]  # fmt: skip
        case RefundGoodsStatusCorrected():
            return [ScheduleDeadline(DeadlineKind.ANSWER, case, event.answer_due_by)]
        case RefundApproved():
            changes: list[DeadlineChange] = [CancelDeadline(DeadlineKind.ANSWER, case)]
            if event.return_by is not None:
                changes.append(
                    ScheduleDeadline(DeadlineKind.RETURN_SHIPMENT, case, event.return_by)
                )
            return changes
        case RefundRejected():
            return [CancelDeadline(DeadlineKind.ANSWER, case),
                    ScheduleDeadline(DeadlineKind.APPEAL, case, event.appeal_by)]  # fmt: skip
        case ReturnShipped():
            confirmation = DeadlineKind.RETURN_CONFIRMATION
            return [CancelDeadline(DeadlineKind.RETURN_SHIPMENT, case),
                    ScheduleDeadline(confirmation, case, event.confirm_by)]  # fmt: skip
        case ReturnRejected():
            return [CancelDeadline(DeadlineKind.RETURN_CONFIRMATION, case),
                    ScheduleDeadline(DeadlineKind.APPEAL, case, event.appeal_by)]  # fmt: skip
        case Disputed():
            return [CancelDeadline(DeadlineKind.APPEAL, case)]
        case Refunded() | RefundClosed() | RefundWithdrawn() | ReturnReceived():
            return [CancelDeadline(kind, case) for kind in _CASE_KINDS]
    return []


async def keep_deadlines(
    scheduler: DeadlineScheduler,
    connection: AsyncConnection,
    order_id: str,
    events: Sequence[AftersalesStreamEvent],
    acting: Acting,
) -> None:
    """Schedule and cancel what `events` call for, in the transaction that appends them (so a
    deadline exists exactly while its case waits for it); a deadline carries the correlation of
    the flow that started it (`Acting.deadline` reads it back)."""
    for change in deadline_changes(events):
        if isinstance(change, CancelDeadline):
            await scheduler.cancel(change.kind.value, change.case_id, connection=connection)
            continue
        payload = {"order_id": order_id, "correlation_id": acting.metadata.correlation_id}
        deadline = Deadline(change.kind.value, change.case_id, change.due_at, payload)
        await scheduler.schedule(deadline, connection=connection)


def deadline_command(
    kind: DeadlineKind, case_id: str, policy: RefundPolicy, at: datetime
) -> DeadlineCommand:
    """The command a fired deadline of a case sends to the order's after-sales."""
    if kind is DeadlineKind.ANSWER:
        return ExpireAnswerDeadline(case_id, policy, at)
    if kind is DeadlineKind.RETURN_SHIPMENT:
        return ExpireReturnShipment(case_id, at)
    if kind is DeadlineKind.RETURN_CONFIRMATION:
        return ExpireReturnConfirmation(case_id, at)
    return ExpireAppealWindow(case_id, at)


def complaint_deadline_command(
    kind: DeadlineKind, complaint_id: str, at: datetime
) -> ComplaintDeadlineCommand:
    """The command a fired deadline of a complaint sends to the order's after-sales."""
    if kind is DeadlineKind.COMPLAINT_ACCEPT:
        return ExpireComplaintAcceptance(complaint_id, at)
    if kind is DeadlineKind.COMPLAINT_REPLY:
        return ExpireComplaintReply(complaint_id, at)
    return ExpireComplaintFollowUp(complaint_id, at)


def deadline_handlers(kit: AftersalesKit) -> Mapping[str, DeadlineHandler]:
    """What each fired deadline does: the system acts for the side that stayed silent (a
    deadline that fires late anyway decides nothing, see domain.timeouts)."""

    async def fire_complaint(deadline: Deadline, connection: AsyncConnection) -> None:
        complaint = await find_complaint(connection, deadline.key)
        if complaint is None:
            return  # the filing was rolled back; nothing waits for this deadline
        kind = DeadlineKind(deadline.kind)

        def expire(given: AftersalesGiven) -> ComplaintDeadlineCommand:
            return complaint_deadline_command(kind, complaint.complaint_id, given.now)

        acting = Acting.deadline(deadline)
        await kit.commands.execute(connection, complaint.order_id, expire, acting)

    async def fire(deadline: Deadline, connection: AsyncConnection) -> None:
        case = await find_case(connection, deadline.key)
        if case is None:
            return  # the case's request was rolled back; nothing waits for this deadline
        kind = DeadlineKind(deadline.kind)

        def expire(given: AftersalesGiven) -> DeadlineCommand:
            return deadline_command(kind, case.case_id, given.policy, given.now)

        await kit.commands.execute(connection, case.order_id, expire, Acting.deadline(deadline))

    return {kind.value: fire_complaint if kind.of_complaint else fire for kind in DeadlineKind}
