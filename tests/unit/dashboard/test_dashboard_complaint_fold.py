"""The complaint fold: a filing opens the row, escalation and the end set their times, the
last responsibility found wins (the shop's analysis, then the platform's ruling)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dashboard_service.projections import fold
from eventing.testing.service import example_event

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def complaint(kind: str, **changes: Any) -> Any:
    return example_event(f"aftersales.complaint_{kind}", **changes)


def test_a_filed_complaint_opens_its_row_at_its_filing_time() -> None:
    filed = complaint("filed", filed_at=AT)
    assert fold.filed_complaint(filed) == {
        "complaint_id": "CP-3", "order_id": "O-1001", "shop_id": "S-42", "filed_at": AT,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("event", "columns"),
    [
        (complaint("analysed", responsibility="carrier"), {"responsibility": "carrier"}),
        (complaint("escalated", escalated_at=AT), {"escalated_at": AT}),
        (complaint("ruled", responsibility="seller", ruled_at=AT),
         {"responsibility": "seller", "ended_at": AT}),
        (complaint("closed", closed_at=AT), {"ended_at": AT}),
        (complaint("accepted"), {}),
        (complaint("replied"), {}),
    ],
    ids=["analysed", "escalated", "ruled", "closed", "accepted", "replied"],
)  # fmt: skip
def test_each_later_event_sets_what_the_figures_count(event: Any, columns: dict[str, Any]) -> None:
    assert fold.complaint_columns(event) == columns
