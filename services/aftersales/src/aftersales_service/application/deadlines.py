"""The case deadlines: which ones the decided events start or stop, and what each fires.

One deadline per case and kind (the deadline key is the case id). They are scheduled and
cancelled in the transaction that appends the events, so a deadline exists exactly while its
case waits for it; a deadline that fires late anyway decides nothing (see domain.timeouts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aftersales_service.domain.commands import (
    DeadlineCommand,
    ExpireAnswerDeadline,
    ExpireAppealWindow,
    ExpireReturnConfirmation,
    ExpireReturnShipment,
)
from aftersales_service.domain.policy import RefundPolicy
from contracts.events.aftersales import (
    Disputed,
    RefundAmended,
    RefundApproved,
    RefundCaseEvent,
    RefundClosed,
    Refunded,
    RefundRejected,
    RefundRequested,
    RefundWithdrawn,
    ReturnReceived,
    ReturnRejected,
    ReturnShipped,
)


class DeadlineKind(StrEnum):
    ANSWER = "aftersales.answer"
    RETURN_SHIPMENT = "aftersales.return_shipment"
    RETURN_CONFIRMATION = "aftersales.return_confirmation"
    APPEAL = "aftersales.appeal"


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


def deadline_changes(events: Sequence[RefundCaseEvent]) -> list[DeadlineChange]:
    """The deadline changes `events` call for, in order (a later change wins)."""
    changes: list[DeadlineChange] = []
    for event in events:
        changes.extend(_changes(event))
    return changes


def _changes(event: RefundCaseEvent) -> list[DeadlineChange]:
    case = event.case_id
    match event:
        case RefundRequested() | RefundAmended():
            return [CancelDeadline(DeadlineKind.APPEAL, case),
                    ScheduleDeadline(DeadlineKind.ANSWER, case, event.answer_due_by)]  # fmt: skip
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
            return [CancelDeadline(kind, case) for kind in DeadlineKind]
    return []


def deadline_command(
    kind: DeadlineKind, case_id: str, policy: RefundPolicy, at: datetime
) -> DeadlineCommand:
    """The command a fired deadline sends to the order's after-sales."""
    if kind is DeadlineKind.ANSWER:
        return ExpireAnswerDeadline(case_id, policy, at)
    if kind is DeadlineKind.RETURN_SHIPMENT:
        return ExpireReturnShipment(case_id, at)
    if kind is DeadlineKind.RETURN_CONFIRMATION:
        return ExpireReturnConfirmation(case_id, at)
    return ExpireAppealWindow(case_id, at)
