"""Escalation, evidence and rulings; every deadline, and what shipment does to open requests."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from aftersales_service.domain import errors
from aftersales_service.domain.commands import (
    AddEvidence,
    Escalate,
    ExpireAnswerDeadline,
    ExpireAppealWindow,
    ExpireReturnConfirmation,
    ExpireReturnShipment,
    RecordOrderDelivered,
    RecordOrderShipped,
    Rule,
)
from aftersales_service.domain.status import (
    InterventionStatus,
    ReferenceGoodsStatus,
    ReferenceStatus,
    intervention_status,
    reference_goods_status,
    reference_status,
)
from contracts.events.aftersales import (
    Disputed,
    DisputeEvidenceAdded,
    DisputeParty,
    DisputeResolved,
    GoodsStatus,
    RefundApproved,
    RefundClosed,
    RefundCloseReason,
    Refunded,
    RefundGoodsStatusCorrected,
    RefundKind,
    RefundTrigger,
    ResponsibleParty,
    RulingOutcome,
)
from contracts.values import Money
from eventing.decider import DomainError
from tests.unit.aftersales.aftersales_scenarios import (
    CASE_ID,
    ORDER_ID,
    POLICY,
    RETURN_ADDRESS,
    SHOP_ID,
    T0,
    cny,
    disputed,
    rejected,
    requested,
    return_approved,
    return_rejected,
    return_requested,
    return_shipped,
    spec,
)

AT = T0 + timedelta(days=1)


def escalate(party: DisputeParty = DisputeParty.BUYER, at: datetime = AT) -> Escalate:
    return Escalate(CASE_ID, party, "the seller refuses a fair request", POLICY, at)


def rule(outcome: RulingOutcome, amount: Money | None = None) -> Rule:
    return Rule(CASE_ID, outcome, ResponsibleParty.SELLER, "photos show damage", AT, amount)


@pytest.mark.parametrize(
    ("history", "party"),
    [
        ((requested(), rejected()), DisputeParty.BUYER),
        ((requested(), rejected()), DisputeParty.SELLER),
        ((return_requested(), return_approved(), return_shipped(), return_rejected()),
         DisputeParty.BUYER),
    ],
)  # fmt: skip
def test_a_rejected_case_escalates_to_a_dispute_with_an_evidence_deadline(
    history: tuple[object, ...], party: DisputeParty
) -> None:
    spec().given(*history).when(escalate(party)).then(
        Disputed(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, opened_by=party,
            reason="the seller refuses a fair request", evidence_due_by=AT + timedelta(days=3),
        )
    )  # fmt: skip


def test_both_sides_add_evidence_while_the_dispute_is_open() -> None:
    command = AddEvidence(CASE_ID, "ev-1", DisputeParty.SELLER, "courier photo", AT, ("s3://a",))
    spec().given(requested(), rejected(), disputed()).when(command).then(
        DisputeEvidenceAdded(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, evidence_id="ev-1",
            submitted_by=DisputeParty.SELLER, description="courier photo",
            attachments=("s3://a",),
        )
    )  # fmt: skip


DISPUTED = (requested(), rejected(), disputed())


def test_a_full_refund_ruling_pays_what_was_asked() -> None:
    spec().given(*DISPUTED).when(rule(RulingOutcome.FULL_REFUND)).then(
        DisputeResolved(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
            outcome=RulingOutcome.FULL_REFUND, refund_amount=cny(3_000),
            responsible_party=ResponsibleParty.SELLER, note="photos show damage",
        ),
        Refunded(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, kind=RefundKind.REFUND_ONLY,
            amount=cny(3_000), trigger=RefundTrigger.RULING, refunded_at=AT,
        ),
    )  # fmt: skip


def test_a_partial_ruling_pays_the_amount_ruled() -> None:
    resolved, refunded = (
        spec().given(*DISPUTED).when(rule(RulingOutcome.PARTIAL_REFUND, cny(1_200))).decided()
    )
    assert isinstance(resolved, DisputeResolved)
    assert isinstance(refunded, Refunded)
    assert resolved.refund_amount == refunded.amount == cny(1_200)


def test_a_ruling_of_no_refund_closes_the_case() -> None:
    resolved, closed = spec().given(*DISPUTED).when(rule(RulingOutcome.NO_REFUND)).decided()
    assert isinstance(resolved, DisputeResolved)
    assert resolved.refund_amount == cny(0)
    assert closed == RefundClosed(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
        reason=RefundCloseReason.RULED_NO_REFUND,
    )  # fmt: skip


EVIDENCE = AddEvidence(CASE_ID, "ev-1", DisputeParty.BUYER, "photo", AT)
LATE = AT + timedelta(days=6)

REFUSED = [
    ("escalate an open request", (requested(),), escalate(), errors.RefundCaseNotRejected),
    ("escalate twice", DISPUTED, escalate(), errors.RefundCaseNotRejected),
    ("escalate after the window", (requested(), rejected()), escalate(at=LATE),
     errors.AppealWindowExpired),
    ("evidence without dispute", (requested(), rejected()), EVIDENCE,
     errors.RefundCaseNotDisputed),
    ("evidence too late", DISPUTED, AddEvidence(CASE_ID, "ev-1", DisputeParty.BUYER, "photo",
     T0 + timedelta(days=4)), errors.EvidenceWindowClosed),
    ("same evidence twice", (*DISPUTED, DisputeEvidenceAdded(
        order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, evidence_id="ev-1",
        submitted_by=DisputeParty.BUYER, description="photo")), EVIDENCE,
     errors.EvidenceAlreadyAdded),
    ("rule a rejected case", (requested(), rejected()), rule(RulingOutcome.FULL_REFUND),
     errors.RefundCaseNotDisputed),
    ("rule an open request", (requested(),), rule(RulingOutcome.NO_REFUND),
     errors.RefundCaseNotDisputed),
    ("partial without amount", DISPUTED, rule(RulingOutcome.PARTIAL_REFUND),
     errors.RulingAmountInvalid),
    ("partial of everything", DISPUTED, rule(RulingOutcome.PARTIAL_REFUND, cny(3_000)),
     errors.RulingAmountInvalid),
    ("partial of nothing", DISPUTED, rule(RulingOutcome.PARTIAL_REFUND, cny(0)),
     errors.RulingAmountInvalid),
    ("full of another amount", DISPUTED, rule(RulingOutcome.FULL_REFUND, cny(10)),
     errors.RulingAmountInvalid),
    ("none with an amount", DISPUTED, rule(RulingOutcome.NO_REFUND, cny(10)),
     errors.RulingAmountInvalid),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command", "error"), [pytest.param(h, c, e, id=n) for n, h, c, e in REFUSED]
)
def test_dispute_steps_are_refused_out_of_turn(
    history: tuple[object, ...], command: object, error: type[DomainError]
) -> None:
    spec().given(*history).when(command).then_raises(error)


def test_a_ruled_case_cannot_be_ruled_again() -> None:
    ruled = spec().given(*DISPUTED).when(rule(RulingOutcome.NO_REFUND)).decided()
    spec().given(*DISPUTED, *ruled).when(rule(RulingOutcome.FULL_REFUND)).then_raises(
        errors.RefundCaseEnded
    )


ANSWER_DUE = T0 + timedelta(hours=24)


def test_a_silent_seller_is_taken_as_agreeing_and_a_refund_only_case_pays_out() -> None:
    spec().given(requested()).when(ExpireAnswerDeadline(CASE_ID, POLICY, ANSWER_DUE)).then(
        RefundApproved(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, amount=cny(3_000),
            automatic=True,
        ),
        Refunded(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, kind=RefundKind.REFUND_ONLY,
            amount=cny(3_000), trigger=RefundTrigger.ANSWER_TIMEOUT, refunded_at=ANSWER_DUE,
        ),
    )  # fmt: skip


def test_a_silent_seller_of_a_return_gets_the_goods_back_to_the_policy_address() -> None:
    at = T0 + timedelta(days=5)
    spec().given(return_requested()).when(ExpireAnswerDeadline(CASE_ID, POLICY, at)).then(
        RefundApproved(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID, amount=cny(4_000),
            automatic=True, return_by=at + timedelta(days=7), return_address=RETURN_ADDRESS,
        )
    )  # fmt: skip


def test_a_return_not_shipped_in_time_closes_the_case() -> None:
    at = T0 + timedelta(days=7)
    spec().given(return_requested(), return_approved()).when(
        ExpireReturnShipment(CASE_ID, at)
    ).then(
        RefundClosed(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
            reason=RefundCloseReason.RETURN_NOT_SHIPPED,
        )
    )  # fmt: skip


def test_a_return_not_confirmed_in_time_is_refunded() -> None:
    at = T0 + timedelta(days=10)
    spec().given(return_requested(), return_approved(), return_shipped()).when(
        ExpireReturnConfirmation(CASE_ID, at)
    ).then(
        Refunded(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
            kind=RefundKind.RETURN_AND_REFUND, amount=cny(4_000),
            trigger=RefundTrigger.RETURN_CONFIRM_TIMEOUT, refunded_at=at,
        )
    )  # fmt: skip


@pytest.mark.parametrize(
    "history",
    [(requested(), rejected()), (return_requested(), return_approved(), return_shipped(),
      return_rejected())],
    ids=["refund rejected", "return rejected"],
)  # fmt: skip
def test_a_rejection_nobody_appeals_closes_the_case(history: tuple[object, ...]) -> None:
    spec().given(*history).when(ExpireAppealWindow(CASE_ID, T0 + timedelta(days=5))).then(
        RefundClosed(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=CASE_ID,
            reason=RefundCloseReason.APPEAL_WINDOW_EXPIRED,
        )
    )  # fmt: skip


STALE_DEADLINES = [
    ("answered already", (requested(), rejected()), ExpireAnswerDeadline(CASE_ID, POLICY,
     ANSWER_DUE)),
    ("answer deadline moved later", (requested(at=T0 + timedelta(hours=1)),),
     ExpireAnswerDeadline(CASE_ID, POLICY, ANSWER_DUE)),
    ("return shipped already", (return_requested(), return_approved(), return_shipped()),
     ExpireReturnShipment(CASE_ID, T0 + timedelta(days=8))),
    ("return confirmed already", (return_requested(), return_approved()),
     ExpireReturnConfirmation(CASE_ID, T0 + timedelta(days=11))),
    ("escalated already", DISPUTED, ExpireAppealWindow(CASE_ID, T0 + timedelta(days=6))),
    ("appeal window still open", (requested(), rejected()), ExpireAppealWindow(CASE_ID, AT)),
    ("unknown case", (), ExpireReturnShipment("nope", AT)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command"), [pytest.param(h, c, id=n) for n, h, c in STALE_DEADLINES]
)
def test_a_deadline_that_no_longer_applies_does_nothing(
    history: tuple[object, ...], command: object
) -> None:
    spec().given(*history).when(command).then()


def test_shipment_closes_only_unanswered_refund_only_requests_for_unshipped_goods() -> None:
    history = (
        requested("waiting"),
        requested("partial", kind=RefundKind.PARTIAL_REFUND, amount=100),
        requested("rejected", amount=100),
        rejected("rejected"),
        requested("after-shipment", amount=100, goods_status=GoodsStatus.NOT_RECEIVED),
    )
    spec().given(*history).when(RecordOrderShipped(AT, AT, POLICY)).then(
        RefundClosed(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id="waiting",
            reason=RefundCloseReason.SHIPPED_BEFORE_ANSWER,
        )
    )  # fmt: skip


def test_a_request_made_after_the_parcel_left_concerns_shipped_goods_when_that_is_learnt() -> None:
    """Issue 15: the buyer asked after the dispatch, before after-sales heard of it."""
    shipped_at = T0 - timedelta(hours=1)
    history = (
        requested("waiting"),
        requested("partial", kind=RefundKind.PARTIAL_REFUND, amount=100),
    )
    found = [
        RefundGoodsStatusCorrected(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id=case, goods_status=GoodsStatus.NOT_RECEIVED,
            status_since=shipped_at, answer_due_by=T0 + POLICY.answer_not_received,
        )
        for case in ("waiting", "partial")
    ]  # fmt: skip
    learnt = spec().given(*history).when(RecordOrderShipped(AT, shipped_at, POLICY)).then(*found)
    after = spec().given(*history, *learnt)
    assert after.state.cases["waiting"].goods_status is GoodsStatus.NOT_RECEIVED
    not_yet = T0 + POLICY.answer_before_shipment
    after.when(ExpireAnswerDeadline("waiting", POLICY, not_yet)).then()
    due = T0 + POLICY.answer_not_received
    decided = after.when(ExpireAnswerDeadline("waiting", POLICY, due)).decided()
    assert isinstance(decided[0], RefundApproved)
    assert decided[0].automatic
    assert reference_goods_status(after.state.cases["waiting"]) is (
        ReferenceGoodsStatus.BUYER_NOT_RECEIVED
    )


def test_a_request_asked_at_the_moment_of_dispatch_is_not_settled_by_it() -> None:
    spec().given(requested("waiting")).when(RecordOrderShipped(AT, T0, POLICY)).then(
        RefundGoodsStatusCorrected(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id="waiting",
            goods_status=GoodsStatus.NOT_RECEIVED, status_since=T0,
            answer_due_by=T0 + POLICY.answer_not_received,
        )
    )  # fmt: skip


def test_a_request_recorded_without_its_time_is_settled_as_before() -> None:
    legacy = requested("waiting").model_copy(update={"requested_at": None})
    spec().given(legacy).when(RecordOrderShipped(AT, T0 - timedelta(hours=1), POLICY)).then(
        RefundClosed(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id="waiting",
            reason=RefundCloseReason.SHIPPED_BEFORE_ANSWER,
        )
    )  # fmt: skip


def test_a_request_made_after_delivery_learnt_late_concerns_received_goods() -> None:
    delivered_at = T0 - timedelta(hours=2)
    history = (
        requested("asked-after", goods_status=GoodsStatus.NOT_RECEIVED),
        requested("asked-before", goods_status=GoodsStatus.NOT_RECEIVED, at=T0 - timedelta(days=1)),
    )
    learnt = RecordOrderDelivered(AT, delivered_at, POLICY)
    spec().given(*history).when(learnt).then(
        RefundGoodsStatusCorrected(
            order_id=ORDER_ID, shop_id=SHOP_ID, case_id="asked-after",
            goods_status=GoodsStatus.RECEIVED, status_since=delivered_at,
            answer_due_by=T0 + POLICY.answer_after_receipt,
        )
    )  # fmt: skip


def test_shipment_of_an_order_without_cases_does_nothing() -> None:
    spec().when(RecordOrderShipped(AT, AT, POLICY)).then()


def test_the_platforms_vocabulary_follows_the_case() -> None:
    state = spec().given(*DISPUTED).state
    case = state.cases[CASE_ID]
    assert reference_status(case.status) is ReferenceStatus.SELLER_REFUSE_BUYER
    assert intervention_status(case, AT) is InterventionStatus.REQUESTED
    assert intervention_status(case, T0 + timedelta(days=4)) is InterventionStatus.INTERVENED
    assert reference_goods_status(case) is ReferenceGoodsStatus.BUYER_NOT_RECEIVED
    returned = spec().given(return_requested(), return_approved(), return_shipped()).state
    returned_case = returned.cases[CASE_ID]
    assert reference_status(returned_case.status) is ReferenceStatus.WAIT_SELLER_CONFIRM_GOODS
    assert reference_goods_status(returned_case) is ReferenceGoodsStatus.BUYER_RETURNED_GOODS
    ruled = spec().given(*DISPUTED).when(rule(RulingOutcome.NO_REFUND)).decided()
    closed_case = spec().given(*DISPUTED, *ruled).state.cases[CASE_ID]
    assert reference_status(closed_case.status) is ReferenceStatus.CLOSED
    assert intervention_status(closed_case, AT) is InterventionStatus.RULED
