"""The Idempotency-Key store: a retried command gets the first response, never a second effect.

Save the response in the same transaction as the command's events, so "effect happened" and
"response stored" are one fact. Same key with a different request body is refused with
`IdempotencyKeyReused` (the HTTP layer answers 422).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
from sqlalchemy import RowMapping, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.clock import Clock, SystemClock
from eventing.database import RawStatement
from eventing.schema import idempotency_keys


class IdempotencyKeyReused(Exception):
    """The key was already used for a different request (HTTP 422)."""

    def __init__(self, scope: str, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different {scope} request"
        )
        self.scope = scope
        self.key = key


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The response a command produced the first time (JSON body)."""

    status_code: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """A hash of what the client asked for; the key must always come with the same request."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyStore:
    """Stored responses per (scope, key), expiring after `ttl`."""

    def __init__(
        self, engine: AsyncEngine, clock: Clock | None = None, ttl: timedelta = timedelta(hours=24)
    ) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()
        self.ttl = ttl

    async def lookup(
        self, scope: str, key: str, request_hash: str, *, connection: AsyncConnection | None = None
    ) -> StoredResponse | None:
        """The stored response for a retry, None for a new (or expired) key."""
        statement = select(idempotency_keys).where(
            idempotency_keys.c.scope == scope,
            idempotency_keys.c.key == key,
            idempotency_keys.c.expires_at > self._clock.now(),
        )
        if connection is None:
            async with self._engine.connect() as own:
                row = (await own.execute(statement)).first()
        else:
            row = (await connection.execute(statement)).first()
        return None if row is None else _checked(row._mapping, scope, key, request_hash)

    async def save(
        self,
        scope: str,
        key: str,
        request_hash: str,
        response: StoredResponse,
        *,
        connection: AsyncConnection,
    ) -> StoredResponse:
        """Store the response in the command's transaction; returns the response that counts.

        When a concurrent request with the same key committed first, its response is returned
        and the caller should roll back its own work and answer with it.
        """
        now = self._clock.now()
        statement = insert(idempotency_keys).values(
            scope=scope,
            key=key,
            request_hash=request_hash,
            status_code=response.status_code,
            body=response.body,
            headers=dict(response.headers),
            created_at=now,
            expires_at=now + self.ttl,
        )
        upsert = statement.on_conflict_do_update(
            index_elements=["scope", "key"],
            set_={column: statement.excluded[column] for column in
                  ("request_hash", "status_code", "body", "headers", "created_at", "expires_at")},
            where=idempotency_keys.c.expires_at <= now,
        ).returning(idempotency_keys.c.key)  # fmt: skip
        if (await connection.execute(upsert)).first() is not None:
            return response
        row = (
            await connection.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
                )
            )
        ).one()
        return _checked(row._mapping, scope, key, request_hash)

    async def claim(
        self, scope: str, key: str, request_hash: str, *, connection: AsyncConnection
    ) -> StoredResponse | None:
        """Take the key for this transaction, or get the response it already has.

        None: the key is this transaction's (new, or expired and taken over); run the command,
        then `complete` it before committing. A concurrent request with the same key waits on
        the first one's row until that transaction ends: when it committed, the second gets its
        response; when it rolled back (a refusal), the second claims the key. One statement for
        a new key, where a lock and a lookup took two; a replay reads the stored row after.
        """
        now = self._clock.now()
        claimed = await _CLAIM.fetchrow(connection, scope, key, request_hash, now, now + self.ttl)
        if claimed is not None:
            return None
        stored = await _STORED.fetchrow(connection, scope, key)
        if stored is None:  # the claim's conflict locked the row until this transaction ends
            raise LookupError(f"idempotency key {key!r} of {scope!r} vanished while locked")
        return _checked(stored, scope, key, request_hash)

    async def complete(
        self, scope: str, key: str, response: StoredResponse, *, connection: AsyncConnection
    ) -> None:
        """Store the response of a claimed key, in the command's transaction."""
        await _COMPLETE.execute(
            connection,
            scope,
            key,
            response.status_code,
            json.dumps(response.body),
            json.dumps(dict(response.headers)),
        )

    async def purge_expired(self) -> int:
        """Delete expired keys; the number deleted."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(idempotency_keys).where(idempotency_keys.c.expires_at <= self._clock.now())
            )
        return int(result.rowcount)


# On the driver connection (`RawStatement`): the claim and its completion run on every command.
# The claim answers the key when it is this transaction's (inserted, or expired and taken
# over); nothing when another request's row holds it, which the conflict has then waited for
# and locked, so its stored answer is read next.
_CLAIM = RawStatement(
    "INSERT INTO eventing.idempotency_keys AS k"
    " (scope, key, request_hash, status_code, body, headers, created_at, expires_at)"
    " VALUES ($1, $2, $3, 0, 'null', '{}', $4, $5)"
    " ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,"
    " status_code = 0, body = 'null', headers = '{}', created_at = excluded.created_at,"
    " expires_at = excluded.expires_at"
    " WHERE k.expires_at <= $4"
    " RETURNING k.key"
)
_STORED = RawStatement(
    "SELECT request_hash, status_code, body, headers FROM eventing.idempotency_keys"
    " WHERE scope = $1 AND key = $2"
)
_COMPLETE = RawStatement(
    "UPDATE eventing.idempotency_keys"
    " SET status_code = $3, body = CAST($4 AS jsonb), headers = CAST($5 AS jsonb)"
    " WHERE scope = $1 AND key = $2"
)


def _checked(
    row: RowMapping | asyncpg.Record, scope: str, key: str, request_hash: str
) -> StoredResponse:
    if row["request_hash"] != request_hash:
        raise IdempotencyKeyReused(scope, key)
    return StoredResponse(row["status_code"], row["body"], row["headers"])
