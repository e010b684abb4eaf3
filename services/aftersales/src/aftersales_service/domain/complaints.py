"""The complaints of one order, folded from their events (the rules are in `complaint_flow`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from contracts.events.aftersales import (
    ComplaintAbout,
    ComplaintAccepted,
    ComplaintAnalysed,
    ComplaintCategory,
    ComplaintClosed,
    ComplaintCloseReason,
    ComplaintEscalated,
    ComplaintEscalationReason,
    ComplaintEvent,
    ComplaintFiled,
    ComplaintFiler,
    ComplaintFollowedUp,
    ComplaintHandled,
    ComplaintRemedy,
    ComplaintReplied,
    ComplaintResponsibility,
    ComplaintRuled,
)


class ComplaintStatus(StrEnum):
    """Where a complaint stands, named in the platform's style (WAIT_<who>_<what>)."""

    WAIT_SELLER_ACCEPT = "WAIT_SELLER_ACCEPT"  # filed
    WAIT_SELLER_ANALYSE = "WAIT_SELLER_ANALYSE"  # accepted
    WAIT_SELLER_HANDLE = "WAIT_SELLER_HANDLE"  # analysed: responsibility recorded
    WAIT_SELLER_REPLY = "WAIT_SELLER_REPLY"  # handled: remedy linked
    WAIT_BUYER_FOLLOW_UP = "WAIT_BUYER_FOLLOW_UP"  # replied
    PLATFORM_INTERVENED = "PLATFORM_INTERVENED"  # escalated: the platform rules
    CLOSED = "CLOSED"  # buyer satisfied, follow-up window expired, or ruled

    @property
    def with_seller(self) -> bool:
        """The shop's turn, under the reply deadline (accepted, not replied yet)."""
        return self in _SELLER_HANDLING


_SELLER_HANDLING = frozenset(
    {
        ComplaintStatus.WAIT_SELLER_ANALYSE,
        ComplaintStatus.WAIT_SELLER_HANDLE,
        ComplaintStatus.WAIT_SELLER_REPLY,
    }
)


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint; the deadline fields are set as the flow reaches them."""

    complaint_id: str
    buyer_id: str
    filed_by: ComplaintFiler
    about: ComplaintAbout
    category: ComplaintCategory
    text: str
    attachments: tuple[str, ...]
    status: ComplaintStatus
    filed_at: datetime
    accept_due_by: datetime
    reply_due_by: datetime | None = None
    follow_up_by: datetime | None = None
    responsibility: ComplaintResponsibility | None = None
    remedy: ComplaintRemedy | None = None
    satisfied: bool | None = None
    escalation: ComplaintEscalationReason | None = None
    ruling: ComplaintRuled | None = None
    close_reason: ComplaintCloseReason | None = None

    @property
    def open(self) -> bool:
        return self.status is not ComplaintStatus.CLOSED


def filed(event: ComplaintFiled) -> Complaint:
    return Complaint(
        complaint_id=event.complaint_id, buyer_id=event.buyer_id, filed_by=event.filed_by,
        about=event.about, category=event.category, text=event.text,
        attachments=event.attachments, status=ComplaintStatus.WAIT_SELLER_ACCEPT,
        filed_at=event.filed_at, accept_due_by=event.accept_due_by,
    )  # fmt: skip


def evolve_complaint(complaint: Complaint, event: ComplaintEvent) -> Complaint:
    """The complaint after `event` (a fact: no rule is checked here)."""
    match event:
        case ComplaintAccepted():
            status = ComplaintStatus.WAIT_SELLER_ANALYSE
            return replace(complaint, status=status, reply_due_by=event.reply_due_by)
        case ComplaintAnalysed():
            status = ComplaintStatus.WAIT_SELLER_HANDLE
            return replace(complaint, status=status, responsibility=event.responsibility)
        case ComplaintHandled():
            return replace(complaint, status=ComplaintStatus.WAIT_SELLER_REPLY, remedy=event.remedy)
        case ComplaintReplied():
            status = ComplaintStatus.WAIT_BUYER_FOLLOW_UP
            return replace(complaint, status=status, follow_up_by=event.follow_up_by)
        case ComplaintFollowedUp():
            return replace(complaint, satisfied=event.satisfied)
        case ComplaintEscalated():
            status = ComplaintStatus.PLATFORM_INTERVENED
            return replace(complaint, status=status, escalation=event.reason)
        case ComplaintRuled():
            return replace(complaint, status=ComplaintStatus.CLOSED, ruling=event)
        case ComplaintClosed():
            return replace(complaint, status=ComplaintStatus.CLOSED, close_reason=event.reason)
    raise TypeError(f"not an event of an open complaint: {event!r}")
