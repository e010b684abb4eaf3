"""Commands on an existing order over HTTP: pay, change address, cancel, confirm, extend, rate.

Every endpoint takes an Idempotency-Key; those on an existing order accept If-Match with the
order's version and answer with the new version as ETag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.http.auth import Caller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.problems import problem_responses
from order_service.api.access import authorizer
from order_service.api.dependencies import OrderApiDependencies, caller_metadata
from order_service.api.models import (
    AddressChangeBody,
    CancellationBody,
    CommandOutcome,
    ExtensionBody,
    PaymentBody,
    RatingBody,
)
from order_service.api.presenters import command_outcome
from order_service.domain.commands import (
    CancelOrder,
    ChangeAddress,
    ConfirmReceipt,
    ExtendAutoConfirm,
    OrderCommand,
    RateOrder,
    RecordPayment,
    RecordPaymentFailure,
)
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState

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
