"""Placement: the checks an order passes before it is accepted, and the events of acceptance."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from contracts import Actor
from contracts.events.base import OrderEvent
from contracts.events.order import (
    OrderChannel,
    OrderPlaced,
    PresaleTerms,
    StockLow,
    StockRejected,
    StockReserved,
)
from contracts.values import PHONE_RULE, Address, LineItem, Money, Receiver, diallable_phone
from order_service.domain.commands import OrderLine, PlaceOrder, PresaleRequest, ReceiverDetails
from order_service.domain.errors import (
    ChannelNotAllowed,
    DuplicateSkuLine,
    InvalidAddress,
    InvalidAmount,
    InvalidLineItem,
    InvalidPhone,
    InvalidPolicyDuration,
    InvalidPresaleTerms,
    InvalidQuantity,
    InvalidReceiverName,
    MixedCurrencies,
    NegativePayable,
    NoItems,
    PayableMismatch,
    TextTooLong,
)
from order_service.domain.stock import check_reservation

CURRENCY = re.compile(r"^[A-Z]{3}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
CN_POSTAL_CODE = re.compile(r"^\d{6}$")
RECEIVER_NAME_MAX = 50
TEXT_MAX = 2000

CHANNEL_PLACERS: dict[OrderChannel, frozenset[Actor]] = {
    OrderChannel.BUYER: frozenset({Actor.BUYER}),
    OrderChannel.CUSTOMER_SERVICE: frozenset({Actor.SELLER, Actor.PLATFORM}),
    OrderChannel.SYSTEM: frozenset({Actor.SYSTEM}),
}


def place(command: PlaceOrder) -> list[OrderEvent]:
    """Accept the order with its stock reservation, or record which SKUs refused it."""
    placed = accepted_order(command)
    requested = {line.sku: line.quantity for line in command.lines}
    outcome = check_reservation(command.stock, requested, command.purchased_by_buyer)
    ids = {"order_id": command.order_id, "shop_id": command.shop_id}
    if not outcome.accepted:
        return [StockRejected(**ids, buyer_id=command.buyer_id, shortages=outcome.shortages)]
    low = [
        StockLow(
            **ids,
            sku=signal.sku,
            available=signal.available,
            warning_line=signal.warning_line,
            purchase_limit=signal.purchase_limit,
        )
        for signal in outcome.low_stock
    ]
    return [placed, StockReserved(**ids, items=outcome.reservations), *low]


def accepted_order(command: PlaceOrder) -> OrderPlaced:
    """The `order.placed` fact for a valid command; raises the first rule it breaks."""
    if command.placed_by not in CHANNEL_PLACERS[command.channel]:
        raise ChannelNotAllowed(
            f"a {command.placed_by} cannot place an order through the {command.channel} channel"
        )
    if command.payment_window <= timedelta(0):
        raise InvalidPolicyDuration("the payment window must be positive")
    if command.buyer_note is not None and len(command.buyer_note) > TEXT_MAX:
        raise TextTooLong(f"the buyer's note is longer than {TEXT_MAX} characters")
    currency = validated_lines(command.lines)
    items = tuple(_line_item(line) for line in command.lines)
    items_total = sum(line.unit_price.amount * line.quantity for line in items)
    payable = _payable(command, currency, items_total)
    payment_due_by = command.at + command.payment_window
    presale = None
    if command.presale is not None:
        presale = _presale_terms(command.presale, payable, command)
        payment_due_by = min(payment_due_by, presale.balance_due_by)
    return OrderPlaced(
        order_id=command.order_id,
        shop_id=command.shop_id,
        buyer_id=command.buyer_id,
        channel=command.channel,
        goods_kind=command.goods_kind,
        items=items,
        receiver=command.sealer.seal(validated_receiver(command.receiver)),
        items_total=Money(amount=items_total, currency=currency),
        shipping_fee=Money(amount=command.shipping_fee, currency=currency),
        discount=Money(amount=command.discount, currency=currency),
        payable=payable,
        payment_due_by=payment_due_by,
        presale=presale,
        buyer_note=command.buyer_note,
    )


def validated_lines(lines: Sequence[OrderLine]) -> str:
    """Check the lines and return the one currency they share."""
    if not lines:
        raise NoItems("an order needs at least one item")
    seen: set[str] = set()
    currencies: set[str] = set()
    for line in lines:
        if not line.sku.strip() or len(line.sku) > 64:
            raise InvalidLineItem(f"SKU code {line.sku!r} must have 1 to 64 characters")
        if line.sku in seen:
            raise DuplicateSkuLine(f"SKU {line.sku} appears on more than one line", sku=line.sku)
        seen.add(line.sku)
        if line.quantity < 1:
            raise InvalidQuantity(
                f"SKU {line.sku}: quantity must be at least 1, not {line.quantity}", sku=line.sku
            )
        if line.unit_price < 0:
            raise InvalidAmount(f"SKU {line.sku}: the unit price cannot be negative", sku=line.sku)
        if not line.title.strip() or len(line.title) > 256:
            raise InvalidLineItem(f"SKU {line.sku}: the title must have 1 to 256 characters")
        if not CURRENCY.match(line.currency):
            raise MixedCurrencies(f"SKU {line.sku}: {line.currency!r} is not an ISO 4217 code")
        currencies.add(line.currency)
    if len(currencies) > 1:
        raise MixedCurrencies(f"the items are priced in {sorted(currencies)}; use one currency")
    return currencies.pop()


def _line_item(line: OrderLine) -> LineItem:
    return LineItem(
        sku=line.sku,
        title=line.title,
        unit_price=Money(amount=line.unit_price, currency=line.currency),
        quantity=line.quantity,
    )


def _payable(command: PlaceOrder, currency: str, items_total: int) -> Money:
    if command.shipping_fee < 0 or command.discount < 0:
        raise InvalidAmount("shipping fee and discount cannot be negative")
    payable = items_total + command.shipping_fee - command.discount
    if payable < 0:
        raise NegativePayable(
            f"the discount {command.discount} exceeds items {items_total} plus shipping "
            f"{command.shipping_fee}"
        )
    if command.expected_payable is not None and command.expected_payable != payable:
        raise PayableMismatch(
            f"payable should be {payable} (items {items_total} + shipping "
            f"{command.shipping_fee} - discount {command.discount}), "
            f"not {command.expected_payable}",
            expected=payable,
        )
    return Money(amount=payable, currency=currency)


def _presale_terms(terms: PresaleRequest, payable: Money, command: PlaceOrder) -> PresaleTerms:
    if terms.deposit <= 0 or terms.balance <= 0:
        raise InvalidPresaleTerms("a presale order needs a positive deposit and balance")
    if terms.deposit + terms.balance != payable.amount:
        raise InvalidPresaleTerms(
            f"deposit {terms.deposit} + balance {terms.balance} must equal payable {payable.amount}"
        )
    if not command.at <= terms.balance_starts_at < terms.balance_due_by:
        raise InvalidPresaleTerms(
            "the balance window must start now or later and end after it starts"
        )
    return PresaleTerms(
        deposit=Money(amount=terms.deposit, currency=payable.currency),
        balance=Money(amount=terms.balance, currency=payable.currency),
        balance_starts_at=terms.balance_starts_at,
        balance_due_by=terms.balance_due_by,
    )


def validated_receiver(details: ReceiverDetails) -> Receiver:
    """The receiver if its name, phone and address are usable on a shipping label."""
    name = details.name.strip()
    if not name or len(name) > RECEIVER_NAME_MAX:
        raise InvalidReceiverName(
            f"the receiver's name must have 1 to {RECEIVER_NAME_MAX} characters"
        )
    phone = diallable_phone(details.phone)
    if phone is None:
        raise InvalidPhone(f"{details.phone!r} is not a number a courier can call: {PHONE_RULE}")
    return Receiver(name=name, phone=phone, address=_address(details))


def _address(details: ReceiverDetails) -> Address:
    required = {"province": details.province, "city": details.city, "street": details.street}
    for part, value in required.items():
        if not value.strip():
            raise InvalidAddress(f"the address needs a {part}", field=part)
    limits = {"province": 64, "city": 64, "street": 256, "district": 64}
    for part, limit in limits.items():
        value = getattr(details, part)
        if value is not None and len(value) > limit:
            raise InvalidAddress(f"the {part} is longer than {limit} characters", field=part)
    if not COUNTRY.match(details.country):
        raise InvalidAddress(
            f"{details.country!r} is not an ISO 3166 country code", field="country"
        )
    postal = details.postal_code
    if postal is not None and (
        len(postal) > 16 or (details.country == "CN" and not CN_POSTAL_CODE.match(postal))
    ):
        raise InvalidAddress(
            f"{postal!r} is not a postal code of {details.country}", field="postal_code"
        )
    return Address(
        country=details.country,
        province=details.province.strip(),
        city=details.city.strip(),
        district=(details.district or "").strip() or None,
        street=details.street.strip(),
        postal_code=postal,
    )
