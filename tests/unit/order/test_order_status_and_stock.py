"""Platform status and time-outs derived from the state; the pure stock rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events.order import CancellationReason, PaymentStage
from order_service.domain import errors, stock
from order_service.domain.commands import (
    CancelOrder,
    CloseUnpaidOrder,
    ConfirmReceipt,
    RecordRefund,
)
from order_service.domain.status import PlatformStatus, platform_status, timeout_at
from order_service.domain.stock import SkuStockLevel

from .order_scenarios import (
    PAYMENT_WINDOW,
    RECEIPT_WINDOW,
    T0,
    history,
    pay,
    place_order,
    presale_order,
    ship,
    spec,
)

SHIPPED_AT = T0 + timedelta(hours=20)
CANCEL = CancelOrder(reason=CancellationReason.OTHER)
BALANCE_DUE = T0 + timedelta(days=12)

STATUS_CASES = [
    ("unpaid", history(place_order()), PlatformStatus.WAIT_BUYER_PAY, T0 + PAYMENT_WINDOW),
    ("presale", history(presale_order()), PlatformStatus.WAIT_BUYER_PAY, T0 + PAYMENT_WINDOW),
    (
        "deposit paid",
        history(presale_order(), pay(stage=PaymentStage.DEPOSIT, amount=5000)),
        PlatformStatus.FRONT_PAID_FINAL_NOPAID,
        BALANCE_DUE,
    ),
    ("paid", history(place_order(), pay()), PlatformStatus.WAIT_SELLER_SEND_GOODS, None),
    (
        "shipped",
        history(place_order(), pay(), ship()),
        PlatformStatus.WAIT_BUYER_CONFIRM_GOODS,
        SHIPPED_AT + RECEIPT_WINDOW,
    ),
    (
        "finished",
        history(place_order(), pay(), ship(), ConfirmReceipt(at=SHIPPED_AT)),
        PlatformStatus.TRADE_FINISHED,
        None,
    ),
    (
        "auto-closed",
        history(place_order(), CloseUnpaidOrder(at=T0 + PAYMENT_WINDOW)),
        PlatformStatus.TRADE_CLOSED_BY_TAOBAO,
        None,
    ),
    (
        "cancelled unpaid",
        history(place_order(), CANCEL),
        PlatformStatus.TRADE_CLOSED_BY_TAOBAO,
        None,
    ),
    ("cancelled paid", history(place_order(), pay(), CANCEL), PlatformStatus.TRADE_CLOSED, None),
    (
        "fully refunded",
        history(place_order(), pay(), ship(), RecordRefund("c-1", 21600, "CNY")),
        PlatformStatus.TRADE_CLOSED,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "events", "status", "fires_at"), STATUS_CASES, ids=[c[0] for c in STATUS_CASES]
)
def test_each_state_maps_to_one_platform_status_and_time_out(
    case: str, events: tuple[object, ...], status: PlatformStatus, fires_at: object
) -> None:
    state = spec().given(*events).state  # type: ignore[arg-type]
    assert platform_status(state) is status
    assert timeout_at(state) == fires_at


def test_an_order_refused_for_stock_has_no_platform_status() -> None:
    assert platform_status(spec().given(*history(place_order(stock={}))).state) is None


def test_reserve_release_and_ship_move_units_between_on_hand_and_reserved() -> None:
    level = SkuStockLevel(sku="A", on_hand=10)
    held = stock.reserve(level, 4)
    assert (held.on_hand, held.reserved, held.available) == (10, 4, 6)
    assert stock.release(held, 4) == level
    shipped = stock.ship(held, 4)
    assert (shipped.on_hand, shipped.reserved) == (6, 0)


def test_units_that_left_after_their_release_come_off_on_hand_not_others_reservations() -> None:
    others = stock.reserve(SkuStockLevel(sku="A", on_hand=10), 3)
    left = stock.leave(others, 4)
    assert (left.on_hand, left.reserved) == (6, 3)
    short = stock.leave(others, 9)
    assert (short.on_hand, short.reserved) == (3, 3)


def test_stock_cannot_go_under_what_open_orders_reserved() -> None:
    held = stock.reserve(SkuStockLevel(sku="A", on_hand=10), 4)
    with pytest.raises(errors.StockBelowReserved):
        stock.set_on_hand(held, 3)
    with pytest.raises(errors.StockBelowReserved):
        stock.adjust_on_hand(held, -7)
    with pytest.raises(errors.StockBelowReserved):
        stock.reserve(held, 7)
    assert stock.adjust_on_hand(held, -6).on_hand == 4


def test_stock_levels_and_limits_cannot_be_negative() -> None:
    level = SkuStockLevel(sku="A", on_hand=1)
    with pytest.raises(errors.InvalidStockLevel):
        stock.set_on_hand(level, -1)
    with pytest.raises(errors.InvalidStockLevel):
        stock.with_limits(level, warning_line=-1, purchase_limit=None)
    with pytest.raises(errors.InvalidStockLevel):
        stock.with_limits(level, warning_line=0, purchase_limit=0)
    assert stock.with_limits(level, 5, 2).purchase_limit == 2


def test_a_reservation_is_all_or_nothing() -> None:
    levels = {"A": SkuStockLevel(sku="A", on_hand=5), "B": SkuStockLevel(sku="B", on_hand=1)}
    outcome = stock.check_reservation(levels, {"A": 2, "B": 2}, {})
    assert not outcome.accepted
    assert outcome.reservations == ()
    assert [s.sku for s in outcome.shortages] == ["B"]
