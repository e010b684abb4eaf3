"""Invariants over random histories of an order's after-sales (hypothesis stateful testing):
refunds never exceed what was paid, a case ends exactly once, a ruling only follows a dispute
of the same case."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from aftersales_service.domain import commands as c
from aftersales_service.domain.decide import aftersales_decider
from contracts.events.aftersales import (
    AftersalesStreamEvent,
    Disputed,
    DisputeParty,
    DisputeResolved,
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
from contracts.values import SkuQuantity
from eventing.decider import DomainError
from tests.unit.aftersales.aftersales_scenarios import (
    PAID,
    POLICY,
    RECEIVED,
    RETURN_ADDRESS,
    T0,
    WAYBILL,
    cny,
)

# Mostly amounts that fit, sometimes any amount up to beyond what was paid.
amounts = st.one_of(st.integers(1, PAID // 3), st.integers(0, PAID + 10)).map(cny)
items = st.lists(
    st.builds(SkuQuantity, sku=st.sampled_from(["SKU-A", "SKU-B"]), quantity=st.integers(1, 2)),
    max_size=2,
).map(tuple)
terms = st.builds(
    c.RefundTerms, kind=st.sampled_from(list(RefundKind)),
    reason=st.sampled_from(list(RefundReason)), amount=amounts, items=items,
)  # fmt: skip
parties = st.sampled_from(list(DisputeParty))
ENDINGS = (Refunded, RefundClosed, RefundWithdrawn)


class OrderAftersales(RuleBasedStateMachine):
    """Buyers, sellers, the platform and the clock acting on one paid, delivered order."""

    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.state = aftersales_decider.initial_state
        self.history: list[AftersalesStreamEvent] = []
        self.now = T0
        self.refused: Counter[str] = Counter()
        self.opened = 0

    def apply(self, command: Any) -> None:
        try:
            decided = list(aftersales_decider.decide(command, self.state))
        except DomainError as error:
            self.refused[error.code] += 1
            return
        self.history.extend(decided)
        self.state = aftersales_decider.fold(decided, self.state)

    @rule(target=cases, asked=terms)
    def request(self, asked: c.RefundTerms) -> str:
        self.opened += 1
        case_id = f"case-{self.opened}"
        self.apply(c.RequestRefund(case_id, RECEIVED.buyer_id, asked, RECEIVED, POLICY, self.now))
        return case_id

    @rule(hours=st.one_of(st.integers(1, 12), st.integers(1, 24 * 8)))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(case=cases, asked=terms)
    def amend(self, case: str, asked: c.RefundTerms) -> None:
        self.apply(c.AmendRefund(case, asked, RECEIVED, POLICY, self.now))

    @rule(case=cases)
    def withdraw(self, case: str) -> None:
        self.apply(c.WithdrawRefund(case, self.now))

    @rule(case=cases)
    def approve(self, case: str) -> None:
        self.apply(c.ApproveRefund(case, POLICY, self.now, RETURN_ADDRESS))

    @rule(case=cases, reason=st.sampled_from(list(RefundRejectionReason)))
    def reject(self, case: str, reason: RefundRejectionReason) -> None:
        self.apply(c.RejectRefund(case, reason, POLICY, self.now))

    @rule(case=cases)
    def ship_back(self, case: str) -> None:
        self.apply(c.SubmitReturnShipment(case, WAYBILL, POLICY, self.now))

    @rule(case=cases)
    def confirm_return(self, case: str) -> None:
        self.apply(c.ConfirmReturnReceived(case, self.now))

    @rule(case=cases, reason=st.sampled_from(list(ReturnRejectionReason)))
    def reject_return(self, case: str, reason: ReturnRejectionReason) -> None:
        self.apply(c.RejectReturn(case, reason, POLICY, self.now))

    @rule(case=cases, party=parties)
    def escalate(self, case: str, party: DisputeParty) -> None:
        self.apply(c.Escalate(case, party, "unfair", POLICY, self.now))

    @rule(case=cases, party=parties)
    def refusal_goes_to_the_platform(self, case: str, party: DisputeParty) -> None:
        """A frequent real sequence, so that disputes and rulings are explored often."""
        self.apply(c.RejectRefund(case, RefundRejectionReason.OTHER, POLICY, self.now))
        self.apply(c.Escalate(case, party, "unfair", POLICY, self.now))

    @rule(case=cases, party=parties, evidence=st.sampled_from(["e1", "e2"]))
    def add_evidence(self, case: str, party: DisputeParty, evidence: str) -> None:
        self.apply(c.AddEvidence(case, evidence, party, "photo", self.now))

    @rule(case=cases, outcome=st.sampled_from(list(RulingOutcome)),
          amount=st.none() | amounts, party=st.sampled_from(list(ResponsibleParty)))  # fmt: skip
    def rule_dispute(
        self, case: str, outcome: RulingOutcome, amount: Any, party: ResponsibleParty
    ) -> None:
        self.apply(c.Rule(case, outcome, party, "ruled", self.now, amount))

    @rule(case=cases)
    def deadlines_fire(self, case: str) -> None:
        for command in (
            c.ExpireAnswerDeadline(case, POLICY, self.now), c.ExpireReturnShipment(case, self.now),
            c.ExpireReturnConfirmation(case, self.now), c.ExpireAppealWindow(case, self.now),
        ):  # fmt: skip
            self.apply(command)

    @rule(hours_ago=st.integers(min_value=0, max_value=72))
    def parcel_ships(self, hours_ago: int) -> None:
        """The shipment may reach after-sales long after the parcel left."""
        shipped_at = self.now - timedelta(hours=hours_ago)
        self.apply(c.RecordOrderShipped(self.now, shipped_at, POLICY))

    @rule(hours_ago=st.integers(min_value=0, max_value=72))
    def parcel_is_delivered(self, hours_ago: int) -> None:
        delivered_at = self.now - timedelta(hours=hours_ago)
        self.apply(c.RecordOrderDelivered(self.now, delivered_at, POLICY))

    @invariant()
    def refunds_and_reservations_never_exceed_what_was_paid(self) -> None:
        refunded = sum(e.amount.amount for e in self.history if isinstance(e, Refunded))
        assert refunded == self.state.refunded_total()
        assert refunded + self.state.reserved_total() <= PAID

    @invariant()
    def a_case_ends_exactly_once(self) -> None:
        endings = Counter(e.case_id for e in self.history if isinstance(e, ENDINGS))
        assert all(count == 1 for count in endings.values())
        assert {k for k, case in self.state.cases.items() if not case.open} == set(endings)

    @invariant()
    def a_ruling_only_follows_a_dispute_of_the_same_case(self) -> None:
        disputed: set[str] = set()
        for event in self.history:
            if isinstance(event, Disputed):
                disputed.add(event.case_id)
            if isinstance(event, DisputeResolved):
                assert event.case_id in disputed
                disputed.discard(event.case_id)


OrderAftersales.TestCase.settings = settings(
    max_examples=120, stateful_step_count=60, deadline=None
)
TestOrderAftersales = OrderAftersales.TestCase
