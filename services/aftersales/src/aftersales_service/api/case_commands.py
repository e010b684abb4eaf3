"""Command endpoints: open a refund case on an order, then act on it by case id.

Every command needs `Idempotency-Key`; `If-Match` (optional) carries the order's after-sales
version (the "refund version timestamp" shops know) and answers 412 if it moved on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.api import models as m
from aftersales_service.api.context import (
    can_see,
    context,
    metadata_for,
    require_buyer,
    require_party,
    require_platform,
    require_seller,
)
from aftersales_service.application.order_facts import load_facts
from aftersales_service.application.service import (
    AftersalesDecision,
    CaseRef,
    find_case,
    new_case_id,
)
from aftersales_service.domain import commands as c
from aftersales_service.domain.errors import RefundCaseNotFound
from aftersales_service.domain.policy import RefundPolicy
from aftersales_service.domain.status import reference_status
from contracts.events.aftersales import DisputeParty
from eventing.http.auth import Caller, CurrentCaller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["refund cases"])
_ERRORS = problem_responses(400, 401, 403, 404, 409, 412, 422)

Buyer = Annotated[Caller, Depends(require_roles(Role.BUYER))]
Build = Callable[[AsyncConnection, CaseRef, RefundPolicy, datetime], Awaitable[c.Command]]
Check = Callable[[Caller, CaseRef], None]


def _outcome(decision: AftersalesDecision, case_id: str, order_id: str) -> m.CaseOutcome:
    status = decision.state.cases[case_id].status
    return m.CaseOutcome(
        case_id=case_id, order_id=order_id, status=status,
        refund_status=reference_status(status), version=decision.version,
        events=[event.event_type for event in decision.events],
    )  # fmt: skip


@router.post(
    "/orders/{order_id}/refund-cases",
    status_code=201,
    response_model=m.CaseOutcome,
    responses=_ERRORS,
    summary="Ask for a refund (opens a case; 409 retryable while the payment is not yet known)",
)
async def request_refund(
    request: Request, order_id: str, body: m.RefundTermsBody, caller: Buyer,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    app = context(request)

    async def work(connection: AsyncConnection) -> CommandResult:
        facts = await load_facts(connection, order_id)
        shop = facts.shop_id if facts else None
        policy = (await app.policies.refund_policy(connection, shop) if shop
                  else app.policies.defaults.to_domain())  # fmt: skip
        case_id = new_case_id()
        command = c.RequestRefund(case_id, caller.subject, _terms(body), facts, policy,
                                  app.clock.now())  # fmt: skip
        decision = await app.commands.execute(
            connection, order_id, command, metadata_for(request, caller),
            expected_version=expected,
        )  # fmt: skip
        return CommandResult(
            _outcome(decision, case_id, order_id), 201, decision.version,
            location=f"/v1/refund-cases/{case_id}",
        )  # fmt: skip

    return await app.runner.run(request, key, caller, work)


async def _run_case_command(
    request: Request, case_id: str, caller: Caller, key: str, expected: int | None,
    check: Check, build: Build,
) -> JSONResponse:  # fmt: skip
    app = context(request)

    async def work(connection: AsyncConnection) -> CommandResult:
        case = await find_case(connection, case_id)
        if case is None or not can_see(caller, case):
            raise RefundCaseNotFound(f"no refund case {case_id}", case_id=case_id)
        check(caller, case)
        policy = await app.policies.refund_policy(connection, case.shop_id)
        command = await build(connection, case, policy, app.clock.now())
        decision = await app.commands.execute(
            connection, case.order_id, command, metadata_for(request, caller),
            expected_version=expected,
        )  # fmt: skip
        return CommandResult(_outcome(decision, case_id, case.order_id), 200, decision.version)

    return await app.runner.run(request, key, caller, work)


def _terms(body: m.RefundTermsBody) -> c.RefundTerms:
    return c.RefundTerms(body.kind, body.reason, body.amount, tuple(body.items), body.description)


def _party(caller: Caller) -> DisputeParty:
    return DisputeParty.BUYER if caller.role is Role.BUYER else DisputeParty.SELLER


@router.post("/refund-cases/{case_id}/amendment", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Amend a request (awaiting the seller, or after a "
             "rejection within the appeal window)")  # fmt: skip
async def amend(
    request: Request, case_id: str, body: m.RefundTermsBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(
        connection: AsyncConnection, case: CaseRef, policy: RefundPolicy, at: datetime
    ) -> c.Command:
        facts = await load_facts(connection, case.order_id)
        assert facts is not None  # a case exists, so its order's facts do
        return c.AmendRefund(case.case_id, _terms(body), facts, policy, at)

    return await _run_case_command(request, case_id, caller, key, expected, require_buyer, build)


@router.post("/refund-cases/{case_id}/withdrawal", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Withdraw a request (buyer)")  # fmt: skip
async def withdraw(
    request: Request, case_id: str, body: m.NoteBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(_: AsyncConnection, case: CaseRef, __: RefundPolicy, at: datetime) -> c.Command:
        return c.WithdrawRefund(case.case_id, at, body.note)

    return await _run_case_command(request, case_id, caller, key, expected, require_buyer, build)


@router.post("/refund-cases/{case_id}/approval", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Approve (seller): refunds at once, or starts the "
             "return of the goods")  # fmt: skip
async def approve(
    request: Request, case_id: str, body: m.ApprovalBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(
        _: AsyncConnection, case: CaseRef, policy: RefundPolicy, at: datetime
    ) -> c.Command:
        return c.ApproveRefund(case.case_id, policy, at, body.return_address)

    return await _run_case_command(request, case_id, caller, key, expected, require_seller, build)


@router.post("/refund-cases/{case_id}/rejection", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Reject with a reason (seller)")  # fmt: skip
async def reject(
    request: Request, case_id: str, body: m.RejectionBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(
        _: AsyncConnection, case: CaseRef, policy: RefundPolicy, at: datetime
    ) -> c.Command:
        return c.RejectRefund(case.case_id, body.reason, policy, at, body.note)

    return await _run_case_command(request, case_id, caller, key, expected, require_seller, build)


@router.post("/refund-cases/{case_id}/return-shipment", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Send the goods back with a waybill (buyer)")  # fmt: skip
async def ship_return(
    request: Request, case_id: str, body: m.ReturnShipmentBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(
        _: AsyncConnection, case: CaseRef, policy: RefundPolicy, at: datetime
    ) -> c.Command:
        return c.SubmitReturnShipment(case.case_id, body.waybill, policy, at)

    return await _run_case_command(request, case_id, caller, key, expected, require_buyer, build)


@router.post("/refund-cases/{case_id}/return-receipt", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Confirm the goods came back (seller)")  # fmt: skip
async def confirm_return(
    request: Request, case_id: str, body: m.NoteBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(_: AsyncConnection, case: CaseRef, __: RefundPolicy, at: datetime) -> c.Command:
        return c.ConfirmReturnReceived(case.case_id, at, body.note)

    return await _run_case_command(request, case_id, caller, key, expected, require_seller, build)


@router.post("/refund-cases/{case_id}/return-rejection", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Refuse the returned goods (seller)")  # fmt: skip
async def reject_return(
    request: Request, case_id: str, body: m.ReturnRejectionBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(
        _: AsyncConnection, case: CaseRef, policy: RefundPolicy, at: datetime
    ) -> c.Command:
        return c.RejectReturn(case.case_id, body.reason, policy, at, body.note)

    return await _run_case_command(request, case_id, caller, key, expected, require_seller, build)


@router.post("/refund-cases/{case_id}/escalation", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Escalate a rejection to the platform (buyer or "
             "seller): opens a dispute")  # fmt: skip
async def escalate(
    request: Request, case_id: str, body: m.EscalationBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(
        _: AsyncConnection, case: CaseRef, policy: RefundPolicy, at: datetime
    ) -> c.Command:
        return c.Escalate(case.case_id, _party(caller), body.reason, policy, at)

    return await _run_case_command(request, case_id, caller, key, expected, require_party, build)


@router.post("/refund-cases/{case_id}/evidence", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Add evidence to a dispute (buyer or seller)")  # fmt: skip
async def add_evidence(
    request: Request, case_id: str, body: m.EvidenceBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    evidence_id = f"ev-{key}"[:64]

    async def build(_: AsyncConnection, case: CaseRef, __: RefundPolicy, at: datetime) -> c.Command:
        return c.AddEvidence(case.case_id, evidence_id, _party(caller), body.description, at,
                             tuple(body.attachments))  # fmt: skip

    return await _run_case_command(request, case_id, caller, key, expected, require_party, build)


@router.post("/refund-cases/{case_id}/ruling", response_model=m.CaseOutcome,
             responses=_ERRORS, summary="Rule on a dispute (platform only): full, partial or "
             "no refund, and who was responsible")  # fmt: skip
async def rule(
    request: Request, case_id: str, body: m.RulingBody, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch,
) -> JSONResponse:  # fmt: skip
    async def build(_: AsyncConnection, case: CaseRef, __: RefundPolicy, at: datetime) -> c.Command:
        return c.Rule(case.case_id, body.outcome, body.responsible_party, body.note, at,
                      body.refund_amount)  # fmt: skip

    return await _run_case_command(request, case_id, caller, key, expected, require_platform, build)
