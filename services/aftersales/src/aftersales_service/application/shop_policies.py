"""Per-shop refund policies (agreement 10): stored per shop, defaults from settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.domain.policy import RefundPolicy
from aftersales_service.projections.tables import shop_policies
from aftersales_service.settings import AftersalesSettings
from contracts.values import Address


def _duration(description: str) -> Any:
    """A positive duration, ISO 8601 in JSON (`PT24H`)."""
    return Field(gt=timedelta(0), description=description, examples=["PT24H"])


class ShopRefundPolicy(BaseModel):
    """A shop's after-sales time limits (ISO 8601 durations) and its returns address."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_before_shipment: timedelta = _duration(
        "Seller's time to answer when the goods have not shipped."
    )
    answer_not_received: timedelta = _duration(
        "Seller's time to answer when the goods shipped but never arrived."
    )
    answer_after_receipt: timedelta = _duration(
        "Seller's time to answer once the buyer has the goods."
    )
    return_ship_window: timedelta = _duration("Buyer's time to ship the goods back after approval.")
    return_confirm_window: timedelta = _duration("Seller's time to confirm the returned goods.")
    appeal_window: timedelta = _duration("Buyer's time to amend or escalate after a rejection.")
    evidence_window: timedelta = _duration("Time both sides have to submit evidence in a dispute.")
    return_address: Address | None = Field(
        default=None, description="Where returns go when the seller names no address."
    )

    def to_domain(self) -> RefundPolicy:
        return RefundPolicy(**self.model_dump(exclude={"return_address"}),
                            return_address=self.return_address)  # fmt: skip


def default_policy(settings: AftersalesSettings) -> ShopRefundPolicy:
    return ShopRefundPolicy(
        answer_before_shipment=settings.refund_answer_before_shipment,
        answer_not_received=settings.refund_answer_not_received,
        answer_after_receipt=settings.refund_answer_after_receipt,
        return_ship_window=settings.refund_return_ship_window,
        return_confirm_window=settings.refund_return_confirm_window,
        appeal_window=settings.refund_appeal_window,
        evidence_window=settings.refund_evidence_window,
    )


class ShopPolicies:
    """Reads and writes `shop_policies`; a shop without a row has the settings' defaults."""

    def __init__(self, defaults: ShopRefundPolicy) -> None:
        self.defaults = defaults

    async def get(self, connection: AsyncConnection, shop_id: str) -> ShopRefundPolicy:
        stored = await connection.scalar(
            select(shop_policies.c.policy).where(shop_policies.c.shop_id == shop_id)
        )
        if stored is None:
            return self.defaults
        return ShopRefundPolicy.model_validate(stored)

    async def refund_policy(self, connection: AsyncConnection, shop_id: str) -> RefundPolicy:
        return (await self.get(connection, shop_id)).to_domain()

    async def put(
        self, connection: AsyncConnection, shop_id: str, policy: ShopRefundPolicy, by: str
    ) -> None:
        document = policy.model_dump(mode="json")
        statement = insert(shop_policies).values(shop_id=shop_id, policy=document, updated_by=by)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["shop_id"],
                set_={
                    "policy": document,
                    "updated_by": by,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
