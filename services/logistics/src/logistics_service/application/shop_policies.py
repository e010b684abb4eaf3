"""Per-shop ship-by policy: the target and limit after payment, with defaults from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.aggregate import VersionMismatch
from logistics_service.domain.policy import ShippingWindow
from logistics_service.projections.tables import shop_policies


@dataclass(frozen=True, slots=True)
class ShopShippingPolicy:
    """A shop's ship-by window; `version` 0 means the shop runs on the defaults."""

    shop_id: str
    window: ShippingWindow
    version: int
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def is_default(self) -> bool:
        return self.version == 0


class ShopPolicies:
    """Reads and sets shop policies; shops that never set one get `defaults`."""

    def __init__(self, defaults: ShippingWindow) -> None:
        self.defaults = defaults

    async def get(self, shop_id: str, *, connection: AsyncConnection) -> ShopShippingPolicy:
        row = (
            await connection.execute(
                select(shop_policies).where(shop_policies.c.shop_id == shop_id)
            )
        ).first()
        if row is None:
            return ShopShippingPolicy(shop_id, self.defaults, 0)
        window = ShippingWindow(
            target=timedelta(seconds=row.ship_by_target_seconds),
            limit=timedelta(seconds=row.ship_by_limit_seconds),
        )
        return ShopShippingPolicy(shop_id, window, row.version, row.updated_at, row.updated_by)

    async def put(
        self,
        shop_id: str,
        window: ShippingWindow,
        *,
        by: str,
        at: datetime,
        expected_version: int | None,
        connection: AsyncConnection,
    ) -> ShopShippingPolicy:
        """Replace the shop's policy; `expected_version` (If-Match) guards against lost updates."""
        current = await self.get(shop_id, connection=connection)
        if expected_version is not None and expected_version != current.version:
            raise VersionMismatch(f"shop policy {shop_id}", expected_version, current.version)
        version = current.version + 1
        values = {
            "ship_by_target_seconds": int(window.target.total_seconds()),
            "ship_by_limit_seconds": int(window.limit.total_seconds()),
            "version": version,
            "updated_at": at,
            "updated_by": by,
        }
        statement = insert(shop_policies).values(shop_id=shop_id, **values)
        # The WHERE makes a concurrent writer that read the same version update nothing.
        result = await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[shop_policies.c.shop_id],
                set_=values,
                where=shop_policies.c.version == current.version,
            )
        )
        if result.rowcount == 0:
            raise VersionMismatch(f"shop policy {shop_id}", current.version, current.version + 1)
        return ShopShippingPolicy(shop_id, window, version, at, by)
