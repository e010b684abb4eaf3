"""The `complaints` block of the shop and platform figures (issue 21): the handbooks' 投诉率
beside the refund rate, over the complaints filed in the period."""

from __future__ import annotations

from pydantic import BaseModel, Field

from contracts.events.aftersales import ComplaintResponsibility
from order_service.projections.complaint_figures import ComplaintTotals


class ComplaintFigures(BaseModel):
    """Complaints filed in the period (aftersales.complaint_filed by filed_at) and what became of
    them so far."""

    filed: int = Field(ge=0, description="Complaints filed in the period.")
    rate: float | None = Field(
        ge=0, description="Complaint rate: filed / orders first paid in the period, not rounded; "
        "null when none was paid.",
    )  # fmt: skip
    resolved_within_deadline: int = Field(
        ge=0, description="Of those, closed without the platform (the shop accepted and replied "
        "before its deadlines, and the buyer was satisfied or stayed silent).",
    )  # fmt: skip
    resolved_within_deadline_share: float | None = Field(
        ge=0, le=1, description="resolved_within_deadline / filed; null when none was filed."
    )
    escalated: int = Field(ge=0, description="Of those, taken over by the platform.")
    escalated_share: float | None = Field(
        ge=0, le=1, description="escalated / filed; null when none was filed."
    )
    responsibility: dict[ComplaintResponsibility, int] = Field(
        description="Of those, by the responsibility found (the shop's analysis, or the "
        "platform's ruling): seller, buyer, carrier, platform (0 when none)."
    )

    @classmethod
    def of(cls, totals: ComplaintTotals, paid: int) -> ComplaintFigures:
        def share(part: int, whole: int) -> float | None:
            return part / whole if whole else None

        return cls(
            filed=totals.filed, rate=share(totals.filed, paid),
            resolved_within_deadline=totals.resolved_within_deadline,
            resolved_within_deadline_share=share(totals.resolved_within_deadline, totals.filed),
            escalated=totals.escalated, escalated_share=share(totals.escalated, totals.filed),
            responsibility={party: totals.responsibility.get(party.value, 0)
                            for party in ComplaintResponsibility},
        )  # fmt: skip
