"""Platform intervention: a side escalates a rejection, both submit evidence, the platform rules."""

from __future__ import annotations

from collections.abc import Sequence

from aftersales_service.domain import errors
from aftersales_service.domain.answers import payout
from aftersales_service.domain.cases import open_case_of, order_of
from aftersales_service.domain.commands import AddEvidence, Escalate, Rule
from aftersales_service.domain.state import AftersalesState, CaseStatus, Dispute, RefundCase
from contracts.events.aftersales import (
    Disputed,
    DisputeEvidenceAdded,
    DisputeResolved,
    RefundCaseEvent,
    RefundClosed,
    RefundCloseReason,
    RefundTrigger,
    RulingOutcome,
)
from contracts.values import Money


def escalate(command: Escalate, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    case = open_case_of(state, command.case_id)
    if not case.status.rejected:
        raise errors.RefundCaseNotRejected(
            f"case {case.case_id} is {case.status.value}", case_status=case.status.value
        )
    assert case.appeal_by is not None
    if command.at > case.appeal_by:
        raise errors.AppealWindowExpired(
            f"the appeal window of case {case.case_id} ended at {case.appeal_by.isoformat()}"
        )
    order_id, shop_id = order_of(state)
    return [
        Disputed(
            order_id=order_id, shop_id=shop_id, case_id=case.case_id, opened_by=command.party,
            reason=command.reason, evidence_due_by=command.at + command.policy.evidence_window,
        )
    ]  # fmt: skip


def add_evidence(command: AddEvidence, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    case = open_case_of(state, command.case_id)
    dispute = _dispute_of(case)
    if command.at > dispute.evidence_due_by:
        raise errors.EvidenceWindowClosed(
            f"evidence was accepted until {dispute.evidence_due_by.isoformat()}"
        )
    if any(e.evidence_id == command.evidence_id for e in dispute.evidence):
        raise errors.EvidenceAlreadyAdded(f"evidence {command.evidence_id} is on file already")
    order_id, shop_id = order_of(state)
    return [
        DisputeEvidenceAdded(
            order_id=order_id, shop_id=shop_id, case_id=case.case_id,
            evidence_id=command.evidence_id, submitted_by=command.party,
            description=command.description, attachments=command.attachments,
        )
    ]  # fmt: skip


def rule(command: Rule, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    """The ruling ends the case: paid out (full or partial) or closed without refund."""
    case = open_case_of(state, command.case_id)
    _dispute_of(case)
    amount = _ruled_amount(command, case)
    order_id, shop_id = order_of(state)
    resolved = DisputeResolved(
        order_id=order_id, shop_id=shop_id, case_id=case.case_id, outcome=command.outcome,
        refund_amount=amount, responsible_party=command.responsible_party, note=command.note,
    )  # fmt: skip
    if command.outcome is RulingOutcome.NO_REFUND:
        closed = RefundClosed(
            order_id=order_id, shop_id=shop_id, case_id=case.case_id,
            reason=RefundCloseReason.RULED_NO_REFUND,
        )  # fmt: skip
        return [resolved, closed]
    return [resolved, payout(state, case, amount, RefundTrigger.RULING, command.at)]


def _ruled_amount(command: Rule, case: RefundCase) -> Money:
    """Full: what the case asked; none: zero; partial: given, above zero and below the ask."""
    asked = case.amount
    given = command.refund_amount
    if command.outcome is RulingOutcome.FULL_REFUND:
        if given is not None and given != asked:
            raise errors.RulingAmountInvalid(f"a full refund is the {asked.amount} asked")
        return asked
    if command.outcome is RulingOutcome.NO_REFUND:
        if given is not None and given.amount != 0:
            raise errors.RulingAmountInvalid("a ruling of no refund refunds nothing")
        return Money(amount=0, currency=asked.currency)
    if given is None or given.currency != asked.currency or not 0 < given.amount < asked.amount:
        raise errors.RulingAmountInvalid(
            f"a partial refund is between 0 and {asked.amount} {asked.currency}, exclusive"
        )
    return given


def _dispute_of(case: RefundCase) -> Dispute:
    if case.status is not CaseStatus.DISPUTED or case.dispute is None:
        raise errors.RefundCaseNotDisputed(
            f"case {case.case_id} is {case.status.value}", case_status=case.status.value
        )
    return case.dispute
