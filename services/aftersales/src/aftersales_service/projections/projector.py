"""The refund-case projector: one row per case, plus each order's after-sales stream version;
how each event changes a row is pure (`opened_row`, `changed_columns`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.domain.state import CaseStatus
from aftersales_service.projections.tables import refund_cases, refund_orders
from contracts.events.aftersales import (
    Disputed,
    DisputeEvidenceAdded,
    DisputeResolved,
    RefundAmended,
    RefundApproved,
    RefundCaseEvent,
    RefundClosed,
    RefundCloseReason,
    Refunded,
    RefundGoodsStatusCorrected,
    RefundReason,
    RefundRejected,
    RefundRequested,
    RefundTrigger,
    RefundWithdrawn,
    ReturnReceived,
    ReturnRejected,
    ReturnShipped,
)
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import ProjectionTables, TableNames, table_for

TABLES = (refund_cases.name, refund_orders.name)
_codec = ContractsCodec()
_ENDED = (CaseStatus.REFUNDED.value, CaseStatus.CLOSED.value)


async def project_case_event(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    """Idempotent per stream sequence: a case row remembers the last sequence of its order's
    stream it applied and ignores anything not newer (redelivery, rebuild overlap)."""
    envelope = _codec.envelope(event)
    payload = envelope.data
    if not isinstance(payload, RefundCaseEvent):
        return
    await _apply(connection, tables, payload, event.sequence, envelope.time)


async def _apply(
    connection: AsyncConnection,
    tables: TableNames,
    event: RefundCaseEvent,
    sequence: int,
    at: datetime,
) -> None:
    cases, orders = table_for(refund_cases, tables), table_for(refund_orders, tables)
    await _advance_order(connection, orders, event, sequence)
    if isinstance(event, RefundRequested):
        row = opened_row(event, at) | {"last_sequence": sequence}
        await connection.execute(insert(cases).values(**row).on_conflict_do_nothing())
        return
    current = (
        await connection.execute(
            select(cases).where(cases.c.case_id == event.case_id).with_for_update()
        )
    ).first()
    if current is None or current.last_sequence >= sequence:
        return
    changes = changed_columns(dict(current._mapping), event)
    if isinstance(event, Disputed):
        changes["disputed_at"] = at
    if changes.get("status") in _ENDED:
        changes.setdefault("ended_at", at)
    await connection.execute(
        cases.update()
        .where(cases.c.case_id == event.case_id)
        .values(**changes, updated_at=at, last_sequence=sequence)
    )


async def _advance_order(
    connection: AsyncConnection, orders: Table, event: RefundCaseEvent, sequence: int
) -> None:
    statement = insert(orders).values(
        order_id=event.order_id, shop_id=event.shop_id, stream_version=sequence
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["order_id"],
            set_={"stream_version": func.greatest(orders.c.stream_version, sequence)},
        )
    )


REFUND_CASES: ProjectionTables[ConsumedEvent] = ProjectionTables(TABLES, project_case_event)


_SELLER_TIMEOUTS = (RefundTrigger.ANSWER_TIMEOUT, RefundTrigger.RETURN_CONFIRM_TIMEOUT)


def opened_row(event: RefundRequested, at: datetime) -> dict[str, Any]:
    return {
        "case_id": event.case_id, "order_id": event.order_id, "shop_id": event.shop_id,
        "buyer_id": event.buyer_id, "kind": event.kind.value, "reason": event.reason.value,
        "description": event.description, "status": CaseStatus.WAITING_SELLER.value,
        "currency": event.amount.currency, "amount": event.amount.amount,
        "items": [item.model_dump() for item in event.items],
        "goods_status": event.goods_status.value,
        "intercept": event.reason is RefundReason.CANCELLED_AFTER_SHIPMENT,
        "answer_due_by": event.answer_due_by, **_next(event.answer_due_by, "answer"),
        "opened_at": at, "updated_at": at,
    }  # fmt: skip


def changed_columns(row: Mapping[str, Any], event: RefundCaseEvent) -> dict[str, Any]:
    """The columns `event` changes on the case `row` (the row as last written)."""
    match event:
        case RefundAmended():
            return {
                "kind": event.kind.value, "reason": event.reason.value,
                "description": event.description, "amount": event.amount.amount,
                "items": [item.model_dump() for item in event.items],
                "status": CaseStatus.WAITING_SELLER.value, "answer_due_by": event.answer_due_by,
                "appeal_by": None, "rejection_reason": None, "rejection_note": None,
                **_next(event.answer_due_by, "answer"),
            }  # fmt: skip
        case RefundGoodsStatusCorrected():
            return {"goods_status": event.goods_status.value, "answer_due_by": event.answer_due_by,
                    **_next(event.answer_due_by, "answer")}  # fmt: skip
        case RefundApproved():
            return _approved(row, event)
        case RefundRejected() | ReturnRejected():
            status = (CaseStatus.REFUND_REJECTED if isinstance(event, RefundRejected)
                      else CaseStatus.RETURN_REJECTED)  # fmt: skip
            return {"status": status.value, "rejection_reason": event.reason.value,
                    "rejection_note": event.note, "appeal_by": event.appeal_by,
                    **_next(event.appeal_by, "appeal")}  # fmt: skip
        case ReturnShipped():
            return {"status": CaseStatus.WAITING_RETURN_RECEIPT.value,
                    "return_waybill": event.waybill.model_dump(), "confirm_by": event.confirm_by,
                    **_next(event.confirm_by, "return_confirmation")}  # fmt: skip
        case Disputed():
            return _disputed(event)
        case DisputeEvidenceAdded() | DisputeResolved():
            return _dispute_changed(row, event)
        case Refunded():
            timed_out = bool(row["seller_timed_out"]) or event.trigger in _SELLER_TIMEOUTS
            return {"status": CaseStatus.REFUNDED.value, "refunded_amount": event.amount.amount,
                    "refund_trigger": event.trigger.value, "seller_timed_out": timed_out,
                    "ended_at": event.refunded_at, **_next(None, None)}  # fmt: skip
        case RefundClosed() | RefundWithdrawn():
            reason = (event.reason if isinstance(event, RefundClosed)
                      else RefundCloseReason.WITHDRAWN)  # fmt: skip
            return {"status": CaseStatus.CLOSED.value, "close_reason": reason.value,
                    **_next(None, None)}  # fmt: skip
        case ReturnReceived():
            return {}
    return {}


def _approved(row: Mapping[str, Any], event: RefundApproved) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "automatic_approval": event.automatic,
        # The recovery case of the cancel-vs-ship race is approved by design, not by silence.
        "seller_timed_out": bool(row["seller_timed_out"]) or (event.automatic
                                                               and not row["intercept"]),
        **_next(None, None),
    }  # fmt: skip
    if event.return_by is not None:
        address = event.return_address.model_dump() if event.return_address else None
        changes |= {"status": CaseStatus.WAITING_RETURN.value, "return_by": event.return_by,
                    "return_address": address,
                    **_next(event.return_by, "return_shipment")}  # fmt: skip
    return changes


def _disputed(event: Disputed) -> dict[str, Any]:
    dispute: dict[str, Any] = {
        "opened_by": event.opened_by.value, "reason": event.reason,
        "evidence_due_by": event.evidence_due_by.isoformat(), "evidence": [], "ruling": None,
    }  # fmt: skip
    return {"status": CaseStatus.DISPUTED.value, "disputed": True, "dispute": dispute,
            **_next(event.evidence_due_by, "evidence")}  # fmt: skip


def _dispute_changed(
    row: Mapping[str, Any], event: DisputeEvidenceAdded | DisputeResolved
) -> dict[str, Any]:
    dispute = dict(row["dispute"] or {})
    if isinstance(event, DisputeEvidenceAdded):
        piece = event.model_dump(
            mode="json", include={"evidence_id", "submitted_by", "description", "attachments"}
        )
        dispute["evidence"] = [*dispute.get("evidence", []), piece]
        return {"dispute": dispute}
    dispute["ruling"] = event.model_dump(
        mode="json", include={"outcome", "refund_amount", "responsible_party", "note"}
    )
    return {"dispute": dispute, "ruling_outcome": event.outcome.value,
            "responsible_party": event.responsible_party.value}  # fmt: skip


def _next(due_at: datetime | None, kind: str | None) -> dict[str, Any]:
    """The deadline the case waits on now (the due-soon view sorts on it)."""
    return {"next_deadline_at": due_at, "next_deadline_kind": kind}
