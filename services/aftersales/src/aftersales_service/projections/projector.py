"""The refund-case projector: one row per case, plus each order's after-sales stream version;
how each event changes a row is pure (`opened_row`, `changed_columns`).

It is set-based: a batch of events is folded per case in Python from the case rows it
touches (read in one statement), then each table is written once (`eventing.set_based`). One
event is a batch of one, so the live subscription, its per-event fallback and the rebuilds
share one logic."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, TextClause, text
from sqlalchemy.dialects.postgresql import JSONB
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
from contracts.events.base import EventPayload
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import ProjectionTables, TableNames, table_for
from eventing.set_based import (
    Row,
    current_rows,
    json_text,
    json_value,
    write_rows,
    written_columns,
)

TABLES = (refund_cases.name, refund_orders.name)
_codec = ContractsCodec()
_ENDED = (CaseStatus.REFUNDED.value, CaseStatus.CLOSED.value)
_JSON_COLUMNS = tuple(c.name for c in refund_cases.c if isinstance(c.type, JSONB))
# A case row's columns before any event set them (the table's defaults).
_NEW_CASE: Row = dict.fromkeys(written_columns(refund_cases)) | {
    "automatic_approval": False,
    "seller_timed_out": False,
    "disputed": False,
}


async def project_case_event(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    """Idempotent per stream sequence: a case row remembers the last sequence of its order's
    stream it applied and ignores anything not newer (redelivery, rebuild overlap)."""
    await project_case_events([event], connection, tables)


async def project_case_events(
    events: Sequence[ConsumedEvent], connection: AsyncConnection, tables: TableNames
) -> None:
    """Apply after-sales events in order, as `project_case_event` applied to each would: the
    cases read once, each table written once."""
    steps: list[tuple[RefundCaseEvent, int, datetime]] = []
    stream: list[tuple[EventPayload, int, datetime]] = []  # complaints move the version too
    for consumed in events:
        envelope = _codec.envelope(consumed)
        stream.append((envelope.data, consumed.sequence, envelope.time))
        if isinstance(envelope.data, RefundCaseEvent):
            steps.append((envelope.data, consumed.sequence, envelope.time))
    if not stream:
        return
    cases, orders = table_for(refund_cases, tables), table_for(refund_orders, tables)
    await _advance_orders(connection, orders, stream)
    if not steps:
        return
    shown = await current_rows(connection, cases, "case_id", {e.case_id: None for e, _, _ in steps})
    rows: dict[str, Row] = {row["case_id"]: row for row in shown}
    changed: dict[str, Row] = {}
    for event, sequence, at in steps:
        row = _applied(rows.get(event.case_id), event, sequence, at)
        if row is not None:
            rows[event.case_id] = changed[event.case_id] = row
    await write_rows(connection, cases, list(changed.values()), ("case_id",), replace=True)


def _applied(row: Row | None, event: RefundCaseEvent, sequence: int, at: datetime) -> Row | None:
    """The case row after `event`, or None when the event leaves it as it is."""
    if isinstance(event, RefundRequested):
        if row is not None:
            return None
        opened = opened_row(event, at) | {"last_sequence": sequence}
        return _NEW_CASE | opened | {"items": json_text(opened["items"])}
    if row is None or row["last_sequence"] >= sequence:
        return None
    readable = row | {name: json_value(row[name]) for name in _JSON_COLUMNS}
    changes = changed_columns(readable, event)
    if isinstance(event, Disputed):
        changes["disputed_at"] = at
    if changes.get("status") in _ENDED:
        changes.setdefault("ended_at", at)
    for name in _JSON_COLUMNS:
        if name in changes:
            changes[name] = json_text(changes[name])
    return row | changes | {"updated_at": at, "last_sequence": sequence}


async def _advance_orders(
    connection: AsyncConnection,
    orders: Table,
    steps: Sequence[tuple[EventPayload, int, datetime]],
) -> None:
    """Each order's row at the highest sequence seen (its shop from its first event)."""
    shops: dict[str, str] = {}
    versions: dict[str, int] = {}
    for event, sequence, _ in steps:
        shops.setdefault(event.order_id, event.shop_id)
        versions[event.order_id] = max(versions.get(event.order_id, sequence), sequence)
    await connection.execute(
        _advance_statement(orders),
        {"orders": list(shops), "shops": list(shops.values()), "versions": list(versions.values())},
    )


@functools.lru_cache(maxsize=64)
def _advance_statement(orders: Table) -> TextClause:
    return text(
        f'INSERT INTO "{orders.name}" AS o (order_id, shop_id, stream_version)'
        " SELECT * FROM unnest(CAST(:orders AS TEXT[]), CAST(:shops AS TEXT[]),"
        " CAST(:versions AS INTEGER[]))"
        " ON CONFLICT (order_id) DO UPDATE"
        " SET stream_version = greatest(o.stream_version, EXCLUDED.stream_version)"
    )


REFUND_CASES: ProjectionTables[ConsumedEvent] = ProjectionTables(
    TABLES, project_case_event, batch_projector=project_case_events
)


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
