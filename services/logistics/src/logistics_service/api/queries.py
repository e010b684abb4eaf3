"""Read endpoints: one shipment, its tracking, the queues, carrier and shop figures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.logistics import ShipDeadline
from contracts.sealing import ErasedValue
from contracts.values import Money, Receiver, SkuQuantity, Waybill
from eventing.http.access import (
    Parties,
    may_see,
    sees_personal_data,
    shop_scope,
)
from eventing.http.access_audit import Audit, Shown
from eventing.http.auth import Caller, CurrentCaller
from eventing.http.freshness import MinVersion, wait_for_version
from eventing.http.pagination import Page, PageCursor, PageLimit, decode_cursor, page_of
from eventing.http.paths import OrderId, ShopId
from eventing.http.problems import problem_responses
from logistics_service.api.context import Kit, LogisticsKit, Staff, shipment_not_found
from logistics_service.api.models import (
    CarrierFigures,
    CarrierStats,
    ExceptionView,
    ShipmentSummary,
    ShipmentView,
    ShopStats,
    TrackedCheckpointView,
    TrackingView,
)
from logistics_service.api.receivers import shown_receiver_of
from logistics_service.api.signers import shown_signer_of
from logistics_service.domain.state import ShipmentStatus
from logistics_service.projections import queries
from logistics_service.projections.queries import Queue

T = TypeVar("T")


router = APIRouter(prefix="/v1", tags=["shipments"])


async def _read(kit: LogisticsKit, query: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async with kit.engine.connect() as connection:
        return await query(connection)


async def _readable_row(
    kit: LogisticsKit, order_id: str, caller: Caller, min_version: int | None
) -> Row[Any]:
    """The shipment row once it shows `min_version`; 404 when absent or not the caller's."""
    row = await wait_for_version(
        lambda: _read(kit, lambda c: queries.shipment(c, order_id)),
        lambda found: int(found.version),
        min_version,
    )
    if row is None or not may_see(caller, Parties(row.buyer_id, row.shop_id)):
        raise shipment_not_found(order_id)
    return row


@router.get(
    "/shipments/{order_id}",
    summary="Get a shipment (receiver masked unless you ship or own the order)",
    response_model=ShipmentView,
    responses=problem_responses(401, 404, 409, 503),
)
async def get_shipment(
    order_id: OrderId,
    caller: CurrentCaller,
    kit: Kit,
    audit: Audit,
    min_version: MinVersion = None,
) -> ShipmentView:
    """The shipment of an order from the logistics read model, with its status and ship-by
    deadline. The receiver is masked unless the caller ships the order (its seller) or owns it
    (its buyer)."""
    row = await _readable_row(kit, order_id, caller, min_version)
    parties = Parties(row.buyer_id, row.shop_id)
    full = sees_personal_data(caller, parties)
    raised = await _read(kit, lambda c: queries.exceptions(c, order_id))
    receiver = await shown_receiver_of(kit, row.receiver, full)
    signer = await shown_signer_of(kit, row.signed_by, full)
    view = _view(row, raised, receiver, signer, kit.runtime.clock.now())
    await audit.record(Shown(order_id, parties, view))
    return view


@router.get(
    "/shipments/{order_id}/tracking",
    summary="Get a shipment's tracking history",
    response_model=TrackingView,
    responses=problem_responses(401, 404, 409),
)
async def get_tracking(
    order_id: OrderId, caller: CurrentCaller, kit: Kit, min_version: MinVersion = None
) -> TrackingView:
    """Every tracking update of an order's shipment, oldest first, as the carriers' feed reported
    them."""
    row = await _readable_row(kit, order_id, caller, min_version)
    scans = await _read(kit, lambda c: queries.tracking(c, order_id))
    return TrackingView(
        order_id=order_id,
        current_status=row.tracking_status,
        checkpoints=[
            TrackedCheckpointView(
                waybill=Waybill(carrier=s.carrier, tracking_number=s.tracking_number),
                occurred_at=s.occurred_at,
                status=s.status,
                location=s.location,
                description=s.description,
            )
            for s in scans
        ],
        version=row.version,
    )


@router.get(
    "/shipments",
    summary="List a queue: awaiting dispatch, overdue, open exceptions",
    response_model=Page[ShipmentSummary],
    responses=problem_responses(400, 401, 403),
)
async def list_queue(
    caller: Staff,
    kit: Kit,
    queue: Annotated[Queue, Query(description="Which work list.")],
    shop_id: Annotated[str | None, Query(description="Only this shop's shipments.")] = None,
    cursor: PageCursor = None,
    limit: PageLimit = 50,
) -> Page[ShipmentSummary]:
    """Awaiting dispatch and overdue are sorted by ship-by deadline, most urgent first.
    A seller sees their own shop only."""
    scope = shop_scope(caller, shop_id)
    after = decode_cursor(cursor, required=("id",)) if cursor else None
    now = kit.runtime.clock.now()
    rows = await _read(
        kit, lambda c: queries.queue(c, queue, now=now, shop_id=scope, after=after, limit=limit)
    )
    return page_of(rows, limit, lambda row: _summary(row, now), _position)


@router.get(
    "/stats/carriers",
    summary="Shipping figures per carrier",
    response_model=CarrierStats,
    responses=problem_responses(401, 403),
)
async def carrier_stats(
    caller: Staff,
    kit: Kit,
    shop_id: Annotated[str | None, Query(description="Only this shop's shipments.")] = None,
) -> CarrierStats:
    """Share shipped on target (24 h) and within the limit (48 h), exception rate, counts."""
    scope = shop_scope(caller, shop_id)
    now = kit.runtime.clock.now()
    rows = await _read(kit, lambda c: queries.carrier_figures(c, now=now, shop_id=scope))
    return CarrierStats(carriers=[CarrierFigures.model_validate(r._asdict()) for r in rows])


@router.get(
    "/stats/shops/{shop_id}",
    summary="Shipping figures of one shop",
    response_model=ShopStats,
    responses=problem_responses(401, 403),
)
async def shop_stats(caller: Staff, kit: Kit, shop_id: ShopId) -> ShopStats:
    """A shop's shipping figures from the logistics read model (dispatch against the ship-by
    SLA, deliveries, exceptions); a seller sees only their own shop."""
    scope = shop_scope(caller, shop_id)
    assert scope is not None  # the path names the shop
    now = kit.runtime.clock.now()
    row = await _read(kit, lambda c: queries.shop_figures(c, now=now, shop_id=scope))
    return ShopStats(shop_id=scope, **row._asdict())


def _position(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "ship_by": row.ship_by.isoformat() if row.ship_by else None}


def _waybill(row: Row[Any]) -> Waybill | None:
    if row.carrier is None:
        return None
    return Waybill(carrier=row.carrier, tracking_number=row.tracking_number)


def _summary(row: Row[Any], now: Any) -> ShipmentSummary:
    return ShipmentSummary(
        order_id=row.order_id,
        shop_id=row.shop_id,
        status=row.status,
        ship_by=row.ship_by,
        ship_limit=row.ship_limit,
        overdue=row.status == ShipmentStatus.AWAITING_DISPATCH.value
        and row.ship_by is not None
        and row.ship_by <= now,
        waybill=_waybill(row),
        tracking_status=row.tracking_status,
        open_exceptions=row.open_exceptions,
        version=row.version,
    )


def _view(
    row: Row[Any],
    raised: list[Row[Any]],
    receiver: Receiver | ErasedValue | None,
    signer: str | ErasedValue | None,
    now: Any,
) -> ShipmentView:
    missed = {ShipDeadline.TARGET: row.target_missed, ShipDeadline.LIMIT: row.limit_missed}
    return ShipmentView(
        **_summary(row, now).model_dump(),
        shipment_id=row.shipment_id,
        items=[SkuQuantity.model_validate(item) for item in row.items],
        receiver=receiver,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        signed_by=signer,
        last_checkpoint_at=row.last_checkpoint_at,
        missed_deadlines={which: at for which, at in missed.items() if at is not None},
        cancel_reason=row.cancel_reason,
        exceptions=[
            ExceptionView(
                exception_id=e.exception_id,
                kind=e.kind,
                description=e.description,
                opened_at=e.opened_at,
                resolution=e.resolution,
                resolved_at=e.resolved_at,
                new_waybill=Waybill.model_validate(e.new_waybill) if e.new_waybill else None,
                claim_amount=Money.model_validate(e.claim_amount) if e.claim_amount else None,
                note=e.note,
            )
            for e in raised
        ],
    )
