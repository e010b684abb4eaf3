"""Complaint command routes: file one through an order, then act on it by complaint id; `If-Match`
carries the order's after-sales version, as for refund cases. Roles: the buyer files and
follows up (customer service, i.e. platform staff, may file for them), the shop's seller
accepts, analyses, handles and replies, the platform rules on an escalated complaint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from aftersales_service.api import complaint_models as m
from aftersales_service.api.context import (
    Check,
    ComplaintId,
    Kit,
    complaint_not_found,
    order_stream_of,
)
from aftersales_service.application.commands import (
    AftersalesCommandSource,
    AftersalesDecision,
    AftersalesGiven,
    AftersalesKit,
    new_complaint_id,
    order_policy,
)
from aftersales_service.application.state_tables import find_complaint, load_facts
from aftersales_service.domain import commands as c
from aftersales_service.domain.cases import order_of
from eventing.http.access import (
    require_buyer,
    require_platform,
    require_seller,
)
from eventing.http.auth import Caller, CurrentCaller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.endpoints import recorded_types
from eventing.http.paths import OrderId
from eventing.http.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["complaints"])
_ERRORS = problem_responses(400, 401, 403, 404, 409, 412, 422)
Complainant = Annotated[Caller, Depends(require_roles(Role.BUYER, Role.PLATFORM))]


def _answer(
    complaint_id: str, status_code: int = 200
) -> Callable[[AftersalesDecision], CommandResult]:
    def answer(decision: AftersalesDecision) -> CommandResult:
        status = decision.state.complaints[complaint_id].status
        order_id, _ = order_of(decision.state)
        outcome = m.ComplaintOutcome(
            complaint_id=complaint_id, order_id=order_id, status=status,
            version=decision.version, events=recorded_types(decision),
        )  # fmt: skip
        location = f"/v1/complaints/{complaint_id}" if status_code == 201 else None
        return CommandResult(outcome, status_code, decision.version, location=location)

    return answer


async def _on_complaint(
    kit: AftersalesKit, request: Request, caller: Caller, key: str, expected: int | None,
    complaint_id: str, check: Check, command: AftersalesCommandSource,
) -> JSONResponse:  # fmt: skip
    stream = order_stream_of(find_complaint, complaint_not_found, complaint_id, caller, check)
    return await kit.run_command(
        request, caller, key, stream, command, _answer(complaint_id), expected_version=expected
    )


@router.post(
    "/orders/{order_id}/complaints",
    status_code=201,
    response_model=m.ComplaintOutcome,
    responses=_ERRORS,
    summary="File a complaint about a paid order or its shop (buyer, or customer service for "
    "them; 409 retryable while the payment is not yet known)",
)
async def file_complaint(
    order_id: OrderId, body: m.ComplaintBody, request: Request, caller: Complainant,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer (or platform customer service on the buyer's behalf) files a complaint with a
    category, text and up to 9 attachment URIs; the shop must accept it within its policy's
    `complaint_accept_window`, else it escalates to the platform."""
    complaint_id = new_complaint_id()
    buyer_id = caller.subject if caller.role is Role.BUYER else None

    async def command(given: AftersalesGiven) -> c.FileComplaint:
        facts = await load_facts(given.connection, order_id)
        policy = await order_policy(kit.policies, given, facts)
        return c.FileComplaint(
            complaint_id, buyer_id, body.about, body.category, body.text,
            tuple(body.attachments), facts, policy, given.now,
        )  # fmt: skip

    return await kit.run_command(
        request, caller, key, order_id, command, _answer(complaint_id, 201),
        expected_version=expected,
    )  # fmt: skip


@router.post("/complaints/{complaint_id}/acceptance", response_model=m.ComplaintOutcome,
             responses=_ERRORS, summary="Accept a complaint (seller), before its accept "
             "deadline")  # fmt: skip
async def accept(
    complaint_id: ComplaintId, body: m.AcceptanceBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The shop's seller takes the complaint on; its reply deadline starts
    (`complaint_reply_window`)."""

    def command(given: AftersalesGiven) -> c.AcceptComplaint:
        return c.AcceptComplaint(complaint_id, given.policy, given.now, body.note)

    return await _on_complaint(
        kit, request, caller, key, expected, complaint_id, require_seller, command
    )


@router.post("/complaints/{complaint_id}/analysis", response_model=m.ComplaintOutcome,
             responses=_ERRORS, summary="Record whose responsibility it is (seller)")  # fmt: skip
async def analyse(
    complaint_id: ComplaintId, body: m.AnalysisBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The seller records the analysis: seller, buyer, carrier or platform responsible."""

    def command(given: AftersalesGiven) -> c.AnalyseComplaint:
        return c.AnalyseComplaint(complaint_id, body.responsibility, body.finding, given.now)

    return await _on_complaint(
        kit, request, caller, key, expected, complaint_id, require_seller, command
    )


@router.post("/complaints/{complaint_id}/remedy", response_model=m.ComplaintOutcome,
             responses=_ERRORS, summary="Link the remedy (seller): a refund case, a "
             "reshipment, an apology or a compensation")  # fmt: skip
async def handle(
    complaint_id: ComplaintId, body: m.RemedyBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The seller records how it put things right: a refund case of this order
    (`refund_case_id`), a reshipment (`waybill`), an apology (`note`) or a compensation
    (`compensation`, in the order's currency, at most what was paid)."""

    async def command(given: AftersalesGiven) -> c.HandleComplaint:
        facts = await load_facts(given.connection, given.stream_id)
        assert facts is not None  # a complaint exists, so its order's facts do
        return c.HandleComplaint(complaint_id, body.remedy(), facts, given.now)

    return await _on_complaint(
        kit, request, caller, key, expected, complaint_id, require_seller, command
    )


@router.post("/complaints/{complaint_id}/reply", response_model=m.ComplaintOutcome,
             responses=_ERRORS, summary="Reply to the buyer (seller), before the reply "
             "deadline")  # fmt: skip
async def reply(
    complaint_id: ComplaintId, body: m.ReplyBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The seller tells the buyer the outcome; the buyer's follow-up window starts."""

    def command(given: AftersalesGiven) -> c.ReplyToComplaint:
        return c.ReplyToComplaint(complaint_id, body.reply, given.policy, given.now)

    return await _on_complaint(
        kit, request, caller, key, expected, complaint_id, require_seller, command
    )


@router.post("/complaints/{complaint_id}/follow-up", response_model=m.ComplaintOutcome,
             responses=_ERRORS, summary="Say whether the reply settled it (buyer): satisfied "
             "closes, unsatisfied escalates to the platform")  # fmt: skip
async def follow_up(
    complaint_id: ComplaintId, body: m.FollowUpBody, request: Request, caller: CurrentCaller,
    key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """The buyer follows up on the shop's reply within the follow-up window."""

    def command(given: AftersalesGiven) -> c.FollowUpComplaint:
        return c.FollowUpComplaint(complaint_id, body.satisfied, given.now, body.comment)

    return await _on_complaint(
        kit, request, caller, key, expected, complaint_id, require_buyer, command
    )


@router.post("/complaints/{complaint_id}/ruling", response_model=m.ComplaintOutcome,
             responses=_ERRORS,
             summary="Rule on an escalated complaint (platform only)")  # fmt: skip
async def rule(
    complaint_id: ComplaintId, body: m.ComplaintRulingBody, request: Request,
    caller: CurrentCaller, key: IdempotencyKey, expected: IfMatch, kit: Kit,
) -> JSONResponse:  # fmt: skip
    """Platform staff rule: upheld against the seller (optionally with a compensation) or
    dismissed, with the responsibility found; the complaint closes."""

    async def command(given: AftersalesGiven) -> c.RuleOnComplaint:
        facts = await load_facts(given.connection, given.stream_id)
        assert facts is not None  # a complaint exists, so its order's facts do
        return c.RuleOnComplaint(
            complaint_id, body.outcome, body.responsibility, body.note, body.compensation,
            facts, given.now,
        )  # fmt: skip

    return await _on_complaint(
        kit, request, caller, key, expected, complaint_id, require_platform, command
    )
