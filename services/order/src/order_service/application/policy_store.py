"""Per-shop time policies of the order service, stored by `eventing.shop_policies`.

`OrderShopPolicy` is the stored and wire form (ISO 8601 durations); the application hands the
domain its `ShopPolicy`. Shops that never set a policy get the defaults from settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.shop_policies import ShopPolicies
from order_service.domain.policy import ShopPolicy
from order_service.settings import OrderSettings

_POSITIVE = timedelta(0)


class OrderShopPolicy(BaseModel):
    """A shop's time policy for orders (ISO 8601 durations such as `PT15M`, `P3D`, or seconds)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "payment_window": "PT72H",
                    "balance_reminder_lead": "PT24H",
                    "receipt_window_physical": "P10D",
                    "receipt_window_virtual": "P3D",
                    "forfeit_deposit_on_missed_balance": True,
                }
            ]
        },
    )

    payment_window: timedelta = Field(
        gt=_POSITIVE, description="Unpaid orders close automatically after this."
    )
    balance_reminder_lead: timedelta = Field(
        gt=_POSITIVE, description="Presale: remind the buyer this long before the balance is due."
    )
    receipt_window_physical: timedelta = Field(
        gt=_POSITIVE, description="Receipt confirms itself this long after shipment (parcels)."
    )
    receipt_window_virtual: timedelta = Field(
        gt=_POSITIVE, description="The same for virtual goods."
    )
    forfeit_deposit_on_missed_balance: bool = Field(
        description="Presale: the deposit is kept when the balance is not paid in time."
    )

    def domain(self) -> ShopPolicy:
        return ShopPolicy(
            payment_window=self.payment_window,
            balance_reminder_lead=self.balance_reminder_lead,
            receipt_window_physical=self.receipt_window_physical,
            receipt_window_virtual=self.receipt_window_virtual,
            forfeit_deposit_on_missed_balance=self.forfeit_deposit_on_missed_balance,
        )


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """A shop's policy as the domain uses it, and its version (0: the defaults)."""

    policy: ShopPolicy
    version: int


def default_policy(settings: OrderSettings) -> OrderShopPolicy:
    return OrderShopPolicy(
        payment_window=settings.default_payment_window,
        balance_reminder_lead=settings.default_balance_reminder_lead,
        receipt_window_physical=settings.default_receipt_window_physical,
        receipt_window_virtual=settings.default_receipt_window_virtual,
        forfeit_deposit_on_missed_balance=settings.default_forfeit_deposit,
    )


class PolicyStore:
    """The shops' policies in domain form, read inside the caller's transaction."""

    def __init__(self, defaults: OrderShopPolicy) -> None:
        self.stored = ShopPolicies(defaults)
        self.defaults = defaults.domain()

    async def get(self, connection: AsyncConnection, shop_id: str) -> StoredPolicy:
        found = await self.stored.get(connection, shop_id)
        return StoredPolicy(found.policy.domain(), found.version)
