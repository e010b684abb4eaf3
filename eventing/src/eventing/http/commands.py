"""How every command endpoint runs: Idempotency-Key, If-Match, one transaction, one answer.

`CommandRunner.run` opens the transaction and first claims the key
(`IdempotencyStore.claim`: an insert of the key's row, so requests that carry the same key
serialise on that row before anything else and never wait while holding the event store's
position lock), answers a retry with the stored first response, otherwise runs the command and
stores its response on the claimed row in the same transaction as its events. Refusals
(domain errors, conflicts) roll everything back and are not stored: a retry decides again.

The command's append is deferred (`eventing.aggregate.deferred_append`) until after the response
is stored, so the event store's position lock is held for the append and the commit only, not
for the idempotency write too. Work that runs several commands in one transaction (a batch
endpoint) passes `defer_append=False`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing import metrics
from eventing.aggregate import deferred_append
from eventing.clock import Clock, refresh_clock
from eventing.committed_events import counted_on_commit
from eventing.http.auth import Caller, CurrentCaller
from eventing.http.problems import ProblemError
from eventing.idempotency import IdempotencyStore, StoredResponse, request_fingerprint

REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
MAX_VERSION_DIGITS = 18  # a version is a PostgreSQL bigint
IDEMPOTENCY_KEY_PATTERN = f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"
ENTITY_TAG_PATTERN = f'^(W/)?"[0-9]{{1,{MAX_VERSION_DIGITS}}}"$'
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN.strip("^$"))
_ENTITY_TAG = re.compile(f'(W/)?"(?P<version>[0-9]{{1,{MAX_VERSION_DIGITS}}})"')


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command answers: a JSON body, its status, the new version (-> ETag), Location."""

    body: Any
    status_code: int = 200
    version: int | None = None
    location: str | None = None
    media_type: str = "application/json"  # e.g. problem+json for a refusal that is recorded


CommandWork = Callable[[AsyncConnection], Awaitable[CommandResult]]


def etag(version: int) -> str:
    """The entity tag of a resource at `version` (a strong validator: `"7"`)."""
    return f'"{version}"'


async def idempotency_key(
    _: CurrentCaller,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Unique per intended operation (e.g. a UUID); a retry with the same key "
            "and body gets the first response.",
        ),
    ] = None,
) -> str:
    if key is None or not key.strip():
        raise ProblemError(
            400,
            "idempotency-key-missing",
            "An Idempotency-Key header is required",
            "every command needs an `Idempotency-Key` header (e.g. a UUID) so it can be retried",
        )
    if _IDEMPOTENCY_KEY.fullmatch(key) is None:
        raise ProblemError(
            400,
            "idempotency-key-invalid",
            "The Idempotency-Key header is not valid",
            f"use 1 to {MAX_KEY_LENGTH} visible ASCII characters (no spaces)",
        )
    return key


async def if_match(
    _: CurrentCaller,
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The version the change is based on, as returned in ETag (`"7"`); '
            "412 if the resource has moved on.",
        ),
    ] = None,
) -> int | None:
    if value is None:
        return None
    match = _ENTITY_TAG.fullmatch(value.strip())
    if match is None:
        raise ProblemError(
            400,
            "invalid-if-match",
            "The If-Match header is not a version",
            f'expected a version such as "7" (the ETag you received), got {value[:40]!r}',
        )
    return int(match["version"])


# Both depend on the caller, so an unauthenticated request is a 401 whatever else is wrong.
IdempotencyKey = Annotated[str, Depends(idempotency_key)]
IfMatch = Annotated[int | None, Depends(if_match)]


class CommandRunner:
    """Runs command endpoints of one service (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, idempotency: IdempotencyStore, clock: Clock) -> None:
        self._engine = engine
        self._idempotency = idempotency
        self._clock = clock

    async def run(
        self,
        request: Request,
        key: str,
        caller: Caller,
        work: CommandWork,
        *,
        defer_append: bool = True,
    ) -> JSONResponse:
        """Run `work` once per (caller, key); a retry gets the stored response back."""
        scope = f"{caller.role.value}:{caller.subject}"
        fingerprint = request_fingerprint(request.method, request.url.path, await request.body())
        await refresh_clock(self._clock)
        # The events count in the business metrics after the commit, and a replay counts none.
        with counted_on_commit():
            async with self._engine.begin() as connection:
                stored = await self._idempotency.claim(
                    scope, key, fingerprint, connection=connection
                )
                if stored is not None:
                    metrics.IDEMPOTENT_REPLAYS.inc()
                    return _response(stored, replayed=True)
                with deferred_append() if defer_append else nullcontext() as pending:
                    result = await work(connection)
                    response = _stored(result)
                    await self._idempotency.complete(scope, key, response, connection=connection)
                    if pending is not None:
                        await pending.flush()
        return _response(response, replayed=False)


def _stored(result: CommandResult) -> StoredResponse:
    headers: dict[str, str] = {}
    if result.version is not None:
        headers["ETag"] = etag(result.version)
    if result.location is not None:
        headers["Location"] = result.location
    if result.media_type != "application/json":
        headers["Content-Type"] = result.media_type
    return StoredResponse(result.status_code, jsonable_encoder(result.body), headers)


def _response(stored: StoredResponse, *, replayed: bool) -> JSONResponse:
    headers = dict(stored.headers)
    media_type = headers.pop("Content-Type", "application/json")
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    return JSONResponse(stored.body, stored.status_code, headers=headers, media_type=media_type)
