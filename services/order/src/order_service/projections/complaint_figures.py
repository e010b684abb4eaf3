"""The complaint half of the shop figures (issue 21): one `order_complaints` row per complaint,
derived from the order's timeline (the aftersales events the read model already folds), and
the counts over a period: complaints filed, resolved within deadline (closed without the
platform), escalated, and the responsibility split."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import column, func, select, table
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from order_service.projections.tables import order_complaints

_PREFIX = "aftersales.complaint_"
_ENDS = {"aftersales.complaint_ruled": "ruled_at", "aftersales.complaint_closed": "closed_at"}


def complaint_rows(others: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The complaint rows of an order from its timeline rows of other services (in the
    aftersales stream's order): filed, escalated and ended times, the last responsibility found
    (the shop's analysis, then the platform's ruling)."""
    rows: dict[str, dict[str, Any]] = {}
    steps = sorted(
        (row for row in others if row["event_type"].startswith(_PREFIX)),
        key=lambda row: row["sequence"],
    )
    for step in steps:
        data, kind = step["data"], step["event_type"]
        if kind == "aftersales.complaint_filed":
            rows[data["complaint_id"]] = {
                "complaint_id": data["complaint_id"], "order_id": data["order_id"],
                "shop_id": data["shop_id"], "filed_at": _time(data["filed_at"]),
                "escalated_at": None, "ended_at": None, "responsibility": None,
            }  # fmt: skip
            continue
        row = rows.get(data["complaint_id"])
        if row is None:
            continue  # its filing is not in the timeline yet
        if kind == "aftersales.complaint_escalated":
            row["escalated_at"] = _time(data["escalated_at"])
        if kind in _ENDS:
            row["ended_at"] = _time(data[_ENDS[kind]])
        if data.get("responsibility"):
            row["responsibility"] = data["responsibility"]
    return list(rows.values())


async def write_complaint_rows(
    connection: AsyncConnection, name: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    if rows:
        await connection.execute(_upsert(name), list(rows))


@functools.lru_cache(maxsize=8)
def _upsert(name: str) -> Insert:
    """The upsert into `order_complaints` under `name` (itself, or a rebuild's shadow)."""
    target = table(name, *(column(c.name, c.type) for c in order_complaints.c))
    inserted = insert(target)
    changing = ("escalated_at", "ended_at", "responsibility", "filed_at")
    return inserted.on_conflict_do_update(
        index_elements=["complaint_id"], set_={c: inserted.excluded[c] for c in changing}
    )


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class ComplaintTotals:
    """Complaints filed in a period and what became of them."""

    filed: int = 0
    resolved_within_deadline: int = 0
    escalated: int = 0
    responsibility: dict[str, int] = field(default_factory=dict)


async def complaint_totals(
    connection: AsyncConnection, shop_id: str | None, start: Any, end: Any
) -> ComplaintTotals:
    """Over the complaints filed in [start, end) (either side unbounded when None), of one shop
    or of all."""
    c = order_complaints.c
    where = []
    if shop_id is not None:
        where.append(c.shop_id == shop_id)
    if start is not None:
        where.append(c.filed_at >= start)
    if end is not None:
        where.append(c.filed_at < end)
    counted = (
        await connection.execute(
            select(
                func.count(),
                func.count().filter(c.ended_at.is_not(None), c.escalated_at.is_(None)),
                func.count().filter(c.escalated_at.is_not(None)),
            ).where(*where)
        )
    ).one()
    split = await connection.execute(
        select(c.responsibility, func.count())
        .where(*where, c.responsibility.is_not(None))
        .group_by(c.responsibility)
    )
    found = {str(party): int(count) for party, count in split}
    return ComplaintTotals(int(counted[0]), int(counted[1]), int(counted[2]), found)
