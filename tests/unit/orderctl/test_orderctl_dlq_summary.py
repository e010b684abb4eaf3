"""`orderctl dlq show` summarises each error in one line; `--full` keeps the whole of it."""

from __future__ import annotations

from orderctl.dlq import ErrorSummary, _sequence, summarise_error

_DATABASE_ERROR = (
    "sqlalchemy.exc.DBAPIError: (sqlalchemy.dialects.postgresql.asyncpg.Error) "
    "<class 'asyncpg.exceptions.DeadlockDetectedError'>: deadlock detected\n"
    "DETAIL:  Process 4711 waits for ShareLock on transaction 99.\n"
    "[SQL: INSERT INTO shipments (order_id, status)\n  VALUES ($1, $2)\n"
    "  ON CONFLICT DO NOTHING]\n"
    "[parameters: ('o-1', 'awaiting_dispatch')]\n"
    "(Background on this error at: https://sqlalche.me/e/20/dbapi)"
)


def test_a_database_error_is_its_class_first_line_and_statement() -> None:
    summary = summarise_error({"error": _DATABASE_ERROR, "error_type": "sqlalchemy.exc.DBAPIError"})

    assert summary.kind == "DBAPIError"
    assert summary.first_line.startswith("(sqlalchemy.dialects.postgresql.asyncpg.Error)")
    assert "\n" not in summary.first_line
    assert len(summary.first_line) <= 120
    assert summary.where.startswith("SQL: INSERT INTO shipments (order_id, status) VALUES")
    assert "parameters" not in summary.where


def test_another_error_is_located_by_the_record_it_came_from() -> None:
    failure = {
        "error": "tests.Poisoned: refusing order.placed of O-bad",
        "error_type": "tests.Poisoned",
        "origin_topic": "orders.order.v1",
        "origin_partition": "2",
        "origin_offset": "41",
    }

    assert summarise_error(failure) == ErrorSummary(
        "Poisoned", "refusing order.placed of O-bad", "orders.order.v1/2@41"
    )


def test_a_padded_sequence_shows_as_a_plain_number() -> None:
    assert [_sequence(s) for s in ("0000000000000000007", "7", "")] == ["7", "7", ""]
