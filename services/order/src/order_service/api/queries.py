"""The order's read routes: one order with its cross-service timeline, and lists by buyer, shop
or status; personal data masked for callers who do not ship or arbitrate."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from eventing.data_keys import PersonalData
from eventing.database import single_statements
from eventing.http.access import Parties, forbidden, masked, may_see, sees_personal_data, shop_scope
from eventing.http.access_audit import Audit, Shown
from eventing.http.auth import Caller, CurrentCaller, Role
from eventing.http.freshness import MinVersion, wait_for_version
from eventing.http.pagination import (
    DEFAULT_LIMIT,
    Page,
    PageCursor,
    PageLimit,
    decode_cursor,
    encode_cursor,
)
from eventing.http.paths import OrderId
from eventing.http.problems import ProblemError, problem_responses
from eventing.reported_time import Instant
from order_service.api.context import Kit
from order_service.api.models import OrderDetail, OrderSummary, Price, TimelineEntry
from order_service.domain.status import PlatformStatus
from order_service.projections.queries import OrderFilter, OrderRecord, list_orders, order_record

router = APIRouter(prefix="/v1/orders", tags=["order queries"])


@router.get(
    "/{order_id}",
    summary="An order with its status, time-out and cross-service timeline",
    description="Pass `min_version` (the ETag of your last command) to read your own write.",
    response_model=OrderDetail,
    responses=problem_responses(401, 404, 409),
)
async def get_order(
    order_id: OrderId,
    caller: CurrentCaller,
    kit: Kit,
    audit: Audit,
    min_version: MinVersion = None,
) -> OrderDetail:
    async def fetch() -> OrderRecord | None:
        async with single_statements(kit.engine) as connection:
            return await order_record(connection, order_id)

    record = await wait_for_version(fetch, lambda r: r.version, min_version)
    if record is None or not may_see(caller, _parties(record.row)):
        raise ProblemError(404, "order-not-found", "No such order", f"no order {order_id}")
    detail = await order_detail(record, caller, kit.personal_data)
    # What the answer shows of personal data is in its detail and its timeline's data (the
    # summary has none): looked for there, rather than in a JSON dump of the whole answer.
    shown = {"detail": detail.detail, "timeline": [entry.data for entry in detail.timeline]}
    await audit.record(Shown(order_id, _parties(record.row), shown))
    return detail


@router.get(
    "",
    summary="Orders, newest first: buyers see theirs, sellers their shop's, staff all",
    response_model=Page[OrderSummary],
    responses=problem_responses(400, 401, 403),
)
async def get_orders(
    caller: CurrentCaller,
    kit: Kit,
    status: Annotated[list[PlatformStatus] | None, Query()] = None,
    created_from: Instant | None = None,
    created_to: Instant | None = None,
    shop_id: str | None = None,
    buyer_id: str | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[OrderSummary]:
    """Orders from the order read model, newest first, one page at a time: pass the returned
    `next_cursor` as `cursor` for the next page. A buyer sees only their orders, a seller only
    their shop's; platform and ops staff see all (ops with personal data masked)."""
    after = None
    if cursor is not None:
        position = decode_cursor(cursor, required=("created_at", "order_id"))
        after = (datetime.fromisoformat(position["created_at"]), str(position["order_id"]))
    scope = OrderFilter(
        buyer_id=buyer_id,
        shop_id=shop_id,
        platform_statuses=tuple(s.value for s in status or ()),
        created_from=created_from,
        created_to=created_to,
        after=after,
    )
    scope = _limited_to_caller(caller, scope)
    async with kit.engine.connect() as connection:
        rows = await list_orders(connection, scope, limit + 1)
    shown = rows[:limit]
    next_cursor = None
    if len(rows) > limit and shown:
        last = shown[-1]
        next_cursor = encode_cursor(
            {"created_at": last.created_at.isoformat(), "order_id": last.order_id}
        )
    return Page[OrderSummary](items=[order_summary(row) for row in shown], next_cursor=next_cursor)


def _limited_to_caller(caller: Caller, scope: OrderFilter) -> OrderFilter:
    """A buyer lists only their orders, a seller only their shop's."""
    if caller.role is Role.BUYER:
        if scope.buyer_id not in (None, caller.subject):
            raise forbidden("buyers list their own orders")
        return replace(scope, buyer_id=caller.subject)
    return replace(scope, shop_id=shop_scope(caller, scope.shop_id))


def _parties(row: Any) -> Parties:
    return Parties(buyer_id=row.buyer_id, shop_id=row.shop_id)


def order_summary(row: Any) -> OrderSummary:
    def price(amount: int) -> Price:
        return Price(amount=amount, currency=row.currency)

    return OrderSummary(
        order_id=row.order_id,
        shop_id=row.shop_id,
        buyer_id=row.buyer_id,
        status=row.status,
        platform_status=row.platform_status,
        timeout_at=row.timeout_at,
        payable=price(row.payable),
        paid=price(row.paid),
        refunded=price(row.refunded),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


async def order_detail(
    record: OrderRecord, caller: Caller, personal_data: PersonalData
) -> OrderDetail:
    """The order as `caller` may see it (receivers opened, then masked unless the caller
    ships or arbitrates; the erased marker once the buyer was erased), with its timeline."""
    row = record.row
    full = sees_personal_data(caller, _parties(row))
    revealed = await personal_data.reveal(
        {
            "detail": dict(row.detail),
            "timeline": [
                {k: v for k, v in entry.data.items() if k not in ("order_id", "shop_id")}
                for entry in record.timeline
            ],
        }
    )
    timeline = [
        TimelineEntry(
            source=entry.source,
            type=entry.event_type,
            sequence=entry.sequence,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            data=masked(data, full),
        )
        for entry, data in zip(record.timeline, revealed["timeline"], strict=True)
    ]
    return OrderDetail(
        **order_summary(row).model_dump(),
        detail=masked(revealed["detail"], full),
        timeline=timeline,
    )
