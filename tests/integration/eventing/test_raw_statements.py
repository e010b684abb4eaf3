"""`eventing.database.RawStatement`: a statement on the driver connection beneath SQLAlchemy's
runs in that connection's transaction, and fails the way SQLAlchemy's statements fail."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.database import RawStatement, single_statements
from eventing.http.guard import database_unavailable

_CLAIM = RawStatement(
    "INSERT INTO eventing.idempotency_keys"
    " (scope, key, request_hash, status_code, body, headers, created_at, expires_at)"
    " VALUES ($1, $2, 'h', 0, 'null', '{}', now(), now() + interval '1 hour')"
)
_COUNT = RawStatement("SELECT count(*) AS n FROM eventing.idempotency_keys WHERE scope = $1")
_BODY = RawStatement(
    "SELECT body, headers FROM eventing.idempotency_keys WHERE scope = $1 AND key = $2"
)


async def _count(engine: AsyncEngine, scope: str) -> int:
    async with engine.connect() as connection:
        row = await _COUNT.fetchrow(connection, scope)
    assert row is not None
    return int(row["n"])


async def test_a_first_statement_on_the_driver_runs_in_the_transaction_and_rolls_back_with_it(
    engine: AsyncEngine,
) -> None:
    # Given a transaction whose first statement goes to the driver directly
    scope = f"raw-{uuid.uuid4().hex}"

    # When it inserts a row, then SQLAlchemy inserts one, and the transaction rolls back
    with pytest.raises(_Refused):
        await _insert_two_then_refuse(engine, scope)

    # Then neither row exists
    assert await _count(engine, scope) == 0


class _Refused(Exception):
    pass


async def _insert_two_then_refuse(engine: AsyncEngine, scope: str) -> None:
    async with engine.begin() as connection:
        await _CLAIM.execute(connection, scope, "first")
        await connection.execute(
            text(
                "INSERT INTO eventing.idempotency_keys (scope, key, request_hash,"
                " status_code, body, headers, created_at, expires_at) VALUES (:scope,"
                " 'second', 'h', 0, 'null', '{}', now(), now() + interval '1 hour')"
            ),
            {"scope": scope},
        )
        assert await _count_in(connection, scope) == 2
        raise _Refused


async def _count_in(connection: AsyncConnection, scope: str) -> int:
    row = await _COUNT.fetchrow(connection, scope)
    assert row is not None
    return int(row["n"])


async def test_statements_on_the_driver_commit_with_the_transaction(engine: AsyncEngine) -> None:
    scope = f"raw-{uuid.uuid4().hex}"
    async with engine.begin() as connection:
        await connection.execute(text("SELECT 1"))  # SQLAlchemy begins first this time
        await _CLAIM.execute(connection, scope, "a")
        await _CLAIM.execute(connection, scope, "b")
    assert await _count(engine, scope) == 2


async def test_an_autocommit_connection_commits_each_statement_on_its_own(
    engine: AsyncEngine,
) -> None:
    scope = f"raw-{uuid.uuid4().hex}"
    async with single_statements(engine) as connection:
        await _CLAIM.execute(connection, scope, "a")
        assert await _count(engine, scope) == 1  # seen from another connection at once


async def test_jsonb_is_read_decoded_as_through_the_engine(engine: AsyncEngine) -> None:
    scope = f"raw-{uuid.uuid4().hex}"
    async with engine.begin() as connection:
        await _CLAIM.execute(connection, scope, "k")
        row = await _BODY.fetchrow(connection, scope, "k")
        through_engine = (
            await connection.execute(
                text(
                    "SELECT body, headers FROM eventing.idempotency_keys"
                    " WHERE scope = :scope AND key = 'k'"
                ).columns(),
                {"scope": scope},
            )
        ).one()
    assert row is not None
    assert (row["body"], row["headers"]) == (None, {})
    assert (row["body"], row["headers"]) == tuple(through_engine)


async def test_a_database_error_is_sqlalchemys_with_the_drivers_error_as_orig(
    engine: AsyncEngine,
) -> None:
    # Given a key that exists
    scope = f"raw-{uuid.uuid4().hex}"
    async with single_statements(engine) as connection:
        await _CLAIM.execute(connection, scope, "k")

    # When it is inserted again on the driver
    with pytest.raises(IntegrityError) as raised:
        async with engine.begin() as connection:
            await _CLAIM.execute(connection, scope, "k")

    # Then the error is SQLAlchemy's IntegrityError, with the SQLSTATE on `orig`, not a
    # disconnect, and the connection went back to the pool usable
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    assert not raised.value.connection_invalidated
    assert not database_unavailable(raised.value)
    assert await _count(engine, scope) == 1


async def test_a_connection_the_server_terminated_is_invalidated_and_reported_unavailable(
    engine: AsyncEngine,
) -> None:
    # Given a transaction whose backend the server terminates, when its next statement goes
    # to the driver
    with pytest.raises(DBAPIError) as raised:
        await _statement_after_termination(engine)

    # Then SQLAlchemy's error says the connection was invalidated (an outage: 503), and the
    # pool hands out a working connection afterwards
    assert raised.value.connection_invalidated
    assert database_unavailable(raised.value)
    assert await _count(engine, "any") == 0


async def _statement_after_termination(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with single_statements(engine) as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await _COUNT.fetchrow(connection, "any")
