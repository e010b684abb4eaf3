"""Invariants over random command sequences: whatever is asked, in whatever order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events.base import OrderEvent
from contracts.events.order import (
    CancellationReason,
    OrderCancelled,
    OrderClosed,
    OrderShipped,
    PaymentMethod,
    PaymentStage,
    ShippedAfterClose,
    StockReleased,
    StockReserved,
)
from eventing.decider import DomainError
from order_service.domain import order_decider, stock
from order_service.domain.commands import (
    AnswerRating,
    AppendToRating,
    CancelOrder,
    ChangeAddress,
    CloseForMissedBalance,
    CloseUnpaidOrder,
    ConfirmReceipt,
    ExtendAutoConfirm,
    OrderCommand,
    RateOrder,
    RecordPayment,
    RecordRefund,
    RecordShipment,
    RemindToPay,
)
from order_service.domain.decide import decide
from order_service.domain.state import OrderState
from order_service.domain.stock import SkuStockLevel

from .order_scenarios import (
    PAYABLE,
    RATING_POLICY,
    RECEIVER,
    SEALER,
    SHOP_ID,
    STOCK,
    T0,
    WAYBILL,
    place_order,
    presale_order,
)

times = st.integers(min_value=0, max_value=20 * 24).map(lambda hours: T0 + timedelta(hours=hours))
amounts = st.sampled_from([0, 1, 3500, 5000, PAYABLE - 5000, PAYABLE, PAYABLE + 1])

commands: st.SearchStrategy[OrderCommand] = st.one_of(
    st.builds(
        RecordPayment,
        payment_id=st.sampled_from(["p1", "p2", "p3", "p4"]),
        stage=st.sampled_from(PaymentStage),
        method=st.sampled_from(PaymentMethod),
        amount=amounts,
        currency=st.just("CNY"),
        paid_at=times,
    ),
    st.builds(CancelOrder, reason=st.sampled_from(CancellationReason)),
    st.builds(ChangeAddress, receiver=st.sampled_from([RECEIVER]), sealer=st.just(SEALER)),
    st.builds(CloseUnpaidOrder, at=times),
    st.builds(RemindToPay, at=times, stage=st.sampled_from(PaymentStage)),
    st.builds(CloseForMissedBalance, at=times, forfeit_deposit=st.booleans()),
    st.builds(
        RecordShipment,
        waybill=st.just(WAYBILL),
        shipped_at=times,
        receipt_window=st.just(timedelta(days=10)),
    ),
    st.builds(
        RecordRefund,
        case_id=st.sampled_from(["c1", "c2", "c3"]),
        amount=amounts,
        currency=st.just("CNY"),
    ),
    st.builds(ConfirmReceipt, at=times, automatic=st.booleans()),
    st.builds(
        ExtendAutoConfirm,
        days=st.sampled_from([2, 3, 5, 7, 10]),
        at=times,
        allowed_days=st.sampled_from([(3, 5, 7, 10), (7,), (5, 10)]),
    ),
    st.builds(
        RateOrder,
        description_score=st.integers(0, 6),
        service_score=st.integers(1, 5),
        shipping_speed_score=st.integers(1, 5),
        at=times,
        policy=st.just(RATING_POLICY),
    ),
    st.builds(
        AnswerRating,
        answer=st.sampled_from(["", "thanks", "x" * 501]),
        shop_id=st.sampled_from([SHOP_ID, "other-shop"]),
        at=times,
    ),
    st.builds(AppendToRating, comment=st.sampled_from(["", "still good"]), at=times),
)


def _apply_stock(
    levels: dict[str, SkuStockLevel], before: OrderState, events: Sequence[OrderEvent]
) -> dict[str, SkuStockLevel]:
    """What the application does to the stock table for the events it appends."""
    for event in events:
        if isinstance(event, StockReserved):
            for item in event.items:
                levels[item.sku] = stock.reserve(levels[item.sku], item.quantity)
        elif isinstance(event, StockReleased):
            for item in event.items:
                levels[item.sku] = stock.release(levels[item.sku], item.quantity)
        elif isinstance(event, OrderShipped):
            for item in before.reserved:
                levels[item.sku] = stock.ship(levels[item.sku], item.quantity)
        elif isinstance(event, ShippedAfterClose):
            for item in event.items:
                levels[item.sku] = stock.leave(levels[item.sku], item.quantity)
    return levels


@settings(max_examples=300, deadline=None)
@given(presale=st.booleans(), sequence=st.lists(commands, max_size=25))
def test_invariants_hold_for_any_sequence_of_commands(
    presale: bool, sequence: list[OrderCommand]
) -> None:
    levels = dict(STOCK)
    events: list[OrderEvent] = []
    for command in [presale_order() if presale else place_order(), *sequence]:
        state = order_decider.fold(events)
        try:
            decided = list(decide(command, state))
        except DomainError:
            continue
        levels = _apply_stock(levels, state, decided)
        events.extend(decided)
        _check(order_decider.fold(events), events, levels)


def _check(
    state: OrderState, events: Sequence[OrderEvent], levels: dict[str, SkuStockLevel]
) -> None:
    kinds = [type(event) for event in events]
    assert 0 <= state.paid <= state.payable, "paid never exceeds payable"
    assert 0 <= state.refunded <= state.paid, "refunds never exceed what was paid"
    assert state.refundable >= 0
    assert not (OrderShipped in kinds and OrderCancelled in kinds), "shipped and cancelled"
    assert kinds.count(StockReleased) + kinds.count(OrderShipped) <= 1, "released twice"
    assert kinds.count(OrderShipped) + kinds.count(ShippedAfterClose) <= 1, "shipped twice"
    if ShippedAfterClose in kinds:
        assert kinds.index(ShippedAfterClose) > max(
            kinds.index(k) for k in (OrderCancelled, OrderClosed) if k in kinds
        ), "shipped after close only after the close"
    for level in levels.values():
        assert level.on_hand >= 0, "stock on hand never negative"
        assert 0 <= level.reserved <= level.on_hand, "reserved within on hand"
    held = sum(level.reserved for level in levels.values())
    assert held == sum(item.quantity for item in state.reserved)
