"""The after-sales of one order: its refund cases and complaints, folded from their events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from aftersales_service.domain.complaints import Complaint, evolve_complaint, filed
from contracts.events.aftersales import (
    AftersalesStreamEvent,
    ComplaintEvent,
    ComplaintFiled,
    Disputed,
    DisputeEvidenceAdded,
    DisputeParty,
    DisputeResolved,
    GoodsStatus,
    RefundAmended,
    RefundApproved,
    RefundCaseEvent,
    RefundClosed,
    RefundCloseReason,
    Refunded,
    RefundGoodsStatusCorrected,
    RefundKind,
    RefundReason,
    RefundRejected,
    RefundRequested,
    RefundWithdrawn,
    ReturnReceived,
    ReturnRejected,
    ReturnShipped,
)
from contracts.values import Address, Money, SkuQuantity, Waybill


class CaseStatus(StrEnum):
    """Where a case stands (see `status.reference_status` for the platform's names)."""

    WAITING_SELLER = "waiting_seller"
    WAITING_RETURN = "waiting_return"
    WAITING_RETURN_RECEIPT = "waiting_return_receipt"
    REFUND_REJECTED = "refund_rejected"
    RETURN_REJECTED = "return_rejected"
    DISPUTED = "disputed"
    REFUNDED = "refunded"
    CLOSED = "closed"

    @property
    def ended(self) -> bool:
        return self in (CaseStatus.REFUNDED, CaseStatus.CLOSED)

    @property
    def rejected(self) -> bool:
        return self in (CaseStatus.REFUND_REJECTED, CaseStatus.RETURN_REJECTED)


@dataclass(frozen=True, slots=True)
class Evidence:
    evidence_id: str
    submitted_by: DisputeParty
    description: str
    attachments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dispute:
    opened_by: DisputeParty
    reason: str
    evidence_due_by: datetime
    evidence: tuple[Evidence, ...] = ()
    ruling: DisputeResolved | None = None


@dataclass(frozen=True, slots=True)
class RefundCase:
    """One refund case; `amount` is what it asks (reserved while the case is open)."""

    case_id: str
    buyer_id: str
    kind: RefundKind
    reason: RefundReason
    amount: Money
    items: tuple[SkuQuantity, ...]
    goods_status: GoodsStatus
    status: CaseStatus
    answer_due_by: datetime | None
    description: str | None = None
    requested_at: datetime | None = None  # None: opened before after-sales recorded it
    automatic_approval: bool = False
    return_by: datetime | None = None
    return_address: Address | None = None
    return_waybill: Waybill | None = None
    confirm_by: datetime | None = None
    appeal_by: datetime | None = None
    dispute: Dispute | None = None
    refunded: Money | None = None
    close_reason: RefundCloseReason | None = None
    ended_times: int = 0  # how many terminal events the case has seen (the rules allow one)

    @property
    def is_intercept(self) -> bool:
        """Opened by the cancel-vs-ship policy to recover a parcel (agreement 5)."""
        return self.reason is RefundReason.CANCELLED_AFTER_SHIPMENT

    @property
    def open(self) -> bool:
        return not self.status.ended

    @property
    def needs_return(self) -> bool:
        return self.kind is RefundKind.RETURN_AND_REFUND


@dataclass(frozen=True, slots=True)
class AftersalesState:
    """Every case and complaint of one order, by id, in the order they were opened."""

    order_id: str | None = None
    shop_id: str | None = None
    cases: Mapping[str, RefundCase] = field(default_factory=dict)
    complaints: Mapping[str, Complaint] = field(default_factory=dict)

    def refunded_total(self) -> int:
        return sum(c.refunded.amount for c in self.cases.values() if c.refunded is not None)

    def reserved_total(self, excluding: str | None = None) -> int:
        """What open cases ask for: kept aside so two cases cannot spend the same money."""
        return sum(
            c.amount.amount for c in self.cases.values() if c.open and c.case_id != excluding
        )

    def units_claimed(self, sku: str, excluding: str | None = None) -> int:
        """Units of `sku` in other cases that are open or paid out."""
        return sum(
            item.quantity
            for c in self.cases.values()
            if c.case_id != excluding and (c.open or c.status is CaseStatus.REFUNDED)
            for item in c.items
            if item.sku == sku
        )

    def intercept_case(self) -> RefundCase | None:
        return next((c for c in self.cases.values() if c.is_intercept), None)


def evolve(state: AftersalesState, event: AftersalesStreamEvent) -> AftersalesState:
    """The state after `event` (events are facts: no rule is checked here)."""
    if isinstance(event, ComplaintEvent):
        return _with_complaint(state, event)
    if isinstance(event, RefundRequested):
        return _with_case(state, _opened(event), event)
    case = state.cases[event.case_id]
    return _with_case(state, _evolve_case(case, event), event)


def _opened(event: RefundRequested) -> RefundCase:
    return RefundCase(
        case_id=event.case_id,
        buyer_id=event.buyer_id,
        kind=event.kind,
        reason=event.reason,
        amount=event.amount,
        items=event.items,
        goods_status=event.goods_status,
        status=CaseStatus.WAITING_SELLER,
        answer_due_by=event.answer_due_by,
        description=event.description,
        requested_at=event.requested_at,
    )


def _evolve_case(case: RefundCase, event: RefundCaseEvent) -> RefundCase:
    match event:
        case RefundAmended():
            return replace(
                case, kind=event.kind, reason=event.reason, amount=event.amount,
                items=event.items, description=event.description,
                status=CaseStatus.WAITING_SELLER, answer_due_by=event.answer_due_by,
                appeal_by=None,
            )  # fmt: skip
        case RefundGoodsStatusCorrected():
            return replace(case, goods_status=event.goods_status, answer_due_by=event.answer_due_by)
        case RefundApproved():
            return replace(
                case, automatic_approval=event.automatic, return_by=event.return_by,
                return_address=event.return_address, status=CaseStatus.WAITING_RETURN,
            )  # fmt: skip
        case RefundRejected():
            return replace(case, status=CaseStatus.REFUND_REJECTED, appeal_by=event.appeal_by)
        case ReturnShipped():
            return replace(
                case, status=CaseStatus.WAITING_RETURN_RECEIPT, return_waybill=event.waybill,
                confirm_by=event.confirm_by,
            )  # fmt: skip
        case ReturnRejected():
            return replace(case, status=CaseStatus.RETURN_REJECTED, appeal_by=event.appeal_by)
        case Disputed():
            dispute = Dispute(event.opened_by, event.reason, event.evidence_due_by)
            return replace(case, status=CaseStatus.DISPUTED, dispute=dispute)
        case DisputeEvidenceAdded():
            return _with_evidence(case, event)
        case DisputeResolved():
            assert case.dispute is not None
            return replace(case, dispute=replace(case.dispute, ruling=event))
        case ReturnReceived():
            return case
        case Refunded():
            return _ended(case, CaseStatus.REFUNDED, refunded=event.amount)
        case RefundClosed():
            return _ended(case, CaseStatus.CLOSED, close_reason=event.reason)
        case RefundWithdrawn():
            return _ended(case, CaseStatus.CLOSED, close_reason=RefundCloseReason.WITHDRAWN)
    raise TypeError(f"not an event of a refund case: {event!r}")


def _with_evidence(case: RefundCase, event: DisputeEvidenceAdded) -> RefundCase:
    assert case.dispute is not None
    piece = Evidence(event.evidence_id, event.submitted_by, event.description, event.attachments)
    return replace(case, dispute=replace(case.dispute, evidence=(*case.dispute.evidence, piece)))


def _ended(
    case: RefundCase,
    status: CaseStatus,
    *,
    refunded: Money | None = None,
    close_reason: RefundCloseReason | None = None,
) -> RefundCase:
    return replace(
        case, status=status, refunded=refunded, close_reason=close_reason,
        ended_times=case.ended_times + 1,
    )  # fmt: skip


def _with_case(state: AftersalesState, case: RefundCase, event: RefundCaseEvent) -> AftersalesState:
    return replace(
        state, order_id=event.order_id, shop_id=event.shop_id,
        cases={**state.cases, case.case_id: case},
    )  # fmt: skip


def _with_complaint(state: AftersalesState, event: ComplaintEvent) -> AftersalesState:
    if isinstance(event, ComplaintFiled):
        complaint = filed(event)
    else:
        complaint = evolve_complaint(state.complaints[event.complaint_id], event)
    return replace(
        state, order_id=event.order_id, shop_id=event.shop_id,
        complaints={**state.complaints, complaint.complaint_id: complaint},
    )  # fmt: skip
