"""Read routes: one case (read-your-writes with `min_version`), lists with cursors, the dispute
queue, cases about to time out, a shop's figures; read-model rows shown as views."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Row

from aftersales_service.api.context import CaseId, Kit, PlatformDesk, case_not_found
from aftersales_service.api.models import CaseView, DisputeView, ShopStats
from aftersales_service.domain.state import CaseStatus
from aftersales_service.domain.status import (
    InterventionStatus,
    ReferenceGoodsStatus,
    reference_status,
)
from aftersales_service.projections import queries
from contracts.events.aftersales import GoodsStatus
from contracts.values import Address, Money, SkuQuantity, Waybill
from eventing.http.access import Parties, forbidden, may_see, sees_personal_data, shop_scope
from eventing.http.auth import Caller, CurrentCaller, Role
from eventing.http.freshness import MinVersion, wait_for_version
from eventing.http.masking import mask_address
from eventing.http.pagination import (
    DEFAULT_LIMIT,
    Page,
    PageCursor,
    PageLimit,
    decode_cursor,
    page_of,
)
from eventing.http.paths import ShopId
from eventing.http.problems import ProblemError, problem_responses

router = APIRouter(prefix="/v1", tags=["refund cases"])
_ERRORS = problem_responses(400, 401, 403, 404, 409)


def _parties(row: Row[Any]) -> Parties:
    return Parties(row.buyer_id, row.shop_id)


@router.get(
    "/refund-cases:due-soon",
    response_model=Page[CaseView],
    responses=_ERRORS,
    summary="Open cases whose next deadline falls within `due_within` (e.g. PT6H), soonest first",
)
async def due_soon(
    caller: CurrentCaller,
    kit: Kit,
    due_within: Annotated[timedelta, Query(description="ISO 8601 duration, e.g. PT6H.")],
    shop_id: str | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[CaseView]:
    """Open cases whose next deadline falls within `due_within` (an ISO 8601 duration), soonest
    first: a work queue for customer service."""
    now = kit.runtime.clock.now()
    where = _scope(caller, queries.CaseFilter(shop_id=shop_id))
    after = sort_position(cursor)
    async with kit.engine.connect() as connection:
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
    case_id: CaseId, caller: CurrentCaller, kit: Kit, min_version: MinVersion = None
) -> CaseView:
    """One refund case from the after-sales read model, with its status, terms, deadlines and
    dispute. Its ETag is the order's after-sales version: send it as If-Match with the next
    command."""

    async def fetch() -> Row[Any] | None:
        async with kit.engine.connect() as connection:
            return await queries.get_case(connection, case_id)

    row = await wait_for_version(fetch, lambda r: int(r.stream_version), min_version)
    if row is None or not may_see(caller, _parties(row)):
        raise case_not_found(case_id)
    return case_view(row, caller, kit.runtime.clock.now())


@router.get(
    "/refund-cases",
    response_model=Page[CaseView],
    responses=_ERRORS,
    summary="Refund cases by order, shop or status (buyers see theirs, sellers their shop's)",
)
async def list_cases(
    caller: CurrentCaller,
    kit: Kit,
    order_id: str | None = None,
    shop_id: str | None = None,
    status: CaseStatus | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[CaseView]:
    """Refund cases filtered by order, shop or status, one page at a time (`next_cursor`). A buyer
    sees only their cases, a seller only their shop's."""
    where = _scope(
        caller,
        queries.CaseFilter(order_id=order_id, shop_id=shop_id,
                           status=status.value if status else None),
    )  # fmt: skip
    after = sort_position(cursor)
    async with kit.engine.connect() as connection:
        rows = await queries.list_cases(connection, where, after, limit)
    now = kit.runtime.clock.now()
    return page_of(rows, limit, lambda r: case_view(r, caller, now),
                   lambda r: {"at": r.opened_at.isoformat(), "id": r.case_id})  # fmt: skip


@router.get(
    "/disputes",
    response_model=Page[CaseView],
    responses=_ERRORS,
    summary="The platform's dispute queue: open disputes, oldest escalation first",
)
async def disputes(
    caller: PlatformDesk,
    kit: Kit,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[CaseView]:
    """Open disputes for platform staff, oldest escalation first, one page at a time
    (`next_cursor`)."""
    after = sort_position(cursor)
    async with kit.engine.connect() as connection:
        rows = await queries.dispute_queue(connection, after, limit)
    now = kit.runtime.clock.now()
    return page_of(rows, limit, lambda r: case_view(r, caller, now),
                   lambda r: {"at": r.disputed_at.isoformat(), "id": r.case_id})  # fmt: skip


@router.get(
    "/stats/shops/{shop_id}",
    response_model=ShopStats,
    responses=_ERRORS,
    summary="A shop's refund rate, refund amount rate, time-outs, dispute rate and rulings",
)
async def shop_stats(shop_id: ShopId, caller: CurrentCaller, kit: Kit) -> ShopStats:
    """A shop's after-sales figures from the read model: refund rate, refund amount rate, cases that
    timed out, dispute rate and rulings by outcome. The shop's sellers, platform and ops."""
    if not (caller.role in (Role.PLATFORM, Role.OPS) or caller.is_seller_of(shop_id)):
        raise forbidden("a shop's figures are for its seller and the platform")
    async with kit.engine.connect() as connection:
        f = await queries.shop_figures(connection, shop_id)
    return ShopStats(
        shop_id=shop_id, paid_orders=f.paid_orders, cases=f.cases,
        refund_rate=ratio(f.cases, f.paid_orders),
        refund_amount_rate=ratio(f.refunded_amount, f.paid_amount),
        timeout_count=f.timeouts, disputes=f.disputes,
        dispute_rate=ratio(f.disputes, f.cases), rulings=f.rulings,
        ruled_against_seller_share=ratio(f.rulings_against_seller, f.rulings),
    )  # fmt: skip


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _scope(caller: Caller, where: queries.CaseFilter) -> queries.CaseFilter:
    """Narrow a filter to what the caller may see."""
    shop = shop_scope(caller, where.shop_id)
    buyer = caller.subject if caller.role is Role.BUYER else None
    return queries.CaseFilter(where.order_id, shop, buyer, where.status)


def sort_position(cursor: str | None) -> tuple[datetime, str] | None:
    """The (sort time, id) a cursor continues after."""
    if cursor is None:
        return None
    position = decode_cursor(cursor, required=("at", "id"))
    try:
        return datetime.fromisoformat(str(position["at"])), str(position["id"])
    except ValueError as error:
        raise ProblemError(400, "invalid-cursor", "The cursor is not valid", cursor[:40]) from error


def case_view(row: Row[Any], caller: Caller, now: datetime) -> CaseView:
    """The case as `caller` sees it: the return address masked unless they see personal data."""
    status = CaseStatus(row.status)
    dispute = _dispute(row.dispute)
    address = Address.model_validate(_json(row.return_address)) if row.return_address else None
    if address is not None and not sees_personal_data(caller, _parties(row)):
        address = mask_address(address)  # ops work the queues; they do not ship anything
    waybill = Waybill.model_validate(_json(row.return_waybill)) if row.return_waybill else None
    return CaseView(
        case_id=row.case_id, order_id=row.order_id, shop_id=row.shop_id, buyer_id=row.buyer_id,
        kind=row.kind, reason=row.reason, description=row.description, status=status,
        refund_status=reference_status(status), goods_status=row.goods_status,
        reference_goods_status=_goods(row.goods_status, waybill),
        intervention=_intervention(dispute, now),
        amount=Money(amount=row.amount, currency=row.currency),
        refunded=(Money(amount=row.refunded_amount, currency=row.currency)
                  if row.refunded_amount is not None else None),
        items=[SkuQuantity.model_validate(i) for i in _json(row.items)],
        intercept=row.intercept, answer_due_by=row.answer_due_by, return_by=row.return_by,
        confirm_by=row.confirm_by, appeal_by=row.appeal_by,
        next_deadline_at=row.next_deadline_at, next_deadline_kind=row.next_deadline_kind,
        return_address=address, return_waybill=waybill, rejection_reason=row.rejection_reason,
        rejection_note=row.rejection_note, automatic_approval=row.automatic_approval,
        seller_timed_out=row.seller_timed_out, dispute=dispute,
        refund_trigger=row.refund_trigger, close_reason=row.close_reason,
        opened_at=row.opened_at, updated_at=row.updated_at, ended_at=row.ended_at,
        version=row.stream_version,
    )  # fmt: skip


def _dispute(document: Any) -> DisputeView | None:
    if not document:
        return None
    return DisputeView.model_validate(_json(document))


def _intervention(dispute: DisputeView | None, now: datetime) -> InterventionStatus | None:
    if dispute is None:
        return None
    if dispute.ruling is not None:
        return InterventionStatus.RULED
    if now <= dispute.evidence_due_by:
        return InterventionStatus.REQUESTED
    return InterventionStatus.INTERVENED


def _goods(goods_status: str, waybill: Waybill | None) -> ReferenceGoodsStatus:
    if waybill is not None:
        return ReferenceGoodsStatus.BUYER_RETURNED_GOODS
    if GoodsStatus(goods_status) is GoodsStatus.RECEIVED:
        return ReferenceGoodsStatus.BUYER_RECEIVED
    return ReferenceGoodsStatus.BUYER_NOT_RECEIVED


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
