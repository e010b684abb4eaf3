"""Dispatch: the three checks (receiver, contents, waybill) and when a dispatch is refused.

The shipment holds its receiver sealed; the dispatch command carries it as the application
opened it (or the erased marker), which is what the receiver check looks at."""

from __future__ import annotations

import pytest

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import ShipmentReceiverChanged
from contracts.sealing import ErasedValue
from contracts.values import Address, Receiver, SkuQuantity, Waybill
from eventing.decider import DomainError, Rejection
from eventing.testing import DeciderSpec
from logistics_service.domain import CARRIERS, Carrier, Dispatch, carrier_for, shipment_decider
from logistics_service.domain.errors import (
    ContentsMismatch,
    InvalidTrackingNumber,
    OrderAlreadyCancelled,
    ReceiverErased,
    ReceiverIncomplete,
    ShipmentAlreadyDispatched,
    ShipmentNotRequested,
    UnknownCarrier,
)
from logistics_service.examples import (
    ITEMS,
    ORDER_ID,
    RECEIVER,
    SEALED_RECEIVER,
    SEALER,
    SHIPMENT_ID,
    SHIPPED_AT,
    SHOP_ID,
    WAYBILL,
    shipment_cancelled,
    shipment_requested,
    shipped,
)

spec = DeciderSpec(shipment_decider)


def dispatch(
    *,
    waybill: Waybill = WAYBILL,
    items: tuple[SkuQuantity, ...] = ITEMS,
    receiver: Receiver | ErasedValue | None = RECEIVER,
) -> Dispatch:
    return Dispatch(waybill=waybill, items=items, shipped_at=SHIPPED_AT, receiver=receiver)


DISPATCH = dispatch()


def receiver_changed(receiver: Receiver) -> ShipmentReceiverChanged:
    return ShipmentReceiverChanged(
        order_id=ORDER_ID, shop_id=SHOP_ID, shipment_id=SHIPMENT_ID, receiver=SEALER.seal(receiver)
    )


def test_a_checked_parcel_ships_under_its_waybill() -> None:
    spec.given(shipment_requested()).when(DISPATCH).then(shipped())


def test_the_parcel_ships_to_the_latest_receiver() -> None:
    moved = RECEIVER.model_copy(update={"phone": "+852 9123 4567"})
    spec.given(shipment_requested(), receiver_changed(moved)).when(dispatch(receiver=moved)).then(
        shipped()
    )


def test_dispatch_is_refused_once_the_buyer_was_erased() -> None:
    erased = ErasedValue(key_id=SEALED_RECEIVER.key_id)
    error = (
        spec.given(shipment_requested()).when(dispatch(receiver=erased)).then_raises(ReceiverErased)
    )
    assert isinstance(error, ReceiverErased)
    assert (error.code, error.kind) == ("receiver-erased", Rejection.CONFLICT)
    assert error.details == {"key_id": SEALED_RECEIVER.key_id}


@pytest.mark.parametrize(
    "packed",
    [
        pytest.param(tuple(reversed(ITEMS)), id="in another order"),
        pytest.param(
            (
                SkuQuantity(sku="TEA-LJ-250G", quantity=1),
                SkuQuantity(sku="CUP-GLASS-01", quantity=1),
                SkuQuantity(sku="TEA-LJ-250G", quantity=1),
            ),
            id="one SKU scanned twice",
        ),
    ],
)
def test_contents_match_by_sku_and_quantity_whatever_the_scan_order(
    packed: tuple[SkuQuantity, ...],
) -> None:
    command = dispatch(items=packed)
    spec.given(shipment_requested()).when(command).then(shipped())


@pytest.mark.parametrize(
    ("packed", "missing", "unexpected"),
    [
        pytest.param(
            (SkuQuantity(sku="TEA-LJ-250G", quantity=2),),
            {"CUP-GLASS-01": 1},
            {},
            id="a line left out",
        ),
        pytest.param(
            (*ITEMS, SkuQuantity(sku="GIFT-BAG", quantity=1)),
            {},
            {"GIFT-BAG": 1},
            id="an extra SKU",
        ),
        pytest.param(
            (
                SkuQuantity(sku="TEA-LJ-250G", quantity=3),
                SkuQuantity(sku="CUP-GLASS-01", quantity=1),
            ),
            {},
            {"TEA-LJ-250G": 1},
            id="one unit too many",
        ),
        pytest.param(
            (
                SkuQuantity(sku="TEA-LJ-250G", quantity=1),
                SkuQuantity(sku="CUP-GLASS-01", quantity=1),
            ),
            {"TEA-LJ-250G": 1},
            {},
            id="one unit short",
        ),
    ],
)
def test_dispatch_is_refused_when_the_contents_differ_from_the_order(
    packed: tuple[SkuQuantity, ...], missing: dict[str, int], unexpected: dict[str, int]
) -> None:
    command = dispatch(items=packed)
    error = spec.given(shipment_requested()).when(command).then_raises(ContentsMismatch)
    assert isinstance(error, ContentsMismatch)
    assert error.details == {"missing": missing, "unexpected": unexpected}


def _address(**overrides: str) -> Address:
    return RECEIVER.address.model_copy(update=overrides)


@pytest.mark.parametrize(
    ("receiver", "missing"),
    [
        pytest.param(RECEIVER.model_copy(update={"name": "  "}), ["name"], id="no name"),
        pytest.param(RECEIVER.model_copy(update={"phone": "138"}), ["phone"], id="short phone"),
        pytest.param(
            RECEIVER.model_copy(update={"phone": "call me"}), ["phone"], id="phone not a number"
        ),
        pytest.param(
            RECEIVER.model_copy(update={"phone": "+123456"}),
            ["phone"],
            id="six-digit international number, refused at placement too",
        ),
        pytest.param(
            RECEIVER.model_copy(update={"address": _address(street=" ")}),
            ["address.street"],
            id="blank street",
        ),
        pytest.param(
            RECEIVER.model_copy(update={"name": "", "address": _address(city=" ")}),
            ["name", "address.city"],
            id="several gaps",
        ),
    ],
)
def test_dispatch_is_refused_while_the_receiver_is_incomplete(
    receiver: Receiver, missing: list[str]
) -> None:
    error = (
        spec.given(shipment_requested(), receiver_changed(receiver))
        .when(dispatch(receiver=receiver))
        .then_raises(ReceiverIncomplete)
    )
    assert isinstance(error, ReceiverIncomplete)
    assert error.details == {"missing": missing}


@pytest.mark.parametrize(
    ("waybill", "error"),
    [
        pytest.param(
            Waybill(carrier="DHL", tracking_number="1234567890"), UnknownCarrier, id="DHL"
        ),
        pytest.param(Waybill(carrier="SF", tracking_number="123456789012"), InvalidTrackingNumber),
        pytest.param(Waybill(carrier="SF", tracking_number="SF12345678901"), InvalidTrackingNumber),
        pytest.param(Waybill(carrier="YTO", tracking_number="YT123"), InvalidTrackingNumber),
        pytest.param(
            Waybill(carrier="EMS", tracking_number="EA123456789US"), InvalidTrackingNumber
        ),
        pytest.param(
            Waybill(carrier="JD", tracking_number="JDva12345678901"), InvalidTrackingNumber
        ),
        pytest.param(Waybill(carrier="ZTO", tracking_number="73123456789"), InvalidTrackingNumber),
    ],
)
def test_dispatch_is_refused_for_a_waybill_the_carrier_would_not_issue(
    waybill: Waybill, error: type[DomainError]
) -> None:
    command = dispatch(waybill=waybill)
    raised = spec.given(shipment_requested()).when(command).then_raises(error)
    assert isinstance(raised, DomainError)
    assert raised.kind is Rejection.INVALID


@pytest.mark.parametrize("carrier", CARRIERS, ids=lambda carrier: carrier.code)
def test_every_carrier_of_the_catalogue_accepts_its_documented_example(carrier: Carrier) -> None:
    assert carrier_for(carrier.code) is carrier
    waybill = Waybill(carrier=carrier.code, tracking_number=carrier.example)
    command = dispatch(waybill=waybill)
    spec.given(shipment_requested()).when(command).then(shipped(waybill))


@pytest.mark.parametrize(
    ("history", "error", "kind"),
    [
        pytest.param((), ShipmentNotRequested, Rejection.NOT_YET_KNOWN, id="payment not seen"),
        pytest.param(
            (shipment_requested(), shipped()),
            ShipmentAlreadyDispatched,
            Rejection.CONFLICT,
            id="dispatched twice",
        ),
        pytest.param(
            (shipment_requested(), shipment_cancelled()),
            OrderAlreadyCancelled,
            Rejection.CONFLICT,
            id="order cancelled",
        ),
        pytest.param(
            (shipment_cancelled(),),
            OrderAlreadyCancelled,
            Rejection.CONFLICT,
            id="cancelled before it was paid",
        ),
    ],
)
def test_dispatch_is_refused(
    history: tuple[LogisticsEvent, ...], error: type[DomainError], kind: Rejection
) -> None:
    raised = spec.given(*history).when(DISPATCH).then_raises(error)
    assert isinstance(raised, DomainError)
    assert raised.kind is kind


def test_the_rejection_codes_are_the_agreed_ones() -> None:
    assert OrderAlreadyCancelled.code == "order-cancelled"
    assert ShipmentNotRequested.code == "shipment-not-requested"
    assert ShipmentNotRequested.kind.retryable
