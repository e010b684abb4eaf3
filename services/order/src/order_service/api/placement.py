"""Placing an order over HTTP: who may place for whom, and the answer when stock refuses it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.order import OrderChannel, StockRejected
from eventing.http.auth import Caller, Role
from eventing.http.commands import CommandResult, IdempotencyKey
from eventing.http.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, ProblemError
from order_service.api.dependencies import OrderApiDependencies, caller_metadata
from order_service.api.models import CommandOutcome, PlaceOrderBody
from order_service.api.order_commands import COMMAND_PROBLEMS, Placer
from order_service.api.presenters import command_outcome
from order_service.domain.commands import PlaceOrder
from order_service.domain.errors import InsufficientStock

CHANNELS = {
    Role.BUYER: OrderChannel.BUYER,
    Role.SELLER: OrderChannel.CUSTOMER_SERVICE,
    Role.PLATFORM: OrderChannel.CUSTOMER_SERVICE,
    Role.SYSTEM: OrderChannel.SYSTEM,
}


def placement_router(deps: OrderApiDependencies) -> APIRouter:
    router = APIRouter(prefix="/v1/orders", tags=["order commands"])

    @router.post(
        "",
        status_code=201,
        summary="Place an order (validates it and reserves its stock)",
        description="201 with Location and ETag when accepted. When some SKUs lack stock or "
        "exceed the buyer's purchase limit, the attempt is recorded (`order.stock_rejected`), "
        "the order does not exist, and the answer is 409 `insufficient-stock` naming them.",
        response_model=CommandOutcome,
        responses=COMMAND_PROBLEMS,
    )
    async def place_order(
        body: PlaceOrderBody, request: Request, caller: Placer, key: IdempotencyKey
    ) -> JSONResponse:
        buyer_id = _buyer_of(caller, body)

        async def work(connection: AsyncConnection) -> CommandResult:
            order_id = str(uuid.uuid4())
            command = _placement(order_id, body, caller, buyer_id, deps)
            metadata = caller_metadata(request, caller)
            decision = await deps.commands.place(connection, command, metadata)
            rejected = [e for e in decision.events if isinstance(e, StockRejected)]
            if rejected:
                problem = _stock_problem(rejected[0], request)
                return CommandResult(problem, 409, decision.version, media_type=PROBLEM_MEDIA_TYPE)
            location = f"/v1/orders/{order_id}"
            return CommandResult(command_outcome(decision), 201, decision.version, location)

        return await deps.runner.run(request, key, caller, work)

    return router


def _placement(
    order_id: str,
    body: PlaceOrderBody,
    caller: Caller,
    buyer_id: str,
    deps: OrderApiDependencies,
) -> PlaceOrder:
    """The command; stock levels and the shop's payment window are added under the stock lock."""
    return PlaceOrder(
        order_id=order_id,
        shop_id=body.shop_id,
        buyer_id=buyer_id,
        channel=CHANNELS[caller.role],
        placed_by=caller.actor,
        goods_kind=body.goods_kind,
        lines=tuple(item.line() for item in body.items),
        receiver=body.receiver.details(),
        shipping_fee=body.shipping_fee,
        discount=body.discount,
        at=deps.clock.now(),
        payment_window=deps.policies.defaults.payment_window,
        expected_payable=body.payable,
        presale=body.presale.request() if body.presale else None,
        buyer_note=body.buyer_note,
    )


def _buyer_of(caller: Caller, body: PlaceOrderBody) -> str:
    """Buyers order for themselves; everyone else names the buyer (sellers for their shop)."""
    if caller.role is Role.BUYER:
        if body.buyer_id not in (None, caller.subject):
            raise ProblemError(403, "forbidden", "Forbidden", "a buyer orders for themselves")
        return caller.subject
    if caller.role is Role.SELLER and caller.shop_id != body.shop_id:
        raise ProblemError(403, "forbidden", "Forbidden", "sellers order for their own shop")
    if not body.buyer_id:
        raise ProblemError(
            422,
            "buyer-required",
            "The buyer is required",
            "customer service, the platform and system channels must name `buyer_id`",
        )
    return body.buyer_id


def _stock_problem(rejected: StockRejected, request: Request) -> dict[str, Any]:
    skus = ", ".join(shortage.sku for shortage in rejected.shortages)
    return {
        "type": PROBLEM_BASE + InsufficientStock.code,
        "title": InsufficientStock.title,
        "status": 409,
        "detail": f"not enough stock or over the purchase limit for: {skus}",
        "instance": request.url.path,
        "code": InsufficientStock.code,
        "retryable": False,
        "order_id": rejected.order_id,
        "shortages": [shortage.model_dump(mode="json") for shortage in rejected.shortages],
    }
