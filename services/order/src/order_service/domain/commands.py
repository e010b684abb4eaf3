"""What can be asked of an order. Times and policy durations always come in with the command."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts import Actor
from contracts.events.order import (
    CancellationReason,
    GoodsKind,
    OrderChannel,
    PaymentMethod,
    PaymentStage,
)
from contracts.sealing import SubjectSealer
from contracts.values import SkuQuantity, Waybill
from order_service.domain.policy import RatingPolicy
from order_service.domain.stock import SkuStockLevel


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line as the caller sent it; validated by the decider, not by the type."""

    sku: str
    title: str
    unit_price: int
    currency: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReceiverDetails:
    """Receiver as the caller sent it; formats are business rules checked by the decider."""

    name: str
    phone: str
    province: str
    city: str
    street: str
    district: str | None = None
    postal_code: str | None = None
    country: str = "CN"


@dataclass(frozen=True, slots=True)
class PresaleRequest:
    """Presale terms asked for at placement (amounts in the order's currency)."""

    deposit: int
    balance: int
    balance_starts_at: datetime
    balance_due_by: datetime


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Accept an order if it is valid and its stock can be reserved.

    `stock` holds the current levels of the ordered SKUs (locked by the caller for the
    decision), a SKU missing from it has no stock; `purchased_by_buyer` is what this buyer
    already bought of each SKU (for per-buyer purchase limits).
    """

    order_id: str
    shop_id: str
    buyer_id: str
    channel: OrderChannel
    placed_by: Actor
    goods_kind: GoodsKind
    lines: tuple[OrderLine, ...]
    receiver: ReceiverDetails
    sealer: SubjectSealer
    """Seals the receiver for the buyer (the buyer's data key, from the custodian)."""
    shipping_fee: int
    discount: int
    at: datetime
    payment_window: timedelta
    stock: Mapping[str, SkuStockLevel] = field(default_factory=dict)
    purchased_by_buyer: Mapping[str, int] = field(default_factory=dict)
    expected_payable: int | None = None
    presale: PresaleRequest | None = None
    buyer_note: str | None = None


@dataclass(frozen=True, slots=True)
class RecordPayment:
    """A payment the provider took for one stage of the order."""

    payment_id: str
    stage: PaymentStage
    method: PaymentMethod
    amount: int
    currency: str
    paid_at: datetime


@dataclass(frozen=True, slots=True)
class RecordPaymentFailure:
    """A payment attempt the provider declined; the order stays payable."""

    payment_id: str
    stage: PaymentStage
    method: PaymentMethod
    amount: int
    currency: str
    reason: str
    failure_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeAddress:
    """Send the parcel somewhere else (only before it ships)."""

    receiver: ReceiverDetails
    sealer: SubjectSealer
    """Seals the new receiver for the order's buyer."""


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel before shipment: release stock, owe back what was paid."""

    reason: CancellationReason
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CloseUnpaidOrder:
    """The payment deadline (the deposit's, for presale) fired."""

    at: datetime


@dataclass(frozen=True, slots=True)
class RemindToPay:
    """A reminder to pay fired: for the full payment or the presale deposit before the order
    closes unpaid, or for the presale balance before its deadline (`stage`)."""

    at: datetime
    stage: PaymentStage


@dataclass(frozen=True, slots=True)
class CloseForMissedBalance:
    """The presale balance deadline fired; the shop's policy says whether the deposit is kept."""

    at: datetime
    forfeit_deposit: bool


@dataclass(frozen=True, slots=True)
class RecordShipment:
    """Logistics shipped the parcel; the receipt window is the shop's policy for the goods kind."""

    waybill: Waybill
    shipped_at: datetime
    receipt_window: timedelta
    items: tuple[SkuQuantity, ...] = ()  # what left; empty: everything the order holds


@dataclass(frozen=True, slots=True)
class RecordRefund:
    """After-sales paid a refund out of a case."""

    case_id: str
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class ConfirmReceipt:
    """The buyer confirms receipt, or the receipt window ran out (`automatic`)."""

    at: datetime
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class ExtendAutoConfirm:
    """The buyer needs more time before receipt is confirmed automatically (once), by one of
    the day counts the shop's policy allows (`allowed_days`)."""

    days: int
    at: datetime
    allowed_days: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RateOrder:
    """The buyer rates a completed order (once); the shop's rating policy sets the windows to
    answer and follow it up."""

    description_score: int
    service_score: int
    shipping_speed_score: int
    at: datetime
    policy: RatingPolicy
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerRating:
    """A seller of `shop_id` answers the order's rating (once, within the answer window)."""

    answer: str
    shop_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AppendToRating:
    """The buyer adds one follow-up comment to their rating (within the append window)."""

    comment: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ErasePersonalData:
    """The buyer's data keys were destroyed: the order's receivers can never be read again."""

    key_ids: tuple[str, ...]
    at: datetime


OrderCommand = (
    PlaceOrder
    | RecordPayment
    | RecordPaymentFailure
    | ChangeAddress
    | CancelOrder
    | CloseUnpaidOrder
    | RemindToPay
    | CloseForMissedBalance
    | RecordShipment
    | RecordRefund
    | ConfirmReceipt
    | ExtendAutoConfirm
    | RateOrder
    | AnswerRating
    | AppendToRating
    | ErasePersonalData
)
