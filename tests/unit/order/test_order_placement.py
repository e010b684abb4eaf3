"""Placement: what an accepted order records, and every reason it is refused."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from contracts import Actor
from contracts.events.order import (
    OrderChannel,
    OrderPlaced,
    StockLow,
    StockRejected,
    StockReserved,
    StockShortage,
    StockShortageReason,
)
from contracts.values import PHONE_RULE, SkuQuantity
from eventing.decider import DomainError, Rejection
from order_service.domain import errors
from order_service.domain.commands import OrderLine, PlaceOrder, PresaleRequest
from order_service.domain.stock import SkuStockLevel

from .order_scenarios import (
    LINES,
    ORDER_ID,
    PAYABLE,
    PAYMENT_WINDOW,
    RECEIVER,
    SHOP_ID,
    STOCK,
    T0,
    history,
    opened,
    place_order,
    presale_order,
    spec,
)

IDS = {"order_id": ORDER_ID, "shop_id": SHOP_ID}


def test_a_valid_order_is_placed_with_its_stock_reserved() -> None:
    placed, reserved = spec().when(place_order()).decided()
    assert isinstance(placed, OrderPlaced)
    assert placed.items_total.amount == 2 * 8800 + 3500
    assert placed.payable.amount == PAYABLE
    assert placed.payment_due_by == T0 + PAYMENT_WINDOW
    assert opened(placed.receiver).phone == "13812345678"
    assert reserved == StockReserved(
        **IDS,
        items=(SkuQuantity(sku="CUP-01", quantity=1), SkuQuantity(sku="TEA-250", quantity=2)),
    )


def test_the_payable_is_optional_and_computed_when_absent() -> None:
    events = spec().when(place_order(expected_payable=None)).decided()
    assert isinstance(events[0], OrderPlaced)
    assert events[0].payable.amount == PAYABLE


def test_a_reservation_crossing_the_warning_line_signals_low_stock() -> None:
    stock = {**STOCK, "CUP-01": SkuStockLevel(sku="CUP-01", on_hand=5, warning_line=5)}
    events = spec().when(place_order(stock=stock)).decided()
    assert events[-1] == StockLow(**IDS, sku="CUP-01", available=4, warning_line=5)


def test_a_sku_already_under_its_warning_line_signals_nothing_new() -> None:
    stock = {**STOCK, "CUP-01": SkuStockLevel(sku="CUP-01", on_hand=3, warning_line=5)}
    events = spec().when(place_order(stock=stock)).decided()
    assert not any(isinstance(event, StockLow) for event in events)


def test_missing_stock_rejects_the_whole_order_naming_each_short_sku() -> None:
    stock = {"TEA-250": SkuStockLevel(sku="TEA-250", on_hand=5, reserved=4)}
    spec().when(place_order(stock=stock)).then(
        StockRejected(
            **IDS,
            buyer_id="buyer-1",
            shortages=(
                StockShortage(
                    sku="CUP-01",
                    requested=1,
                    available=0,
                    reason=StockShortageReason.OUT_OF_STOCK,
                ),
                StockShortage(
                    sku="TEA-250",
                    requested=2,
                    available=1,
                    reason=StockShortageReason.OUT_OF_STOCK,
                ),
            ),
        )
    )


def test_a_buyer_over_the_purchase_limit_is_refused() -> None:
    stock = {**STOCK, "TEA-250": SkuStockLevel(sku="TEA-250", on_hand=100, purchase_limit=3)}
    events = spec().when(place_order(stock=stock, purchased_by_buyer={"TEA-250": 2})).decided()
    assert events == [
        StockRejected(
            **IDS,
            buyer_id="buyer-1",
            shortages=(
                StockShortage(
                    sku="TEA-250",
                    requested=2,
                    available=1,
                    reason=StockShortageReason.PURCHASE_LIMIT_EXCEEDED,
                ),
            ),
        )
    ]


def test_a_refused_order_does_not_exist_for_later_commands() -> None:
    rejected = history(place_order(stock={}))
    spec().given(*rejected).when(place_order()).then_raises(errors.OrderAlreadyExists)


def test_customer_service_may_place_an_order_on_the_buyers_behalf() -> None:
    command = place_order(channel=OrderChannel.CUSTOMER_SERVICE, placed_by=Actor.SELLER)
    placed = spec().when(command).decided()[0]
    assert isinstance(placed, OrderPlaced)
    assert placed.channel is OrderChannel.CUSTOMER_SERVICE


def test_a_presale_order_waits_for_its_deposit_before_the_balance_window() -> None:
    placed = spec().when(presale_order()).decided()[0]
    assert isinstance(placed, OrderPlaced)
    assert placed.presale is not None
    assert placed.presale.deposit.amount == 5000
    assert placed.payment_due_by == T0 + PAYMENT_WINDOW


def _line(**changes: object) -> OrderLine:
    return replace(LINES[0], **changes)  # type: ignore[arg-type]


def _to(**changes: str) -> PlaceOrder:
    """An order sent to a receiver that differs from the valid one by `changes`."""
    return place_order(receiver=replace(RECEIVER, **changes))


def _presale(deposit: int, balance: int, starts: int = 10, due: int = 12) -> PresaleRequest:
    return PresaleRequest(
        deposit=deposit,
        balance=balance,
        balance_starts_at=T0 + timedelta(days=starts),
        balance_due_by=T0 + timedelta(days=due),
    )


REFUSALS = [
    ("no items", place_order(lines=()), errors.NoItems),
    ("zero quantity", place_order(lines=(_line(quantity=0),)), errors.InvalidQuantity),
    ("negative quantity", place_order(lines=(_line(quantity=-2),)), errors.InvalidQuantity),
    ("same SKU twice", place_order(lines=(LINES[0], LINES[0])), errors.DuplicateSkuLine),
    ("empty SKU", place_order(lines=(_line(sku=" "),)), errors.InvalidLineItem),
    ("empty title", place_order(lines=(_line(title=""),)), errors.InvalidLineItem),
    ("negative price", place_order(lines=(_line(unit_price=-1),)), errors.InvalidAmount),
    (
        "two currencies",
        place_order(lines=(LINES[0], replace(LINES[1], currency="USD"))),
        errors.MixedCurrencies,
    ),
    ("bad currency", place_order(lines=(_line(currency="yuan"),)), errors.MixedCurrencies),
    ("negative shipping", place_order(shipping_fee=-1), errors.InvalidAmount),
    ("discount above total", place_order(discount=10**6), errors.NegativePayable),
    ("wrong payable", place_order(expected_payable=PAYABLE + 1), errors.PayableMismatch),
    ("empty name", _to(name="  "), errors.InvalidReceiverName),
    (
        "long name",
        _to(name="x" * 51),
        errors.InvalidReceiverName,
    ),
    ("landline without area code", _to(phone="8888 8888"), errors.InvalidPhone),
    ("international too short", _to(phone="+123456"), errors.InvalidPhone),
    ("international too long", _to(phone="+1234567890123456"), errors.InvalidPhone),
    ("letters", _to(phone="138-CALL-ME"), errors.InvalidPhone),
    (
        "short mobile",
        _to(phone="1381234567"),
        errors.InvalidPhone,
    ),
    (
        "12x mobile",
        _to(phone="12812345678"),
        errors.InvalidPhone,
    ),
    ("no province", _to(province=""), errors.InvalidAddress),
    ("no city", _to(city=" "), errors.InvalidAddress),
    ("no street", _to(street=""), errors.InvalidAddress),
    ("bad country", _to(country="CHN"), errors.InvalidAddress),
    (
        "bad postcode",
        _to(postal_code="31"),
        errors.InvalidAddress,
    ),
    ("buyer as system", place_order(channel=OrderChannel.SYSTEM), errors.ChannelNotAllowed),
    (
        "buyer as customer service",
        place_order(channel=OrderChannel.CUSTOMER_SERVICE),
        errors.ChannelNotAllowed,
    ),
    ("no payment window", place_order(payment_window=timedelta(0)), errors.InvalidPolicyDuration),
    ("long note", place_order(buyer_note="n" * 2001), errors.TextTooLong),
    ("presale not adding up", place_order(presale=_presale(5000, 100)), errors.InvalidPresaleTerms),
    ("presale no deposit", place_order(presale=_presale(0, PAYABLE)), errors.InvalidPresaleTerms),
    (
        "presale window backwards",
        place_order(presale=_presale(5000, PAYABLE - 5000, starts=12, due=10)),
        errors.InvalidPresaleTerms,
    ),
    (
        "presale window in the past",
        place_order(presale=_presale(5000, PAYABLE - 5000, starts=-1, due=10)),
        errors.InvalidPresaleTerms,
    ),
]


@pytest.mark.parametrize(("case", "command", "error"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_placement_refuses_invalid_orders(
    case: str, command: PlaceOrder, error: type[DomainError]
) -> None:
    refused = spec().when(command).then_raises(error)
    assert isinstance(refused, DomainError)
    assert refused.code
    assert refused.kind in Rejection


@pytest.mark.parametrize(
    ("phone", "dialled"),
    [
        ("+447911123456", "+447911123456"),
        ("+852 2123 4567", "+85221234567"),
        ("0571-8888888", "05718888888"),
        ("(010) 1234 5678", "01012345678"),
        ("138 1234 5678", "13812345678"),
    ],
)
def test_a_phone_a_courier_can_call_is_accepted_as_dialled(phone: str, dialled: str) -> None:
    placed = spec().when(_to(phone=phone)).decided()[0]
    assert isinstance(placed, OrderPlaced)
    assert opened(placed.receiver).phone == dialled


def test_a_refused_phone_names_the_rule_dispatch_applies_too() -> None:
    spec().when(_to(phone="+123456")).then_raises(errors.InvalidPhone, match=re.escape(PHONE_RULE))


def test_an_order_id_cannot_be_placed_twice() -> None:
    spec().given(*history(place_order())).when(place_order()).then_raises(errors.OrderAlreadyExists)


def test_every_domain_error_has_its_own_stable_code() -> None:
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, DomainError) and value is not DomainError
    ]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() and " " not in code for code in codes)
