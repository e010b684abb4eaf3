"""Request and response bodies of the complaint routes (strict, bounded: whatever is accepted
fits the published event schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from aftersales_service.api.models import Body
from aftersales_service.domain.complaints import ComplaintStatus
from contracts.events.aftersales import (
    MAX_COMPLAINT_ATTACHMENTS,
    ComplaintAbout,
    ComplaintCategory,
    ComplaintCloseReason,
    ComplaintEscalationReason,
    ComplaintFiler,
    ComplaintRemedy,
    ComplaintRemedyKind,
    ComplaintResponsibility,
    ComplaintRulingOutcome,
)
from contracts.values import Identifier, Money, Text, Uri, Waybill
from eventing.http.endpoints import CommandOutcome


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": list(examples)})


class ComplaintBody(Body):
    model_config = _examples({
        "about": "order", "category": "goods", "text": "茶叶受潮结块",
        "attachments": ["https://files.orderflow.example/cp/1.jpg"],
    })  # fmt: skip

    about: ComplaintAbout = Field(strict=False, description="The order, or the shop.")
    category: ComplaintCategory = Field(strict=False, description="The kind of grievance.")
    text: Text = Field(min_length=1, description="The complaint in the buyer's words.")
    attachments: list[Uri] = Field(
        default_factory=list, max_length=MAX_COMPLAINT_ATTACHMENTS,
        description="URIs of photos, chat logs, documents.",
    )  # fmt: skip


class AcceptanceBody(Body):
    model_config = _examples({"note": "已收到,正在核实"})
    note: Text | None = Field(default=None, description="The shop's first answer.")


class AnalysisBody(Body):
    model_config = _examples({"responsibility": "seller", "finding": "包装未防潮"})
    responsibility: ComplaintResponsibility = Field(strict=False, description="Whose fault.")
    finding: Text = Field(min_length=1, description="What the analysis found.")


class RemedyBody(Body):
    model_config = _examples(
        {"kind": "refund", "refund_case_id": "rc-0123"},
        {"kind": "compensation", "compensation": {"amount": 1000, "currency": "CNY"}},
    )
    kind: ComplaintRemedyKind = Field(strict=False, description="How the shop puts it right.")
    refund_case_id: Identifier | None = Field(
        default=None, description="For `refund`: the order's refund case."
    )
    waybill: Waybill | None = Field(default=None, description="For `reshipment`.")
    compensation: Money | None = Field(
        default=None, description="For `compensation`: in the order's currency."
    )
    note: Text | None = Field(default=None, description="What was done; required for `apology`.")

    def remedy(self) -> ComplaintRemedy:
        return ComplaintRemedy(
            kind=self.kind, refund_case_id=self.refund_case_id, waybill=self.waybill,
            compensation=self.compensation, note=self.note,
        )  # fmt: skip


class ReplyBody(Body):
    model_config = _examples({"reply": "已为您退款,抱歉"})
    reply: Text = Field(min_length=1, description="The shop's reply to the buyer.")


class FollowUpBody(Body):
    model_config = _examples({"satisfied": True, "comment": "谢谢"})
    satisfied: StrictBool = Field(description="Whether the reply settled it.")
    comment: Text | None = Field(default=None, description="The buyer's words.")


class ComplaintRulingBody(Body):
    model_config = _examples(
        {"outcome": "upheld", "responsibility": "seller", "note": "卖家责任",
         "compensation": {"amount": 500, "currency": "CNY"}}
    )  # fmt: skip
    outcome: ComplaintRulingOutcome = Field(strict=False, description="Upheld or dismissed.")
    responsibility: ComplaintResponsibility = Field(strict=False, description="Whose fault.")
    note: Text = Field(min_length=1, description="The ruling's reasoning.")
    compensation: Money | None = Field(default=None, description="Only when upheld.")


class ComplaintOutcome(CommandOutcome):
    """What a command did to the complaint; `version` is the order's after-sales version."""

    complaint_id: str
    order_id: str
    status: ComplaintStatus


class ComplaintView(BaseModel):
    """A complaint as the read model shows it."""

    complaint_id: str
    order_id: str
    shop_id: str
    buyer_id: str
    filed_by: ComplaintFiler
    about: ComplaintAbout
    category: ComplaintCategory
    text: str
    attachments: list[str]
    status: ComplaintStatus = Field(description="WAIT_SELLER_ACCEPT, ..., CLOSED.")
    accept_note: str | None
    responsibility: ComplaintResponsibility | None
    finding: str | None
    remedy: ComplaintRemedy | None
    reply: str | None
    satisfied: bool | None
    follow_up_comment: str | None
    escalation_reason: ComplaintEscalationReason | None
    ruling: dict[str, Any] | None
    close_reason: ComplaintCloseReason | None
    filed_at: datetime
    accept_due_by: datetime
    accepted_at: datetime | None
    reply_due_by: datetime | None
    replied_at: datetime | None
    follow_up_by: datetime | None
    next_deadline_at: datetime | None = Field(description="When it escalates or closes next.")
    next_deadline_kind: str | None = Field(description="accept, reply or follow_up.")
    overdue: bool = Field(description="Its deadline has passed (escalation is on its way).")
    escalated_at: datetime | None
    ended_at: datetime | None
    updated_at: datetime
    version: int = Field(description="The order's after-sales version (If-Match / ETag).")


class ComplaintStats(BaseModel):
    """A shop's complaint figures."""

    shop_id: str
    paid_orders: int
    complaints: int
    complaint_rate: float = Field(description="Complaints / paid orders.")
    resolved_within_deadline_share: float = Field(
        description="Complaints closed without the platform (shop accepted and replied in "
        "time) / complaints."
    )
    escalated_share: float = Field(description="Complaints escalated to the platform / complaints.")
    responsibility: dict[str, int] = Field(
        description="Complaints by responsibility found (seller, buyer, carrier, platform)."
    )
