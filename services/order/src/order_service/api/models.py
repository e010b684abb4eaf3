"""Request and response bodies of the order API. Business rules (formats, amounts) are checked
by the domain, so a refused order gets its specific problem code, not a generic schema error."""

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
from contracts.values import PHONE_RULE
from eventing.http.endpoints import CommandOutcome
from order_service.domain.commands import (
    OrderLine,
    PresaleRequest,
    ReceiverDetails,
)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(Body):
    amount: int = Field(description="Minor units (fen, cents).", examples=[8800])
    currency: str = Field(description="ISO 4217 code.", examples=["CNY"])


class ItemBody(Body):
    sku: str = Field(examples=["TEA-250"])
    title: str = Field(examples=["Longjing tea 250 g"])
    unit_price: Price
    quantity: int = Field(examples=[2])

    def line(self) -> OrderLine:
        return OrderLine(
            self.sku, self.title, self.unit_price.amount, self.unit_price.currency, self.quantity
        )


class AddressBody(Body):
    country: str = "CN"
    province: str = Field(examples=["浙江省"])
    city: str = Field(examples=["杭州市"])
    district: str | None = Field(default=None, examples=["西湖区"])
    street: str = Field(examples=["文三路 90 号"])
    postal_code: str | None = Field(default=None, examples=["310012"])


class ReceiverBody(Body):
    name: str = Field(examples=["张三"])
    phone: str = Field(
        description=f"A number a courier can call: {PHONE_RULE}.", examples=["13812345678"]
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
    deposit: int = Field(description="Deposit in minor units; deposit + balance = payable.")
    balance: int
    balance_starts_at: datetime
    balance_due_by: datetime

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

    shop_id: str = Field(min_length=1, max_length=64)
    buyer_id: str | None = Field(default=None, max_length=64)
    goods_kind: GoodsKind = GoodsKind.PHYSICAL
    items: list[ItemBody]
    receiver: ReceiverBody
    shipping_fee: int = 0
    discount: int = 0
    payable: int | None = Field(default=None, description="If sent, must equal the computed one.")
    presale: PresaleBody | None = None
    buyer_note: str | None = None


class PaymentBody(Body):
    """A payment attempt reported by the payment provider (or the buyer's client)."""

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

    payment_id: str = Field(min_length=1, max_length=64)
    stage: PaymentStage = PaymentStage.FULL
    method: PaymentMethod
    amount: Price
    outcome: Literal["succeeded", "failed"] = "succeeded"
    paid_at: datetime | None = Field(default=None, description="Defaults to now.")
    failure_code: str | None = Field(default=None, max_length=64)
    failure_reason: str | None = None


class AddressChangeBody(Body):
    receiver: ReceiverBody


class CancellationBody(Body):
    reason: CancellationReason
    note: str | None = None


class ExtensionBody(Body):
    days: int = Field(
        description="One of the shop's `auto_confirm_extension_days` (by default 3, 5, 7 or 10).",
        examples=[5],
    )


class RatingBody(Body):
    description_score: int = Field(examples=[5])
    service_score: int = Field(examples=[5])
    shipping_speed_score: int = Field(examples=[4])
    comment: str | None = None


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
    on_hand: int = Field(description="Units counted on hand (stocktake).", examples=[100])
    warning_line: int | None = Field(default=None, examples=[10])
    purchase_limit: int | None = Field(default=None, description="Per buyer; null: none.")


class StockAdjustmentBody(Body):
    delta: int = Field(description="Units received (+) or written off (-).", examples=[-3])
    reason: str | None = Field(default=None, max_length=256)


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
