"""Request and response bodies of the aftersales API (with OpenAPI examples). Request bodies
are strict (no coercion between JSON types) and every value is bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aftersales_service.domain.state import CaseStatus
from aftersales_service.domain.status import (
    InterventionStatus,
    ReferenceGoodsStatus,
    ReferenceStatus,
)
from contracts.events.aftersales import (
    DisputeParty,
    GoodsStatus,
    RefundCloseReason,
    RefundKind,
    RefundReason,
    RefundRejectionReason,
    RefundTrigger,
    ResponsibleParty,
    ReturnRejectionReason,
    RulingOutcome,
)
from contracts.values import Address, Money, SkuQuantity, Text, Uri, Waybill
from eventing.http.endpoints import CommandOutcome

_CNY: dict[str, Any] = {"amount": 4900, "currency": "CNY"}


MAX_LINES = 100
"""SKUs in one request (an order holds at most as many lines)."""
MAX_ATTACHMENTS = 20


class Body(BaseModel):
    """A request body: strict, closed. FastAPI validates decoded JSON in Python mode, where a
    strict enum would want a member: enum fields say `strict=False` (only their values pass)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class RefundTermsBody(Body):
    """What the buyer asks for."""

    model_config = ConfigDict(
        extra="forbid", strict=True,
        json_schema_extra={"examples": [{
            "kind": "return_and_refund", "reason": "damaged", "amount": _CNY,
            "items": [{"sku": "TEA-001", "quantity": 1}], "description": "cracked lid",
        }]},
    )  # fmt: skip

    kind: RefundKind = Field(strict=False, description="What is asked for.")
    reason: RefundReason = Field(strict=False, description="Why.")
    amount: Money = Field(description="Amount asked, in the order's currency.")
    items: list[SkuQuantity] = Field(
        default_factory=list, max_length=MAX_LINES, description="Items concerned."
    )
    description: Text | None = Field(default=None, description="Explanation.")


class NoteBody(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"note": "parcel opened at the counter"}]},
    )
    note: Text | None = Field(default=None, description="Free-text remark.")


class ApprovalBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{}]})
    return_address: Address | None = Field(
        default=None,
        description="Where a return goes (default: the shop policy's returns address).",
    )


class RejectionBody(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"reason": "outside_return_policy", "note": "worn"}]},
    )
    reason: RefundRejectionReason = Field(strict=False, description="Why the seller refuses.")
    note: Text | None = Field(default=None, description="Explanation.")


class ReturnShipmentBody(Body):
    model_config = ConfigDict(
        extra="forbid", strict=True,
        json_schema_extra={"examples": [
            {"waybill": {"carrier": "SF", "tracking_number": "SF1234567890"}}
        ]},
    )  # fmt: skip
    waybill: Waybill = Field(description="Carrier and tracking number of the return parcel.")


class ReturnRejectionBody(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"reason": "missing_parts", "note": "lid missing"}]},
    )
    reason: ReturnRejectionReason = Field(
        strict=False, description="Why the returned goods are refused."
    )
    note: Text | None = Field(default=None, description="Explanation.")


class EscalationBody(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"reason": "the seller refused a cracked cup"}]},
    )
    reason: Text = Field(min_length=1, description="Why the platform should act.")


class EvidenceBody(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "description": "photo of the crack",
                    "attachments": ["https://img.shop.example/c/1.jpg"],
                }
            ]
        },
    )
    description: Text = Field(min_length=1, description="What it shows.")
    attachments: list[Uri] = Field(
        default_factory=list,
        max_length=MAX_ATTACHMENTS,
        description="URIs of photos, chat logs, documents.",
    )


class RulingBody(Body):
    model_config = ConfigDict(
        extra="forbid", strict=True,
        json_schema_extra={"examples": [{
            "outcome": "partial_refund", "refund_amount": {"amount": 2000, "currency": "CNY"},
            "responsible_party": "seller", "note": "item damaged in part",
        }]},
    )  # fmt: skip
    outcome: RulingOutcome = Field(strict=False, description="Full, partial or no refund.")
    responsible_party: ResponsibleParty = Field(
        strict=False, description="Who was held responsible."
    )
    note: Text = Field(min_length=1, description="The ruling's reasoning.")
    refund_amount: Money | None = Field(default=None, description="Only for a partial refund.")


class CaseOutcome(CommandOutcome):
    """What a command did to the case (the read model follows; see `min_version`); `version`
    is the order's after-sales version."""

    case_id: str
    order_id: str
    status: CaseStatus
    refund_status: ReferenceStatus


class EvidenceView(BaseModel):
    evidence_id: str
    submitted_by: DisputeParty
    description: str
    attachments: list[str]


class DisputeView(BaseModel):
    opened_by: DisputeParty
    reason: str
    evidence_due_by: datetime
    evidence: list[EvidenceView]
    ruling: dict[str, Any] | None


class CaseView(BaseModel):
    """A refund case as the read model shows it, in our terms and the platform's."""

    case_id: str
    order_id: str
    shop_id: str
    buyer_id: str
    kind: RefundKind
    reason: RefundReason
    description: str | None
    status: CaseStatus
    refund_status: ReferenceStatus = Field(description="WAIT_SELLER_AGREE, ..., SUCCESS.")
    goods_status: GoodsStatus
    reference_goods_status: ReferenceGoodsStatus
    intervention: InterventionStatus | None = Field(description="Platform intervention state.")
    amount: Money
    refunded: Money | None
    items: list[SkuQuantity]
    intercept: bool = Field(description="Opened by the system to recover a parcel shipped "
                            "after the order was cancelled.")  # fmt: skip
    answer_due_by: datetime | None
    return_by: datetime | None
    confirm_by: datetime | None
    appeal_by: datetime | None
    next_deadline_at: datetime | None = Field(description="When the case times out next.")
    next_deadline_kind: str | None
    return_address: Address | None
    return_waybill: Waybill | None
    rejection_reason: str | None
    rejection_note: str | None
    automatic_approval: bool
    seller_timed_out: bool
    dispute: DisputeView | None
    refund_trigger: RefundTrigger | None
    close_reason: RefundCloseReason | None
    opened_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    version: int = Field(description="The order's after-sales version (If-Match / ETag).")


class ShopStats(BaseModel):
    """A shop's after-sales figures (buyer cases; the race's recovery cases excluded)."""

    shop_id: str
    paid_orders: int
    cases: int
    refund_rate: float = Field(description="Refund cases / paid orders.")
    refund_amount_rate: float = Field(description="Amount refunded / amount paid.")
    timeout_count: int = Field(description="Cases the seller let time out (should be zero).")
    disputes: int
    dispute_rate: float = Field(description="Disputes / refund cases.")
    rulings: int
    ruled_against_seller_share: float = Field(description="Rulings holding the seller "
                                              "responsible / rulings.")  # fmt: skip
