"""The shop's ship-by window: how long after payment a parcel should and must leave.

Durations are a per-shop policy (defaults 24 h target, 48 h limit); the application reads them
and passes them in, so the domain holds no constant time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics_service.domain.errors import InvalidShippingWindow


@dataclass(frozen=True, slots=True)
class ShippingWindow:
    """Ship within `target` of payment; never later than `limit` (limit ≥ target > 0)."""

    target: timedelta
    limit: timedelta

    def __post_init__(self) -> None:
        if self.target <= timedelta(0):
            raise InvalidShippingWindow(
                "the ship-by target must be a positive duration", target=str(self.target)
            )
        if self.limit < self.target:
            raise InvalidShippingWindow(
                "the ship-by limit cannot come before the target",
                target=str(self.target),
                limit=str(self.limit),
            )

    def ship_by(self, paid_at: datetime) -> datetime:
        return paid_at + self.target

    def ship_limit(self, paid_at: datetime) -> datetime:
        return paid_at + self.limit
