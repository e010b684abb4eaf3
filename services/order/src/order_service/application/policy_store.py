"""Per-shop policies in the `shop_policies` table, with the service defaults for other shops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from order_service.application.tables import shop_policies
from order_service.domain.policy import ShopPolicy
from order_service.settings import OrderSettings


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """A shop's policy and the version of its row (0: the shop uses the defaults)."""

    policy: ShopPolicy
    version: int


def default_policy(settings: OrderSettings) -> ShopPolicy:
    return ShopPolicy(
        payment_window=settings.default_payment_window,
        balance_reminder_lead=settings.default_balance_reminder_lead,
        receipt_window_physical=settings.default_receipt_window_physical,
        receipt_window_virtual=settings.default_receipt_window_virtual,
        forfeit_deposit_on_missed_balance=settings.default_forfeit_deposit,
    )


class PolicyStore:
    """Reads and writes shop policies inside the caller's transaction."""

    def __init__(self, defaults: ShopPolicy) -> None:
        self.defaults = defaults

    async def get(self, connection: AsyncConnection, shop_id: str) -> StoredPolicy:
        row = (
            await connection.execute(
                select(shop_policies).where(shop_policies.c.shop_id == shop_id)
            )
        ).first()
        if row is None:
            return StoredPolicy(self.defaults, 0)
        policy = ShopPolicy(
            payment_window=timedelta(seconds=row.payment_window_seconds),
            balance_reminder_lead=timedelta(seconds=row.balance_reminder_lead_seconds),
            receipt_window_physical=timedelta(seconds=row.receipt_window_physical_seconds),
            receipt_window_virtual=timedelta(seconds=row.receipt_window_virtual_seconds),
            forfeit_deposit_on_missed_balance=row.forfeit_deposit_on_missed_balance,
        )
        return StoredPolicy(policy, row.version)

    async def put(
        self, connection: AsyncConnection, shop_id: str, policy: ShopPolicy, at: datetime
    ) -> int:
        """Store the shop's whole policy; the row's new version."""
        values = {
            "payment_window_seconds": int(policy.payment_window.total_seconds()),
            "balance_reminder_lead_seconds": int(policy.balance_reminder_lead.total_seconds()),
            "receipt_window_physical_seconds": int(policy.receipt_window_physical.total_seconds()),
            "receipt_window_virtual_seconds": int(policy.receipt_window_virtual.total_seconds()),
            "forfeit_deposit_on_missed_balance": policy.forfeit_deposit_on_missed_balance,
            "updated_at": at,
        }
        statement = insert(shop_policies).values(shop_id=shop_id, version=1, **values)
        upsert = statement.on_conflict_do_update(
            index_elements=["shop_id"],
            set_={**values, "version": shop_policies.c.version + 1},
        ).returning(shop_policies.c.version)
        version: int = (await connection.execute(upsert)).scalar_one()
        return version
