"""The aftersales read models: `PROJECTIONS`, which the manifest runs live and orderctl
rebuilds and verifies by name."""

from __future__ import annotations

from aftersales_service.projections.projector import REFUND_CASES
from contracts.parties import Service
from eventing.projections import Projection

PROJECTIONS: tuple[Projection, ...] = (
    Projection(
        name="refund-cases",
        description="Refund cases by order, shop, status and deadline; dispute queue; "
        "per-shop refund figures.",
        tables=REFUND_CASES,
        topics=(Service.AFTERSALES,),
        subscription="read-model",  # the deployed consumer group `aftersales.read-model`
    ),
)
