"""The complaint projector: one row per complaint (detail, the buyer's list, the shop's queue by
deadline, the platform's escalated queue, the figures); how each event changes a row is pure
(`complaint_changes`). Set-based like the refund-case projector: a batch's complaints read once,
written once; idempotent per stream sequence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.domain.complaints import ComplaintStatus
from aftersales_service.projections.tables import complaints
from contracts.events.aftersales import (
    ComplaintAccepted,
    ComplaintAnalysed,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintEvent,
    ComplaintFiled,
    ComplaintFollowedUp,
    ComplaintHandled,
    ComplaintReplied,
    ComplaintRuled,
)
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.rebuild import ProjectionTables, TableNames, table_for
from eventing.set_based import Row, current_rows, json_text, json_value, write_rows, written_columns

_codec = ContractsCodec()
_JSON_COLUMNS = tuple(c.name for c in complaints.c if isinstance(c.type, JSONB))
_NEW: Row = dict.fromkeys(written_columns(complaints))


async def project_complaint_event(
    event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
) -> None:
    await project_complaint_events([event], connection, tables)


async def project_complaint_events(
    events: Sequence[ConsumedEvent], connection: AsyncConnection, tables: TableNames
) -> None:
    """Apply after-sales events in order (those of refund cases are not this model's)."""
    steps: list[tuple[ComplaintEvent, int, datetime]] = []
    for consumed in events:
        envelope = _codec.envelope(consumed)
        if isinstance(envelope.data, ComplaintEvent):
            steps.append((envelope.data, consumed.sequence, envelope.time))
    if not steps:
        return
    table = table_for(complaints, tables)
    ids = {event.complaint_id: None for event, _, _ in steps}
    rows: dict[str, Row] = {
        row["complaint_id"]: row
        for row in await current_rows(connection, table, "complaint_id", ids)
    }
    changed: dict[str, Row] = {}
    for event, sequence, at in steps:
        row = _applied(rows.get(event.complaint_id), event, sequence, at)
        if row is not None:
            rows[event.complaint_id] = changed[event.complaint_id] = row
    await write_rows(connection, table, list(changed.values()), ("complaint_id",), replace=True)


def _applied(row: Row | None, event: ComplaintEvent, sequence: int, at: datetime) -> Row | None:
    if isinstance(event, ComplaintFiled):
        if row is not None:
            return None
        filed = filed_row(event) | {"updated_at": at, "last_sequence": sequence}
        return _NEW | {**filed, "attachments": json_text(filed["attachments"])}
    if row is None or row["last_sequence"] >= sequence:
        return None
    changes = complaint_changes(event)
    if isinstance(event, ComplaintAccepted):
        changes["accepted_at"] = at
    for name in _JSON_COLUMNS:
        if name in changes:
            changes[name] = json_text(changes[name])
    return row | changes | {"updated_at": at, "last_sequence": sequence}


def filed_row(event: ComplaintFiled) -> dict[str, Any]:
    return {
        "complaint_id": event.complaint_id, "order_id": event.order_id, "shop_id": event.shop_id,
        "buyer_id": event.buyer_id, "filed_by": event.filed_by.value, "about": event.about.value,
        "category": event.category.value, "text": event.text,
        "attachments": list(event.attachments), "status": ComplaintStatus.WAIT_SELLER_ACCEPT.value,
        "filed_at": event.filed_at, "accept_due_by": event.accept_due_by,
        **_next(event.accept_due_by, "accept"),
    }  # fmt: skip


def complaint_changes(event: ComplaintEvent) -> dict[str, Any]:
    """The columns `event` changes on its complaint's row."""
    match event:
        case ComplaintAccepted():
            status = ComplaintStatus.WAIT_SELLER_ANALYSE.value
            return {"status": status, "accept_note": event.note,
                    "reply_due_by": event.reply_due_by,
                    **_next(event.reply_due_by, "reply")}  # fmt: skip
        case ComplaintAnalysed():
            status = ComplaintStatus.WAIT_SELLER_HANDLE.value
            return {"status": status, "responsibility": event.responsibility.value,
                    "finding": event.finding}  # fmt: skip
        case ComplaintHandled():
            return {"status": ComplaintStatus.WAIT_SELLER_REPLY.value,
                    "remedy": event.remedy.model_dump(mode="json")}  # fmt: skip
        case ComplaintReplied():
            return {"status": ComplaintStatus.WAIT_BUYER_FOLLOW_UP.value, "reply": event.reply,
                    "replied_at": event.replied_at, "follow_up_by": event.follow_up_by,
                    **_next(event.follow_up_by, "follow_up")}  # fmt: skip
        case ComplaintFollowedUp():
            return {"satisfied": event.satisfied, "follow_up_comment": event.comment}
        case ComplaintEscalated():
            return {"status": ComplaintStatus.PLATFORM_INTERVENED.value,
                    "escalation_reason": event.reason.value, "escalated_at": event.escalated_at,
                    **_next(None, None)}  # fmt: skip
        case ComplaintRuled():
            ruling = event.model_dump(
                mode="json",
                include={"outcome", "responsibility", "note", "compensation", "ruled_at"},
            )
            return {"status": ComplaintStatus.CLOSED.value, "ruling": ruling,
                    "ruling_outcome": event.outcome.value,
                    "responsibility": event.responsibility.value, "ended_at": event.ruled_at,
                    **_next(None, None)}  # fmt: skip
        case ComplaintClosed():
            return {"status": ComplaintStatus.CLOSED.value, "close_reason": event.reason.value,
                    "ended_at": event.closed_at, **_next(None, None)}  # fmt: skip
    raise TypeError(f"not a complaint event: {event!r}")


def _next(due_at: datetime | None, kind: str | None) -> dict[str, Any]:
    """The deadline the complaint waits on now (the shop's queue sorts on it)."""
    return {"next_deadline_at": due_at, "next_deadline_kind": kind}


def shown(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with its JSON columns decoded (as `current_rows` reads them: text)."""
    return {**row, **{name: json_value(row[name]) if isinstance(row[name], str) else row[name]
                      for name in _JSON_COLUMNS}}  # fmt: skip


COMPLAINTS: ProjectionTables[ConsumedEvent] = ProjectionTables(
    (complaints.name,), project_complaint_event, batch_projector=project_complaint_events
)
