"""Invariants over random command sequences: money never exceeds what was paid, a case ends
exactly once, a ruling only ever follows a dispute."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aftersales_scenarios import PAID, POLICY, RECEIVED, T0, WAYBILL, cny
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_service.domain.commands import (
    AddEvidence,
    AmendRefund,
    ApproveRefund,
    ConfirmReturnReceived,
    Escalate,
    ExpireAnswerDeadline,
    ExpireAppealWindow,
    ExpireReturnConfirmation,
    ExpireReturnShipment,
    OpenInterceptCase,
    RecordOrderShipped,
    RefundTerms,
    RejectRefund,
    RejectReturn,
    RequestRefund,
    Rule,
    SubmitReturnShipment,
    WithdrawRefund,
)
from aftersales_service.domain.decide import aftersales_decider
from aftersales_service.domain.state import AftersalesState
from contracts.events.aftersales import (
    Disputed,
    DisputeResolved,
    RefundCaseEvent,
    RefundClosed,
    Refunded,
    RefundKind,
    RefundReason,
    RefundRejectionReason,
    RefundWithdrawn,
    ResponsibleParty,
    ReturnRejectionReason,
    RulingOutcome,
)
from contracts.events.aftersales import DisputeParty as Party
from contracts.values import SkuQuantity
from eventing.decider import DomainError

CASES = ("c1", "c2", "c3")
FACTS = replace(RECEIVED, cancellation_refund_due=0)

case_ids = st.sampled_from(CASES)
amounts = st.integers(min_value=-10, max_value=PAID + 10).map(lambda a: cny(max(a, 0)))
kinds = st.sampled_from(list(RefundKind))
items = st.lists(
    st.builds(SkuQuantity, sku=st.sampled_from(["SKU-A", "SKU-B"]), quantity=st.integers(1, 2)),
    max_size=2,
).map(tuple)
refund_terms = st.builds(
    RefundTerms, kind=kinds, reason=st.sampled_from(list(RefundReason)), amount=amounts,
    items=items,
)  # fmt: skip
offsets = st.integers(min_value=0, max_value=12 * 24).map(lambda h: timedelta(hours=h))
parties = st.sampled_from(list(Party))


def _at(offset: timedelta) -> Any:
    return T0 + offset


commands = st.one_of(
    st.builds(RequestRefund, case_id=case_ids, buyer_id=st.just(FACTS.buyer_id),
              terms=refund_terms, facts=st.just(FACTS), policy=st.just(POLICY),
              at=offsets.map(_at)),
    st.builds(AmendRefund, case_id=case_ids, terms=refund_terms, facts=st.just(FACTS),
              policy=st.just(POLICY), at=offsets.map(_at)),
    st.builds(WithdrawRefund, case_id=case_ids, at=offsets.map(_at)),
    st.builds(ApproveRefund, case_id=case_ids, policy=st.just(POLICY), at=offsets.map(_at)),
    st.builds(RejectRefund, case_id=case_ids, reason=st.sampled_from(list(RefundRejectionReason)),
              policy=st.just(POLICY), at=offsets.map(_at)),
    st.builds(SubmitReturnShipment, case_id=case_ids, waybill=st.just(WAYBILL),
              policy=st.just(POLICY), at=offsets.map(_at)),
    st.builds(ConfirmReturnReceived, case_id=case_ids, at=offsets.map(_at)),
    st.builds(RejectReturn, case_id=case_ids, reason=st.sampled_from(list(ReturnRejectionReason)),
              policy=st.just(POLICY), at=offsets.map(_at)),
    st.builds(Escalate, case_id=case_ids, party=parties, reason=st.just("unfair"),
              policy=st.just(POLICY), at=offsets.map(_at)),
    st.builds(AddEvidence, case_id=case_ids, evidence_id=st.sampled_from(["e1", "e2"]),
              party=parties, description=st.just("photo"), at=offsets.map(_at)),
    st.builds(Rule, case_id=case_ids, outcome=st.sampled_from(list(RulingOutcome)),
              responsible_party=st.sampled_from(list(ResponsibleParty)), note=st.just("ruled"),
              at=offsets.map(_at), refund_amount=st.none() | amounts),
    st.builds(ExpireAnswerDeadline, case_id=case_ids, policy=st.just(POLICY),
              at=offsets.map(_at)),
    st.builds(ExpireReturnShipment, case_id=case_ids, at=offsets.map(_at)),
    st.builds(ExpireReturnConfirmation, case_id=case_ids, at=offsets.map(_at)),
    st.builds(ExpireAppealWindow, case_id=case_ids, at=offsets.map(_at)),
    st.builds(RecordOrderShipped, at=offsets.map(_at)),
    st.builds(OpenInterceptCase, case_id=st.just("intercept"), facts=st.just(FACTS),
              policy=st.just(POLICY), at=offsets.map(_at)),
)  # fmt: skip


def run(sequence: list[Any]) -> tuple[list[RefundCaseEvent], AftersalesState]:
    """Apply each command the rules accept; refused commands change nothing."""
    history: list[RefundCaseEvent] = []
    state = aftersales_decider.initial_state
    for command in sequence:
        try:
            decided = list(aftersales_decider.decide(command, state))
        except DomainError:
            continue
        history.extend(decided)
        state = aftersales_decider.fold(decided, state)
    return history, state


@settings(max_examples=300, deadline=None)
@given(st.lists(commands, max_size=40))
def test_refunds_and_reservations_never_exceed_what_was_paid(sequence: list[Any]) -> None:
    history, state = run(sequence)
    refunded = sum(e.amount.amount for e in history if isinstance(e, Refunded))
    assert refunded == state.refunded_total()
    assert refunded + state.reserved_total() <= PAID


@settings(max_examples=300, deadline=None)
@given(st.lists(commands, max_size=40))
def test_a_case_ends_exactly_once(sequence: list[Any]) -> None:
    history, state = run(sequence)
    endings = Counter(
        e.case_id for e in history if isinstance(e, Refunded | RefundClosed | RefundWithdrawn)
    )
    assert all(count == 1 for count in endings.values())
    assert {c.case_id for c in state.cases.values() if not c.open} == set(endings)
    assert all(c.ended_times == endings.get(c.case_id, 0) for c in state.cases.values())


@settings(max_examples=300, deadline=None)
@given(st.lists(commands, max_size=40))
def test_a_ruling_only_follows_a_dispute_of_the_same_case(sequence: list[Any]) -> None:
    history, _ = run(sequence)
    disputed: set[str] = set()
    for event in history:
        if isinstance(event, Disputed):
            disputed.add(event.case_id)
        if isinstance(event, DisputeResolved):
            assert event.case_id in disputed
            disputed.discard(event.case_id)
