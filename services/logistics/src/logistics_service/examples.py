"""One realistic shipment, event by event: shared by the OpenAPI examples, the docs and the tests.

Values are fictitious (the receiver is not a real person); the waybills match the carrier
catalogue's formats. Receivers travel sealed under the contracts' published example data key
(`contracts.examples.EXAMPLE_DATA_KEY`), so equal receivers seal to equal objects here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.events.logistics import (
    Checkpoint,
    CheckpointStatus,
    ExceptionKind,
    ExceptionRaised,
    ShipmentCancellationReason,
    ShipmentCancelled,
    ShipmentRequested,
    Shipped,
    TrackingUpdated,
)
from contracts.examples import EXAMPLE_DATA_KEY
from contracts.sealing import SubjectSealer
from contracts.values import Address, Receiver, SkuQuantity, Waybill
from logistics_service.domain.decide import shipment_id_for
from logistics_service.domain.policy import ShippingWindow

ORDER_ID = "ord-20261111-000123"
SHOP_ID = "shop-hz-tea"
SHIPMENT_ID = shipment_id_for(ORDER_ID)
PAID_AT = datetime(2026, 11, 11, 2, 15, tzinfo=UTC)
WINDOW = ShippingWindow(target=timedelta(hours=24), limit=timedelta(hours=48))
SHIP_BY = PAID_AT + WINDOW.target
SHIP_LIMIT = PAID_AT + WINDOW.limit
SHIPPED_AT = PAID_AT + timedelta(hours=6)

RECEIVER = Receiver(
    name="张三",
    phone="13812345678",
    address=Address(
        province="浙江省", city="杭州市", district="西湖区", street="龙井路 18 号 2 幢 301 室"
    ),
)
NEW_RECEIVER = Receiver(
    name="张三",
    phone="13812345678",
    address=Address(province="上海市", city="上海市", district="徐汇区", street="漕溪北路 88 号"),
)
SEALER = SubjectSealer(EXAMPLE_DATA_KEY, repeatable=True)
SEALED_RECEIVER = SEALER.seal(RECEIVER)
SEALED_NEW_RECEIVER = SEALER.seal(NEW_RECEIVER)
ITEMS = (
    SkuQuantity(sku="TEA-LJ-250G", quantity=2),
    SkuQuantity(sku="CUP-GLASS-01", quantity=1),
)
WAYBILL = Waybill(carrier="SF", tracking_number="SF123456789012")
RESHIP_WAYBILL = Waybill(carrier="ZTO", tracking_number="731234567890123")


def shipment_requested(order_id: str = ORDER_ID, shop_id: str = SHOP_ID) -> ShipmentRequested:
    return ShipmentRequested(
        order_id=order_id,
        shop_id=shop_id,
        shipment_id=shipment_id_for(order_id),
        items=ITEMS,
        receiver=SEALED_RECEIVER,
        ship_by=SHIP_BY,
        ship_limit=SHIP_LIMIT,
    )


def shipped(waybill: Waybill = WAYBILL, shipped_at: datetime = SHIPPED_AT) -> Shipped:
    return Shipped(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        waybill=waybill,
        items=ITEMS,
        shipped_at=shipped_at,
        ship_by=SHIP_BY,
    )


def checkpoint(
    hours_after_shipping: float,
    status: CheckpointStatus = CheckpointStatus.IN_TRANSIT,
    location: str | None = "杭州转运中心",
) -> Checkpoint:
    return Checkpoint(
        occurred_at=SHIPPED_AT + timedelta(hours=hours_after_shipping),
        status=status,
        location=location,
        description=f"快件{status.value}",
    )


def tracking_updated(scan: Checkpoint, waybill: Waybill = WAYBILL) -> TrackingUpdated:
    return TrackingUpdated(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        waybill=waybill,
        checkpoint=scan,
    )


def exception_raised(
    exception_id: str = "exc-1", kind: ExceptionKind = ExceptionKind.DELAYED
) -> ExceptionRaised:
    return ExceptionRaised(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        shipment_id=SHIPMENT_ID,
        exception_id=exception_id,
        kind=kind,
        description="no scan for 72 hours",
    )


def shipment_cancelled(
    reason: ShipmentCancellationReason = ShipmentCancellationReason.ORDER_CANCELLED,
) -> ShipmentCancelled:
    return ShipmentCancelled(
        order_id=ORDER_ID, shop_id=SHOP_ID, shipment_id=SHIPMENT_ID, reason=reason
    )
