"""Builders of order commands and events for the order decider's unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contracts import Actor
from contracts.events.base import OrderEvent
from contracts.events.order import (
    GoodsKind,
    OrderChannel,
    PaymentMethod,
    PaymentStage,
)
from contracts.examples import EXAMPLE_DATA_KEY
from contracts.sealing import Sealed, SubjectSealer, open_sealed
from contracts.values import Receiver, Waybill
from eventing.testing import DeciderSpec
from order_service.domain import order_decider
from order_service.domain.commands import (
    OrderCommand,
    OrderLine,
    PlaceOrder,
    PresaleRequest,
    RateOrder,
    ReceiverDetails,
    RecordPayment,
    RecordShipment,
)
from order_service.domain.decide import decide
from order_service.domain.policy import RatingPolicy
from order_service.domain.state import OrderState
from order_service.domain.stock import SkuStockLevel

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
PAYMENT_WINDOW = timedelta(hours=72)
RECEIPT_WINDOW = timedelta(days=10)
ORDER_ID = "o-1"
SHOP_ID = "shop-1"
BUYER_ID = "buyer-1"
WAYBILL = Waybill(carrier="SF", tracking_number="SF1234567890")

RECEIVER = ReceiverDetails(
    name="张三",
    phone="13812345678",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    street="文三路 90 号",
    postal_code="310012",
)
LINES = (
    OrderLine(
        sku="TEA-250", title="Longjing tea 250 g", unit_price=8800, currency="CNY", quantity=2
    ),
    OrderLine(sku="CUP-01", title="Celadon cup", unit_price=3500, currency="CNY", quantity=1),
)
# 2 x 8800 + 3500 + 1000 shipping - 500 discount
PAYABLE = 21600
STOCK = {
    "TEA-250": SkuStockLevel(sku="TEA-250", on_hand=100),
    "CUP-01": SkuStockLevel(sku="CUP-01", on_hand=10),
}


RATING_POLICY = RatingPolicy(
    answer_window=timedelta(days=30),
    follow_up_due=timedelta(hours=24),
    follow_up_max_score=2,
    append_window=timedelta(days=90),
)
RATED_AT = T0 + timedelta(days=3)


def rate(
    description: int = 5,
    service: int = 5,
    shipping_speed: int = 5,
    comment: str | None = None,
    at: datetime = RATED_AT,
    policy: RatingPolicy = RATING_POLICY,
) -> RateOrder:
    """The buyer's rating at `at` (three days after placement) under the default policy."""
    return RateOrder(description, service, shipping_speed, at, policy, comment)


SEALER = SubjectSealer(EXAMPLE_DATA_KEY, repeatable=True)
"""The buyer's data key in these scenarios (repeatable: equal receivers seal equal)."""


def opened(sealed: Sealed) -> Receiver:
    """A receiver the scenarios' sealer sealed, in clear."""
    return open_sealed(sealed, EXAMPLE_DATA_KEY, Receiver)


def spec() -> DeciderSpec[OrderCommand, OrderEvent, OrderState]:
    return DeciderSpec(order_decider)


def place_order(**changes: object) -> PlaceOrder:
    command = PlaceOrder(
        order_id=ORDER_ID,
        shop_id=SHOP_ID,
        buyer_id=BUYER_ID,
        channel=OrderChannel.BUYER,
        placed_by=Actor.BUYER,
        goods_kind=GoodsKind.PHYSICAL,
        lines=LINES,
        receiver=RECEIVER,
        sealer=SEALER,
        shipping_fee=1000,
        discount=500,
        at=T0,
        payment_window=PAYMENT_WINDOW,
        stock=STOCK,
        expected_payable=PAYABLE,
    )
    return replace(command, **changes)  # type: ignore[arg-type]


def presale_order(**changes: object) -> PlaceOrder:
    terms = PresaleRequest(
        deposit=5000,
        balance=PAYABLE - 5000,
        balance_starts_at=T0 + timedelta(days=10),
        balance_due_by=T0 + timedelta(days=12),
    )
    return place_order(presale=terms, **changes)


def pay(
    payment_id: str = "pay-1",
    stage: PaymentStage = PaymentStage.FULL,
    amount: int = PAYABLE,
    paid_at: datetime = T0 + timedelta(minutes=5),
) -> RecordPayment:
    return RecordPayment(
        payment_id=payment_id,
        stage=stage,
        method=PaymentMethod.ALIPAY,
        amount=amount,
        currency="CNY",
        paid_at=paid_at,
    )


def ship(shipped_at: datetime = T0 + timedelta(hours=20)) -> RecordShipment:
    return RecordShipment(waybill=WAYBILL, shipped_at=shipped_at, receipt_window=RECEIPT_WINDOW)


def history(*commands: OrderCommand) -> tuple[OrderEvent, ...]:
    """The events the decider records for `commands` in turn (each must be accepted)."""
    events: list[OrderEvent] = []
    for command in commands:
        events.extend(decide(command, order_decider.fold(events)))
    return tuple(events)
