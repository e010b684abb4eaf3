"""Row-by-row comparison of a live table with its rebuild, and merging of order histories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from contracts.parties import Service
from eventing.events import EventMetadata, RecordedEvent
from orderctl.differences import compare_rows
from orderctl.history import merge_histories

COLUMNS = ("order_id", "status", "totals")


def test_rows_are_matched_by_key_and_differing_columns_are_named() -> None:
    live = [
        {"order_id": "O-1", "status": "paid", "totals": {"paid": 100}},
        {"order_id": "O-2", "status": "paid", "totals": {}},
        {"order_id": "O-9", "status": "ghost", "totals": {}},
    ]
    rebuilt = [
        {"order_id": "O-1", "status": "shipped", "totals": {"paid": 100}},
        {"order_id": "O-2", "status": "paid", "totals": {}},
        {"order_id": "O-3", "status": "placed", "totals": {}},
    ]

    result = compare_rows("summaries", live, rebuilt, key_columns=("order_id",), columns=COLUMNS)

    assert not result.same
    assert result.compared_rows == 3
    assert [(c.key, c.columns) for c in result.changed] == [
        ({"order_id": "O-1"}, {"status": ("paid", "shipped")})
    ]
    assert result.missing == [{"order_id": "O-3", "status": "placed", "totals": {}}]
    assert result.extra == [{"order_id": "O-9", "status": "ghost", "totals": {}}]


def test_json_values_compare_by_content_not_key_order() -> None:
    live = [{"order_id": "O-1", "status": "x", "totals": {"a": 1, "b": [1, {"c": 2}]}}]
    rebuilt = [{"order_id": "O-1", "status": "x", "totals": {"b": [1, {"c": 2}], "a": 1}}]

    assert compare_rows("t", live, rebuilt, key_columns=("order_id",), columns=COLUMNS).same


def test_tables_without_a_natural_key_compare_as_multisets() -> None:
    live = [{"order_id": "O-1", "status": "a", "totals": 1}] * 2
    rebuilt = [{"order_id": "O-1", "status": "a", "totals": 1}] * 3 + [
        {"order_id": "O-2", "status": "b", "totals": 2}
    ]

    result = compare_rows("timeline", live, rebuilt, key_columns=(), columns=COLUMNS)

    assert result.key_columns == ()
    assert result.missing == [
        {"order_id": "O-1", "status": "a", "totals": 1},
        {"order_id": "O-2", "status": "b", "totals": 2},
    ]
    assert result.extra == []


rows = st.lists(
    st.fixed_dictionaries(
        {
            "order_id": st.sampled_from(["O-1", "O-2", "O-3"]),
            "status": st.sampled_from(["placed", "paid"]),
            "totals": st.integers(0, 3),
        }
    ),
    max_size=8,
)


@given(rows)
def test_a_table_compared_with_itself_has_no_differences(table: list[dict[str, object]]) -> None:
    keyed = list({row["order_id"]: row for row in table}.values())
    assert compare_rows("t", keyed, keyed, key_columns=("order_id",), columns=COLUMNS).same
    assert compare_rows("t", table, list(reversed(table)), key_columns=(), columns=COLUMNS).same


def _event(position: int, version: int, at: datetime) -> RecordedEvent:
    return RecordedEvent(
        position,
        "O-1",
        version,
        uuid.uuid4(),
        "order.paid",
        1,
        "t",
        {},
        EventMetadata(actor="buyer"),
        at,
        at,
    )


def test_histories_merge_by_time_then_service_then_position() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    merged = merge_histories(
        {
            Service.AFTERSALES: [_event(1, 1, t0)],
            Service.LOGISTICS: [_event(7, 1, t0 + timedelta(seconds=1)), _event(3, 2, t0)],
            Service.ORDER: [_event(9, 1, t0), _event(10, 2, t0 + timedelta(seconds=2))],
        }
    )

    assert [(e.service.value, e.event.position) for e in merged] == [
        ("order", 9),
        ("logistics", 3),
        ("aftersales", 1),
        ("logistics", 7),
        ("order", 10),
    ]
