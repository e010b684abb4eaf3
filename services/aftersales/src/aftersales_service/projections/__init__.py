"""Read models of the aftersales service (discovered by `orderctl rebuild/verify`)."""

from __future__ import annotations

from aftersales_service.projections.refund_cases import REFUND_CASES
from contracts.parties import Service
from eventing.projections import Projection

PROJECTIONS: tuple[Projection, ...] = (
    Projection(
        name="refund-cases",
        description="Refund cases by order, shop, status and deadline; dispute queue; "
        "per-shop refund figures.",
        tables=REFUND_CASES,
        topics=(Service.AFTERSALES,),
    ),
)
