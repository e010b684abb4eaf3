"""What can be asked of an order's after-sales: each command names the case or complaint it is
about.

Every command carries the moment it is decided at (`at`, from the injected clock); commands
whose outcome depends on the order or the shop's time limits carry those as values too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aftersales_service.domain.facts import OrderFacts
from aftersales_service.domain.policy import RefundPolicy
from contracts.events.aftersales import (
    ComplaintAbout,
    ComplaintCategory,
    ComplaintRemedy,
    ComplaintResponsibility,
    ComplaintRulingOutcome,
    DisputeParty,
    RefundKind,
    RefundReason,
    RefundRejectionReason,
    ResponsibleParty,
    ReturnRejectionReason,
    RulingOutcome,
)
from contracts.values import Address, Money, SkuQuantity, Waybill


@dataclass(frozen=True, slots=True)
class RefundTerms:
    """What the buyer asks for: the same shape for a request and an amendment."""

    kind: RefundKind
    reason: RefundReason
    amount: Money
    items: tuple[SkuQuantity, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class RequestRefund:
    case_id: str
    buyer_id: str
    terms: RefundTerms
    facts: OrderFacts | None  # None: the service has not heard of the order yet
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class AmendRefund:
    case_id: str
    terms: RefundTerms
    facts: OrderFacts
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class WithdrawRefund:
    case_id: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ApproveRefund:
    case_id: str
    policy: RefundPolicy
    at: datetime
    return_address: Address | None = None


@dataclass(frozen=True, slots=True)
class RejectRefund:
    case_id: str
    reason: RefundRejectionReason
    policy: RefundPolicy
    at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SubmitReturnShipment:
    case_id: str
    waybill: Waybill
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class ConfirmReturnReceived:
    case_id: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RejectReturn:
    case_id: str
    reason: ReturnRejectionReason
    policy: RefundPolicy
    at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Escalate:
    case_id: str
    party: DisputeParty
    reason: str
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class AddEvidence:
    case_id: str
    evidence_id: str
    party: DisputeParty
    description: str
    at: datetime
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """The platform's ruling; `refund_amount` only for a partial refund."""

    case_id: str
    outcome: RulingOutcome
    responsible_party: ResponsibleParty
    note: str
    at: datetime
    refund_amount: Money | None = None


@dataclass(frozen=True, slots=True)
class ExpireAnswerDeadline:
    """The seller's answer deadline fired: approve automatically if still unanswered."""

    case_id: str
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class ExpireReturnShipment:
    """The buyer's time to ship the goods back ran out."""

    case_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ExpireReturnConfirmation:
    """The seller's time to confirm the returned goods ran out: refund automatically."""

    case_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ExpireAppealWindow:
    """The buyer neither amended nor escalated a rejection in time."""

    case_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordOrderShipped:
    """The parcel left at `shipped_at` (learnt at `at`, possibly later): an unanswered request
    asked before then for unshipped goods is settled, one asked after it concerns shipped goods."""

    at: datetime
    shipped_at: datetime
    policy: RefundPolicy


@dataclass(frozen=True, slots=True)
class RecordOrderDelivered:
    """The parcel was signed for at `delivered_at` (learnt at `at`, possibly later): an
    unanswered request asked since then concerns received goods."""

    at: datetime
    delivered_at: datetime
    policy: RefundPolicy


@dataclass(frozen=True, slots=True)
class OpenInterceptCase:
    """The order was cancelled with money due back but shipped anyway (agreement 5)."""

    case_id: str
    facts: OrderFacts
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class FileComplaint:
    """`buyer_id` is the caller when the buyer files, None when customer service files for the
    order's buyer."""

    complaint_id: str
    buyer_id: str | None
    about: ComplaintAbout
    category: ComplaintCategory
    text: str
    attachments: tuple[str, ...]
    facts: OrderFacts | None  # None: the service has not heard of the order yet
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class AcceptComplaint:
    complaint_id: str
    policy: RefundPolicy
    at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AnalyseComplaint:
    complaint_id: str
    responsibility: ComplaintResponsibility
    finding: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HandleComplaint:
    complaint_id: str
    remedy: ComplaintRemedy
    facts: OrderFacts
    at: datetime


@dataclass(frozen=True, slots=True)
class ReplyToComplaint:
    complaint_id: str
    reply: str
    policy: RefundPolicy
    at: datetime


@dataclass(frozen=True, slots=True)
class FollowUpComplaint:
    complaint_id: str
    satisfied: bool
    at: datetime
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class RuleOnComplaint:
    complaint_id: str
    outcome: ComplaintRulingOutcome
    responsibility: ComplaintResponsibility
    note: str
    compensation: Money | None
    facts: OrderFacts
    at: datetime


@dataclass(frozen=True, slots=True)
class ExpireComplaintAcceptance:
    complaint_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ExpireComplaintReply:
    complaint_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ExpireComplaintFollowUp:
    complaint_id: str
    at: datetime


ComplaintCommand = (
    FileComplaint
    | AcceptComplaint
    | AnalyseComplaint
    | HandleComplaint
    | ReplyToComplaint
    | FollowUpComplaint
    | RuleOnComplaint
)
ComplaintDeadlineCommand = (
    ExpireComplaintAcceptance | ExpireComplaintReply | ExpireComplaintFollowUp
)

CaseCommand = (
    AmendRefund
    | WithdrawRefund
    | ApproveRefund
    | RejectRefund
    | SubmitReturnShipment
    | ConfirmReturnReceived
    | RejectReturn
    | Escalate
    | AddEvidence
    | Rule
)
DeadlineCommand = (
    ExpireAnswerDeadline | ExpireReturnShipment | ExpireReturnConfirmation | ExpireAppealWindow
)
FactCommand = RecordOrderShipped | RecordOrderDelivered | OpenInterceptCase
Command = (
    RequestRefund
    | CaseCommand
    | DeadlineCommand
    | FactCommand
    | ComplaintCommand
    | ComplaintDeadlineCommand
)
