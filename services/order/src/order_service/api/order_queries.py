"""Order reads: one order with its cross-service timeline, and lists by buyer, shop or status."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

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
from eventing.http.problems import ProblemError, problem_responses
from order_service.api.access import may_see
from order_service.api.dependencies import OrderApiDependencies
from order_service.api.models import OrderDetail, OrderSummary
from order_service.api.presenters import order_detail, order_summary
from order_service.domain.status import PlatformStatus
from order_service.projections.queries import OrderFilter, OrderRecord, list_orders, order_record


def order_queries_router(deps: OrderApiDependencies) -> APIRouter:
    router = APIRouter(prefix="/v1/orders", tags=["order queries"])

    @router.get(
        "/{order_id}",
        summary="An order with its status, time-out and cross-service timeline",
        description="Pass `min_version` (the ETag of your last command) to read your own write.",
        response_model=OrderDetail,
        responses=problem_responses(401, 404, 409),
    )
    async def get_order(
        order_id: str, caller: CurrentCaller, min_version: MinVersion = None
    ) -> OrderDetail:
        async def fetch() -> OrderRecord | None:
            async with deps.engine.connect() as connection:
                return await order_record(connection, order_id)

        record = await wait_for_version(fetch, lambda r: r.version, min_version)
        if record is None or not may_see(caller, record.row.buyer_id, record.row.shop_id):
            raise ProblemError(404, "order-not-found", "No such order", f"no order {order_id}")
        return order_detail(record, caller)

    @router.get(
        "",
        summary="Orders, newest first: buyers see theirs, sellers their shop's, staff all",
        response_model=Page[OrderSummary],
        responses=problem_responses(400, 401, 403),
    )
    async def get_orders(
        caller: CurrentCaller,
        status: Annotated[list[PlatformStatus] | None, Query()] = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        shop_id: str | None = None,
        buyer_id: str | None = None,
        cursor: PageCursor = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> Page[OrderSummary]:
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
        async with deps.engine.connect() as connection:
            rows = await list_orders(connection, scope, limit + 1)
        shown = rows[:limit]
        next_cursor = None
        if len(rows) > limit and shown:
            last = shown[-1]
            next_cursor = encode_cursor(
                {"created_at": last.created_at.isoformat(), "order_id": last.order_id}
            )
        return Page[OrderSummary](
            items=[order_summary(row) for row in shown], next_cursor=next_cursor
        )

    return router


def _limited_to_caller(caller: Caller, scope: OrderFilter) -> OrderFilter:
    """A buyer lists only their orders, a seller only their shop's."""
    if caller.role is Role.BUYER:
        if scope.buyer_id not in (None, caller.subject):
            raise ProblemError(403, "forbidden", "Forbidden", "buyers list their own orders")
        return replace(scope, buyer_id=caller.subject)
    if caller.role is Role.SELLER:
        if scope.shop_id not in (None, caller.shop_id):
            raise ProblemError(403, "forbidden", "Forbidden", "sellers list their shop's orders")
        return replace(scope, shop_id=caller.shop_id)
    return scope
