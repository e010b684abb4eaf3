"""The carrier feed: many checkpoints for many waybills in one request, a result per scan.

Scans are grouped by order (through the waybill index) and each order's scans are applied in
a savepoint, so a refused scan or a lost race on one order never undoes the others. The whole
batch is idempotent twice over: by its Idempotency-Key, and per scan (a scan seen before is a
`duplicate`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.committed_events import counted_on_commit
from eventing.decider import DomainError
from eventing.handler import Acting
from eventing.http.commands import CommandResult, IdempotencyKey
from eventing.http.endpoints import request_acting
from eventing.http.problems import ProblemError, problem_responses
from eventing.store import ConcurrencyConflict
from logistics_service.api.commands import recorded_checkpoint
from logistics_service.api.context import Feeds, Kit, LogisticsKit
from logistics_service.api.models import (
    CheckpointBatchRequest,
    CheckpointBatchResult,
    CheckpointOutcome,
    CheckpointRequest,
)
from logistics_service.application.state_tables import order_of_waybill

router = APIRouter(prefix="/v1/tracking", tags=["carrier feed"])


@router.post(
    "/checkpoints:batch",
    summary="Record a batch of checkpoints from a carrier feed",
    response_model=CheckpointBatchResult,
    responses=problem_responses(400, 401, 403, 422),
)
async def record_batch(
    body: CheckpointBatchRequest,
    request: Request,
    key: IdempotencyKey,
    caller: Feeds,
    kit: Kit,
) -> JSONResponse:
    """Each scan is `recorded`, a `duplicate` of one already known, or `rejected` with a
    problem code (e.g. `waybill-unknown`, retryable: the dispatch may not be recorded
    yet). The answer is 200 whenever the batch itself was valid."""
    limit = kit.settings.checkpoint_batch_max
    if len(body.checkpoints) > limit:
        raise ProblemError(
            422, "batch-too-large", "Too many checkpoints", f"send at most {limit} per batch"
        )

    actor = request_acting(request, caller)

    async def work(connection: AsyncConnection) -> CommandResult:
        outcomes = await _record_all(kit, body.checkpoints, actor, connection)
        result = CheckpointBatchResult(
            recorded=sum(o.outcome == "recorded" for o in outcomes),
            duplicates=sum(o.outcome == "duplicate" for o in outcomes),
            rejected=sum(o.outcome == "rejected" for o in outcomes),
            results=outcomes,
        )
        return CommandResult(result.model_dump(mode="json"))

    # Several commands, one savepoint per order: each append is made as its command runs.
    return await kit.runtime.commands.run(request, key, caller, work, defer_append=False)


async def _record_all(
    kit: LogisticsKit,
    scans: list[CheckpointRequest],
    actor: Acting,
    connection: AsyncConnection,
) -> list[CheckpointOutcome]:
    outcomes: dict[int, CheckpointOutcome] = {}
    by_order: dict[str, list[tuple[int, CheckpointRequest]]] = {}
    for index, scan in enumerate(scans):
        order_id = await order_of_waybill(connection, scan.waybill)
        if order_id is None:
            outcomes[index] = CheckpointOutcome(
                index=index,
                order_id=None,
                outcome="rejected",
                code="waybill-unknown",
                detail=f"no dispatched order travels under {scan.waybill.carrier} "
                f"{scan.waybill.tracking_number} (yet)",
                retryable=True,
            )
        else:
            by_order.setdefault(order_id, []).append((index, scan))
    for order_id, order_scans in by_order.items():
        outcomes.update(await _record_for_order(kit, order_id, order_scans, actor, connection))
    return [outcomes[index] for index in range(len(scans))]


async def _record_for_order(
    kit: LogisticsKit,
    order_id: str,
    scans: list[tuple[int, CheckpointRequest]],
    actor: Acting,
    connection: AsyncConnection,
) -> dict[int, CheckpointOutcome]:
    outcomes: dict[int, CheckpointOutcome] = {}
    try:
        with counted_on_commit():  # what the savepoint's rollback undid is not counted
            async with connection.begin_nested():
                for index, scan in scans:
                    outcomes[index] = await _record_one(
                        kit, order_id, index, scan, actor, connection
                    )
    except ConcurrencyConflict as lost:
        # Another writer changed this shipment meanwhile: nothing of this order was kept.
        return {
            index: CheckpointOutcome(
                index=index,
                order_id=order_id,
                outcome="rejected",
                code="concurrency-conflict",
                detail=str(lost),
                retryable=True,
            )
            for index, _ in scans
        }
    return outcomes


async def _record_one(
    kit: LogisticsKit,
    order_id: str,
    index: int,
    scan: CheckpointRequest,
    actor: Acting,
    connection: AsyncConnection,
) -> CheckpointOutcome:
    try:
        command = recorded_checkpoint(scan)
        decision = await kit.commands.execute(connection, order_id, command, actor)
    except DomainError as refused:
        return CheckpointOutcome(
            index=index,
            order_id=order_id,
            outcome="rejected",
            code=refused.code,
            detail=refused.message,
            retryable=refused.kind.retryable,
        )
    return CheckpointOutcome(
        index=index,
        order_id=order_id,
        outcome="recorded" if decision.events else "duplicate",
        version=decision.version,
    )
