"""Complaint read routes: one complaint (read-your-writes with `min_version`), the buyer's and
the shop's lists, the shop's queue (overdue, then due soon), the platform's escalated queue,
and a shop's complaint figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Row

from aftersales_service.api.complaint_models import ComplaintStats, ComplaintView
from aftersales_service.api.context import ComplaintId, Kit, PlatformDesk, complaint_not_found
from aftersales_service.api.queries import ratio, sort_position
from aftersales_service.domain.complaints import ComplaintStatus
from aftersales_service.projections import complaint_queries as queries
from aftersales_service.projections import queries as case_queries
from contracts.events.aftersales import ComplaintRemedy
from eventing.http.access import Parties, forbidden, may_see, shop_scope
from eventing.http.auth import Caller, CurrentCaller, Role
from eventing.http.freshness import MinVersion, wait_for_version
from eventing.http.pagination import DEFAULT_LIMIT, Page, PageCursor, PageLimit, page_of
from eventing.http.paths import ShopId
from eventing.http.problems import ProblemError, problem_responses

router = APIRouter(prefix="/v1", tags=["complaints"])
_ERRORS = problem_responses(400, 401, 403, 404, 409)
_DEFAULT_WINDOW = timedelta(hours=24)


@router.get(
    "/complaints/{complaint_id}",
    response_model=ComplaintView,
    responses=_ERRORS,
    summary="A complaint (ETag = the order's after-sales version)",
)
async def get_complaint(
    complaint_id: ComplaintId, caller: CurrentCaller, kit: Kit, min_version: MinVersion = None
) -> ComplaintView:
    """One complaint with its status, deadlines, analysis, remedy, reply, follow-up and ruling.
    Its buyer, the shop's seller, the platform and ops see it."""

    async def fetch() -> Row[Any] | None:
        async with kit.engine.connect() as connection:
            return await queries.get_complaint(connection, complaint_id)

    row = await wait_for_version(fetch, lambda r: int(r.stream_version), min_version)
    if row is None or not may_see(caller, Parties(row.buyer_id, row.shop_id)):
        raise complaint_not_found(complaint_id)
    return complaint_view(row, kit.runtime.clock.now())


@router.get(
    "/complaints",
    response_model=Page[ComplaintView],
    responses=_ERRORS,
    summary="Complaints by order, shop or status (buyers see theirs, sellers their shop's)",
)
async def list_complaints(
    caller: CurrentCaller,
    kit: Kit,
    order_id: str | None = None,
    shop_id: str | None = None,
    status: ComplaintStatus | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[ComplaintView]:
    """Complaints oldest first, one page at a time (`next_cursor`). A buyer sees only their own
    (the buyer's complaints), a seller only their shop's."""
    buyer = caller.subject if caller.role is Role.BUYER else None
    where = queries.ComplaintFilter(
        order_id, shop_scope(caller, shop_id), buyer, status.value if status else None
    )
    async with kit.engine.connect() as connection:
        rows = await queries.list_complaints(connection, where, sort_position(cursor), limit)
    now = kit.runtime.clock.now()
    return page_of(rows, limit, lambda r: complaint_view(r, now),
                   lambda r: {"at": r.filed_at.isoformat(), "id": r.complaint_id})  # fmt: skip


@router.get(
    "/shops/{shop_id}/complaint-queue",
    response_model=Page[ComplaintView],
    responses=_ERRORS,
    summary="The shop's complaint queue: complaints waiting on the shop, overdue first, then "
    "those due within `due_within` (default PT24H)",
)
async def shop_queue(
    shop_id: ShopId,
    caller: CurrentCaller,
    kit: Kit,
    due_within: Annotated[
        timedelta | None, Query(description="ISO 8601 duration, e.g. PT6H (default PT24H).")
    ] = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[ComplaintView]:
    """Complaints to accept or to reply to, by deadline: `overdue` ones (escalation on its way)
    first, then those due soon. The shop's sellers, platform and ops."""
    _shop_desk(caller, shop_id)
    window = due_within if due_within is not None else _DEFAULT_WINDOW
    if not timedelta(0) <= window <= timedelta(days=90):
        raise forbidden_window()
    now = kit.runtime.clock.now()
    async with kit.engine.connect() as connection:
        rows = await queries.shop_queue(
            connection, shop_id, now + window, sort_position(cursor), limit
        )
    return page_of(rows, limit, lambda r: complaint_view(r, now), _by_deadline)


def _by_deadline(row: Row[Any]) -> dict[str, str]:
    return {"at": row.next_deadline_at.isoformat(), "id": row.complaint_id}


@router.get(
    "/escalated-complaints",
    response_model=Page[ComplaintView],
    responses=_ERRORS,
    summary="The platform's queue of escalated complaints, oldest escalation first",
)
async def escalated(
    caller: PlatformDesk, kit: Kit, cursor: PageCursor = None, limit: PageLimit = DEFAULT_LIMIT
) -> Page[ComplaintView]:
    """Complaints the platform has to rule on (not accepted or not replied in time, or the buyer
    unsatisfied), oldest escalation first."""
    async with kit.engine.connect() as connection:
        rows = await queries.escalated_queue(connection, sort_position(cursor), limit)
    now = kit.runtime.clock.now()
    return page_of(rows, limit, lambda r: complaint_view(r, now),
                   lambda r: {"at": r.escalated_at.isoformat(), "id": r.complaint_id})  # fmt: skip


@router.get(
    "/stats/shops/{shop_id}/complaints",
    response_model=ComplaintStats,
    responses=_ERRORS,
    summary="A shop's complaint rate, share resolved within deadline, share escalated and "
    "responsibility split",
)
async def complaint_stats(shop_id: ShopId, caller: CurrentCaller, kit: Kit) -> ComplaintStats:
    """Complaint figures from the read model (complaint rate = complaints / paid orders). The
    shop's sellers, platform and ops."""
    _shop_desk(caller, shop_id)
    async with kit.engine.connect() as connection:
        paid = await case_queries.paid_orders(connection, shop_id)
        f = await queries.complaint_figures(connection, shop_id)
    return ComplaintStats(
        shop_id=shop_id, paid_orders=paid, complaints=f.complaints,
        complaint_rate=ratio(f.complaints, paid),
        resolved_within_deadline_share=ratio(f.resolved_within_deadline, f.complaints),
        escalated_share=ratio(f.escalated, f.complaints), responsibility=f.responsibility,
    )  # fmt: skip


def _shop_desk(caller: Caller, shop_id: str) -> None:
    if not (caller.role in (Role.PLATFORM, Role.OPS) or caller.is_seller_of(shop_id)):
        raise forbidden("a shop's complaints queue and figures are for its seller and the platform")


def forbidden_window() -> ProblemError:
    return ProblemError(400, "invalid-window", "due_within is from PT0S to P90D", "due_within")


def complaint_view(row: Row[Any], now: datetime) -> ComplaintView:
    remedy = queries.json_of(row.remedy)
    due = row.next_deadline_at
    return ComplaintView(
        complaint_id=row.complaint_id, order_id=row.order_id, shop_id=row.shop_id,
        buyer_id=row.buyer_id, filed_by=row.filed_by, about=row.about, category=row.category,
        text=row.text, attachments=queries.json_of(row.attachments), status=row.status,
        accept_note=row.accept_note, responsibility=row.responsibility, finding=row.finding,
        remedy=ComplaintRemedy.model_validate(remedy) if remedy else None, reply=row.reply,
        satisfied=row.satisfied, follow_up_comment=row.follow_up_comment,
        escalation_reason=row.escalation_reason, ruling=queries.json_of(row.ruling),
        close_reason=row.close_reason, filed_at=row.filed_at, accept_due_by=row.accept_due_by,
        accepted_at=row.accepted_at, reply_due_by=row.reply_due_by, replied_at=row.replied_at,
        follow_up_by=row.follow_up_by, next_deadline_at=due,
        next_deadline_kind=row.next_deadline_kind, overdue=due is not None and due < now,
        escalated_at=row.escalated_at, ended_at=row.ended_at, updated_at=row.updated_at,
        version=row.stream_version,
    )  # fmt: skip
