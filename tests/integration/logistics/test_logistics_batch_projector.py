"""The shipments batch projector leaves exactly the rows the per-event projector leaves, for
random streams of the service's events: several orders interleaved, events that arrive before
the shipment exists, late carrier scans, redeliveries, cut into random batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from random import Random

import pytest

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    CheckpointStatus,
    Delivered,
    ExceptionKind,
    ExceptionResolution,
    ExceptionResolved,
    ShipDeadline,
    ShipDeadlineMissed,
    ShipmentCancellationReason,
    ShipmentReceiverChanged,
    Signer,
)
from contracts.values import Money
from eventing.encoding import ConsumedEvent
from eventing.testing.fixtures import MigratedDatabaseFactory
from logistics_service.domain.decide import shipment_id_for
from logistics_service.examples import (
    RESHIP_WAYBILL,
    SEALED_NEW_RECEIVER,
    SEALER,
    WAYBILL,
    checkpoint,
    exception_raised,
    shipment_cancelled,
    shipment_requested,
    shipped,
    tracking_updated,
)
from logistics_service.projections import SHIPMENTS
from tests.integration.batch_projection_kit import (
    TableCopies,
    assert_batches_match_one_by_one,
    random_delivery,
    table_copies,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 11, 3, 0, tzinfo=UTC)
_ORDER_BY = {
    "shipments": "order_id",
    "shipment_tracking": "order_id, carrier, tracking_number, occurred_at, status",
    "shipment_exceptions": "order_id, exception_id",
}


@pytest.fixture
async def copies(migrated_database_factory: MigratedDatabaseFactory) -> AsyncIterator[TableCopies]:
    async with table_copies(await migrated_database_factory("logistics"), _ORDER_BY) as tables:
        yield tables


def _event(order_id: str, at: datetime, random: Random) -> LogisticsEvent:
    """One of the service's events for `order_id`, any kind, in any order."""
    shop, shipment = "shop-hz-tea", shipment_id_for(order_id)
    exception = random.choice(["exc-1", "exc-2"])
    waybill = random.choice([WAYBILL, RESHIP_WAYBILL])
    kind = random.choice(
        ["requested", "requested", "cancelled", "receiver", "shipped", "scan", "scan", "scan",
         "raised", "resolved", "delivered", "missed"]
    )  # fmt: skip
    event: LogisticsEvent
    match kind:
        case "requested":
            event = shipment_requested(order_id)
        case "cancelled":
            event = shipment_cancelled(random.choice(list(ShipmentCancellationReason)))
        case "receiver":
            event = ShipmentReceiverChanged(
                order_id=order_id, shop_id=shop, shipment_id=shipment,
                receiver=SEALED_NEW_RECEIVER,
            )  # fmt: skip
        case "shipped":
            event = shipped(waybill, T0 + timedelta(hours=random.randint(0, 5)))
        case "scan":
            status = random.choice([CheckpointStatus.IN_TRANSIT, CheckpointStatus.SIGNED])
            event = tracking_updated(checkpoint(random.randint(0, 4), status), waybill)
        case "raised":
            event = exception_raised(exception, random.choice(list(ExceptionKind)))
        case "resolved":
            reshipped = random.random() < 0.5
            event = ExceptionResolved(
                order_id=order_id, shop_id=shop, shipment_id=shipment, exception_id=exception,
                kind=ExceptionKind.LOST,
                resolution=ExceptionResolution.RESHIPPED if reshipped
                else ExceptionResolution.CLAIMED,
                new_waybill=RESHIP_WAYBILL if reshipped else None,
                claim_amount=None if reshipped else Money(amount=500, currency="CNY"),
                note=random.choice([None, "settled"]),
            )  # fmt: skip
        case "delivered":
            signer = SEALER.seal(Signer(name="张三")) if random.random() < 0.5 else None
            event = Delivered(
                order_id=order_id, shop_id=shop, shipment_id=shipment, waybill=waybill,
                delivered_at=T0 + timedelta(days=2), signed_by=signer,
            )  # fmt: skip
        case _:
            deadline = random.choice(list(ShipDeadline))
            event = ShipDeadlineMissed(
                order_id=order_id, shop_id=shop, shipment_id=shipment, deadline=deadline,
                due_at=T0 + timedelta(hours=24 if deadline is ShipDeadline.TARGET else 48),
            )  # fmt: skip
    # The examples' builders are of the examples' order: moved to this one.
    return event.model_copy(update={"order_id": order_id, "shipment_id": shipment})


def _scenario(random: Random) -> list[ConsumedEvent]:
    return random_delivery(random, _event, most_events=14)


async def test_batches_of_any_size_leave_the_rows_events_applied_one_by_one_leave(
    copies: TableCopies,
) -> None:
    written = await assert_batches_match_one_by_one(copies, SHIPMENTS.tables, _scenario, 40)
    assert written > 200  # the streams made shipments, scans and exceptions, not only no-ops
