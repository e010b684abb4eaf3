"""Order commands over HTTP: place, pay, change address, cancel, confirm receipt, extend, rate.

Every endpoint takes an Idempotency-Key; those on an existing order accept If-Match with the
order's version and answer with the new version as ETag.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.order import OrderChannel, StockRejected
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.problems import PROBLEM_BASE, ProblemError, problem_responses
from order_service.api.access import authorizer
from order_service.api.dependencies import OrderApiDependencies, caller_metadata
from order_service.api.models import (
    AddressChangeBody,
    CancellationBody,
    CommandOutcome,
    ExtensionBody,
    PaymentBody,
    PlaceOrderBody,
    RatingBody,
)
from order_service.api.presenters import command_outcome
from order_service.domain.commands import (
    CancelOrder,
    ChangeAddress,
    ConfirmReceipt,
    ExtendAutoConfirm,
    OrderCommand,
    PlaceOrder,
    RateOrder,
    RecordPayment,
    RecordPaymentFailure,
)
from order_service.domain.errors import InsufficientStock
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState

CHANNELS = {
    Role.BUYER: OrderChannel.BUYER,
    Role.SELLER: OrderChannel.CUSTOMER_SERVICE,
    Role.PLATFORM: OrderChannel.CUSTOMER_SERVICE,
    Role.SYSTEM: OrderChannel.SYSTEM,
}
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 422)

Buyer = Annotated[Caller, Depends(require_roles(Role.BUYER, Role.PLATFORM))]
BuyerOnly = Annotated[Caller, Depends(require_roles(Role.BUYER))]
Payer = Annotated[Caller, Depends(require_roles(Role.BUYER, Role.PLATFORM, Role.SYSTEM))]
ShopOrBuyer = Annotated[
    Caller, Depends(require_roles(Role.BUYER, Role.SELLER, Role.PLATFORM, Role.SYSTEM))
]
Placer = ShopOrBuyer


def order_commands_router(deps: OrderApiDependencies) -> APIRouter:
    router = APIRouter(prefix="/v1/orders", tags=["order commands"])

    async def run(
        request: Request,
        caller: Caller,
        key: str,
        order_id: str,
        expected: int | None,
        command_for: Callable[[OrderState, ShopPolicy], OrderCommand],
    ) -> JSONResponse:
        async def work(connection: AsyncConnection) -> CommandResult:
            decision = await deps.commands.execute(
                connection,
                order_id,
                command_for,
                caller_metadata(request, caller),
                expected_version=expected,
                authorize=authorizer(caller),
            )
            return CommandResult(command_outcome(decision), 200, decision.version)

        return await deps.runner.run(request, key, caller, work)

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
            command = PlaceOrder(
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
            metadata = caller_metadata(request, caller)
            decision = await deps.commands.place(connection, command, metadata)
            rejected = [e for e in decision.events if isinstance(e, StockRejected)]
            if rejected:
                return CommandResult(_stock_problem(rejected[0], request), 409, decision.version)
            location = f"/v1/orders/{order_id}"
            return CommandResult(command_outcome(decision), 201, decision.version, location)

        return await deps.runner.run(request, key, caller, work)

    @router.post(
        "/{order_id}/payments",
        summary="Record a payment attempt (full, presale deposit or balance; failed ones too)",
        description="A second successful payment for a stage already paid is recorded as a "
        "duplicate (`order.duplicate_payment_detected`) with its surplus due back.",
        response_model=CommandOutcome,
        responses=COMMAND_PROBLEMS,
    )
    async def record_payment(
        order_id: str,
        body: PaymentBody,
        request: Request,
        caller: Payer,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        def command(_state: OrderState, _policy: ShopPolicy) -> OrderCommand:
            if body.outcome == "failed":
                return RecordPaymentFailure(
                    payment_id=body.payment_id,
                    stage=body.stage,
                    method=body.method,
                    amount=body.amount.amount,
                    currency=body.amount.currency,
                    reason=body.failure_reason or "declined by the payment provider",
                    failure_code=body.failure_code,
                )
            return RecordPayment(
                payment_id=body.payment_id,
                stage=body.stage,
                method=body.method,
                amount=body.amount.amount,
                currency=body.amount.currency,
                paid_at=body.paid_at or deps.clock.now(),
            )

        return await run(request, caller, key, order_id, expected, command)

    @router.post(
        "/{order_id}/address",
        summary="Change the receiver (until the order ships)",
        response_model=CommandOutcome,
        responses=COMMAND_PROBLEMS,
    )
    async def change_address(
        order_id: str,
        body: AddressChangeBody,
        request: Request,
        caller: Annotated[Caller, Depends(require_roles(Role.BUYER, Role.SELLER, Role.PLATFORM))],
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        change = ChangeAddress(receiver=body.receiver.details())
        return await run(request, caller, key, order_id, expected, lambda _s, _p: change)

    @router.post(
        "/{order_id}/cancellation",
        summary="Cancel the order (until it ships); releases its stock, owes back what was paid",
        response_model=CommandOutcome,
        responses=COMMAND_PROBLEMS,
    )
    async def cancel(
        order_id: str,
        body: CancellationBody,
        request: Request,
        caller: ShopOrBuyer,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        cancel = CancelOrder(reason=body.reason, note=body.note)
        return await run(request, caller, key, order_id, expected, lambda _s, _p: cancel)

    @router.post(
        "/{order_id}/receipt-confirmation",
        summary="Confirm receipt of the goods; the trade completes",
        response_model=CommandOutcome,
        responses=COMMAND_PROBLEMS,
    )
    async def confirm_receipt(
        order_id: str, request: Request, caller: Buyer, key: IdempotencyKey, expected: IfMatch
    ) -> JSONResponse:
        def command(_state: OrderState, _policy: ShopPolicy) -> OrderCommand:
            return ConfirmReceipt(at=deps.clock.now())

        return await run(request, caller, key, order_id, expected, command)

    @router.post(
        "/{order_id}/auto-confirm-extension",
        summary="Extend automatic receipt confirmation once by 3, 5, 7 or 10 days",
        response_model=CommandOutcome,
        responses=COMMAND_PROBLEMS,
    )
    async def extend_auto_confirm(
        order_id: str,
        body: ExtensionBody,
        request: Request,
        caller: BuyerOnly,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        def command(_state: OrderState, _policy: ShopPolicy) -> OrderCommand:
            return ExtendAutoConfirm(days=body.days, at=deps.clock.now())

        return await run(request, caller, key, order_id, expected, command)

    @router.post(
        "/{order_id}/rating",
        summary="Rate a completed order (description, service, shipping speed: 1-5, once)",
        response_model=CommandOutcome,
        responses=COMMAND_PROBLEMS,
    )
    async def rate(
        order_id: str,
        body: RatingBody,
        request: Request,
        caller: BuyerOnly,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        rating = RateOrder(
            body.description_score, body.service_score, body.shipping_speed_score, body.comment
        )
        return await run(request, caller, key, order_id, expected, lambda _s, _p: rating)

    return router


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
