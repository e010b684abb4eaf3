"""The aftersales read models (refund cases, complaints): `PROJECTIONS`, which the manifest
projects inline (in each appending transaction) and orderctl rebuilds and verifies by name."""

from __future__ import annotations

from aftersales_service.projections.complaints import COMPLAINTS
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
        # A case is in the queues once its command commits (docs/architecture.md, "Read
        # models projected inline"); the former group `aftersales.read-model` is gone.
        inline=True,
    ),
    Projection(
        name="complaints",
        description="Complaints by buyer, shop and deadline; the platform's escalated queue; "
        "per-shop complaint figures.",
        tables=COMPLAINTS,
        topics=(Service.AFTERSALES,),
        inline=True,
    ),
)
