"""The shop's ship-by policy: how long after payment a parcel should and must leave.

Stored and served by `eventing.shop_policies`; shops that never set one get the defaults from
settings.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import ConfigDict, model_validator

from eventing.shop_policies import TIME_TO_ACT, ShopPolicyModel
from logistics_service.domain.policy import ShippingWindow
from logistics_service.settings import LogisticsSettings


class ShippingPolicy(ShopPolicyModel[ShippingWindow]):
    """A shop's ship-by window (ISO 8601 durations, e.g. `PT24H`, or seconds)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={"examples": [{"ship_by_target": "PT24H", "ship_by_limit": "PT48H"}]},
    )

    ship_by_target: timedelta = TIME_TO_ACT.field(
        "Ship within this time after payment.", example="PT24H"
    )
    ship_by_limit: timedelta = TIME_TO_ACT.field(
        "Never later than this after payment.", example="PT48H"
    )

    @model_validator(mode="after")
    def _limit_not_before_target(self) -> ShippingPolicy:
        if self.ship_by_limit < self.ship_by_target:
            raise ValueError("the ship-by limit cannot come before the target")
        return self

    def domain(self) -> ShippingWindow:
        return ShippingWindow(target=self.ship_by_target, limit=self.ship_by_limit)


def default_policy(settings: LogisticsSettings) -> ShippingPolicy:
    return ShippingPolicy(
        ship_by_target=settings.ship_by_target, ship_by_limit=settings.ship_by_limit
    )
