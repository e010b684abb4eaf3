"""A shop's after-sales time limits (refund cases and complaints), as values passed into
commands (never constants here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from contracts.events.aftersales import GoodsStatus
from contracts.values import Address


@dataclass(frozen=True, slots=True)
class ComplaintPolicy:
    """How long the shop has at each step of a complaint, and the buyer to follow up."""

    accept_window: timedelta  # the shop accepts a filed complaint, else it escalates
    reply_window: timedelta  # from acceptance: analyse, handle and reply, else it escalates
    follow_up_window: timedelta  # the buyer says whether the reply settled it, else it closes


@dataclass(frozen=True, slots=True)
class RefundPolicy:
    """How long each side has at each step of a case, and where returns go."""

    answer_before_shipment: timedelta  # seller's answer when the goods have not shipped
    answer_not_received: timedelta  # shipped, but the goods never reached the buyer
    answer_after_receipt: timedelta  # the buyer has the goods
    return_ship_window: timedelta  # buyer ships the goods back after approval
    return_confirm_window: timedelta  # seller confirms the returned goods arrived
    appeal_window: timedelta  # buyer amends or escalates after a rejection
    evidence_window: timedelta  # both sides submit evidence in a dispute
    complaints: ComplaintPolicy
    return_address: Address | None = None  # used when the seller does not name one

    def answer_window(self, goods_status: GoodsStatus) -> timedelta:
        """The seller's time to answer, by where the goods are (DOMAIN.md section 6)."""
        if goods_status is GoodsStatus.NOT_SHIPPED:
            return self.answer_before_shipment
        if goods_status is GoodsStatus.NOT_RECEIVED:
            return self.answer_not_received
        return self.answer_after_receipt
