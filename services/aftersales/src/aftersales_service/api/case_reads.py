"""Read endpoints: one case (read-your-writes with `min_version`), lists with cursors, the
platform's dispute queue, cases about to time out, and a shop's figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Row

from aftersales_service.api.context import can_see, context, forbidden, shop_scope
from aftersales_service.api.models import CaseView, ShopStats
from aftersales_service.api.views import case_view
from aftersales_service.application.service import CaseRef
from aftersales_service.domain.errors import RefundCaseNotFound
from aftersales_service.domain.state import CaseStatus
from aftersales_service.projections import queries
from eventing.http.auth import Caller, CurrentCaller, Role, require_roles
from eventing.http.freshness import MinVersion, wait_for_version
from eventing.http.pagination import (
    DEFAULT_LIMIT,
    Page,
    PageCursor,
    PageLimit,
    decode_cursor,
    page_of,
)
from eventing.http.problems import ProblemError, problem_responses

router = APIRouter(prefix="/v1", tags=["refund cases"])
_ERRORS = problem_responses(400, 401, 403, 404, 409)
PlatformDesk = Annotated[Caller, Depends(require_roles(Role.PLATFORM, Role.OPS))]


def _ref(row: Row[Any]) -> CaseRef:
    return CaseRef(row.case_id, row.order_id, row.shop_id, row.buyer_id)


@router.get(
    "/refund-cases:due-soon",
    response_model=Page[CaseView],
    responses=_ERRORS,
    summary="Open cases whose next deadline falls within `due_within` (e.g. PT6H), soonest first",
)
async def due_soon(
    request: Request,
    caller: CurrentCaller,
    due_within: Annotated[timedelta, Query(description="ISO 8601 duration, e.g. PT6H.")],
    shop_id: str | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[CaseView]:
    app = context(request)
    now = app.clock.now()
    where = _scope(caller, queries.CaseFilter(shop_id=shop_id))
    after = _position(cursor)
    async with app.engine.connect() as connection:
        rows = await queries.due_soon(connection, where, now + due_within, after, limit)
    return page_of(rows, limit, lambda r: case_view(r, caller, now),
                   lambda r: {"at": r.next_deadline_at.isoformat(), "id": r.case_id})  # fmt: skip


@router.get(
    "/refund-cases/{case_id}",
    response_model=CaseView,
    responses=_ERRORS,
    summary="A refund case (ETag = the order's after-sales version)",
)
async def get_case(
    request: Request, case_id: str, caller: CurrentCaller, min_version: MinVersion = None
) -> CaseView:
    app = context(request)

    async def fetch() -> Row[Any] | None:
        async with app.engine.connect() as connection:
            return await queries.get_case(connection, case_id)

    row = await wait_for_version(fetch, lambda r: int(r.stream_version), min_version)
    if row is None or not can_see(caller, _ref(row)):
        raise RefundCaseNotFound(f"no refund case {case_id}", case_id=case_id)
    return case_view(row, caller, app.clock.now())


@router.get(
    "/refund-cases",
    response_model=Page[CaseView],
    responses=_ERRORS,
    summary="Refund cases by order, shop or status (buyers see theirs, sellers their shop's)",
)
async def list_cases(
    request: Request,
    caller: CurrentCaller,
    order_id: str | None = None,
    shop_id: str | None = None,
    status: CaseStatus | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[CaseView]:
    app = context(request)
    where = _scope(
        caller,
        queries.CaseFilter(order_id=order_id, shop_id=shop_id,
                           status=status.value if status else None),
    )  # fmt: skip
    after = _position(cursor)
    async with app.engine.connect() as connection:
        rows = await queries.list_cases(connection, where, after, limit)
    now = app.clock.now()
    return page_of(rows, limit, lambda r: case_view(r, caller, now),
                   lambda r: {"at": r.opened_at.isoformat(), "id": r.case_id})  # fmt: skip


@router.get(
    "/disputes",
    response_model=Page[CaseView],
    responses=_ERRORS,
    summary="The platform's dispute queue: open disputes, oldest escalation first",
)
async def disputes(
    request: Request,
    caller: PlatformDesk,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[CaseView]:
    app = context(request)
    after = _position(cursor)
    async with app.engine.connect() as connection:
        rows = await queries.dispute_queue(connection, after, limit)
    now = app.clock.now()
    return page_of(rows, limit, lambda r: case_view(r, caller, now),
                   lambda r: {"at": r.disputed_at.isoformat(), "id": r.case_id})  # fmt: skip


@router.get(
    "/stats/shops/{shop_id}",
    response_model=ShopStats,
    responses=_ERRORS,
    summary="A shop's refund rate, refund amount rate, time-outs, dispute rate and rulings",
)
async def shop_stats(request: Request, shop_id: str, caller: CurrentCaller) -> ShopStats:
    if not (caller.role in (Role.PLATFORM, Role.OPS) or caller.is_seller_of(shop_id)):
        raise forbidden("a shop's figures are for its seller and the platform")
    async with context(request).engine.connect() as connection:
        f = await queries.shop_figures(connection, shop_id)
    return ShopStats(
        shop_id=shop_id, paid_orders=f.paid_orders, cases=f.cases,
        refund_rate=_ratio(f.cases, f.paid_orders),
        refund_amount_rate=_ratio(f.refunded_amount, f.paid_amount),
        timeout_count=f.timeouts, disputes=f.disputes,
        dispute_rate=_ratio(f.disputes, f.cases), rulings=f.rulings,
        ruled_against_seller_share=_ratio(f.rulings_against_seller, f.rulings),
    )  # fmt: skip


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _scope(caller: Caller, where: queries.CaseFilter) -> queries.CaseFilter:
    """Narrow a filter to what the caller may see."""
    shop = shop_scope(caller, where.shop_id)
    buyer = caller.subject if caller.role is Role.BUYER else None
    return queries.CaseFilter(where.order_id, shop, buyer, where.status)


def _position(cursor: str | None) -> tuple[datetime, str] | None:
    """The (sort time, case id) a cursor continues after."""
    if cursor is None:
        return None
    position = decode_cursor(cursor, required=("at", "id"))
    try:
        return datetime.fromisoformat(str(position["at"])), str(position["id"])
    except ValueError as error:
        raise ProblemError(400, "invalid-cursor", "The cursor is not valid", cursor[:40]) from error
