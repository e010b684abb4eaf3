"""OpenException and ResolveException: delivery problems handled with the carrier."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    Delivered,
    ExceptionKind,
    ExceptionResolution,
    ExceptionResolved,
)
from contracts.values import Money, Waybill
from eventing.decider import DomainError
from eventing.testing import DeciderSpec
from logistics_service.domain import (
    OpenException,
    RecordDelivery,
    ResolveException,
    ShipmentStatus,
    shipment_decider,
)
from logistics_service.domain.errors import (
    ExceptionAfterDelivery,
    ExceptionAlreadyOpen,
    ExceptionAlreadyResolved,
    ExceptionIdTaken,
    ExceptionNotFound,
    InvalidResolution,
    InvalidTrackingNumber,
    ParcelNotDelivered,
    ShipmentNotDispatched,
    WaybillAlreadyUsed,
)
from logistics_service.examples import (
    ORDER_ID,
    RESHIP_WAYBILL,
    SHIPMENT_ID,
    SHIPPED_AT,
    SHOP_ID,
    WAYBILL,
    exception_raised,
    shipment_requested,
    shipped,
)

spec = DeciderSpec(shipment_decider)
SHIPPED = (shipment_requested(), shipped())
DELIVERED = Delivered(
    order_id=ORDER_ID,
    shop_id=SHOP_ID,
    shipment_id=SHIPMENT_ID,
    waybill=WAYBILL,
    delivered_at=SHIPPED_AT + timedelta(days=2),
)
CLAIM = Money(amount=5800, currency="CNY")


def open_delayed(exception_id: str = "exc-1") -> OpenException:
    return OpenException(exception_id, ExceptionKind.DELAYED, "no scan for 72 hours")


def resolved(
    resolution: ExceptionResolution,
    *,
    kind: ExceptionKind = ExceptionKind.DELAYED,
    new_waybill: Waybill | None = None,
    claim_amount: Money | None = None,
    note: str | None = None,
) -> ExceptionResolved:
    return ExceptionResolved(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        exception_id="exc-1",
        kind=kind,
        resolution=resolution,
        new_waybill=new_waybill,
        claim_amount=claim_amount,
        note=note,
    )


def test_an_exception_is_opened_on_a_shipped_parcel() -> None:
    spec.given(*SHIPPED).when(open_delayed()).then(exception_raised())


def test_opening_the_same_exception_again_decides_nothing() -> None:
    spec.given(*SHIPPED, exception_raised()).when(open_delayed()).then()


def test_a_delivered_parcel_can_still_be_reported_damaged() -> None:
    command = OpenException("exc-1", ExceptionKind.DAMAGED, "no scan for 72 hours")
    spec.given(*SHIPPED, DELIVERED).when(command).then(exception_raised(kind=ExceptionKind.DAMAGED))


@pytest.mark.parametrize(
    ("history", "command", "error"),
    [
        pytest.param(
            (shipment_requested(),), open_delayed(), ShipmentNotDispatched, id="unshipped"
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            OpenException("exc-1", ExceptionKind.LOST, "gone"),
            ExceptionIdTaken,
            id="id reused for another problem",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            open_delayed("exc-2"),
            ExceptionAlreadyOpen,
            id="same kind still open",
        ),
        pytest.param(
            (*SHIPPED, DELIVERED),
            OpenException("exc-1", ExceptionKind.LOST, "gone"),
            ExceptionAfterDelivery,
            id="lost after delivery",
        ),
    ],
)
def test_opening_an_exception_is_refused(
    history: tuple[LogisticsEvent, ...], command: OpenException, error: type[DomainError]
) -> None:
    spec.given(*history).when(command).then_raises(error)


def test_another_exception_of_a_kind_can_open_once_the_first_is_resolved() -> None:
    history = (*SHIPPED, exception_raised(), resolved(ExceptionResolution.TRACED))
    spec.given(*history).when(open_delayed("exc-2")).then(exception_raised("exc-2"))


def test_an_exception_is_resolved_by_tracing_the_parcel() -> None:
    command = ResolveException("exc-1", ExceptionResolution.TRACED, note="found at the hub")
    spec.given(*SHIPPED, exception_raised()).when(command).then(
        resolved(ExceptionResolution.TRACED, note="found at the hub")
    )


def test_an_exception_is_resolved_by_a_claim_for_an_amount() -> None:
    command = ResolveException("exc-1", ExceptionResolution.CLAIMED, claim_amount=CLAIM)
    spec.given(*SHIPPED, exception_raised()).when(command).then(
        resolved(ExceptionResolution.CLAIMED, claim_amount=CLAIM)
    )


def test_a_reshipment_puts_a_new_parcel_on_the_road_under_a_new_waybill() -> None:
    history = (*SHIPPED, exception_raised(kind=ExceptionKind.LOST))
    command = ResolveException("exc-1", ExceptionResolution.RESHIPPED, new_waybill=RESHIP_WAYBILL)
    [event] = (
        spec.given(*history)
        .when(command)
        .then(
            resolved(
                ExceptionResolution.RESHIPPED, kind=ExceptionKind.LOST, new_waybill=RESHIP_WAYBILL
            )
        )
    )
    state = shipment_decider.fold([*history, event])
    assert state.waybill == RESHIP_WAYBILL
    assert state.waybills == (WAYBILL, RESHIP_WAYBILL)


def test_a_damaged_delivery_reshipped_is_on_its_way_again_and_can_be_delivered() -> None:
    damaged = exception_raised(kind=ExceptionKind.DAMAGED)
    reship = resolved(
        ExceptionResolution.RESHIPPED, kind=ExceptionKind.DAMAGED, new_waybill=RESHIP_WAYBILL
    )
    state = shipment_decider.fold([*SHIPPED, DELIVERED, damaged, reship])
    assert state.status is ShipmentStatus.SHIPPED
    [again] = (
        spec.given(*SHIPPED, DELIVERED, damaged, reship)
        .when(RecordDelivery(DELIVERED.delivered_at + timedelta(days=2)))
        .decided()
    )
    assert isinstance(again, Delivered)
    assert again.waybill == RESHIP_WAYBILL


def test_a_delivered_resolution_is_accepted_once_the_delivery_is_recorded() -> None:
    damaged = exception_raised(kind=ExceptionKind.DAMAGED)
    command = ResolveException("exc-1", ExceptionResolution.DELIVERED, note="buyer accepted it")
    spec.given(*SHIPPED, DELIVERED, damaged).when(command).then(
        resolved(
            ExceptionResolution.DELIVERED, kind=ExceptionKind.DAMAGED, note="buyer accepted it"
        )
    )


@pytest.mark.parametrize(
    ("history", "command", "error"),
    [
        pytest.param(
            SHIPPED,
            ResolveException("exc-9", ExceptionResolution.TRACED),
            ExceptionNotFound,
            id="no such exception",
        ),
        pytest.param(
            (*SHIPPED, exception_raised(), resolved(ExceptionResolution.TRACED)),
            ResolveException("exc-1", ExceptionResolution.TRACED),
            ExceptionAlreadyResolved,
            id="resolved twice",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException("exc-1", ExceptionResolution.CLAIMED),
            InvalidResolution,
            id="claim without amount",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException(
                "exc-1", ExceptionResolution.CLAIMED, claim_amount=Money(amount=0, currency="CNY")
            ),
            InvalidResolution,
            id="claim of nothing",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException("exc-1", ExceptionResolution.TRACED, claim_amount=CLAIM),
            InvalidResolution,
            id="amount on a trace",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException("exc-1", ExceptionResolution.RESHIPPED),
            InvalidResolution,
            id="reshipment without waybill",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException("exc-1", ExceptionResolution.TRACED, new_waybill=RESHIP_WAYBILL),
            InvalidResolution,
            id="waybill on a trace",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException("exc-1", ExceptionResolution.RESHIPPED, new_waybill=WAYBILL),
            WaybillAlreadyUsed,
            id="reshipped under the old waybill",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException(
                "exc-1",
                ExceptionResolution.RESHIPPED,
                new_waybill=Waybill(carrier="ZTO", tracking_number="ZT12"),
            ),
            InvalidTrackingNumber,
            id="reshipped under an invalid waybill",
        ),
        pytest.param(
            (*SHIPPED, exception_raised()),
            ResolveException("exc-1", ExceptionResolution.DELIVERED),
            ParcelNotDelivered,
            id="delivered before the delivery",
        ),
    ],
)
def test_resolving_an_exception_is_refused(
    history: tuple[LogisticsEvent, ...], command: ResolveException, error: type[DomainError]
) -> None:
    spec.given(*history).when(command).then_raises(error)
