"""The seller's answer and the return of the goods, with every refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from aftersales_service.domain import errors
from aftersales_service.domain.commands import (
    ApproveRefund,
    ConfirmReturnReceived,
    RejectRefund,
    RejectReturn,
    SubmitReturnShipment,
)
from aftersales_service.domain.policy import RefundPolicy
from contracts.events.aftersales import (
    RefundApproved,
    Refunded,
    RefundKind,
    RefundRejected,
    RefundRejectionReason,
    RefundTrigger,
    ReturnReceived,
    ReturnRejected,
    ReturnRejectionReason,
    ReturnShipped,
)
from contracts.values import Address
from eventing.decider import DomainError
from tests.unit.aftersales.aftersales_scenarios import (
    CASE_ID,
    ORDER_ID,
    POLICY,
    RETURN_ADDRESS,
    SHOP_ID,
    T0,
    WAYBILL,
    cny,
    rejected,
    requested,
    return_approved,
    return_requested,
    return_shipped,
    spec,
)

AT = T0 + timedelta(hours=2)
OWN_ADDRESS = Address(province="Jiangsu", city="Suzhou", street="9 Warehouse Lane")


def approve(address: Address | None = None, policy: RefundPolicy = POLICY) -> ApproveRefund:
    return ApproveRefund(CASE_ID, policy, AT, address)


@pytest.mark.parametrize(
    "kind",
    [RefundKind.REFUND_ONLY, RefundKind.PARTIAL_REFUND, RefundKind.RETURN_SHIPPING_FEE],
)
def test_approving_a_case_without_return_refunds_at_once(kind: RefundKind) -> None:
    spec().given(requested(kind=kind)).when(approve()).then(
        RefundApproved(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, amount=cny(3_000),
            automatic=False,
        ),
        Refunded(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, kind=kind, amount=cny(3_000),
            trigger=RefundTrigger.SELLER_APPROVED, refunded_at=AT,
        ),
    )  # fmt: skip


def test_approving_a_return_asks_for_the_goods_back_by_a_deadline() -> None:
    spec().given(return_requested()).when(approve(OWN_ADDRESS)).then(
        RefundApproved(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, amount=cny(4_000),
            automatic=False, return_by=AT + timedelta(days=7), return_address=OWN_ADDRESS,
        )
    )  # fmt: skip


def test_a_return_without_an_address_uses_the_shop_policys() -> None:
    [event] = spec().given(return_requested()).when(approve()).decided()
    assert isinstance(event, RefundApproved)
    assert event.return_address == RETURN_ADDRESS


def test_a_return_cannot_be_approved_without_any_address() -> None:
    policy = replace(POLICY, return_address=None)
    spec().given(return_requested()).when(approve(policy=policy)).then_raises(
        errors.ReturnAddressRequired
    )


def test_the_seller_rejects_with_a_reason_and_the_buyer_gets_an_appeal_window() -> None:
    command = RejectRefund(CASE_ID, RefundRejectionReason.OUTSIDE_RETURN_POLICY, POLICY, AT, "used")
    spec().given(requested()).when(command).then(
        RefundRejected(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
            reason=RefundRejectionReason.OUTSIDE_RETURN_POLICY, note="used",
            appeal_by=AT + timedelta(days=5),
        )
    )  # fmt: skip


def test_the_buyer_ships_the_goods_back_and_the_seller_has_a_confirmation_deadline() -> None:
    spec().given(return_requested(), return_approved()).when(
        SubmitReturnShipment(CASE_ID, WAYBILL, POLICY, AT)
    ).then(
        ReturnShipped(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, waybill=WAYBILL, shipped_at=AT,
            confirm_by=AT + timedelta(days=10),
        )
    )  # fmt: skip


def test_confirming_the_returned_goods_refunds_the_case() -> None:
    spec().given(return_requested(), return_approved(), return_shipped()).when(
        ConfirmReturnReceived(CASE_ID, AT, "all there")
    ).then(
        ReturnReceived(order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, note="all there"),
        Refunded(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
            kind=RefundKind.RETURN_AND_REFUND, amount=cny(4_000),
            trigger=RefundTrigger.RETURN_RECEIVED, refunded_at=AT,
        ),
    )  # fmt: skip


def test_a_parcel_that_came_back_before_any_waybill_can_be_confirmed() -> None:
    events = (
        spec()
        .given(return_requested(), return_approved())
        .when(ConfirmReturnReceived(CASE_ID, AT))
        .decided()
    )
    assert [type(e) for e in events] == [ReturnReceived, Refunded]


def test_the_seller_rejects_goods_that_are_not_the_ones_shipped() -> None:
    command = RejectReturn(CASE_ID, ReturnRejectionReason.NOT_THE_GOODS_SHIPPED, POLICY, AT)
    spec().given(return_requested(), return_approved(), return_shipped()).when(command).then(
        ReturnRejected(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
            reason=ReturnRejectionReason.NOT_THE_GOODS_SHIPPED, appeal_by=AT + timedelta(days=5),
        )
    )  # fmt: skip


REJECT = RejectRefund(CASE_ID, RefundRejectionReason.OTHER, POLICY, AT)
SHIP_BACK = SubmitReturnShipment(CASE_ID, WAYBILL, POLICY, AT)
REJECT_RETURN = RejectReturn(CASE_ID, ReturnRejectionReason.OTHER, POLICY, AT)
RETURN_SHIPPED = (return_requested(), return_approved(), return_shipped())

REFUSED = [
    ("approve twice", (return_requested(), return_approved()), approve(),
     errors.RefundCaseNotAwaitingAnswer),
    ("approve a rejected case", (requested(), rejected()), approve(),
     errors.RefundCaseNotAwaitingAnswer),
    ("reject a rejected case", (requested(), rejected()), REJECT,
     errors.RefundCaseNotAwaitingAnswer),
    ("reject a return on its way", RETURN_SHIPPED, REJECT, errors.RefundCaseNotAwaitingAnswer),
    ("ship back before approval", (return_requested(),), SHIP_BACK, errors.ReturnNotExpected),
    ("ship back twice", RETURN_SHIPPED, SHIP_BACK, errors.ReturnNotExpected),
    ("ship back too late", (return_requested(), return_approved(at=T0 - timedelta(days=8))),
     SHIP_BACK, errors.ReturnWindowExpired),
    ("confirm before approval", (return_requested(),), ConfirmReturnReceived(CASE_ID, AT),
     errors.ReturnNotAwaitingReceipt),
    ("reject a return not shipped", (return_requested(), return_approved()), REJECT_RETURN,
     errors.ReturnNotAwaitingReceipt),
    ("answer a paid case", (requested(),
     *spec().given(requested()).when(approve()).decided()), approve(), errors.RefundCaseEnded),
    ("confirm a refunded return", (*RETURN_SHIPPED,
     *spec().given(*RETURN_SHIPPED).when(ConfirmReturnReceived(CASE_ID, AT)).decided()),
     ConfirmReturnReceived(CASE_ID, AT), errors.RefundCaseEnded),
    ("approve an unknown case", (requested(),), ApproveRefund("other", POLICY, AT),
     errors.RefundCaseNotFound),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command", "error"), [pytest.param(h, c, e, id=n) for n, h, c, e in REFUSED]
)
def test_the_seller_and_the_return_steps_are_refused_out_of_turn(
    history: tuple[object, ...], command: object, error: type[DomainError]
) -> None:
    spec().given(*history).when(command).then_raises(error)
