"""Command routes: open a refund case on an order, then act on it by case id; `If-Match`
carries the order's after-sales version (the "refund version timestamp" shops know)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from aftersales_service.api import models as m
from aftersales_service.api.context import (
    Buyer,
    CaseId,
    Check,
    Kit,
    case_not_found,
    order_stream_of,
)
from aftersales_service.application.commands import (
    AftersalesCommandSource,
    AftersalesDecision,
    AftersalesGiven,
    AftersalesKit,
    new_case_id,
    order_policy,
)
from aftersales_service.application.state_tables import find_case, load_facts
from aftersales_service.domain import commands as c
from aftersales_service.domain.cases import order_of
from aftersales_service.domain.status import reference_status
from contracts.events.aftersales import DisputeParty
from eventing.http.access import (
    require_buyer,
    require_party,
    require_platform,
    require_seller,
)
from eventing.http.auth import Caller, CurrentCaller, Role
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.endpoints import recorded_types
from eventing.http.paths import OrderId
from eventing.http.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["refund cases"])
_ERRORS = problem_responses(400, 401, 403, 404, 409, 412, 422)


def _answer(case_id: str, status_code: int = 200) -> Callable[[AftersalesDecision], CommandResult]:
    def answer(decision: AftersalesDecision) -> CommandResult:
        status = decision.state.cases[case_id].status
        order_id, _ = order_of(decision.state)
        outcome = m.CaseOutcome(
            case_id=case_id, order_id=order_id, status=status,
            refund_status=reference_status(status), version=decision.version,
            events=recorded_types(decision),
        )  # fmt: skip
        location = f"/v1/refund-cases/{case_id}" if status_code == 201 else None
        return CommandResult(outcome, status_code, decision.version, location=location)

    return answer


async def _on_case(
    kit: AftersalesKit, request: Request, caller: Caller, key: str, expected: int | None,
    case_id: str, check: Check, command: AftersalesCommandSource,
) -> JSONResponse:  # fmt: skip
    stream = order_stream_of(find_case, case_not_found, case_id, caller, check)
    return await kit.run_command(
        request, caller, key, stream, command, _answer(case_id), expected_version=expected
    )


def _terms(body: m.RefundTermsBody) -> c.RefundTerms:
    return c.RefundTerms(body.kind, body.reason, body.amount, tuple(body.items), body.description)


def _party(caller: Caller) -> DisputeParty:
    return DisputeParty.BUYER if caller.role is Role.BUYER else DisputeParty.SELLER


@router.post(
    "/orders/{order_id}/refund-cases",
    status_code=201,
    response_model=m.CaseOutcome,
    responses=_ERRORS,
    summary="Ask for a refund (opens a case; 409 retryable while the payment is not yet known)",
)
async def request_refund(
    order_id: OrderId, body: m.RefundTermsBody, request: Request, caller: Buyer,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer asks for a refund (money only, or return and refund) of a paid order: opens a
    refund case that awaits the seller. Answers 409 `retryable` while the payment has not reached
    after-sales yet; retry with the same Idempotency-Key."""
    case_id = new_case_id()

    async def command(given: AftersalesGiven) -> c.RequestRefund:
        facts = await load_facts(given.connection, order_id)
        policy = await order_policy(kit.policies, given, facts)
        return c.RequestRefund(case_id, caller.subject, _terms(body), facts, policy, given.now)

    return await kit.run_command(
        request, caller, key, order_id, command, _answer(case_id, 201), expected_version=expected
    )


@router.post("/refund-cases/{case_id}/amendment", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Amend a request (awaiting the seller, or after a "
             "rejection within the appeal window)")  # fmt: skip
async def amend(
    case_id: CaseId, body: m.RefundTermsBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer changes the amount, items or reason of their request while it awaits the seller, or
    after a rejection while the appeal window is open."""

    async def command(given: AftersalesGiven) -> c.AmendRefund:
        facts = await load_facts(given.connection, given.stream_id)
        assert facts is not None  # a case exists, so its order's facts do
        return c.AmendRefund(case_id, _terms(body), facts, given.policy, given.now)

    return await _on_case(kit, request, caller, key, expected, case_id, require_buyer, command)


@router.post("/refund-cases/{case_id}/withdrawal", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Withdraw a request (buyer)")  # fmt: skip
async def withdraw(
    case_id: CaseId, body: m.NoteBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer withdraws their request; the case closes without a refund."""

    def command(given: AftersalesGiven) -> c.WithdrawRefund:
        return c.WithdrawRefund(case_id, given.now, body.note)

    return await _on_case(kit, request, caller, key, expected, case_id, require_buyer, command)


@router.post("/refund-cases/{case_id}/approval", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Approve (seller): refunds at once, or starts the "
             "return of the goods")  # fmt: skip
async def approve(
    case_id: CaseId, body: m.ApprovalBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The seller approves: a money-only refund is granted at once; a return starts the return of
    the goods to `return_address` (the shop's default when omitted)."""

    def command(given: AftersalesGiven) -> c.ApproveRefund:
        return c.ApproveRefund(case_id, given.policy, given.now, body.return_address)

    return await _on_case(kit, request, caller, key, expected, case_id, require_seller, command)


@router.post("/refund-cases/{case_id}/rejection", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Reject with a reason (seller)")  # fmt: skip
async def reject(
    case_id: CaseId, body: m.RejectionBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The seller rejects the request with a reason; the buyer may amend or escalate within the
    appeal window."""

    def command(given: AftersalesGiven) -> c.RejectRefund:
        return c.RejectRefund(case_id, body.reason, given.policy, given.now, body.note)

    return await _on_case(kit, request, caller, key, expected, case_id, require_seller, command)


@router.post("/refund-cases/{case_id}/return-shipment", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Send the goods back with a waybill (buyer)")  # fmt: skip
async def ship_return(
    case_id: CaseId, body: m.ReturnShipmentBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer reports the goods sent back with the carrier's waybill; the seller's time to
    receive them starts."""

    def command(given: AftersalesGiven) -> c.SubmitReturnShipment:
        return c.SubmitReturnShipment(case_id, body.waybill, given.policy, given.now)

    return await _on_case(kit, request, caller, key, expected, case_id, require_buyer, command)


@router.post("/refund-cases/{case_id}/return-receipt", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Confirm the goods came back (seller)")  # fmt: skip
async def confirm_return(
    case_id: CaseId, body: m.NoteBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The seller confirms the returned goods arrived; the refund is granted."""

    def command(given: AftersalesGiven) -> c.ConfirmReturnReceived:
        return c.ConfirmReturnReceived(case_id, given.now, body.note)

    return await _on_case(kit, request, caller, key, expected, case_id, require_seller, command)


@router.post("/refund-cases/{case_id}/return-rejection", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Refuse the returned goods (seller)")  # fmt: skip
async def reject_return(
    case_id: CaseId, body: m.ReturnRejectionBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The seller refuses the returned goods with a reason (e.g. damaged or not the goods sold); the
    buyer may escalate."""

    def command(given: AftersalesGiven) -> c.RejectReturn:
        return c.RejectReturn(case_id, body.reason, given.policy, given.now, body.note)

    return await _on_case(kit, request, caller, key, expected, case_id, require_seller, command)


@router.post("/refund-cases/{case_id}/escalation", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Escalate a rejection to the platform (buyer or "
             "seller): opens a dispute")  # fmt: skip
async def escalate(
    case_id: CaseId, body: m.EscalationBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer or the seller escalates a rejected case to the platform: a dispute opens and waits
    in the platform's queue (`GET /v1/disputes`)."""

    def command(given: AftersalesGiven) -> c.Escalate:
        return c.Escalate(case_id, _party(caller), body.reason, given.policy, given.now)

    return await _on_case(kit, request, caller, key, expected, case_id, require_party, command)


@router.post("/refund-cases/{case_id}/evidence", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Add evidence to a dispute (buyer or seller)")  # fmt: skip
async def add_evidence(
    case_id: CaseId, body: m.EvidenceBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer or the seller adds a description and links to photos or documents to an open
    dispute, for the platform's ruling."""
    evidence_id = f"ev-{key}"[:64]

    def command(given: AftersalesGiven) -> c.AddEvidence:
        return c.AddEvidence(case_id, evidence_id, _party(caller), body.description, given.now,
                             tuple(body.attachments))  # fmt: skip

    return await _on_case(kit, request, caller, key, expected, case_id, require_party, command)


@router.post("/refund-cases/{case_id}/ruling", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Rule on a dispute (platform only): full, partial or "
             "no refund, and who was responsible")  # fmt: skip
async def rule(
    case_id: CaseId, body: m.RulingBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """Platform staff rule on a dispute: full, partial (with `refund_amount`) or no refund, and
    which party was responsible; the case closes."""

    def command(given: AftersalesGiven) -> c.Rule:
        return c.Rule(case_id, body.outcome, body.responsible_party, body.note, given.now,
                      body.refund_amount)  # fmt: skip

    return await _on_case(kit, request, caller, key, expected, case_id, require_platform, command)
