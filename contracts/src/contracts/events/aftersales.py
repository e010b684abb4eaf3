"""Events of the aftersales service: refund cases, returns, time-outs, disputes and rulings;
complaints (filed, accepted, analysed, handled, replied, followed up, escalated, ruled)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, StrictBool

from contracts.events.base import AftersalesEvent
from contracts.upcasting import Upcaster
from contracts.values import (
    Address,
    ContractModel,
    Identifier,
    Money,
    SkuQuantity,
    Text,
    Uri,
    UtcDatetime,
    Waybill,
)


class RefundKind(StrEnum):
    """What the buyer asks for."""

    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"
    PARTIAL_REFUND = "partial_refund"
    RETURN_SHIPPING_FEE = "return_shipping_fee"


class RefundReason(StrEnum):
    """Why the buyer asks (`cancelled_after_shipment`: opened by the cancel-vs-ship policy)."""

    NOT_RECEIVED = "not_received"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    QUALITY_ISSUE = "quality_issue"
    MISSING_PARTS = "missing_parts"
    CHANGED_MIND = "changed_mind"
    CANCELLED_AFTER_SHIPMENT = "cancelled_after_shipment"
    OTHER = "other"


class GoodsStatus(StrEnum):
    """Where the goods are when the case is opened (BUYER_NOT_RECEIVED, BUYER_RECEIVED, ...)."""

    NOT_SHIPPED = "not_shipped"
    NOT_RECEIVED = "not_received"
    RECEIVED = "received"


class RefundRejectionReason(StrEnum):
    """Why the seller refused a refund request."""

    GOODS_ALREADY_SHIPPED = "goods_already_shipped"
    GOODS_USED_OR_DAMAGED_BY_BUYER = "goods_used_or_damaged_by_buyer"
    OUTSIDE_RETURN_POLICY = "outside_return_policy"
    AMOUNT_NOT_JUSTIFIED = "amount_not_justified"
    OTHER = "other"


class ReturnRejectionReason(StrEnum):
    """Why the seller refused goods sent back."""

    NOT_THE_GOODS_SHIPPED = "not_the_goods_shipped"
    DAMAGED_BY_BUYER = "damaged_by_buyer"
    MISSING_PARTS = "missing_parts"
    OTHER = "other"


class RefundTrigger(StrEnum):
    """What released the money; the `*_timeout` triggers are the seller's time-outs."""

    SELLER_APPROVED = "seller_approved"
    ANSWER_TIMEOUT = "answer_timeout"
    RETURN_RECEIVED = "return_received"
    RETURN_CONFIRM_TIMEOUT = "return_confirm_timeout"
    RULING = "ruling"


class RefundCloseReason(StrEnum):
    """Why a case ended without (further) money moving."""

    WITHDRAWN = "withdrawn"
    RETURN_NOT_SHIPPED = "return_not_shipped"
    APPEAL_WINDOW_EXPIRED = "appeal_window_expired"
    SHIPPED_BEFORE_ANSWER = "shipped_before_answer"
    RULED_NO_REFUND = "ruled_no_refund"


class DisputeParty(StrEnum):
    """A side of a dispute."""

    BUYER = "buyer"
    SELLER = "seller"


class RulingOutcome(StrEnum):
    """What the platform decided."""

    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    NO_REFUND = "no_refund"


class ResponsibleParty(StrEnum):
    """Who the platform held responsible (feeds the share ruled against sellers)."""

    BUYER = "buyer"
    SELLER = "seller"
    CARRIER = "carrier"
    NONE = "none"


class RefundCaseEvent(AftersalesEvent):
    """An event about one refund case of an order."""

    case_id: Identifier = Field(description="The refund case (several per order are possible).")


class RefundRequested(RefundCaseEvent):
    """The buyer (or the cancel-vs-ship policy) opened a refund case; the seller must answer."""

    event_type = "aftersales.refund_requested"
    platform_message = "refund created"

    buyer_id: Identifier = Field(description="The buyer who asks.")
    kind: RefundKind = Field(description="What is asked for.")
    reason: RefundReason = Field(description="Why.")
    description: Text | None = Field(default=None, description="The buyer's explanation.")
    amount: Money = Field(description="Amount asked (never more than paid minus refunded).")
    items: tuple[SkuQuantity, ...] = Field(
        default=(), description="Items concerned; empty when the request is for an amount only."
    )
    goods_status: GoodsStatus = Field(description="Where the goods are, as far as known.")
    answer_due_by: UtcDatetime = Field(description="Approved automatically if unanswered by then.")
    requested_at: UtcDatetime | None = Field(
        default=None,
        description=(
            "When the buyer asked (the business time a late `logistics.shipped` is compared "
            "with); absent in cases opened before after-sales recorded it."
        ),
    )


class RefundAmended(RefundCaseEvent):
    """The buyer changed the request (typically after a rejection); the seller answers anew."""

    event_type = "aftersales.refund_amended"
    platform_message = "buyer modified"

    kind: RefundKind = Field(description="What is asked for now.")
    reason: RefundReason = Field(description="Why.")
    description: Text | None = Field(default=None, description="The buyer's explanation.")
    amount: Money = Field(description="Amount asked now.")
    items: tuple[SkuQuantity, ...] = Field(default=(), description="Items concerned now.")
    answer_due_by: UtcDatetime = Field(description="Approved automatically if unanswered by then.")


class RefundGoodsStatusCorrected(RefundCaseEvent):
    """The goods had already moved on when the request was made (shipped, or delivered), but
    that fact reached after-sales later: the request is placed by business time, concerns the
    goods where they were when it was made, and is answered within that status's window counted
    from the request (a request is never closed as shipped before the answer)."""

    event_type = "aftersales.refund_goods_status_corrected"

    goods_status: GoodsStatus = Field(description="Where the goods were when the buyer asked.")
    status_since: UtcDatetime = Field(
        description="When they got there: the parcel's `shipped_at` or `delivered_at`."
    )
    answer_due_by: UtcDatetime = Field(description="Approved automatically if unanswered by then.")


class RefundApproved(RefundCaseEvent):
    """The seller agreed, or stayed silent past the deadline (`automatic`)."""

    event_type = "aftersales.refund_approved"
    platform_message = "seller agreed"

    amount: Money = Field(description="Amount agreed.")
    automatic: StrictBool = Field(description="True when the seller's answer deadline ran out.")
    return_by: UtcDatetime | None = Field(
        default=None, description="For a return: the buyer must ship the goods back by then."
    )
    return_address: Address | None = Field(
        default=None, description="For a return: the seller's returns address."
    )


class RefundRejected(RefundCaseEvent):
    """The seller refused; the buyer may amend or escalate until `appeal_by`."""

    event_type = "aftersales.refund_rejected"
    platform_message = "seller refused"

    reason: RefundRejectionReason = Field(description="Why the seller refused.")
    note: Text | None = Field(default=None, description="The seller's explanation.")
    appeal_by: UtcDatetime = Field(description="The case closes unless amended or escalated.")


class ReturnShipped(RefundCaseEvent):
    """The buyer sent the goods back; the seller must confirm receipt by `confirm_by`."""

    event_type = "aftersales.return_shipped"
    platform_message = "buyer returned goods"

    waybill: Waybill = Field(description="Carrier and tracking number of the return.")
    shipped_at: UtcDatetime = Field(description="When the buyer handed the parcel over.")
    confirm_by: UtcDatetime = Field(description="Refunded automatically if not confirmed by then.")


class ReturnReceived(RefundCaseEvent):
    """The seller confirmed the returned goods arrived as shipped."""

    event_type = "aftersales.return_received"

    note: Text | None = Field(default=None, description="The seller's remarks.")


class ReturnRejected(RefundCaseEvent):
    """The seller refused the returned goods; the buyer may escalate until `appeal_by`."""

    event_type = "aftersales.return_rejected"

    reason: ReturnRejectionReason = Field(description="Why the goods were refused.")
    note: Text | None = Field(default=None, description="The seller's explanation.")
    appeal_by: UtcDatetime = Field(description="The case closes unless escalated.")


class Refunded(RefundCaseEvent):
    """Money went back to the buyer; the case ended successfully (SUCCESS)."""

    event_type = "aftersales.refunded"
    platform_message = "refund success"

    kind: RefundKind = Field(description="The kind of case that paid out.")
    amount: Money = Field(description="Amount refunded.")
    trigger: RefundTrigger = Field(description="What released the money.")
    refunded_at: UtcDatetime = Field(description="When the refund was executed.")


class RefundWithdrawn(RefundCaseEvent):
    """The buyer withdrew the request."""

    event_type = "aftersales.refund_withdrawn"

    note: Text | None = Field(default=None, description="The buyer's explanation.")


class RefundClosed(RefundCaseEvent):
    """The case ended without a refund (CLOSED)."""

    event_type = "aftersales.refund_closed"
    platform_message = "refund closed"

    reason: RefundCloseReason = Field(description="Why the case closed.")


class Disputed(RefundCaseEvent):
    """A side escalated the case to the platform; both sides may submit evidence."""

    event_type = "aftersales.disputed"

    opened_by: DisputeParty = Field(description="Who escalated.")
    reason: Text = Field(description="Why the platform should intervene.")
    evidence_due_by: UtcDatetime = Field(description="Evidence is accepted until then.")


class DisputeEvidenceAdded(RefundCaseEvent):
    """One side submitted evidence in a dispute."""

    event_type = "aftersales.dispute_evidence_added"

    evidence_id: Identifier = Field(description="This piece of evidence.")
    submitted_by: DisputeParty = Field(description="Which side submitted it.")
    description: Text = Field(description="What the evidence shows.")
    attachments: tuple[Uri, ...] = Field(
        default=(), max_length=20, description="URIs of photos, chat logs, documents."
    )


class DisputeResolved(RefundCaseEvent):
    """The platform ruled; a refund, if any, follows as `aftersales.refunded`."""

    event_type = "aftersales.dispute_resolved"

    outcome: RulingOutcome = Field(description="What the platform decided.")
    refund_amount: Money = Field(description="Amount to refund (zero for no refund).")
    responsible_party: ResponsibleParty = Field(description="Who was held responsible.")
    note: Text = Field(description="The ruling's reasoning.")


class ComplaintAbout(StrEnum):
    """What the complaint is about: the order itself, or the shop the buyer bought it from."""

    ORDER = "order"
    SHOP = "shop"


class ComplaintCategory(StrEnum):
    """The kind of grievance (the handbooks' 投诉 categories)."""

    GOODS = "goods"
    SHIPPING = "shipping"
    SERVICE_ATTITUDE = "service_attitude"
    REFUND_HANDLING = "refund_handling"
    OTHER = "other"


class ComplaintFiler(StrEnum):
    """Who filed it: the buyer, or the platform's customer service on the buyer's behalf."""

    BUYER = "buyer"
    CUSTOMER_SERVICE = "customer_service"


class ComplaintResponsibility(StrEnum):
    """Whose fault the analysis found it to be."""

    SELLER = "seller"
    BUYER = "buyer"
    CARRIER = "carrier"
    PLATFORM = "platform"


class ComplaintRemedyKind(StrEnum):
    """How the shop put it right."""

    REFUND = "refund"
    RESHIPMENT = "reshipment"
    APOLOGY = "apology"
    COMPENSATION = "compensation"


class ComplaintEscalationReason(StrEnum):
    """Why the platform took the complaint over."""

    NOT_ACCEPTED_IN_TIME = "not_accepted_in_time"
    NOT_HANDLED_IN_TIME = "not_handled_in_time"
    BUYER_UNSATISFIED = "buyer_unsatisfied"


class ComplaintRulingOutcome(StrEnum):
    """What the platform decided on an escalated complaint."""

    UPHELD = "upheld"  # against the seller
    DISMISSED = "dismissed"


class ComplaintCloseReason(StrEnum):
    """Why a complaint ended without the platform."""

    BUYER_SATISFIED = "buyer_satisfied"
    FOLLOW_UP_WINDOW_EXPIRED = "follow_up_window_expired"


MAX_COMPLAINT_ATTACHMENTS = 9
"""Attachments a complaint carries at most (photos, chat logs): what every consumer stores."""


class ComplaintRemedy(ContractModel):
    """The remedy of a handled complaint; which fields are set follows from `kind`."""

    kind: ComplaintRemedyKind = Field(description="How the shop put it right.")
    refund_case_id: Identifier | None = Field(
        default=None, description="For `refund`: the order's refund case that pays the buyer."
    )
    waybill: Waybill | None = Field(
        default=None, description="For `reshipment`: the replacement parcel's carrier and number."
    )
    compensation: Money | None = Field(
        default=None, description="For `compensation`: the amount, in the order's currency."
    )
    note: Text | None = Field(default=None, description="What the shop did (an apology's text).")


class ComplaintEvent(AftersalesEvent):
    """An event about one complaint filed through an order."""

    complaint_id: Identifier = Field(description="The complaint (several per order are possible).")


class ComplaintFiled(ComplaintEvent):
    """The buyer (or customer service for them) complained; the shop accepts by `accept_due_by`."""

    event_type = "aftersales.complaint_filed"

    buyer_id: Identifier = Field(description="The buyer who complains.")
    filed_by: ComplaintFiler = Field(description="The buyer, or customer service on their behalf.")
    about: ComplaintAbout = Field(description="The order, or the shop it was bought from.")
    category: ComplaintCategory = Field(description="The kind of grievance.")
    text: Text = Field(min_length=1, description="The complaint in the buyer's words.")
    attachments: tuple[Uri, ...] = Field(
        default=(),
        max_length=MAX_COMPLAINT_ATTACHMENTS,
        description="URIs of photos, chat logs, documents.",
    )
    filed_at: UtcDatetime = Field(description="When it was filed.")
    accept_due_by: UtcDatetime = Field(
        description="Escalated to the platform if the shop has not accepted it by then."
    )


class ComplaintAccepted(ComplaintEvent):
    """The shop took the complaint on; it must reply with a remedy by `reply_due_by`."""

    event_type = "aftersales.complaint_accepted"

    note: Text | None = Field(default=None, description="The shop's first answer.")
    reply_due_by: UtcDatetime = Field(
        description="Escalated to the platform if the shop has not replied by then."
    )


class ComplaintAnalysed(ComplaintEvent):
    """The shop analysed the complaint and recorded whose responsibility it is."""

    event_type = "aftersales.complaint_analysed"

    responsibility: ComplaintResponsibility = Field(description="Whose fault it was.")
    finding: Text = Field(min_length=1, description="What the analysis found.")


class ComplaintHandled(ComplaintEvent):
    """The shop put it right with a remedy."""

    event_type = "aftersales.complaint_handled"

    remedy: ComplaintRemedy = Field(description="What was done.")


class ComplaintReplied(ComplaintEvent):
    """The shop told the buyer the outcome; the buyer follows up until `follow_up_by`."""

    event_type = "aftersales.complaint_replied"

    reply: Text = Field(min_length=1, description="The shop's reply to the buyer.")
    replied_at: UtcDatetime = Field(description="When the shop replied.")
    follow_up_by: UtcDatetime = Field(
        description="Closed as resolved if the buyer has not followed up by then."
    )


class ComplaintFollowedUp(ComplaintEvent):
    """The buyer said whether the reply settled it (unsatisfied: the platform takes over)."""

    event_type = "aftersales.complaint_followed_up"

    satisfied: StrictBool = Field(description="Whether the buyer is satisfied.")
    comment: Text | None = Field(default=None, description="The buyer's words.")


class ComplaintEscalated(ComplaintEvent):
    """The platform took the complaint over: a shop deadline passed, or the buyer is unsatisfied."""

    event_type = "aftersales.complaint_escalated"

    reason: ComplaintEscalationReason = Field(description="Why.")
    escalated_at: UtcDatetime = Field(description="When.")


class ComplaintRuled(ComplaintEvent):
    """The platform ruled on an escalated complaint; the complaint ends."""

    event_type = "aftersales.complaint_ruled"

    outcome: ComplaintRulingOutcome = Field(description="Upheld against the seller, or dismissed.")
    responsibility: ComplaintResponsibility = Field(description="Whose fault the platform found.")
    note: Text = Field(min_length=1, description="The ruling's reasoning.")
    compensation: Money | None = Field(
        default=None, description="What the seller owes the buyer, in the order's currency."
    )
    ruled_at: UtcDatetime = Field(description="When.")


class ComplaintClosed(ComplaintEvent):
    """The complaint ended without the platform: the buyer was satisfied, or stayed silent."""

    event_type = "aftersales.complaint_closed"

    reason: ComplaintCloseReason = Field(description="Why it closed.")
    closed_at: UtcDatetime = Field(description="When.")


COMPLAINT_EVENTS: tuple[type[ComplaintEvent], ...] = (
    ComplaintFiled,
    ComplaintAccepted,
    ComplaintAnalysed,
    ComplaintHandled,
    ComplaintReplied,
    ComplaintFollowedUp,
    ComplaintEscalated,
    ComplaintRuled,
    ComplaintClosed,
)

AftersalesStreamEvent = RefundCaseEvent | ComplaintEvent
"""Any event of an order's after-sales stream: about one of its refund cases or complaints."""


EVENTS: tuple[type[AftersalesEvent], ...] = (
    RefundRequested,
    RefundAmended,
    RefundGoodsStatusCorrected,
    RefundApproved,
    RefundRejected,
    ReturnShipped,
    ReturnReceived,
    ReturnRejected,
    Refunded,
    RefundWithdrawn,
    RefundClosed,
    Disputed,
    DisputeEvidenceAdded,
    DisputeResolved,
    *COMPLAINT_EVENTS,
)

# Upcasters of older versions of the events above; empty while every event is at v1.
UPCASTERS: tuple[Upcaster, ...] = ()
