"""Events of the order service: placement, stock, payment, presale, address, cancel, receipt,
rating and the customer care around it (reminders to pay, answers and follow-ups to ratings)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from contracts.events.base import OrderEvent
from contracts.sealing import KeyId, Sealed, sealed_personal_data
from contracts.upcasting import Upcaster, seal_fields, sealing_upcaster
from contracts.values import (
    ContractModel,
    Identifier,
    LineItem,
    Money,
    Quantity,
    Receiver,
    SkuQuantity,
    StockFigure,
    Text,
    UtcDatetime,
    Waybill,
    exact_int,
    personal_data,
)

Score = Annotated[StrictInt, Field(ge=1, le=5)]
ExtensionDays = Annotated[Literal[3, 5, 7, 10], BeforeValidator(exact_int)]
MAX_RATING_REPLY_LENGTH = 500
RatingReply = Annotated[Text, Field(min_length=1, max_length=MAX_RATING_REPLY_LENGTH)]
"""A seller's answer to a rating or a buyer's follow-up comment: 1 to 500 characters."""


class OrderChannel(StrEnum):
    """Who created the order."""

    BUYER = "buyer"
    CUSTOMER_SERVICE = "customer_service"
    SYSTEM = "system"


class GoodsKind(StrEnum):
    """Physical goods travel by parcel; virtual goods have a shorter receipt window."""

    PHYSICAL = "physical"
    VIRTUAL = "virtual"


class PaymentMethod(StrEnum):
    """How the buyer paid."""

    ALIPAY = "alipay"
    WECHAT = "wechat"
    CARD = "card"


class PaymentStage(StrEnum):
    """Which payment of the order an attempt was for (presale orders pay twice)."""

    FULL = "full"
    DEPOSIT = "deposit"
    BALANCE = "balance"


class StockShortageReason(StrEnum):
    """Why a SKU could not be reserved."""

    OUT_OF_STOCK = "out_of_stock"
    PURCHASE_LIMIT_EXCEEDED = "purchase_limit_exceeded"


class CancellationReason(StrEnum):
    """Why an order was cancelled before shipment."""

    BUYER_CHANGED_MIND = "buyer_changed_mind"
    WRONG_ITEMS_OR_ADDRESS = "wrong_items_or_address"
    DUPLICATE_ORDER = "duplicate_order"
    OUT_OF_STOCK = "out_of_stock"
    SUSPECTED_FRAUD = "suspected_fraud"
    OTHER = "other"


class OrderCloseReason(StrEnum):
    """Why an order ended without completing (platform states TRADE_CLOSED*)."""

    UNPAID_TIMEOUT = "unpaid_timeout"
    BALANCE_TIMEOUT = "balance_timeout"
    CANCELLED = "cancelled"
    FULLY_REFUNDED = "fully_refunded"
    STOCK_REJECTED = "stock_rejected"


class PresaleTerms(ContractModel):
    """A presale order: a deposit now, the balance inside a later window."""

    deposit: Money = Field(description="Deposit to pay by the order's payment deadline.")
    balance: Money = Field(description="Balance to pay inside the balance window.")
    balance_starts_at: UtcDatetime = Field(description="When the balance can first be paid.")
    balance_due_by: UtcDatetime = Field(description="When an unpaid balance closes the order.")


class StockShortage(ContractModel):
    """One SKU of an order that could not be reserved."""

    sku: Identifier = Field(description="Stock-keeping unit code.")
    requested: Quantity = Field(description="Units the order asked for.")
    available: StockFigure = Field(description="Units the buyer could have had.")
    reason: StockShortageReason = Field(description="Why the SKU was refused.")


class OrderPlacedV1(OrderEvent):
    """An order was accepted: its items, receiver, amounts and payment deadline are fixed."""

    # Version 1, with the receiver in clear: read from old stores and sealed by the upcaster.
    model_config = ConfigDict(title="OrderPlaced")

    event_type = "order.placed"
    platform_message = "trade created"

    buyer_id: Identifier = Field(description="The buyer who owns the order.")
    channel: OrderChannel = Field(description="Who created the order.")
    goods_kind: GoodsKind = Field(description="Physical or virtual goods (receipt window).")
    items: tuple[LineItem, ...] = Field(min_length=1, description="What was ordered.")
    receiver: Receiver = personal_data("Who and where the parcel goes to.")
    items_total: Money = Field(description="Sum of unit price × quantity over the items.")
    shipping_fee: Money = Field(description="Shipping charged to the buyer.")
    discount: Money = Field(description="Discounts applied to the order.")
    payable: Money = Field(description="Total the buyer pays: items + shipping - discount.")
    payment_due_by: UtcDatetime = Field(
        description="When the order closes unless paid (the deposit, for a presale order)."
    )
    presale: PresaleTerms | None = Field(default=None, description="Set for presale orders.")
    buyer_note: Text | None = Field(default=None, description="Note the buyer left the seller.")


class OrderPlaced(OrderEvent):
    """An order was accepted: its items, receiver, amounts and payment deadline are fixed."""

    event_type = "order.placed"
    event_version = 2
    platform_message = "trade created"

    buyer_id: Identifier = Field(description="The buyer who owns the order.")
    channel: OrderChannel = Field(description="Who created the order.")
    goods_kind: GoodsKind = Field(description="Physical or virtual goods (receipt window).")
    items: tuple[LineItem, ...] = Field(min_length=1, description="What was ordered.")
    receiver: Sealed = sealed_personal_data("Who and where the parcel goes to", Receiver)
    items_total: Money = Field(description="Sum of unit price × quantity over the items.")
    shipping_fee: Money = Field(description="Shipping charged to the buyer.")
    discount: Money = Field(description="Discounts applied to the order.")
    payable: Money = Field(description="Total the buyer pays: items + shipping - discount.")
    payment_due_by: UtcDatetime = Field(
        description="When the order closes unless paid (the deposit, for a presale order)."
    )
    presale: PresaleTerms | None = Field(default=None, description="Set for presale orders.")
    buyer_note: Text | None = Field(default=None, description="Note the buyer left the seller.")


class StockReserved(OrderEvent):
    """Stock for every line of the order was reserved until it is paid, cancelled or closed."""

    event_type = "order.stock_reserved"

    items: tuple[SkuQuantity, ...] = Field(min_length=1, description="Units reserved per SKU.")


class StockRejected(OrderEvent):
    """An order could not be accepted: some SKUs lack stock or exceed the purchase limit."""

    event_type = "order.stock_rejected"

    buyer_id: Identifier = Field(description="The buyer who tried to order.")
    shortages: tuple[StockShortage, ...] = Field(min_length=1, description="SKUs refused.")


class StockReleased(OrderEvent):
    """The order's reservation was given back to stock (cancelled or closed before shipment)."""

    event_type = "order.stock_released"

    items: tuple[SkuQuantity, ...] = Field(min_length=1, description="Units released per SKU.")
    reason: OrderCloseReason = Field(description="Why the reservation ended.")


class StockLow(OrderEvent):
    """A reservation by this order took a SKU under its warning line."""

    event_type = "order.stock_low"

    sku: Identifier = Field(description="Stock-keeping unit code.")
    available: StockFigure = Field(description="Units still available after the reservation.")
    warning_line: StockFigure = Field(description="The shop's warning line for this SKU.")
    purchase_limit: Quantity | None = Field(
        default=None, description="Per-buyer purchase limit now in force, if any."
    )


class PaymentFailed(OrderEvent):
    """A payment attempt failed; the order stays payable."""

    event_type = "order.payment_failed"

    payment_id: Identifier = Field(description="Transaction id at the payment provider.")
    stage: PaymentStage = Field(description="Which payment of the order was attempted.")
    method: PaymentMethod = Field(description="Payment method used.")
    amount: Money = Field(description="Amount attempted.")
    failure_code: Identifier | None = Field(default=None, description="Provider code.")
    reason: Text = Field(description="Why the provider declined, in words.")


class OrderPaid(OrderEvent):
    """The order was paid in full (for presale: see `order.balance_paid`); shipment is due."""

    event_type = "order.paid"
    platform_message = "buyer paid"

    payment_id: Identifier = Field(description="Transaction id at the payment provider.")
    method: PaymentMethod = Field(description="Payment method used.")
    amount: Money = Field(description="Amount paid.")
    paid_at: UtcDatetime = Field(description="When the provider took the money.")


class DuplicatePaymentDetected(OrderEvent):
    """A second payment arrived for an order already paid; its surplus is due back to the buyer."""

    event_type = "order.duplicate_payment_detected"

    payment_id: Identifier = Field(description="Transaction id of the duplicate payment.")
    original_payment_id: Identifier = Field(description="The payment that was kept.")
    method: PaymentMethod = Field(description="Payment method of the duplicate.")
    amount: Money = Field(description="Amount of the duplicate payment.")
    paid_at: UtcDatetime = Field(description="When the duplicate was taken.")
    surplus: Money = Field(description="Amount to refund to the buyer.")


class DepositPaid(OrderEvent):
    """The deposit of a presale order was paid; the balance falls due in its window."""

    event_type = "order.deposit_paid"

    payment_id: Identifier = Field(description="Transaction id at the payment provider.")
    method: PaymentMethod = Field(description="Payment method used.")
    amount: Money = Field(description="Deposit paid.")
    paid_at: UtcDatetime = Field(description="When the provider took the money.")
    balance: Money = Field(description="Balance still to pay.")
    balance_starts_at: UtcDatetime = Field(description="When the balance can first be paid.")
    balance_due_by: UtcDatetime = Field(description="When an unpaid balance closes the order.")


class BalancePaid(OrderEvent):
    """The balance of a presale order was paid; the order is now fully paid and shipment is due."""

    event_type = "order.balance_paid"
    platform_message = "buyer paid"

    payment_id: Identifier = Field(description="Transaction id at the payment provider.")
    method: PaymentMethod = Field(description="Payment method used.")
    amount: Money = Field(description="Balance paid.")
    paid_at: UtcDatetime = Field(description="When the provider took the money.")
    total_paid: Money = Field(description="Deposit plus balance.")


class BalanceReminderDue(OrderEvent):
    """The buyer of a presale order should be reminded that the balance deadline is near."""

    event_type = "order.balance_reminder_due"
    platform_message = "timeout reminder"

    balance: Money = Field(description="Balance still to pay.")
    balance_due_by: UtcDatetime = Field(description="When an unpaid balance closes the order.")


class PaymentReminderDue(OrderEvent):
    """The buyer of an unpaid order should be reminded to pay before the order closes (the
    deposit, for a presale order); sent once, never after payment (催付)."""

    event_type = "order.payment_reminder_due"
    platform_message = "timeout reminder"

    stage: Literal[PaymentStage.FULL, PaymentStage.DEPOSIT] = Field(
        description="Which payment is awaited: the full amount or a presale deposit."
    )
    amount: Money = Field(description="Amount still to pay.")
    payment_due_by: UtcDatetime = Field(description="When the order closes unless paid.")


class AddressChangedV1(OrderEvent):
    """The buyer changed the receiver before shipment."""

    # Version 1, with the receiver in clear: read from old stores and sealed by the upcaster.
    model_config = ConfigDict(title="AddressChanged")

    event_type = "order.address_changed"
    platform_message = "address changed"

    receiver: Receiver = personal_data("The new receiver.")


class AddressChanged(OrderEvent):
    """The buyer changed the receiver before shipment."""

    event_type = "order.address_changed"
    event_version = 2
    platform_message = "address changed"

    receiver: Sealed = sealed_personal_data("The new receiver", Receiver)


class OrderCancelled(OrderEvent):
    """The order was cancelled before shipment; anything paid is due back to the buyer."""

    event_type = "order.cancelled"
    platform_message = "trade closed"

    reason: CancellationReason = Field(description="Why the order was cancelled.")
    note: Text | None = Field(default=None, description="Free-text explanation.")
    refund_due: Money = Field(
        description=(
            "Amount paid so far, less refunds already paid out, to refund (zero if unpaid)."
        )
    )


class OrderShipped(OrderEvent):
    """The order learned its parcel left (from `logistics.shipped`); the receipt clock runs."""

    event_type = "order.shipped"
    platform_message = "seller shipped"

    waybill: Waybill = Field(description="Carrier and tracking number.")
    shipped_at: UtcDatetime = Field(description="When the parcel was handed to the carrier.")
    auto_confirm_at: UtcDatetime = Field(description="When receipt is confirmed automatically.")


class ShippedAfterClose(OrderEvent):
    """The parcel left before the order heard of it, but the order was cancelled or closed
    first (the cancel-vs-ship race, or a refund that closed it): it stays cancelled or closed,
    and the units are out of the warehouse all the same (after-sales settles the money)."""

    event_type = "order.shipped_after_close"

    waybill: Waybill = Field(description="Carrier and tracking number.")
    shipped_at: UtcDatetime = Field(description="When the parcel was handed to the carrier.")
    items: tuple[SkuQuantity, ...] = Field(
        min_length=1, description="Units that left the warehouse, per SKU."
    )


class OrderRefundRecorded(OrderEvent):
    """A completed refund (from `aftersales.refunded`) reduced what is left to refund."""

    event_type = "order.refund_recorded"
    platform_message = "partly refunded"

    case_id: Identifier = Field(description="The refund case that paid out.")
    amount: Money = Field(description="Amount of this refund.")
    refunded_total: Money = Field(description="Everything refunded on the order so far.")
    refundable: Money = Field(description="What can still be refunded (paid - refunded).")


class OrderClosed(OrderEvent):
    """The order ended without completing: unpaid, cancelled, stock refused or fully refunded."""

    event_type = "order.closed"
    platform_message = "trade closed"

    reason: OrderCloseReason = Field(description="Why the order closed.")
    deposit_forfeited: Money | None = Field(
        default=None, description="Deposit kept under the shop's presale policy, if any."
    )


class PersonalDataErased(OrderEvent):
    """The buyer's personal data was erased: the data keys that sealed this order's receivers
    were destroyed, so they can never be opened again (crypto-shredding). Money, items and the
    lifecycle stay as they were."""

    event_type = "order.personal_data_erased"

    buyer_id: Identifier = Field(description="The buyer whose data was erased.")
    key_ids: tuple[KeyId, ...] = Field(
        min_length=1, max_length=16, description="The destroyed data keys (forget any copy)."
    )
    erased_at: UtcDatetime = Field(description="When the keys were destroyed.")


class ReceiptConfirmed(OrderEvent):
    """Receipt of the goods was confirmed, by the buyer or automatically after the window."""

    event_type = "order.receipt_confirmed"

    automatic: StrictBool = Field(description="True when the receipt window ran out.")


class AutoConfirmExtended(OrderEvent):
    """The buyer extended the automatic receipt confirmation (allowed once)."""

    event_type = "order.auto_confirm_extended"

    extension_days: ExtensionDays = Field(description="Days added.")
    previous_auto_confirm_at: UtcDatetime = Field(description="The deadline before extension.")
    auto_confirm_at: UtcDatetime = Field(description="The new deadline.")


class OrderCompleted(OrderEvent):
    """The trade succeeded (TRADE_FINISHED); the buyer may now rate it."""

    event_type = "order.completed"
    platform_message = "trade success"

    settled_amount: Money = Field(description="What the seller keeps: paid minus refunded.")


class OrderRated(OrderEvent):
    """The buyer rated a completed order."""

    event_type = "order.rated"
    platform_message = "rated"

    description_score: Score = Field(description="Item as described, 1-5.")
    service_score: Score = Field(description="Seller's service, 1-5.")
    shipping_speed_score: Score = Field(description="Shipping speed, 1-5.")
    comment: Text | None = Field(default=None, description="Review text.")
    answer_due_by: UtcDatetime | None = Field(
        default=None,
        description="Until when the seller may answer the rating (absent on ratings recorded "
        "before answers existed: those may be answered at any time).",
    )
    append_due_by: UtcDatetime | None = Field(
        default=None,
        description="Until when the buyer may add one follow-up comment (absent: at any time).",
    )


class RatingFollowUpOpened(OrderEvent):
    """A medium or bad rating (a score at or under the shop's threshold) opened a follow-up
    task in the shop's queue; answering the rating closes it (处理中差评)."""

    event_type = "order.rating_follow_up_opened"

    lowest_score: Score = Field(description="The rating's lowest score.")
    due_by: UtcDatetime = Field(description="When the task turns overdue unless answered.")


class RatingAnswered(OrderEvent):
    """The seller answered the order's rating (once); an open follow-up task is closed."""

    event_type = "order.rating_answered"

    answer: RatingReply = Field(description="The seller's answer, shown with the rating.")


class RatingAppended(OrderEvent):
    """The buyer added their one follow-up comment to the rating (追评)."""

    event_type = "order.rating_appended"

    comment: RatingReply = Field(description="The buyer's follow-up comment.")


EVENTS: tuple[type[OrderEvent], ...] = (
    OrderPlaced,
    StockReserved,
    StockRejected,
    StockReleased,
    StockLow,
    PaymentFailed,
    OrderPaid,
    DuplicatePaymentDetected,
    DepositPaid,
    BalancePaid,
    BalanceReminderDue,
    PaymentReminderDue,
    AddressChanged,
    OrderCancelled,
    OrderShipped,
    ShippedAfterClose,
    OrderRefundRecorded,
    OrderClosed,
    PersonalDataErased,
    ReceiptConfirmed,
    AutoConfirmExtended,
    OrderCompleted,
    OrderRated,
    RatingFollowUpOpened,
    RatingAnswered,
    RatingAppended,
)

LEGACY_EVENTS: tuple[type[OrderEvent], ...] = (OrderPlacedV1, AddressChangedV1)
"""Older versions still read from stores and topics (upcast to the current version)."""

UPCASTERS: tuple[Upcaster, ...] = (
    sealing_upcaster("order.placed", from_version=1)(seal_fields(receiver=Receiver)),
    sealing_upcaster("order.address_changed", from_version=1)(seal_fields(receiver=Receiver)),
)
"""v1 → v2: the clear receiver is sealed for the buyer (the reader's `Sealer` does it)."""
