"""A shop's SKU stock (set by stocktake, adjusted by delta)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.http.auth import Caller, CurrentCaller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.problems import ProblemError, problem_responses
from order_service.api.dependencies import OrderApiDependencies
from order_service.api.models import (
    StockAdjustmentBody,
    StockBody,
    StockView,
)
from order_service.application import stock_store
from order_service.application.stock_store import StockChange, StockRow, Who

ShopStaff = Annotated[Caller, Depends(require_roles(Role.SELLER, Role.PLATFORM))]


def _require_shop(caller: Caller, shop_id: str) -> None:
    if caller.role is Role.SELLER and caller.shop_id != shop_id:
        raise ProblemError(403, "forbidden", "Forbidden", "sellers manage their own shop only")


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


def shops_router(deps: OrderApiDependencies) -> APIRouter:
    router = APIRouter(prefix="/v1/shops/{shop_id}", tags=["shops"])
    stock_path = "/skus/{sku}/stock"

    async def change_stock(
        request: Request,
        caller: Caller,
        key: str,
        shop_id: str,
        sku: str,
        expected: int | None,
        change: StockChange,
        reason: str | None = None,
    ) -> JSONResponse:
        _require_shop(caller, shop_id)
        who = Who(actor=caller.actor.value, actor_id=caller.subject, reason=reason)

        async def work(connection: AsyncConnection) -> CommandResult:
            row = await stock_store.set_level(
                connection, shop_id, sku, change, expected_version=expected, who=who,
                at=deps.clock.now(),
            )  # fmt: skip
            return CommandResult(_stock_view(row), 200, row.version)

        return await deps.runner.run(request, key, caller, work)

    @router.put(
        stock_path,
        summary="Set a SKU's stock (stocktake), warning line and per-buyer purchase limit",
        response_model=StockView,
        responses=problem_responses(400, 401, 403, 409, 412, 422),
    )
    async def set_stock(
        shop_id: str,
        sku: str,
        body: StockBody,
        request: Request,
        caller: ShopStaff,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        change = StockChange(
            on_hand=body.on_hand,
            warning_line=body.warning_line,
            purchase_limit=body.purchase_limit,
            clear_limit=body.purchase_limit is None,
        )
        return await change_stock(request, caller, key, shop_id, sku, expected, change)

    @router.patch(
        stock_path,
        summary="Adjust a SKU's stock by a delta (goods received or written off)",
        response_model=StockView,
        responses=problem_responses(400, 401, 403, 404, 409, 412, 422),
    )
    async def adjust_stock(
        shop_id: str,
        sku: str,
        body: StockAdjustmentBody,
        request: Request,
        caller: ShopStaff,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        change = StockChange(delta=body.delta)
        return await change_stock(request, caller, key, shop_id, sku, expected, change, body.reason)

    @router.get(
        stock_path,
        summary="A SKU's stock: on hand, reserved, available, warning line, purchase limit",
        response_model=StockView,
        responses=problem_responses(401, 404),
    )
    async def get_stock(shop_id: str, sku: str, caller: CurrentCaller) -> StockView:
        async with deps.engine.connect() as connection:
            row = await stock_store.read(connection, shop_id, sku)
        if row is None:
            raise ProblemError(404, "sku-not-found", "No such SKU", f"{shop_id} has no {sku}")
        return _stock_view(row)

    return router
