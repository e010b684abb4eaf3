"""Settings of the aftersales service: the shared ones plus the default shop after-sales policy
(refund cases and complaints).

Durations are ISO 8601 (`PT24H`, `P5D`) or seconds; each is the default for shops that have
not set their own policy with `PUT /v1/shops/{shop_id}/policy`.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from eventing.settings import ServiceSettings


class AftersalesSettings(ServiceSettings):
    """Environment of one aftersales process (see docs/services/aftersales.md)."""

    refund_answer_before_shipment: timedelta = Field(
        default=timedelta(hours=24),
        description="Seller's time to answer a request for goods not shipped yet.",
    )
    refund_answer_not_received: timedelta = Field(
        default=timedelta(hours=36),
        description="Seller's time to answer when the goods shipped but never arrived.",
    )
    refund_answer_after_receipt: timedelta = Field(
        default=timedelta(days=5), description="Seller's time to answer once the buyer has them."
    )
    refund_return_ship_window: timedelta = Field(
        default=timedelta(days=7), description="Buyer's time to ship goods back after approval."
    )
    refund_return_confirm_window: timedelta = Field(
        default=timedelta(days=10),
        description="Seller's time to confirm a returned parcel before it is refunded anyway.",
    )
    refund_appeal_window: timedelta = Field(
        default=timedelta(days=5),
        description="Buyer's time to amend or escalate after a rejection before the case closes.",
    )
    refund_evidence_window: timedelta = Field(
        default=timedelta(days=3), description="Time both sides have to submit dispute evidence."
    )
    # Complaints (DOMAIN.md "Complaints"): the handbooks ask the shop to take a complaint on
    # promptly (及时接收), as it answers a refund, and to settle and report back within days.
    complaint_accept_window: timedelta = Field(
        default=timedelta(hours=24),
        description="Shop's time to accept a complaint before it escalates to the platform.",
    )
    complaint_reply_window: timedelta = Field(
        default=timedelta(days=3),
        description="Shop's time from accepting a complaint to replying with its remedy.",
    )
    complaint_follow_up_window: timedelta = Field(
        default=timedelta(days=7),
        description="Buyer's time to follow up on the reply before the complaint closes.",
    )
