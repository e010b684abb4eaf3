"""Command endpoints on one shipment: dispatch, checkpoint, exceptions, delivery.

Every command needs an Idempotency-Key, may carry If-Match (the shipment version from ETag),
answers the new version as ETag and refuses with problem+json.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts.events.base import LogisticsEvent
from contracts.values import Receiver
from eventing.aggregate import Decision
from eventing.handler import CommandSource, Given
from eventing.http.auth import Caller
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch
from eventing.http.endpoints import recorded_types
from eventing.http.paths import OrderId
from eventing.http.problems import problem_responses
from eventing.reported_time import plausible
from logistics_service.api.context import ExceptionId, Kit, Shippers, Trackers
from logistics_service.api.models import (
    CheckpointRequest,
    DeliveryRequest,
    DispatchRequest,
    OpenExceptionRequest,
    ResolveExceptionRequest,
    ShipmentOutcome,
)
from logistics_service.api.signers import sealed_signer
from logistics_service.domain import (
    Dispatch,
    OpenException,
    RecordCheckpoint,
    RecordDelivery,
    ResolveException,
    Shipment,
    ShipmentCommand,
    ShipmentStatus,
    ShippingWindow,
)

_REFUSALS = problem_responses(400, 401, 403, 404, 409, 412, 422)
_DISPATCH_REFUSALS = problem_responses(400, 401, 403, 404, 409, 412, 422, 503)
Command = CommandSource[ShipmentCommand, Shipment, ShippingWindow]
Now = Given[Shipment, ShippingWindow]

router = APIRouter(prefix="/v1/shipments", tags=["shipment commands"])


def _answer(
    order_id: str,
    *,
    status_code: int = 200,
    location: str | None = None,
    exception_id: str | None = None,
) -> Callable[[Decision[Shipment, LogisticsEvent]], CommandResult]:
    def answer(decision: Decision[Shipment, LogisticsEvent]) -> CommandResult:
        outcome = ShipmentOutcome(
            order_id=order_id,
            status=decision.state.status,
            version=decision.version,
            events=recorded_types(decision),
            exception_id=exception_id,
        )
        return CommandResult(
            outcome.model_dump(mode="json"),
            status_code=status_code,
            version=decision.version,
            location=location or f"/v1/shipments/{order_id}",
        )

    return answer


async def _run(
    kit: Kit,
    request: Request,
    caller: Caller,
    key: str,
    order_id: str,
    expected_version: int | None,
    command: Command,
) -> JSONResponse:
    return await kit.run_command(
        request,
        caller,
        key,
        order_id,
        command,
        _answer(order_id),
        expected_version=expected_version,
    )


@router.post(
    "/{order_id}/dispatch",
    summary="Dispatch the parcel (receiver, contents and waybill checks)",
    response_model=ShipmentOutcome,
    responses=_DISPATCH_REFUSALS,
)
async def dispatch(
    order_id: OrderId,
    body: DispatchRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Shippers,
    kit: Kit,
) -> JSONResponse:
    """Hand the parcel to the carrier. Refused: not paid yet (retryable 409
    `shipment-not-requested`), cancelled order (409 `order-cancelled`), already
    dispatched, incomplete receiver, erased buyer (409 `receiver-erased`), contents that
    differ from the order, unknown carrier or a tracking number the carrier would not issue.
    While the buyer's data key cannot be obtained: retryable 503 `personal-data-unavailable`."""

    async def command(given: Now) -> ShipmentCommand:
        # The receiver check needs the clear receiver: opened here, never stored opened, and
        # only for a shipment that may still leave (a refused dispatch needs no key).
        awaiting = given.state.status is ShipmentStatus.AWAITING_DISPATCH
        sealed = given.state.receiver if awaiting else None
        receiver = await kit.personal_data.open(sealed, Receiver)
        return Dispatch(
            waybill=body.waybill,
            items=tuple(body.items),
            shipped_at=given.now,
            receiver=receiver,
        )

    return await _run(kit, request, caller, key, order_id, expected_version, command)


@router.post(
    "/{order_id}/checkpoints",
    summary="Record one tracking checkpoint",
    response_model=ShipmentOutcome,
    responses=_REFUSALS,
)
async def record_checkpoint(
    order_id: OrderId,
    body: CheckpointRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Trackers,
    kit: Kit,
) -> JSONResponse:
    """A carrier scan. The same scan (waybill, time, status) sent again records nothing; a
    scan older than the latest joins the history without moving the current status. A
    `signed` scan of the current parcel also records the delivery. A scan dated before the
    dispatch or ahead of the clock is refused (422 `implausible-time`)."""
    command = recorded_checkpoint(body)
    return await _run(kit, request, caller, key, order_id, expected_version, command)


def recorded_checkpoint(scan: CheckpointRequest) -> Command:
    """The scan as a command, once its time is plausible for the shipment."""

    def command(given: Now) -> ShipmentCommand:
        checkpoint = scan.checkpoint.checkpoint()
        plausible(
            checkpoint.occurred_at,
            now=given.now,
            not_before=given.state.shipped_at,
            what="the checkpoint's occurred_at",
        )
        return RecordCheckpoint(scan.waybill, checkpoint)

    return command


@router.post(
    "/{order_id}/exceptions",
    summary="Open a logistics exception",
    status_code=201,
    response_model=ShipmentOutcome,
    responses=_REFUSALS,
)
async def open_exception(
    order_id: OrderId,
    body: OpenExceptionRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Trackers,
    kit: Kit,
) -> JSONResponse:
    """Delayed, lost, damaged or address problem; one open exception per kind."""
    exception_id = body.exception_id or uuid.uuid4().hex
    answer = _answer(
        order_id,
        status_code=201,
        exception_id=exception_id,
        location=f"/v1/shipments/{order_id}#exception-{exception_id}",
    )
    command = OpenException(exception_id, body.kind, body.description)
    return await kit.run_command(
        request, caller, key, order_id, command, answer, expected_version=expected_version
    )


@router.post(
    "/{order_id}/exceptions/{exception_id}/resolution",
    summary="Resolve a logistics exception (traced, claimed, reshipped, delivered)",
    response_model=ShipmentOutcome,
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
    kit: Kit,
) -> JSONResponse:
    """A claim needs its amount; a reshipment its new waybill, which becomes current."""
    command = ResolveException(
        exception_id,
        body.resolution,
        new_waybill=body.new_waybill,
        claim_amount=body.claim_amount,
        note=body.note,
    )
    return await _run(kit, request, caller, key, order_id, expected_version, command)


@router.post(
    "/{order_id}/delivery",
    summary="Record the delivery (signed for)",
    response_model=ShipmentOutcome,
    responses=_DISPATCH_REFUSALS,
)
async def record_delivery(
    order_id: OrderId,
    body: DeliveryRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: Trackers,
    kit: Kit,
) -> JSONResponse:
    """Closes every open exception as delivered. A `delivered_at` ahead of the clock (or well
    before the dispatch) is refused (422 `implausible-time`). The signer is stored sealed for
    the buyer, and dropped if the buyer was erased; while the buyer's data key cannot be
    obtained: retryable 503 `personal-data-unavailable`."""

    async def command(given: Now) -> ShipmentCommand:
        delivered_at = given.now
        if body.delivered_at is not None:
            delivered_at = plausible(
                body.delivered_at,
                now=given.now,
                not_before=given.state.shipped_at,
                what="delivered_at",
            )
        # Only a parcel on its way can be signed for: a refused delivery needs no key.
        on_its_way = given.state.status is ShipmentStatus.SHIPPED
        receiver = given.state.receiver if on_its_way else None
        signed_by = await sealed_signer(kit, receiver, body.signed_by)
        return RecordDelivery(delivered_at, signed_by=signed_by, waybill=body.waybill)

    return await _run(kit, request, caller, key, order_id, expected_version, command)
