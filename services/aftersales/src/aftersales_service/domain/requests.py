"""The buyer's side of opening a case: request, amend, withdraw; and the money and item rules.

Refundable balance of an order = paid − cancellation refund due − deposit forfeited − refunds
completed − amounts reserved by open cases (agreement 5). Items asked for never exceed the units
ordered minus those in other open or paid-out cases.
"""

from __future__ import annotations

from collections.abc import Sequence

from aftersales_service.domain import errors
from aftersales_service.domain.cases import open_case_of, order_of
from aftersales_service.domain.commands import (
    AmendRefund,
    OpenInterceptCase,
    RefundTerms,
    RequestRefund,
    WithdrawRefund,
)
from aftersales_service.domain.facts import OrderFacts
from aftersales_service.domain.state import AftersalesState, CaseStatus
from contracts.events.aftersales import (
    GoodsStatus,
    RefundAmended,
    RefundApproved,
    RefundCaseEvent,
    RefundKind,
    RefundReason,
    RefundRequested,
    RefundWithdrawn,
)

_KINDS_NEEDING_SHIPMENT = (RefundKind.RETURN_AND_REFUND, RefundKind.RETURN_SHIPPING_FEE)


def request_refund(command: RequestRefund, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    facts = paid_order(command.facts)
    if facts.buyer_id != command.buyer_id:
        raise errors.NotTheOrdersBuyer(
            f"order {facts.order_id} belongs to another buyer", order_id=facts.order_id
        )
    if command.case_id in state.cases:
        raise errors.RefundCaseAlreadyExists(f"refund case {command.case_id} exists already")
    check_terms(command.terms, facts, state, case_id=command.case_id)
    terms = command.terms
    goods_status = facts.goods_status
    return [
        RefundRequested(
            order_id=facts.order_id, shop_id=facts.shop_id, case_id=command.case_id,
            buyer_id=command.buyer_id, kind=terms.kind, reason=terms.reason,
            description=terms.description, amount=terms.amount, items=terms.items,
            goods_status=goods_status,
            answer_due_by=command.at + command.policy.answer_window(goods_status),
            requested_at=command.at,
        )
    ]  # fmt: skip


def amend_refund(command: AmendRefund, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    case = open_case_of(state, command.case_id)
    if case.is_intercept:
        raise errors.InterceptCaseNotAmendable(f"case {case.case_id} recovers a parcel")
    if case.status is CaseStatus.REFUND_REJECTED:
        assert case.appeal_by is not None
        if command.at > case.appeal_by:
            raise errors.AppealWindowExpired(
                f"the appeal window of case {case.case_id} ended at {case.appeal_by.isoformat()}"
            )
    elif case.status is not CaseStatus.WAITING_SELLER:
        raise errors.RefundCaseNotAmendable(
            f"case {case.case_id} is {case.status.value}", case_status=case.status.value
        )
    facts = paid_order(command.facts)
    check_terms(command.terms, facts, state, case_id=case.case_id)
    terms = command.terms
    order_id, shop_id = order_of(state)
    return [
        RefundAmended(
            order_id=order_id, shop_id=shop_id, case_id=case.case_id, kind=terms.kind,
            reason=terms.reason, description=terms.description, amount=terms.amount,
            items=terms.items,
            answer_due_by=command.at + command.policy.answer_window(facts.goods_status),
        )
    ]  # fmt: skip


def withdraw_refund(command: WithdrawRefund, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    case = open_case_of(state, command.case_id)
    if case.is_intercept:
        # The buyer already has the money back; withdrawing would leave the parcel unrecovered.
        raise errors.InterceptCaseNotWithdrawable(f"case {case.case_id} recovers a parcel")
    order_id, shop_id = order_of(state)
    return [
        RefundWithdrawn(order_id=order_id, shop_id=shop_id, case_id=case.case_id,
                        note=command.note)
    ]  # fmt: skip


def open_intercept_case(
    command: OpenInterceptCase, state: AftersalesState
) -> Sequence[RefundCaseEvent]:
    """Exactly one recovery case per order, whatever order the two facts arrive in."""
    facts = command.facts
    if state.intercept_case() is not None or not facts.shipped or not facts.cancelled_with_refund:
        return []
    zero = facts.money(0)
    return [
        RefundRequested(
            order_id=facts.order_id, shop_id=facts.shop_id, case_id=command.case_id,
            buyer_id=facts.buyer_id, kind=RefundKind.RETURN_AND_REFUND,
            reason=RefundReason.CANCELLED_AFTER_SHIPMENT, amount=zero, items=facts.shipped_items,
            goods_status=GoodsStatus.NOT_RECEIVED, answer_due_by=command.at,
            requested_at=command.at,
        ),
        RefundApproved(
            order_id=facts.order_id, shop_id=facts.shop_id, case_id=command.case_id, amount=zero,
            automatic=True, return_by=command.at + command.policy.return_ship_window,
            return_address=command.policy.return_address,
        ),
    ]  # fmt: skip


def check_terms(
    terms: RefundTerms, facts: OrderFacts, state: AftersalesState, *, case_id: str
) -> None:
    """Refuse terms the order cannot support (raises the specific `DomainError`)."""
    _check_kind(terms, facts)
    _check_amount(terms, facts, state, case_id)
    _check_items(terms, facts, state, case_id)


def refundable_balance(facts: OrderFacts, state: AftersalesState, excluding: str | None) -> int:
    paid = facts.paid or 0
    already_due = facts.cancellation_refund_due + facts.deposit_forfeited
    return paid - already_due - state.refunded_total() - state.reserved_total(excluding)


def paid_order(facts: OrderFacts | None) -> OrderFacts:
    """The facts of a paid order, else why not (closed unpaid, or payment not yet known)."""
    if facts is None or facts.paid is None:
        if facts is not None and facts.closed:
            raise errors.OrderNeverPaid(f"order {facts.order_id} closed unpaid")
        raise errors.OrderPaymentNotYetKnown(
            "the payment of this order has not reached the aftersales service yet"
        )
    return facts


def _check_kind(terms: RefundTerms, facts: OrderFacts) -> None:
    if terms.kind in _KINDS_NEEDING_SHIPMENT and not facts.shipped:
        raise errors.GoodsNotShipped(f"a {terms.kind.value} case needs shipped goods")
    if terms.kind is RefundKind.RETURN_AND_REFUND and not terms.items:
        raise errors.ReturnNeedsItems("name the items to send back")
    if terms.kind is RefundKind.RETURN_SHIPPING_FEE and terms.items:
        raise errors.ShippingFeeRefundHasNoItems("a shipping fee refund names no items")


def _check_amount(
    terms: RefundTerms, facts: OrderFacts, state: AftersalesState, case_id: str
) -> None:
    if terms.amount.currency != facts.currency:
        raise errors.RefundCurrencyMismatch(
            f"the order is paid in {facts.currency}, not {terms.amount.currency}"
        )
    if terms.amount.amount <= 0:
        raise errors.RefundAmountNotPositive("ask for a positive amount")
    refundable = refundable_balance(facts, state, excluding=case_id)
    if terms.amount.amount > refundable:
        raise errors.RefundAmountExceedsRefundable(
            f"asked {terms.amount.amount}, refundable {max(refundable, 0)} {facts.currency}",
            refundable=max(refundable, 0),
        )


def _check_items(
    terms: RefundTerms, facts: OrderFacts, state: AftersalesState, case_id: str
) -> None:
    unknown = sorted({item.sku for item in terms.items} - set(facts.ordered))
    if unknown:
        raise errors.RefundItemsNotInOrder(f"not in the order: {', '.join(unknown)}", skus=unknown)
    asked: dict[str, int] = {}
    for item in terms.items:
        asked[item.sku] = asked.get(item.sku, 0) + item.quantity
    for sku, quantity in sorted(asked.items()):
        available = facts.ordered[sku] - state.units_claimed(sku, excluding=case_id)
        if quantity > available:
            raise errors.RefundItemsExceedOrdered(
                f"{quantity} × {sku} asked, {max(available, 0)} left", sku=sku,
                available=max(available, 0),
            )  # fmt: skip
