"""Settings of the logistics service: the shared ones plus the default ship-by policy.

Durations are ISO 8601 (`PT24H`, `P2D`) or seconds; each is the default for shops that have
not set their own policy with `PUT /v1/shops/{shop_id}/policy`.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from eventing.settings import ServiceSettings


class LogisticsSettings(ServiceSettings):
    """Environment of one logistics process (see docs/services/logistics.md)."""

    ship_by_target: timedelta = Field(
        default=timedelta(hours=24),
        description="Default ship-by target: a paid order should leave within this time.",
    )
    ship_by_limit: timedelta = Field(
        default=timedelta(hours=48),
        description="Default ship-by limit: a paid order must never leave later than this.",
    )
    checkpoint_batch_max: int = Field(
        default=500, ge=1, description="Most checkpoints one carrier-feed batch may carry."
    )
