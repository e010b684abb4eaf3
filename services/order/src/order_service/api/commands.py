"""The order's command routes (place, pay, change address, cancel, confirm, extend, rate), each
through `ServiceKit.run_command`: Idempotency-Key, If-Match, the new version as ETag."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts.events.base import OrderEvent
from contracts.events.order import OrderChannel, StockRejected
from eventing.aggregate import Decision
from eventing.http.access import forbidden
from eventing.http.auth import Caller, Role
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.endpoints import recorded_types
from eventing.http.paths import OrderId
from eventing.http.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, ProblemError
from eventing.reported_time import plausible, stream_began
from eventing.service import StreamOf
from order_service.api.context import (
    COMMAND_PROBLEMS,
    AddressEditor,
    Buyer,
    BuyerOnly,
    Kit,
    Payer,
    Placer,
    ShopOrBuyer,
)
from order_service.api.models import (
    AddressChangeBody,
    CancellationBody,
    ExtensionBody,
    OrderCommandOutcome,
    PaymentBody,
    PlaceOrderBody,
    RatingBody,
)
from order_service.application.commands import OrderCommandSource, OrderGiven, placement_facts
from order_service.application.data_keys import custodian_of
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
from order_service.domain.state import OrderState
from order_service.domain.status import platform_status, timeout_at

router = APIRouter(prefix="/v1/orders", tags=["order commands"])

OrderDecision = Decision[OrderState, OrderEvent]

CHANNELS = {
    Role.BUYER: OrderChannel.BUYER,
    Role.SELLER: OrderChannel.CUSTOMER_SERVICE,
    Role.PLATFORM: OrderChannel.CUSTOMER_SERVICE,
    Role.SYSTEM: OrderChannel.SYSTEM,
}


@router.post(
    "",
    status_code=201,
    summary="Place an order (validates it and reserves its stock)",
    description="201 with Location and ETag when accepted. When some SKUs lack stock or "
    "exceed the buyer's purchase limit, the attempt is recorded (`order.stock_rejected`), "
    "the order does not exist, and the answer is 409 `insufficient-stock` naming them.",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def place_order(
    body: PlaceOrderBody, request: Request, caller: Placer, key: IdempotencyKey, kit: Kit
) -> JSONResponse:
    buyer_id = _buyer_of(caller, body)
    order_id = str(uuid.uuid4())
    custodian = custodian_of(kit.personal_data.keys)

    async def command(given: OrderGiven) -> OrderCommand:
        skus = [item.sku for item in body.items]
        facts = await placement_facts(given, body.shop_id, buyer_id, skus)
        key = await custodian.buyer_key(given.connection, buyer_id, order_id, given.now)
        return PlaceOrder(
            order_id=order_id,
            shop_id=body.shop_id,
            buyer_id=buyer_id,
            channel=CHANNELS[caller.role],
            placed_by=caller.actor,
            goods_kind=body.goods_kind,
            lines=tuple(item.line() for item in body.items),
            receiver=body.receiver.details(),
            sealer=key.sealer(),
            shipping_fee=body.shipping_fee,
            discount=body.discount,
            at=given.now,
            payment_window=given.policy.payment_window,
            stock=facts.stock,
            purchased_by_buyer=facts.purchased_by_buyer,
            expected_payable=body.payable,
            presale=body.presale.request() if body.presale else None,
            buyer_note=body.buyer_note,
        )

    def answer(decision: OrderDecision) -> CommandResult:
        rejected = [event for event in decision.events if isinstance(event, StockRejected)]
        if rejected:
            problem = _stock_problem(rejected[0], request)
            return CommandResult(problem, 409, decision.version, media_type=PROBLEM_MEDIA_TYPE)
        location = f"/v1/orders/{order_id}"
        return CommandResult(command_outcome(decision), 201, decision.version, location)

    # A new order's stream names no shop yet: the body's shop's policy applies.
    return await kit.run_command(
        request, caller, key, order_id, command, answer, shop_id=body.shop_id, creates=True
    )


@router.post(
    "/{order_id}/payments",
    summary="Record a payment attempt (full, presale deposit or balance; failed ones too)",
    description="A successful payment is recorded by the payment provider's integration "
    "(`system`) or the platform; a buyer may report a failed attempt only (403 otherwise). "
    "`paid_at` must lie between the order's placement and 5 minutes after the service's clock "
    "(422 `implausible-time`). A second successful payment for a stage already paid is "
    "recorded as a duplicate (`order.duplicate_payment_detected`) with its surplus due back.",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def record_payment(
    order_id: OrderId,
    body: PaymentBody,
    request: Request,
    caller: Payer,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    if body.outcome == "succeeded" and caller.role is Role.BUYER:
        raise forbidden("a successful payment is confirmed by the payment provider, not the buyer")

    async def command(given: OrderGiven) -> OrderCommand:
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
            paid_at=await _paid_at(given, body),
        )

    return await run_on_order(kit, request, caller, key, order_id, expected, command)


@router.post(
    "/{order_id}/address",
    summary="Change the receiver (until the order ships)",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def change_address(
    order_id: OrderId,
    body: AddressChangeBody,
    request: Request,
    caller: AddressEditor,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    """Replace the order's receiver before the order ships; the new receiver is sealed in the event
    (`order.address_changed`). Send If-Match with the order's ETag to refuse a change based on a
    stale read (412)."""
    custodian = custodian_of(kit.personal_data.keys)

    async def change(given: OrderGiven) -> OrderCommand:
        buyer_id = given.state.buyer_id
        data_key = await custodian.buyer_key(given.connection, buyer_id, order_id, given.now)
        return ChangeAddress(receiver=body.receiver.details(), sealer=data_key.sealer())

    return await run_on_order(kit, request, caller, key, order_id, expected, change)


@router.post(
    "/{order_id}/cancellation",
    summary="Cancel the order (until it ships); releases its stock, owes back what was paid",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def cancel(
    order_id: OrderId,
    body: CancellationBody,
    request: Request,
    caller: ShopOrBuyer,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    """Cancel an order that has not shipped: its reserved stock is released and whatever the buyer
    paid is owed back (`order.cancelled`). A shipped order answers 409 `order-shipped`; after-
    sales handles it from there."""
    cancellation = CancelOrder(reason=body.reason, note=body.note)
    return await run_on_order(kit, request, caller, key, order_id, expected, cancellation)


@router.post(
    "/{order_id}/receipt-confirmation",
    summary="Confirm receipt of the goods; the trade completes",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def confirm_receipt(
    order_id: OrderId,
    request: Request,
    caller: Buyer,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    """The buyer confirms the goods arrived and the trade completes (`order.receipt_confirmed`);
    an unconfirmed order is confirmed by itself when its receipt window ends."""

    def command(given: OrderGiven) -> OrderCommand:
        return ConfirmReceipt(at=given.now)

    return await run_on_order(kit, request, caller, key, order_id, expected, command)


@router.post(
    "/{order_id}/auto-confirm-extension",
    summary="Extend automatic receipt confirmation once, by a day count the shop allows",
    description="The allowed day counts are the shop policy's `auto_confirm_extension_days` "
    "(by default 3, 5, 7 or 10); another count is refused with 422.",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def extend_auto_confirm(
    order_id: OrderId,
    body: ExtensionBody,
    request: Request,
    caller: BuyerOnly,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    def command(given: OrderGiven) -> OrderCommand:
        allowed = given.policy.auto_confirm_extension_days
        return ExtendAutoConfirm(days=body.days, at=given.now, allowed_days=allowed)

    return await run_on_order(kit, request, caller, key, order_id, expected, command)


@router.post(
    "/{order_id}/rating",
    summary="Rate a completed order (description, service, shipping speed: 1-5, once)",
    response_model=OrderCommandOutcome,
    responses=COMMAND_PROBLEMS,
)
async def rate(
    order_id: OrderId,
    body: RatingBody,
    request: Request,
    caller: BuyerOnly,
    key: IdempotencyKey,
    expected: IfMatch,
    kit: Kit,
) -> JSONResponse:
    """The buyer rates a completed order once, three scores from 1 to 5 (description, service,
    shipping speed); a second rating answers 409. The seller may answer it within the shop's
    `rating_answer_window`, the buyer add one follow-up comment within `rating_append_window`;
    a score at or under `rating_follow_up_max_score` opens a follow-up task in the shop's queue
    (`order.rating_follow_up_opened`), due within `rating_follow_up_due`."""

    def rating(given: OrderGiven) -> OrderCommand:
        return RateOrder(
            description_score=body.description_score,
            service_score=body.service_score,
            shipping_speed_score=body.shipping_speed_score,
            at=given.now,
            policy=given.policy.rating,
            comment=body.comment,
        )

    return await run_on_order(kit, request, caller, key, order_id, expected, rating)


async def run_on_order(
    kit: Kit,
    request: Request,
    caller: Caller,
    key: str,
    order_id: StreamOf,
    expected: int | None,
    command: OrderCommandSource,
) -> JSONResponse:
    def answer(decision: OrderDecision) -> CommandResult:
        return CommandResult(command_outcome(decision), 200, decision.version)

    return await kit.run_command(
        request, caller, key, order_id, command, answer, expected_version=expected
    )


def command_outcome(decision: OrderDecision) -> OrderCommandOutcome:
    """The answer of an accepted command: the order's status, time-out and amounts."""
    state = decision.state
    status = platform_status(state)
    money = {"currency": state.currency}
    return OrderCommandOutcome(
        order_id=state.order_id,
        version=decision.version,
        events=recorded_types(decision),
        status=state.status.value,
        platform_status=status.value if status else None,
        timeout_at=timeout_at(state),
        detail={
            "paid": {"amount": state.paid, **money},
            "refundable": {"amount": state.refundable, **money},
            "refund_due": {"amount": state.cancellation_refund_due, **money},
            "duplicate_surplus": {"amount": state.surplus, **money},
        },
    )


async def _paid_at(given: OrderGiven, body: PaymentBody) -> datetime:
    """The reported `paid_at` if plausible: not before the order's placement, not ahead of
    the clock (now when not reported)."""
    if body.paid_at is None:
        return given.now
    placed = await stream_began(given.connection, given.stream_id)
    return plausible(body.paid_at, now=given.now, not_before=placed, what="paid_at")


def _buyer_of(caller: Caller, body: PlaceOrderBody) -> str:
    """Buyers order for themselves; everyone else names the buyer (sellers for their shop)."""
    if caller.role is Role.BUYER:
        if body.buyer_id not in (None, caller.subject):
            raise forbidden("a buyer orders for themselves")
        return caller.subject
    if caller.role is Role.SELLER and caller.shop_id != body.shop_id:
        raise forbidden("sellers order for their own shop")
    if not body.buyer_id:
        raise ProblemError(
            422,
            "buyer-required",
            "The buyer is required",
            "customer service, the platform and system channels must name `buyer_id`",
        )
    return body.buyer_id


def _stock_problem(rejected: StockRejected, request: Request) -> dict[str, Any]:
    """The 409 body of a placement the stock refused (recorded, so stored as a result)."""
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
