"""The order's customer-care routes (issue 21): the seller answers a rating, the buyer adds a
follow-up comment, and a shop's staff read its ratings and its queue (medium and bad ratings to
follow up, unpaid orders the buyer was reminded of)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from eventing.clock import refresh_clock
from eventing.database import single_statements
from eventing.http.access import shop_scope
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.commands import IdempotencyKey, IfMatch
from eventing.http.pagination import (
    DEFAULT_LIMIT,
    Page,
    PageCursor,
    PageLimit,
    decode_cursor,
    page_of,
)
from eventing.http.paths import OrderId, ShopId
from eventing.http.problems import problem_responses
from order_service.api.care_models import (
    FollowUpFilter,
    QueueEntry,
    QueueKind,
    QueueStatus,
    RatingAnswerBody,
    RatingEntry,
    RatingFollowUpBody,
)
from order_service.api.commands import run_on_order
from order_service.api.context import COMMAND_PROBLEMS, BuyerOnly, Kit, ShopStaff
from order_service.api.models import OrderCommandOutcome
from order_service.application.commands import OrderGiven, OrderKit
from order_service.domain.commands import AnswerRating, AppendToRating, OrderCommand
from order_service.projections.care_queries import (
    QueueFilter,
    RatingFilter,
    list_queue,
    list_ratings,
)

router = APIRouter(tags=["customer care"])

SellerOnly = Annotated[Caller, Depends(require_roles(Role.SELLER))]
LIST_PROBLEMS = problem_responses(400, 401, 403, 422)


@router.post(
    "/v1/orders/{order_id}/rating/answer",
    summary="Answer the order's rating (a seller of its shop, once, within the answer window)",
    description="The shop policy's `rating_answer_window` (default 30 days from the rating) "
    "bounds it: later answers 409 `rating-answer-window-over`; a second answer 409 "
    "`rating-already-answered`; an order not rated yet 409 `order-not-rated`. Answering a "
    "medium or bad rating closes its follow-up in the shop's queue.",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def answer_rating(
    order_id: OrderId,
    body: RatingAnswerBody,
    request: Request,
    caller: SellerOnly,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    def command(given: OrderGiven) -> OrderCommand:
        return AnswerRating(answer=body.answer, shop_id=caller.shop_id or "", at=given.now)

    return await run_on_order(kit, request, caller, key, order_id, expected, command)


@router.post(
    "/v1/orders/{order_id}/rating/follow-up-comment",
    summary="Add the buyer's one follow-up comment to their rating (within the window)",
    description="The shop policy's `rating_append_window` (default 90 days from the rating) "
    "bounds it: later answers 409 `rating-append-window-over`; a second comment 409 "
    "`rating-already-appended`.",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def add_follow_up_comment(
    order_id: OrderId,
    body: RatingFollowUpBody,
    request: Request,
    caller: BuyerOnly,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    def command(given: OrderGiven) -> OrderCommand:
        return AppendToRating(comment=body.comment, at=given.now)

    return await run_on_order(kit, request, caller, key, order_id, expected, command)


@router.get(
    "/v1/shops/{shop_id}/ratings",
    summary="A shop's ratings, newest first, with answers and follow-up comments",
    description="A seller reads its own shop's (403 otherwise), the platform any shop's. "
    "`follow_up`: `needed` lists the medium and bad ratings, `open` those not answered yet, "
    "`overdue` those past their follow-up's due time.",
    response_model=Page[RatingEntry],
    responses=LIST_PROBLEMS,
)
async def shop_ratings(
    shop_id: ShopId,
    caller: ShopStaff,
    kit: Kit,
    follow_up: FollowUpFilter = FollowUpFilter.ALL,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[RatingEntry]:
    shop_scope(caller, shop_id)
    now = await _now(kit)
    after = None
    if cursor is not None:
        position = decode_cursor(cursor, required={"rated_at": datetime, "order_id": str})
        after = (position["rated_at"], position["order_id"])
    scope = RatingFilter(shop_id=shop_id, follow_up=follow_up.value, now=now, after=after)
    async with single_statements(kit.engine) as connection:
        rows = await list_ratings(connection, scope, limit + 1)
    return page_of(
        rows,
        limit,
        lambda row: _rating_entry(row, now),
        lambda row: {"rated_at": row.rated_at.isoformat(), "order_id": row.order_id},
    )


@router.get(
    "/v1/shops/{shop_id}/queue",
    summary="A shop's customer-care queue: ratings to follow up, unpaid orders reminded",
    description="Soonest due first. `status`: `open` (default), `overdue` (open and past "
    "due), `closed` (dealt with). A seller reads its own shop's (403 otherwise), the platform "
    "any shop's.",
    response_model=Page[QueueEntry],
    responses=LIST_PROBLEMS,
)
async def shop_queue(
    shop_id: ShopId,
    caller: ShopStaff,
    kit: Kit,
    status: QueueStatus = QueueStatus.OPEN,
    kind: Annotated[list[QueueKind] | None, Query(max_length=3)] = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[QueueEntry]:
    shop_scope(caller, shop_id)
    now = await _now(kit)
    after = None
    if cursor is not None:
        position = decode_cursor(
            cursor, required={"due_at": datetime, "order_id": str, "kind": str}
        )
        after = (position["due_at"], position["order_id"], position["kind"])
    scope = QueueFilter(
        shop_id=shop_id,
        status=status.value,
        now=now,
        kinds=tuple(sorted({k.value for k in kind or ()})),
        after=after,
    )
    async with single_statements(kit.engine) as connection:
        rows = await list_queue(connection, scope, limit + 1)
    return page_of(
        rows,
        limit,
        lambda row: _queue_entry(row, now),
        lambda row: {
            "due_at": row.due_at.isoformat(),
            "order_id": row.order_id,
            "kind": row.kind,
        },
    )


async def _now(kit: OrderKit) -> datetime:
    """The service clock, re-read first, so "overdue" follows a moved clock at once."""
    await refresh_clock(kit.runtime.clock)
    return kit.runtime.clock.now()


def _rating_entry(row: Any, now: datetime) -> RatingEntry:
    due = row.follow_up_due_at
    return RatingEntry(
        order_id=row.order_id,
        buyer_id=row.buyer_id,
        rated_at=row.rated_at,
        description_score=row.description_score,
        service_score=row.service_score,
        shipping_speed_score=row.shipping_speed_score,
        comment=row.comment,
        needs_follow_up=due is not None,
        follow_up_due_at=due,
        follow_up_overdue=due is not None and row.answered_at is None and due < now,
        answer=row.answer,
        answered_at=row.answered_at,
        answer_due_by=row.answer_due_by,
        appended_comment=row.appended_comment,
        appended_at=row.appended_at,
        append_due_by=row.append_due_by,
        version=row.version,
    )


def _queue_entry(row: Any, now: datetime) -> QueueEntry:
    return QueueEntry(
        order_id=row.order_id,
        kind=QueueKind(row.kind),
        opened_at=row.opened_at,
        due_at=row.due_at,
        closed_at=row.closed_at,
        overdue=row.closed_at is None and row.due_at < now,
        detail=dict(row.detail),
        version=row.version,
    )
