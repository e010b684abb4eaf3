"""The waybill index: which order travels under which waybill.

Written in the same transaction as the dispatch or reshipment, so a carrier feed can find the
order of a waybill right after it was assigned, and a waybill never serves two orders.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.values import Waybill
from logistics_service.domain.errors import WaybillInUse
from logistics_service.projections.tables import waybills


class WaybillIndex:
    """Assigns waybills to orders and finds the order of a waybill."""

    async def assign(
        self, waybill: Waybill, order_id: str, at: datetime, *, connection: AsyncConnection
    ) -> None:
        """Record that `order_id` travels under `waybill`; refuse one taken by another order."""
        await connection.execute(
            insert(waybills)
            .values(
                carrier=waybill.carrier,
                tracking_number=waybill.tracking_number,
                order_id=order_id,
                assigned_at=at,
            )
            .on_conflict_do_nothing()
        )
        owner = await self.order_of(waybill, connection=connection)
        if owner != order_id:
            raise WaybillInUse(
                f"{waybill.carrier} {waybill.tracking_number} already travels with another order",
                waybill=waybill.model_dump(),
            )

    async def order_of(self, waybill: Waybill, *, connection: AsyncConnection) -> str | None:
        order_id: str | None = await connection.scalar(
            select(waybills.c.order_id).where(
                waybills.c.carrier == waybill.carrier,
                waybills.c.tracking_number == waybill.tracking_number,
            )
        )
        return order_id
