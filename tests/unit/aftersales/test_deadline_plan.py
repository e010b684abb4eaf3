"""Which case deadlines each decided event starts and stops (one per case and kind)."""

from __future__ import annotations

from datetime import timedelta

from aftersales_service.application.deadlines import (
    CancelDeadline,
    DeadlineKind,
    ScheduleDeadline,
    deadline_changes,
)
from contracts.events.aftersales import RefundClosed, RefundCloseReason
from tests.unit.aftersales.aftersales_scenarios import (
    CASE_ID,
    T0,
    disputed,
    rejected,
    requested,
    return_approved,
    return_rejected,
    return_shipped,
)


def test_each_waiting_step_starts_its_deadline_and_stops_the_previous_one() -> None:
    assert deadline_changes([requested()]) == [
        CancelDeadline(DeadlineKind.APPEAL, CASE_ID),
        ScheduleDeadline(DeadlineKind.ANSWER, CASE_ID, T0 + timedelta(hours=24)),
    ]
    assert deadline_changes([return_approved()]) == [
        CancelDeadline(DeadlineKind.ANSWER, CASE_ID),
        ScheduleDeadline(DeadlineKind.RETURN_SHIPMENT, CASE_ID, T0 + timedelta(days=7)),
    ]
    assert deadline_changes([return_shipped()]) == [
        CancelDeadline(DeadlineKind.RETURN_SHIPMENT, CASE_ID),
        ScheduleDeadline(DeadlineKind.RETURN_CONFIRMATION, CASE_ID, T0 + timedelta(days=10)),
    ]
    assert deadline_changes([return_rejected()])[-1] == ScheduleDeadline(
        DeadlineKind.APPEAL, CASE_ID, T0 + timedelta(days=5)
    )
    assert deadline_changes([rejected()])[0] == CancelDeadline(DeadlineKind.ANSWER, CASE_ID)
    assert deadline_changes([disputed()]) == [CancelDeadline(DeadlineKind.APPEAL, CASE_ID)]


def test_an_ended_case_keeps_no_deadline() -> None:
    closed = RefundClosed(
        order_id="ord-1", shop_id="shop-1", case_id=CASE_ID,
        reason=RefundCloseReason.RETURN_NOT_SHIPPED,
    )  # fmt: skip
    case_kinds = [kind for kind in DeadlineKind if not kind.of_complaint]
    assert deadline_changes([closed]) == [CancelDeadline(kind, CASE_ID) for kind in case_kinds]
