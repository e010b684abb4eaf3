"""A shop's SKU stock: set by stocktake, adjusted by delta (its seller or the platform); its
figures read by the shop's staff, the platform, ops and system, its availability by anyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.http.access import shop_scope
from eventing.http.auth import Caller, CurrentCaller
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.paths import ShopId, identifier_path
from eventing.http.problems import ProblemError, problem_responses
from order_service.api.context import Kit, ShopStaff
from order_service.api.models import (
    StockAdjustmentBody,
    StockAvailability,
    StockBody,
    StockView,
)
from order_service.application import state_tables
from order_service.application.state_tables import StockChange, StockRow, Who

Sku = Annotated[str, identifier_path("The shop's stock-keeping unit code.")]

router = APIRouter(prefix="/v1/shops/{shop_id}/skus/{sku}/stock", tags=["shops"])


@router.put(
    "",
    summary="Set a SKU's stock (stocktake), warning line and per-buyer purchase limit",
    response_model=StockView,
    responses=problem_responses(400, 401, 403, 409, 412, 422),
)
async def set_stock(
    shop_id: ShopId,
    sku: Sku,
    body: StockBody,
    request: Request,
    caller: ShopStaff,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    """A seller sets the SKU's on-hand quantity after a stocktake, with its low-stock warning line
    and the per-buyer purchase limit; the count must still cover the open orders' reservations."""
    change = StockChange(
        on_hand=body.on_hand,
        warning_line=body.warning_line,
        purchase_limit=body.purchase_limit,
        clear_limit=body.purchase_limit is None,
    )
    return await _change_stock(kit, request, caller, key, shop_id, sku, expected, change)


@router.patch(
    "",
    summary="Adjust a SKU's stock by a delta (goods received or written off)",
    response_model=StockView,
    responses=problem_responses(400, 401, 403, 404, 409, 412, 422),
)
async def adjust_stock(
    shop_id: ShopId,
    sku: Sku,
    body: StockAdjustmentBody,
    request: Request,
    caller: ShopStaff,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    """A seller moves the SKU's on-hand quantity by a signed delta (goods received: positive;
    written off: negative); open reservations must still fit, else it is refused."""
    change = StockChange(delta=body.delta)
    return await _change_stock(
        kit, request, caller, key, shop_id, sku, expected, change, body.reason
    )


@router.get(
    "",
    summary="A SKU's stock: on hand, reserved, available, warning line, purchase limit",
    description="The figures for the shop's own staff, the platform, ops and system; buyers "
    "and other shops' sellers see only whether the SKU can be ordered (`in_stock`).",
    response_model=StockView | StockAvailability,
    responses=problem_responses(401, 404),
)
async def get_stock(
    shop_id: ShopId, sku: Sku, caller: CurrentCaller, kit: Kit
) -> StockView | StockAvailability:
    async with kit.engine.connect() as connection:
        row = await state_tables.read(connection, shop_id, sku)
    if row is None:
        raise ProblemError(404, "sku-not-found", "No such SKU", f"{shop_id} has no {sku}")
    if caller.sees_everything or caller.is_seller_of(shop_id):
        return _stock_view(row)
    return StockAvailability(shop_id=shop_id, sku=sku, in_stock=row.level.available > 0)


async def _change_stock(
    kit: Kit,
    request: Request,
    caller: Caller,
    key: str,
    shop_id: str,
    sku: str,
    expected: int | None,
    change: StockChange,
    reason: str | None = None,
) -> JSONResponse:
    shop_scope(caller, shop_id)  # a seller manages their own shop's stock only
    who = Who(actor=caller.actor.value, actor_id=caller.subject, reason=reason)

    async def work(connection: AsyncConnection) -> CommandResult:
        row = await state_tables.set_level(
            connection, shop_id, sku, change, expected_version=expected, who=who,
            at=kit.runtime.clock.now(),
        )  # fmt: skip
        return CommandResult(_stock_view(row), 200, row.version)

    # Stock rows are not a stream: the runner gives the change its Idempotency-Key, and
    # `set_level` checks If-Match against the row's version.
    return await kit.runtime.commands.run(request, key, caller, work)


def _stock_view(row: StockRow) -> StockView:
    level = row.level
    return StockView(
        shop_id=row.shop_id,
        sku=level.sku,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        warning_line=level.warning_line,
        purchase_limit=level.purchase_limit,
        low=level.available < level.warning_line,
        version=row.version,
        updated_at=row.updated_at,
    )
