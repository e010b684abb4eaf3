"""Opening, amending and withdrawing a case, and every reason a request is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from aftersales_service.domain import errors
from aftersales_service.domain.commands import AmendRefund, OpenInterceptCase, WithdrawRefund
from aftersales_service.domain.facts import OrderFacts
from contracts.events.aftersales import (
    GoodsStatus,
    RefundAmended,
    RefundApproved,
    RefundKind,
    RefundReason,
    RefundRequested,
    RefundWithdrawn,
)
from contracts.values import SkuQuantity
from eventing.decider import DomainError, Rejection
from tests.unit.aftersales.aftersales_scenarios import (
    BUYER_ID,
    CASE_ID,
    FACTS,
    ORDER_ID,
    POLICY,
    RECEIVED,
    RETURN_ITEMS,
    SHIPPED,
    SHOP_ID,
    T0,
    cny,
    rejected,
    request,
    requested,
    return_approved,
    return_requested,
    spec,
    terms,
)


@pytest.mark.parametrize(
    ("facts", "goods_status", "window"),
    [
        (FACTS, GoodsStatus.NOT_SHIPPED, timedelta(hours=24)),
        (SHIPPED, GoodsStatus.NOT_RECEIVED, timedelta(hours=36)),
        (RECEIVED, GoodsStatus.RECEIVED, timedelta(days=5)),
        (replace(SHIPPED, receipt_confirmed=True), GoodsStatus.RECEIVED, timedelta(days=5)),
    ],
)
def test_a_request_gives_the_seller_an_answer_deadline_by_where_the_goods_are(
    facts: OrderFacts, goods_status: GoodsStatus, window: timedelta
) -> None:
    spec().when(request(facts=facts)).then(
        RefundRequested(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, buyer_id=BUYER_ID,
            kind=RefundKind.REFUND_ONLY, reason=RefundReason.CHANGED_MIND, amount=cny(3_000),
            goods_status=goods_status, answer_due_by=T0 + window, requested_at=T0,
        )
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "items"),
    [
        (RefundKind.RETURN_AND_REFUND, RETURN_ITEMS),
        (RefundKind.PARTIAL_REFUND, ()),
        (RefundKind.RETURN_SHIPPING_FEE, ()),
        (RefundKind.REFUND_ONLY, (SkuQuantity(sku="SKU-B", quantity=1),)),
    ],
)
def test_every_kind_of_case_can_be_opened_for_received_goods(
    kind: RefundKind, items: tuple[SkuQuantity, ...]
) -> None:
    [event] = spec().when(request(facts=RECEIVED, kind=kind, items=items)).decided()
    assert isinstance(event, RefundRequested)
    assert (event.kind, event.items, event.goods_status) == (kind, items, GoodsStatus.RECEIVED)


def test_the_whole_paid_amount_can_be_asked_for() -> None:
    [event] = spec().when(request(amount=10_000)).decided()
    assert isinstance(event, RefundRequested)
    assert event.amount == cny(10_000)


def test_a_second_case_may_ask_for_what_the_first_leaves() -> None:
    spec().given(requested(amount=6_000)).when(request("case-2", amount=4_000)).then(
        requested("case-2", amount=4_000)
    )


OTHER_CASE_FOR_ITEMS = requested(
    "case-0", RefundKind.RETURN_AND_REFUND, 1, (SkuQuantity(sku="SKU-A", quantity=2),),
    GoodsStatus.RECEIVED,
)  # fmt: skip

REFUSED_REQUESTS = [
    ("no facts at all", (), request(facts=None), errors.OrderPaymentNotYetKnown),
    ("payment not seen", (), request(facts=replace(FACTS, paid=None)),
     errors.OrderPaymentNotYetKnown),
    ("closed unpaid", (), request(facts=replace(FACTS, paid=None, closed=True)),
     errors.OrderNeverPaid),
    ("another buyer", (), replace(request(), buyer_id="buyer-2"), errors.NotTheOrdersBuyer),
    ("case id taken", (requested(),), request(), errors.RefundCaseAlreadyExists),
    ("zero amount", (), request(amount=0), errors.RefundAmountNotPositive),
    ("other currency", (), replace(request(), terms=replace(terms(), amount=cny(1).model_copy(
        update={"currency": "USD"}))), errors.RefundCurrencyMismatch),
    ("more than paid", (), request(amount=10_001), errors.RefundAmountExceedsRefundable),
    ("reserved by an open case", (requested(amount=8_000),), request("case-2", amount=2_001),
     errors.RefundAmountExceedsRefundable),
    ("cancellation refund", (), request(facts=replace(FACTS, cancellation_refund_due=10_000),
     amount=1), errors.RefundAmountExceedsRefundable),
    ("deposit forfeited", (), request(facts=replace(FACTS, deposit_forfeited=9_000),
     amount=1_001), errors.RefundAmountExceedsRefundable),
    ("unknown sku", (), request(facts=RECEIVED, items=(SkuQuantity(sku="SKU-Z", quantity=1),)),
     errors.RefundItemsNotInOrder),
    ("more units than ordered", (), request(facts=RECEIVED, items=(
        SkuQuantity(sku="SKU-A", quantity=3),)), errors.RefundItemsExceedOrdered),
    ("units in another case", (OTHER_CASE_FOR_ITEMS,), request(facts=RECEIVED, items=(
        SkuQuantity(sku="SKU-A", quantity=1),)), errors.RefundItemsExceedOrdered),
    ("return before shipment", (), request(kind=RefundKind.RETURN_AND_REFUND, items=RETURN_ITEMS),
     errors.GoodsNotShipped),
    ("shipping fee before shipment", (), request(kind=RefundKind.RETURN_SHIPPING_FEE),
     errors.GoodsNotShipped),
    ("return without items", (), request(facts=RECEIVED, kind=RefundKind.RETURN_AND_REFUND),
     errors.ReturnNeedsItems),
    ("shipping fee with items", (), request(facts=RECEIVED, kind=RefundKind.RETURN_SHIPPING_FEE,
     items=RETURN_ITEMS), errors.ShippingFeeRefundHasNoItems),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command", "error"),
    [pytest.param(h, c, e, id=name) for name, h, c, e in REFUSED_REQUESTS],
)
def test_a_request_is_refused_when_the_order_cannot_support_it(
    history: tuple[RefundRequested, ...], command: object, error: type[DomainError]
) -> None:
    spec().given(*history).when(command).then_raises(error)


def test_an_unknown_payment_is_a_retryable_refusal_not_a_rejection() -> None:
    raised = spec().when(request(facts=None)).then_raises(errors.OrderPaymentNotYetKnown)
    assert isinstance(raised, DomainError)
    assert raised.kind is Rejection.NOT_YET_KNOWN
    assert raised.kind.retryable
    assert raised.code == "order-payment-not-yet-known"


def test_every_error_has_its_own_stable_code() -> None:
    classes = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, DomainError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))
    assert all(code.replace("-", "").isalpha() and code.islower() for code in codes)


def amend(at: datetime = T0 + timedelta(hours=1), amount: int = 3_000) -> AmendRefund:
    return AmendRefund(
        case_id=CASE_ID, terms=terms(amount=amount), facts=FACTS, policy=POLICY, at=at
    )


def test_an_amendment_after_a_rejection_goes_back_to_the_seller() -> None:
    at = T0 + timedelta(days=1)
    spec().given(requested(), rejected(at=T0)).when(amend(at, amount=2_000)).then(
        RefundAmended(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, kind=RefundKind.REFUND_ONLY,
            reason=RefundReason.CHANGED_MIND, amount=cny(2_000),
            answer_due_by=at + timedelta(hours=24),
        )
    )  # fmt: skip


def test_a_request_awaiting_the_seller_can_be_amended_up_to_the_whole_balance() -> None:
    [event] = spec().given(requested(amount=9_000)).when(amend(amount=10_000)).decided()
    assert isinstance(event, RefundAmended)
    assert event.amount == cny(10_000)


def test_an_amendment_after_the_appeal_window_is_refused() -> None:
    late = T0 + POLICY.appeal_window + timedelta(seconds=1)
    spec().given(requested(), rejected()).when(amend(late)).then_raises(errors.AppealWindowExpired)


def test_an_amendment_is_checked_like_a_request() -> None:
    spec().given(requested(), rejected()).when(amend(amount=10_001)).then_raises(
        errors.RefundAmountExceedsRefundable
    )


def test_a_case_on_its_way_back_cannot_be_amended() -> None:
    spec().given(return_requested(), return_approved()).when(amend()).then_raises(
        errors.RefundCaseNotAmendable
    )


def test_the_buyer_can_withdraw_an_open_case() -> None:
    spec().given(requested()).when(WithdrawRefund(CASE_ID, T0, "solved with the seller")).then(
        RefundWithdrawn(order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
                        note="solved with the seller")
    )  # fmt: skip


def test_an_ended_case_cannot_be_withdrawn() -> None:
    withdrawn = RefundWithdrawn(order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID)
    spec().given(requested(), withdrawn).when(WithdrawRefund(CASE_ID, T0)).then_raises(
        errors.RefundCaseEnded
    )


def test_a_command_for_an_unknown_case_is_not_found() -> None:
    raised = (
        spec()
        .given(requested())
        .when(WithdrawRefund("nope", T0))
        .then_raises(errors.RefundCaseNotFound)
    )
    assert isinstance(raised, DomainError)
    assert raised.kind is Rejection.NOT_FOUND


CANCELLED_AND_SHIPPED = replace(SHIPPED, cancellation_refund_due=10_000)
INTERCEPT = OpenInterceptCase("intercept-1", CANCELLED_AND_SHIPPED, POLICY, T0)


def test_the_cancel_vs_ship_race_opens_an_approved_recovery_case_for_nothing() -> None:
    requested_event, approved = spec().when(INTERCEPT).decided()
    assert isinstance(requested_event, RefundRequested)
    assert isinstance(approved, RefundApproved)
    assert requested_event.reason is RefundReason.CANCELLED_AFTER_SHIPMENT
    assert requested_event.kind is RefundKind.RETURN_AND_REFUND
    assert requested_event.amount == cny(0)
    assert requested_event.items == SHIPPED.shipped_items
    assert approved.automatic
    assert approved.return_by == T0 + POLICY.return_ship_window


def test_the_recovery_case_opens_once_whatever_arrives_again() -> None:
    first = spec().when(INTERCEPT).decided()
    spec().given(*first).when(replace(INTERCEPT, case_id="intercept-2")).then()


@pytest.mark.parametrize(
    "facts",
    [SHIPPED, replace(FACTS, cancellation_refund_due=10_000)],
    ids=["not cancelled", "not shipped"],
)
def test_no_recovery_case_without_both_cancellation_and_shipment(facts: OrderFacts) -> None:
    spec().when(replace(INTERCEPT, facts=facts)).then()


def test_the_recovery_case_can_be_neither_withdrawn_nor_amended() -> None:
    opened = spec().when(INTERCEPT).decided()
    spec().given(*opened).when(WithdrawRefund("intercept-1", T0)).then_raises(
        errors.InterceptCaseNotWithdrawable
    )
    spec().given(*opened).when(
        AmendRefund("intercept-1", terms(), CANCELLED_AND_SHIPPED, POLICY, T0)
    ).then_raises(errors.InterceptCaseNotAmendable)
