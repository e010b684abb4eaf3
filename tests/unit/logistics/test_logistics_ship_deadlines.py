"""MarkDeadlineMissed: the ship-by target and limit, each reported at most once, never after
dispatch."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import ShipDeadline, ShipDeadlineMissed
from eventing.testing import DeciderSpec
from logistics_service.domain import MarkDeadlineMissed, shipment_decider
from logistics_service.domain.errors import DeadlineNotReached, ShipmentNotRequested
from logistics_service.examples import (
    ORDER_ID,
    SHIP_BY,
    SHIP_LIMIT,
    SHIPMENT_ID,
    SHOP_ID,
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
