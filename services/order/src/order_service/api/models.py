"""Request and response bodies of the order API. Bodies are strict (no coercion between JSON
types) and every value bounded; business rules (formats, amounts) are checked by the domain, so a
refused order gets its specific problem code, not a generic schema error."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.order import (
    CancellationReason,
    GoodsKind,
    PaymentMethod,
    PaymentStage,
)
from contracts.values import (
    MAX_STOCK,
    PHONE_RULE,
    Amount,
    Country,
    Identifier,
    Line,
    Money,
    Quantity,
    StockFigure,
    Text,
)
from eventing.http.endpoints import CommandOutcome
from eventing.reported_time import Instant, ReportedTime
from order_service.domain.commands import (
    OrderLine,
    PresaleRequest,
    ReceiverDetails,
)
from order_service.domain.placement import RECEIVER_NAME_MAX

MAX_LINES = 100
"""Lines in one order (amounts and quantities take the bounds of `contracts.values`)."""


class Body(BaseModel):
    """A request body: strict (an int is a JSON integer, a string a JSON string), closed.

    FastAPI validates the decoded JSON in Python mode, where strict enums and times would want
    Python objects: those fields say `strict=False` (a time still must be a string,
    `ReportedTime`; an enum accepts only its values)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Price(BaseModel):
    """An amount as the API shows it."""

    amount: int = Field(description="Minor units (fen, cents).", examples=[8800])
    currency: str = Field(description="ISO 4217 code.", examples=["CNY"])


class ItemBody(Body):
    sku: Identifier = Field(examples=["TEA-250"])
    title: Line = Field(max_length=256, examples=["Longjing tea 250 g"])
    unit_price: Money
    quantity: Quantity = Field(examples=[2])

    def line(self) -> OrderLine:
        return OrderLine(
            self.sku, self.title, self.unit_price.amount, self.unit_price.currency, self.quantity
        )


class AddressBody(Body):
    country: Country = "CN"
    province: Line = Field(max_length=64, examples=["浙江省"])
    city: Line = Field(max_length=64, examples=["杭州市"])
    district: Line | None = Field(default=None, max_length=64, examples=["西湖区"])
    street: Line = Field(max_length=256, examples=["文三路 90 号"])
    postal_code: Line | None = Field(default=None, max_length=16, examples=["310012"])


class ReceiverBody(Body):
    name: Line = Field(max_length=RECEIVER_NAME_MAX, examples=["张三"])
    phone: Line = Field(
        max_length=32,
        description=f"A number a courier can call: {PHONE_RULE}.",
        examples=["13812345678"],
    )
    address: AddressBody

    def details(self) -> ReceiverDetails:
        a = self.address
        return ReceiverDetails(
            name=self.name,
            phone=self.phone,
            province=a.province,
            city=a.city,
            street=a.street,
            district=a.district,
            postal_code=a.postal_code,
            country=a.country,
        )


class PresaleBody(Body):
    deposit: Amount = Field(description="Deposit in minor units; deposit + balance = payable.")
    balance: Amount
    balance_starts_at: Instant = Field(strict=False)
    balance_due_by: Instant = Field(strict=False)

    def request(self) -> PresaleRequest:
        return PresaleRequest(
            self.deposit, self.balance, self.balance_starts_at, self.balance_due_by
        )


class PlaceOrderBody(Body):
    """An order. Buyers order for themselves; a seller's customer service, the platform or a
    system channel order for `buyer_id`."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "shop_id": "shop-1",
                    "items": [
                        {
                            "sku": "TEA-250",
                            "title": "Longjing tea 250 g",
                            "unit_price": {"amount": 8800, "currency": "CNY"},
                            "quantity": 2,
                        }
                    ],
                    "receiver": {
                        "name": "张三",
                        "phone": "13812345678",
                        "address": {
                            "province": "浙江省",
                            "city": "杭州市",
                            "street": "文三路 90 号",
                        },
                    },
                    "shipping_fee": 1000,
                    "discount": 500,
                    "payable": 18100,
                }
            ]
        },
    )

    shop_id: Identifier
    buyer_id: Identifier | None = None
    goods_kind: GoodsKind = Field(default=GoodsKind.PHYSICAL, strict=False)
    items: list[ItemBody] = Field(max_length=MAX_LINES)
    receiver: ReceiverBody
    shipping_fee: Amount = 0
    discount: Amount = 0
    payable: Amount | None = Field(
        default=None, description="If sent, must equal the computed one."
    )
    presale: PresaleBody | None = None
    buyer_note: Text | None = None


class PaymentBody(Body):
    """A payment attempt reported by the payment provider's integration (`system`) or the
    platform; a buyer's client may report a failed attempt only."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "2026111122001400001",
                    "stage": "full",
                    "method": "alipay",
                    "amount": {"amount": 18100, "currency": "CNY"},
                    "outcome": "succeeded",
                }
            ]
        },
    )

    payment_id: Identifier
    stage: PaymentStage = Field(default=PaymentStage.FULL, strict=False)
    method: PaymentMethod = Field(strict=False)
    amount: Money
    outcome: Literal["succeeded", "failed"] = "succeeded"
    paid_at: ReportedTime | None = Field(
        default=None,
        strict=False,
        description="When the provider took it (now when omitted): not before the order was "
        "placed nor more than `MAX_CLOCK_SKEW` (5 minutes) after the service's clock.",
    )
    failure_code: Identifier | None = None
    failure_reason: Text | None = None


class AddressChangeBody(Body):
    receiver: ReceiverBody


class CancellationBody(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"reason": "buyer_changed_mind", "note": "ordered twice"}]},
    )
    reason: CancellationReason = Field(strict=False)
    note: Text | None = None


class ExtensionBody(Body):
    days: int = Field(
        ge=1,
        le=366,
        description="One of the shop's `auto_confirm_extension_days` (by default 3, 5, 7 or 10).",
        examples=[5],
    )


class RatingBody(Body):
    description_score: int = Field(ge=0, le=100, examples=[5])
    service_score: int = Field(ge=0, le=100, examples=[5])
    shipping_speed_score: int = Field(ge=0, le=100, examples=[4])
    comment: Text | None = None


class OrderCommandOutcome(CommandOutcome):
    """What a command did to the order; `version` is also the ETag."""

    order_id: str
    status: str | None
    platform_status: str | None
    timeout_at: datetime | None
    detail: dict[str, Any] = Field(default_factory=dict)


class TimelineEntry(BaseModel):
    source: str
    type: str
    sequence: int
    occurred_at: datetime
    actor: str | None
    data: dict[str, Any]


class OrderSummary(BaseModel):
    order_id: str
    shop_id: str
    buyer_id: str
    status: str
    platform_status: str
    timeout_at: datetime | None
    payable: Price
    paid: Price
    refunded: Price
    created_at: datetime
    updated_at: datetime
    version: int


class OrderDetail(OrderSummary):
    detail: dict[str, Any]
    timeline: list[TimelineEntry]


class StockBody(Body):
    on_hand: StockFigure = Field(description="Units counted on hand (stocktake).", examples=[100])
    warning_line: StockFigure | None = Field(default=None, examples=[10])
    purchase_limit: Quantity | None = Field(default=None, description="Per buyer; null: none.")


class StockAdjustmentBody(Body):
    delta: int = Field(
        ge=-MAX_STOCK,
        le=MAX_STOCK,
        description="Units received (+) or written off (-).",
        examples=[-3],
    )
    reason: Text | None = Field(default=None, max_length=256)


class StockView(BaseModel):
    shop_id: str
    sku: str
    on_hand: int
    reserved: int
    available: int
    warning_line: int
    purchase_limit: int | None
    low: bool
    version: int
    updated_at: datetime


class StockAvailability(BaseModel):
    """What a buyer (or another shop's seller) learns of a SKU's stock: whether it can be
    ordered now, not the shop's figures."""

    shop_id: str
    sku: str
    in_stock: bool = Field(description="At least one unit is available.")
