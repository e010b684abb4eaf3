"""What the routers need, built once in `main.create_app` and kept on `app.state`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from aftersales_service.application.service import AftersalesCommands, CaseRef
from aftersales_service.application.shop_policies import RefundPolicies
from eventing.clock import Clock
from eventing.events import EventMetadata
from eventing.http.auth import Caller, Role
from eventing.http.commands import CommandRunner
from eventing.http.problems import ProblemError


@dataclass(frozen=True, slots=True)
class AftersalesContext:
    engine: AsyncEngine
    runner: CommandRunner
    commands: AftersalesCommands
    policies: RefundPolicies
    clock: Clock


def context(request: Request) -> AftersalesContext:
    found: AftersalesContext = request.app.state.aftersales
    return found


def metadata_for(request: Request, caller: Caller) -> EventMetadata:
    """Actor and correlation of the events a request causes (agreement 9)."""
    correlation = request.headers.get("X-Correlation-Id") or str(uuid.uuid4())
    return EventMetadata(
        correlation_id=correlation[:128], actor=caller.actor.value, actor_id=caller.subject
    )


def can_see(caller: Caller, case: CaseRef) -> bool:
    """Buyers see their own cases, sellers their shop's, platform, ops and systems all."""
    return (
        caller.sees_everything
        or caller.is_buyer(case.buyer_id)
        or caller.is_seller_of(case.shop_id)
    )


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Forbidden", detail)


def require_buyer(caller: Caller, case: CaseRef) -> None:
    if not caller.is_buyer(case.buyer_id):
        raise forbidden("only the buyer who opened the case can do this")


def require_seller(caller: Caller, case: CaseRef) -> None:
    if not caller.is_seller_of(case.shop_id):
        raise forbidden("only the seller of the order's shop can do this")


def require_party(caller: Caller, case: CaseRef) -> None:
    if not (caller.is_buyer(case.buyer_id) or caller.is_seller_of(case.shop_id)):
        raise forbidden("only the buyer or the seller of the case can do this")


def require_platform(caller: Caller, _: CaseRef) -> None:
    if caller.role is not Role.PLATFORM:
        raise forbidden("only the platform's arbitration staff can rule")


def shop_scope(caller: Caller, shop_id: str | None) -> str | None:
    """The shop a list is limited to: a seller's own (another is refused), else as asked."""
    if caller.role is Role.SELLER:
        if shop_id is not None and shop_id != caller.shop_id:
            raise forbidden("a seller sees only its own shop")
        return caller.shop_id
    return shop_id


NOT_FOUND = HTTPException(404, "no such refund case")
