"""RecordCheckpoint and RecordDelivery: idempotent scans, carrier-time order, signing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    CheckpointStatus,
    Delivered,
    ExceptionKind,
    ExceptionResolution,
    ExceptionResolved,
    Signer,
)
from contracts.sealing import Sealed, open_sealed
from contracts.values import Waybill
from eventing.decider import DomainError
from eventing.testing import DeciderSpec
from logistics_service.domain import (
    RecordCheckpoint,
    RecordDelivery,
    ShipmentStatus,
    shipment_decider,
)
from logistics_service.domain.errors import (
    DeliveryBeforeDispatch,
    OrderAlreadyCancelled,
    ShipmentAlreadyDelivered,
    ShipmentNotDispatched,
    ShipmentNotRequested,
    WaybillNotOnShipment,
)
from logistics_service.examples import (
    ORDER_ID,
    RESHIP_WAYBILL,
    SEALER,
    SHIPMENT_ID,
    SHIPPED_AT,
    SHOP_ID,
    WAYBILL,
    checkpoint,
    exception_raised,
    shipment_cancelled,
    shipment_requested,
    shipped,
    tracking_updated,
)

spec = DeciderSpec(shipment_decider)
SHIPPED = (shipment_requested(), shipped())
ACCEPTED = checkpoint(1, CheckpointStatus.ACCEPTED)
HUB = checkpoint(8, CheckpointStatus.ARRIVED_AT_HUB)
OUT = checkpoint(20, CheckpointStatus.OUT_FOR_DELIVERY)
SIGNED = checkpoint(22, CheckpointStatus.SIGNED)


def delivered(hours_after_shipping: float, signed_by: Sealed | None = None) -> Delivered:
    return Delivered(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        waybill=WAYBILL,
        delivered_at=SHIPPED_AT + timedelta(hours=hours_after_shipping),
        signed_by=signed_by,
    )


def closed_as_delivered(exception_id: str, kind: ExceptionKind) -> ExceptionResolved:
    return ExceptionResolved(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        exception_id=exception_id,
        kind=kind,
        resolution=ExceptionResolution.DELIVERED,
    )


def test_a_scan_of_the_parcel_is_recorded() -> None:
    spec.given(*SHIPPED).when(RecordCheckpoint(WAYBILL, HUB)).then(tracking_updated(HUB))


def test_the_same_scan_sent_again_decides_nothing() -> None:
    resent = HUB.model_copy(update={"description": "wording changed on resend"})
    spec.given(*SHIPPED, tracking_updated(HUB)).when(RecordCheckpoint(WAYBILL, resent)).then()


def test_two_statuses_at_the_same_moment_are_two_scans() -> None:
    same_moment = HUB.model_copy(update={"status": CheckpointStatus.IN_TRANSIT})
    spec.given(*SHIPPED, tracking_updated(HUB)).when(RecordCheckpoint(WAYBILL, same_moment)).then(
        tracking_updated(same_moment)
    )


def test_history_is_ordered_by_the_carrier_clock_and_a_late_old_scan_does_not_move_status() -> None:
    state = shipment_decider.fold(
        [*SHIPPED, tracking_updated(OUT), tracking_updated(ACCEPTED), tracking_updated(HUB)]
    )
    assert [tracked.checkpoint for tracked in state.tracking] == [ACCEPTED, HUB, OUT]
    assert state.tracking_status is CheckpointStatus.OUT_FOR_DELIVERY


def test_a_signed_scan_of_the_current_parcel_records_the_delivery() -> None:
    spec.given(*SHIPPED, tracking_updated(OUT)).when(RecordCheckpoint(WAYBILL, SIGNED)).then(
        tracking_updated(SIGNED), delivered(22)
    )


def test_a_signed_scan_arriving_after_the_delivery_only_adds_to_the_history() -> None:
    spec.given(*SHIPPED, delivered(21)).when(RecordCheckpoint(WAYBILL, SIGNED)).then(
        tracking_updated(SIGNED)
    )


def test_scans_of_the_first_parcel_still_count_after_a_reshipment() -> None:
    reshipped = ExceptionResolved(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        exception_id="exc-1",
        kind=ExceptionKind.LOST,
        resolution=ExceptionResolution.RESHIPPED,
        new_waybill=RESHIP_WAYBILL,
    )
    history = (*SHIPPED, exception_raised(kind=ExceptionKind.LOST), reshipped)
    returned = checkpoint(90, CheckpointStatus.SIGNED)
    # the old parcel turned up and was signed: history, but not the delivery of the new one
    spec.given(*history).when(RecordCheckpoint(WAYBILL, returned)).then(tracking_updated(returned))


@pytest.mark.parametrize(
    ("history", "waybill", "error"),
    [
        pytest.param((), WAYBILL, ShipmentNotRequested, id="not requested"),
        pytest.param((shipment_requested(),), WAYBILL, ShipmentNotDispatched, id="not shipped"),
        pytest.param(
            (shipment_requested(), shipment_cancelled()),
            WAYBILL,
            OrderAlreadyCancelled,
            id="cancelled",
        ),
        pytest.param(SHIPPED, RESHIP_WAYBILL, WaybillNotOnShipment, id="someone else's waybill"),
    ],
)
def test_a_scan_is_refused(
    history: tuple[LogisticsEvent, ...], waybill: Waybill, error: type[DomainError]
) -> None:
    spec.given(*history).when(RecordCheckpoint(waybill, HUB)).then_raises(error)


def test_a_delivery_is_recorded_with_who_signed_sealed_for_the_buyer() -> None:
    signer = SEALER.seal(Signer(name="本人"))
    command = RecordDelivery(SHIPPED_AT + timedelta(hours=30), signed_by=signer)
    spec.given(*SHIPPED).when(command).then(delivered(30, signed_by=signer))
    assert open_sealed(signer, SEALER.key, Signer).name == "本人"
    assert "本人" not in delivered(30, signed_by=signer).model_dump_json()


def test_a_delivery_without_a_signer_is_recorded_all_the_same() -> None:
    command = RecordDelivery(SHIPPED_AT + timedelta(hours=30), signed_by=None)
    spec.given(*SHIPPED).when(command).then(delivered(30))


def test_a_delivery_closes_every_open_exception_as_delivered() -> None:
    history = (
        *SHIPPED,
        exception_raised("exc-1", ExceptionKind.DELAYED),
        exception_raised("exc-2", ExceptionKind.ADDRESS_PROBLEM),
    )
    [*events] = (
        spec.given(*history)
        .when(RecordDelivery(SHIPPED_AT + timedelta(hours=30)))
        .then(
            delivered(30),
            closed_as_delivered("exc-1", ExceptionKind.DELAYED),
            closed_as_delivered("exc-2", ExceptionKind.ADDRESS_PROBLEM),
        )
    )
    state = shipment_decider.fold([*history, *events])
    assert state.status is ShipmentStatus.DELIVERED
    assert state.open_exceptions == ()


@pytest.mark.parametrize(
    ("history", "command", "error"),
    [
        pytest.param(
            (shipment_requested(),),
            RecordDelivery(SHIPPED_AT),
            ShipmentNotDispatched,
            id="not shipped",
        ),
        pytest.param(
            (*SHIPPED, delivered(22)),
            RecordDelivery(SHIPPED_AT + timedelta(hours=23)),
            ShipmentAlreadyDelivered,
            id="delivered twice",
        ),
        pytest.param(
            SHIPPED,
            RecordDelivery(SHIPPED_AT - timedelta(minutes=1)),
            DeliveryBeforeDispatch,
            id="signed before it left",
        ),
        pytest.param(
            SHIPPED,
            RecordDelivery(SHIPPED_AT + timedelta(hours=5), waybill=RESHIP_WAYBILL),
            WaybillNotOnShipment,
            id="another parcel",
        ),
    ],
)
def test_a_delivery_is_refused(
    history: tuple[LogisticsEvent, ...], command: RecordDelivery, error: type[DomainError]
) -> None:
    spec.given(*history).when(command).then_raises(error)
