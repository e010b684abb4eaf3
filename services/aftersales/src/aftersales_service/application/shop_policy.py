"""A shop's refund policy (agreement 10) as stored and served by `eventing.shop_policies`,
and its defaults from the settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ConfigDict, Field

from aftersales_service.domain.policy import ComplaintPolicy, RefundPolicy
from aftersales_service.settings import AftersalesSettings
from contracts.values import Address
from eventing.shop_policies import TIME_TO_ACT, ShopPolicyModel


def _duration(description: str) -> Any:
    """A party's time to act, ISO 8601 in JSON (`PT24H`), within `TIME_TO_ACT`."""
    return TIME_TO_ACT.field(description, example="PT24H")


class ShopRefundPolicy(ShopPolicyModel[RefundPolicy]):
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
    complaint_accept_window: timedelta = _duration(
        "Shop's time to accept a complaint before it escalates to the platform."
    )
    complaint_reply_window: timedelta = _duration(
        "Shop's time from accepting a complaint to replying (analysed and handled) before it "
        "escalates to the platform."
    )
    complaint_follow_up_window: timedelta = _duration(
        "Buyer's time to follow up on the shop's reply before the complaint closes as resolved."
    )
    return_address: Address | None = Field(
        default=None, description="Where returns go when the seller names no address."
    )

    def domain(self) -> RefundPolicy:
        complaints = ComplaintPolicy(
            accept_window=self.complaint_accept_window,
            reply_window=self.complaint_reply_window,
            follow_up_window=self.complaint_follow_up_window,
        )
        refunds = self.model_dump(exclude={"return_address", *_COMPLAINT_FIELDS})
        return RefundPolicy(**refunds, complaints=complaints, return_address=self.return_address)


_COMPLAINT_FIELDS = (
    "complaint_accept_window", "complaint_reply_window", "complaint_follow_up_window",
)  # fmt: skip


def default_policy(settings: AftersalesSettings) -> ShopRefundPolicy:
    return ShopRefundPolicy(
        answer_before_shipment=settings.refund_answer_before_shipment,
        answer_not_received=settings.refund_answer_not_received,
        answer_after_receipt=settings.refund_answer_after_receipt,
        return_ship_window=settings.refund_return_ship_window,
        return_confirm_window=settings.refund_return_confirm_window,
        appeal_window=settings.refund_appeal_window,
        evidence_window=settings.refund_evidence_window,
        complaint_accept_window=settings.complaint_accept_window,
        complaint_reply_window=settings.complaint_reply_window,
        complaint_follow_up_window=settings.complaint_follow_up_window,
    )
