"""Command endpoints on one shipment: dispatch, checkpoint, exceptions, delivery.

Every command needs an Idempotency-Key, may carry If-Match (the shipment version from ETag),
answers the new version as ETag and refuses with problem+json.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.http.auth import Caller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.problems import problem_responses
from logistics_service.api.context import ApiContext, Context, acting
from logistics_service.api.models import (
    CheckpointRequest,
    CommandOutcome,
    DeliveryRequest,
    DispatchRequest,
    OpenExceptionRequest,
    ResolveExceptionRequest,
)
from logistics_service.application.shipments import ShipmentDecision
from logistics_service.domain import (
    Dispatch,
    OpenException,
    RecordCheckpoint,
    RecordDelivery,
    ResolveException,
    ShipmentCommand,
)

OrderId = Annotated[str, Path(min_length=1, max_length=64, description="The order id.")]
ExceptionId = Annotated[str, Path(min_length=1, max_length=64, description="The exception id.")]

Shippers = Annotated[Caller, Depends(require_roles(Role.SELLER, Role.SYSTEM))]
Trackers = Annotated[Caller, Depends(require_roles(Role.SELLER, Role.SYSTEM, Role.PLATFORM))]

_REFUSALS = problem_responses(400, 401, 403, 404, 409, 412, 422)


def outcome(
    order_id: str, decision: ShipmentDecision, exception_id: str | None = None
) -> CommandOutcome:
    return CommandOutcome(
        order_id=order_id,
        status=decision.state.status,
        version=decision.version,
        recorded=[event.event_type for event in decision.events],
        exception_id=exception_id,
    )


router = APIRouter(prefix="/v1/shipments", tags=["shipment commands"])


async def _run(
    context: ApiContext,
    request: Request,
    key: str,
    caller: Caller,
    order_id: str,
    command: Callable[[], ShipmentCommand],
    expected_version: int | None,
    *,
    status_code: int = 200,
    location: str | None = None,
    exception_id: str | None = None,
) -> JSONResponse:
    """Run one shipment command through the idempotent command pipeline."""

    async def work(connection: AsyncConnection) -> CommandResult:
        decision = await context.shipments.execute(
            order_id,
            command(),  # built here: after the runner refreshed the clock
            acting(caller, request),
            connection=connection,
            expected_version=expected_version,
        )
        return CommandResult(
            outcome(order_id, decision, exception_id).model_dump(mode="json"),
            status_code=status_code,
            version=decision.version,
            location=location or f"/v1/shipments/{order_id}",
        )

    return await context.runtime.commands.run(request, key, caller, work)


@router.post(
    "/{order_id}/dispatch",
    summary="Dispatch the parcel (receiver, contents and waybill checks)",
    response_model=CommandOutcome,
    responses=_REFUSALS,
)
async def dispatch(
    order_id: OrderId,
    body: DispatchRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Shippers,
    context: Context,
) -> JSONResponse:
    """Hand the parcel to the carrier. Refused: not paid yet (retryable 409
    `shipment-not-requested`), cancelled order (409 `order-cancelled`), already
    dispatched, incomplete receiver, contents that differ from the order, unknown carrier
    or a tracking number the carrier would not issue."""

    def command() -> ShipmentCommand:
        now = context.runtime.clock.now()
        return Dispatch(waybill=body.waybill, items=tuple(body.items), shipped_at=now)

    return await _run(context, request, key, caller, order_id, command, expected_version)


@router.post(
    "/{order_id}/checkpoints",
    summary="Record one tracking checkpoint",
    response_model=CommandOutcome,
    responses=_REFUSALS,
)
async def record_checkpoint(
    order_id: OrderId,
    body: CheckpointRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Trackers,
    context: Context,
) -> JSONResponse:
    """A carrier scan. The same scan (waybill, time, status) sent again records nothing; a
    scan older than the latest joins the history without moving the current status. A
    `signed` scan of the current parcel also records the delivery."""

    def command() -> ShipmentCommand:
        return RecordCheckpoint(body.waybill, body.checkpoint)

    return await _run(context, request, key, caller, order_id, command, expected_version)


@router.post(
    "/{order_id}/exceptions",
    summary="Open a logistics exception",
    status_code=201,
    response_model=CommandOutcome,
    responses=_REFUSALS,
)
async def open_exception(
    order_id: OrderId,
    body: OpenExceptionRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Trackers,
    context: Context,
) -> JSONResponse:
    """Delayed, lost, damaged or address problem; one open exception per kind."""
    exception_id = body.exception_id or uuid.uuid4().hex

    def command() -> ShipmentCommand:
        return OpenException(exception_id, body.kind, body.description)

    location = f"/v1/shipments/{order_id}#exception-{exception_id}"
    return await _run(
        context,
        request,
        key,
        caller,
        order_id,
        command,
        expected_version,
        status_code=201,
        location=location,
        exception_id=exception_id,
    )


@router.post(
    "/{order_id}/exceptions/{exception_id}/resolution",
    summary="Resolve a logistics exception (traced, claimed, reshipped, delivered)",
    response_model=CommandOutcome,
    responses=_REFUSALS,
)
async def resolve_exception(
    order_id: OrderId,
    exception_id: ExceptionId,
    body: ResolveExceptionRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Trackers,
    context: Context,
) -> JSONResponse:
    """A claim needs its amount; a reshipment its new waybill, which becomes current."""

    def command() -> ShipmentCommand:
        return ResolveException(
            exception_id,
            body.resolution,
            new_waybill=body.new_waybill,
            claim_amount=body.claim_amount,
            note=body.note,
        )

    return await _run(context, request, key, caller, order_id, command, expected_version)


@router.post(
    "/{order_id}/delivery",
    summary="Record the delivery (signed for)",
    response_model=CommandOutcome,
    responses=_REFUSALS,
)
async def record_delivery(
    order_id: OrderId,
    body: DeliveryRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Trackers,
    context: Context,
) -> JSONResponse:
    """Closes every open exception as delivered."""

    def command() -> ShipmentCommand:
        delivered_at = body.delivered_at or context.runtime.clock.now()
        return RecordDelivery(delivered_at, signed_by=body.signed_by, waybill=body.waybill)

    return await _run(context, request, key, caller, order_id, command, expected_version)
