"""The case deadlines (one per case and kind, key = case id): their kinds, which decided events
start or stop them, and what each does when it fires."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.state_tables import find_case
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
            return [CancelDeadline(kind, case) for kind in DeadlineKind]
    return []


async def keep_deadlines(
    scheduler: DeadlineScheduler,
    connection: AsyncConnection,
    order_id: str,
    events: Sequence[RefundCaseEvent],
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
    """The command a fired deadline sends to the order's after-sales."""
    if kind is DeadlineKind.ANSWER:
        return ExpireAnswerDeadline(case_id, policy, at)
    if kind is DeadlineKind.RETURN_SHIPMENT:
        return ExpireReturnShipment(case_id, at)
    if kind is DeadlineKind.RETURN_CONFIRMATION:
        return ExpireReturnConfirmation(case_id, at)
    return ExpireAppealWindow(case_id, at)


def deadline_handlers(kit: AftersalesKit) -> Mapping[str, DeadlineHandler]:
    """What each fired deadline does: the system acts for the side that stayed silent (a
    deadline that fires late anyway decides nothing, see domain.timeouts)."""

    async def fire(deadline: Deadline, connection: AsyncConnection) -> None:
        case = await find_case(connection, deadline.key)
        if case is None:
            return  # the case's request was rolled back; nothing waits for this deadline
        kind = DeadlineKind(deadline.kind)

        def expire(given: AftersalesGiven) -> DeadlineCommand:
            return deadline_command(kind, case.case_id, given.policy, given.now)

        await kit.commands.execute(connection, case.order_id, expire, Acting.deadline(deadline))

    return {kind.value: fire for kind in DeadlineKind}
