"""RequestShipment, ChangeReceiver and CancelShipment: the commands the order topic drives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    ShipmentCancellationReason,
    ShipmentCancelled,
    ShipmentReceiverChanged,
    ShipmentRequested,
)
from contracts.examples import EXAMPLE_DATA_KEY
from contracts.sealing import DataKey, SubjectSealer, seal
from contracts.values import SkuQuantity
from eventing.testing import DeciderSpec
from logistics_service.domain import (
    CancelShipment,
    ChangeReceiver,
    RequestShipment,
    ShipmentStatus,
    ShippingWindow,
    shipment_decider,
    shipment_id_for,
)
from logistics_service.domain.errors import (
    InvalidShippingWindow,
    NothingToShip,
    OrderAlreadyCancelled,
    ReceiverChangeAfterDispatch,
    ShipmentNotRequested,
)
from logistics_service.examples import (
    ITEMS,
    ORDER_ID,
    PAID_AT,
    RECEIVER,
    SEALED_NEW_RECEIVER,
    SEALED_RECEIVER,
    SHIP_BY,
    SHIP_LIMIT,
    SHIPMENT_ID,
    SHOP_ID,
    WINDOW,
    shipment_cancelled,
    shipment_requested,
    shipped,
)

spec = DeciderSpec(shipment_decider)

REQUEST = RequestShipment(
    order_id=ORDER_ID,
    shop_id=SHOP_ID,
    items=ITEMS,
    receiver=SEALED_RECEIVER,
    paid_at=PAID_AT,
    window=WINDOW,
)
CANCEL = CancelShipment(
    ORDER_ID, SHOP_ID, ShipmentCancellationReason.ORDER_CANCELLED, cancelled_at=PAID_AT
)


def test_a_paid_order_requests_a_shipment_due_by_the_shop_window() -> None:
    [requested] = spec.when(REQUEST).then(shipment_requested())
    assert isinstance(requested, ShipmentRequested)
    assert requested.ship_by == SHIP_BY == PAID_AT + timedelta(hours=24)
    assert requested.ship_limit == SHIP_LIMIT == PAID_AT + timedelta(hours=48)


def test_a_custom_window_moves_both_deadlines() -> None:
    window = ShippingWindow(target=timedelta(hours=12), limit=timedelta(hours=36))
    [requested] = spec.when(
        RequestShipment(ORDER_ID, SHOP_ID, ITEMS, SEALED_RECEIVER, PAID_AT, window)
    ).decided()
    assert isinstance(requested, ShipmentRequested)
    assert (requested.ship_by, requested.ship_limit) == (
        PAID_AT + timedelta(hours=12),
        PAID_AT + timedelta(hours=36),
    )


def test_the_same_sku_on_two_order_lines_ships_as_one_line() -> None:
    lines = (SkuQuantity(sku="A", quantity=1), SkuQuantity(sku="B", quantity=2))
    doubled = (*lines, SkuQuantity(sku="A", quantity=3))
    [requested] = spec.when(
        RequestShipment(ORDER_ID, SHOP_ID, doubled, SEALED_RECEIVER, PAID_AT, WINDOW)
    ).decided()
    assert isinstance(requested, ShipmentRequested)
    assert requested.items == (
        SkuQuantity(sku="A", quantity=4),
        SkuQuantity(sku="B", quantity=2),
    )


def test_the_shipment_id_is_derived_from_the_order_id() -> None:
    assert shipment_id_for(ORDER_ID) == SHIPMENT_ID == shipment_id_for(ORDER_ID)
    assert shipment_id_for("another-order") != SHIPMENT_ID


@pytest.mark.parametrize(
    "history",
    [
        pytest.param((shipment_requested(),), id="already requested (payment seen twice)"),
        pytest.param((shipment_requested(), shipped()), id="already shipped"),
        pytest.param((shipment_cancelled(),), id="cancellation overtook the payment"),
    ],
)
def test_a_request_that_no_longer_applies_decides_nothing(
    history: tuple[LogisticsEvent, ...],
) -> None:
    spec.given(*history).when(REQUEST).then()


def test_a_request_without_items_is_refused() -> None:
    command = RequestShipment(ORDER_ID, SHOP_ID, (), SEALED_RECEIVER, PAID_AT, WINDOW)
    spec.when(command).then_raises(NothingToShip)


@pytest.mark.parametrize(
    ("target", "limit"),
    [(timedelta(0), timedelta(hours=48)), (timedelta(hours=24), timedelta(hours=23))],
)
def test_a_window_must_be_positive_with_the_limit_not_before_the_target(
    target: timedelta, limit: timedelta
) -> None:
    with pytest.raises(InvalidShippingWindow):
        ShippingWindow(target=target, limit=limit)


def test_an_address_change_before_dispatch_moves_the_receiver() -> None:
    spec.given(shipment_requested()).when(ChangeReceiver(SEALED_NEW_RECEIVER)).then(
        ShipmentReceiverChanged(
            order_id=ORDER_ID,
            shop_id=SHOP_ID,
            shipment_id=SHIPMENT_ID,
            receiver=SEALED_NEW_RECEIVER,
        )
    )


def test_an_address_change_to_the_same_receiver_decides_nothing() -> None:
    spec.given(shipment_requested()).when(ChangeReceiver(SEALED_RECEIVER)).then()


def test_the_same_receiver_sealed_anew_is_recognised_by_its_digest_alone() -> None:
    resealed = seal(RECEIVER, EXAMPLE_DATA_KEY)  # a fresh nonce: another ciphertext
    assert resealed.ciphertext != SEALED_RECEIVER.ciphertext
    spec.given(shipment_requested()).when(ChangeReceiver(resealed)).then()


def test_a_receiver_sealed_under_another_key_is_a_change() -> None:
    other = SubjectSealer(DataKey.generate(), repeatable=True).seal(RECEIVER)
    spec.given(shipment_requested()).when(ChangeReceiver(other)).then(
        ShipmentReceiverChanged(
            order_id=ORDER_ID, shop_id=SHOP_ID, shipment_id=SHIPMENT_ID, receiver=other
        )
    )


@pytest.mark.parametrize(
    ("history", "error"),
    [
        pytest.param((), ShipmentNotRequested, id="not requested"),
        pytest.param((shipment_requested(), shipped()), ReceiverChangeAfterDispatch, id="shipped"),
        pytest.param(
            (shipment_requested(), shipment_cancelled()), OrderAlreadyCancelled, id="cancelled"
        ),
    ],
)
def test_an_address_change_is_refused_unless_awaiting_dispatch(
    history: tuple[LogisticsEvent, ...], error: type[Exception]
) -> None:
    spec.given(*history).when(ChangeReceiver(SEALED_NEW_RECEIVER)).then_raises(error)


@pytest.mark.parametrize(
    "reason", [ShipmentCancellationReason.ORDER_CANCELLED, ShipmentCancellationReason.ORDER_CLOSED]
)
def test_a_cancelled_or_closed_order_calls_off_a_shipment_awaiting_dispatch(
    reason: ShipmentCancellationReason,
) -> None:
    command = CancelShipment(ORDER_ID, SHOP_ID, reason, cancelled_at=PAID_AT)
    spec.given(shipment_requested()).when(command).then(shipment_cancelled(reason))


def test_a_cancellation_before_the_payment_is_recorded_so_nothing_ever_ships() -> None:
    [cancelled] = spec.when(CANCEL).then(shipment_cancelled())
    state = shipment_decider.fold([cancelled])
    assert state.status is ShipmentStatus.CANCELLED
    assert isinstance(cancelled, ShipmentCancelled)


@pytest.mark.parametrize(
    "history",
    [
        pytest.param((shipment_requested(), shipped()), id="already shipped: aftersales' race"),
        pytest.param((shipment_requested(), shipment_cancelled()), id="already cancelled"),
    ],
)
def test_a_cancellation_after_dispatch_or_twice_decides_nothing(
    history: tuple[LogisticsEvent, ...],
) -> None:
    spec.given(*history).when(CANCEL).then()
