"""MarkDeadlineMissed: the ship-by target and limit, each reported at most once, never after
dispatch; a dispatch or cancellation past a deadline reports it itself, once, whichever of it
and the deadline's timer comes first."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import ShipDeadline, ShipDeadlineMissed, ShipmentCancellationReason
from eventing.testing import DeciderSpec
from logistics_service.domain import (
    CancelShipment,
    Dispatch,
    MarkDeadlineMissed,
    ShipmentCommand,
    ShipmentStatus,
    shipment_decider,
)
from logistics_service.domain.errors import DeadlineNotReached, ShipmentNotRequested
from logistics_service.examples import (
    ITEMS,
    ORDER_ID,
    RECEIVER,
    SHIP_BY,
    SHIP_LIMIT,
    SHIPMENT_ID,
    SHOP_ID,
    WAYBILL,
    shipment_cancelled,
    shipment_requested,
    shipped,
)

spec = DeciderSpec(shipment_decider)


def missed(deadline: ShipDeadline) -> ShipDeadlineMissed:
    due_at = SHIP_BY if deadline is ShipDeadline.TARGET else SHIP_LIMIT
    return ShipDeadlineMissed(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        deadline=deadline,
        due_at=due_at,
    )


@pytest.mark.parametrize(
    ("deadline", "now"),
    [(ShipDeadline.TARGET, SHIP_BY), (ShipDeadline.LIMIT, SHIP_LIMIT + timedelta(hours=3))],
)
def test_a_crossed_deadline_of_an_unshipped_order_is_reported(
    deadline: ShipDeadline, now: datetime
) -> None:
    command = MarkDeadlineMissed(deadline, now)
    spec.given(shipment_requested()).when(command).then(missed(deadline))


def test_the_limit_is_reported_after_the_target_and_each_only_once() -> None:
    history = (shipment_requested(), missed(ShipDeadline.TARGET))
    command = MarkDeadlineMissed(ShipDeadline.LIMIT, SHIP_LIMIT)
    spec.given(*history).when(command).then(missed(ShipDeadline.LIMIT))
    spec.given(*history, missed(ShipDeadline.LIMIT)).when(command).then()
    spec.given(*history).when(MarkDeadlineMissed(ShipDeadline.TARGET, SHIP_LIMIT)).then()


@pytest.mark.parametrize(
    "history",
    [
        pytest.param((shipment_requested(), shipped()), id="shipped in time"),
        pytest.param((shipment_requested(), shipment_cancelled()), id="cancelled"),
        pytest.param((shipment_cancelled(),), id="cancelled before payment"),
    ],
)
def test_nothing_is_missed_once_the_parcel_left_or_the_order_was_called_off(
    history: tuple[LogisticsEvent, ...],
) -> None:
    spec.given(*history).when(MarkDeadlineMissed(ShipDeadline.TARGET, SHIP_LIMIT)).then()


def test_a_deadline_reported_early_is_refused() -> None:
    command = MarkDeadlineMissed(ShipDeadline.LIMIT, SHIP_LIMIT - timedelta(seconds=1))
    spec.given(shipment_requested()).when(command).then_raises(DeadlineNotReached)


def test_a_deadline_of_an_unknown_shipment_is_refused() -> None:
    spec.when(MarkDeadlineMissed(ShipDeadline.TARGET, SHIP_BY)).then_raises(ShipmentNotRequested)


def _closed(at: datetime) -> CancelShipment:
    return CancelShipment(ORDER_ID, SHOP_ID, ShipmentCancellationReason.ORDER_CLOSED, at)


def _run(commands: tuple[ShipmentCommand, ...]) -> list[LogisticsEvent]:
    """The events the commands record one after the other, from a requested shipment."""
    history: list[LogisticsEvent] = [shipment_requested()]
    for command in commands:
        history += shipment_decider.decide(command, shipment_decider.fold(history))
    return history


@pytest.mark.parametrize("timer_first", [True, False], ids=["timer first", "close first"])
def test_one_clock_move_past_the_target_and_a_close_counts_the_target_once_in_either_order(
    timer_first: bool,
) -> None:
    # One move takes the system past the target (not the limit); a refund time-out closes the
    # order at the time the clock shows then. The deadline worker and the close from the order
    # topic race: whichever comes first, the target passed unshipped once (issue 23).
    now = SHIP_BY + timedelta(hours=2)
    timer, close = MarkDeadlineMissed(ShipDeadline.TARGET, now), _closed(now)
    history = _run((timer, close) if timer_first else (close, timer))
    missed_ones = [e for e in history if isinstance(e, ShipDeadlineMissed)]
    assert missed_ones == [missed(ShipDeadline.TARGET)]
    assert shipment_decider.fold(history).status is ShipmentStatus.CANCELLED


def test_a_close_before_the_target_misses_no_deadline() -> None:
    history = _run((_closed(SHIP_BY - timedelta(seconds=1)),))
    assert not [e for e in history if isinstance(e, ShipDeadlineMissed)]


def test_a_close_past_both_deadlines_reports_both_once_and_the_timers_then_decide_nothing() -> None:
    spec.given(shipment_requested()).when(_closed(SHIP_LIMIT)).then(
        missed(ShipDeadline.TARGET),
        missed(ShipDeadline.LIMIT),
        shipment_cancelled(ShipmentCancellationReason.ORDER_CLOSED),
    )
    history = _run(
        (_closed(SHIP_LIMIT), *(MarkDeadlineMissed(d, SHIP_LIMIT) for d in ShipDeadline))
    )
    assert len([e for e in history if isinstance(e, ShipDeadlineMissed)]) == 2


def test_a_dispatch_after_the_target_reports_it_missed_with_the_shipment() -> None:
    late = SHIP_BY + timedelta(minutes=1)
    dispatch = Dispatch(waybill=WAYBILL, items=ITEMS, shipped_at=late, receiver=RECEIVER)
    spec.given(shipment_requested()).when(dispatch).then(
        missed(ShipDeadline.TARGET), shipped(shipped_at=late)
    )
