"""The edge guard: text no store can hold is refused before any route runs, and a failure that
escapes every handler still answers problem+json (503 `database-unavailable` while the database
is away, a 500 that leaks nothing otherwise).

PostgreSQL text cannot hold NUL and UTF-8 cannot encode a lone surrogate, yet Starlette decodes
`%00` in a path or query and JSON decodes `"\\u0000"` and `"\\udbe4"` happily; one such value
reaching SQL or an event would fail far from the request. The guard answers 422
`validation-error` naming where (`path`, `query.<name>`, `body.<member>...`), shaped like the
errors FastAPI's own validation reports.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
from sqlalchemy import exc as sa
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventing.http.problems import RETRY_AFTER_SECONDS, problem_response

_log = logging.getLogger(__name__)
_SURROGATE = re.compile("[\ud800-\udfff]")
_DATABASE_AWAY = (
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or vanished
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    sa.TimeoutError,  # no pooled connection came free
    OSError,  # refused, reset, unreachable: the only sockets a request opens are the database's
    socket.gaierror,
)

Location = tuple[str | int, ...]


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored or published (None: it can)."""
    if "\x00" in text:
        return "must not contain the NUL character (U+0000)"
    if _SURROGATE.search(text):
        return "must not contain a lone surrogate (U+D800 to U+DFFF)"
    return None


def unstorable_member(document: Any) -> tuple[Location, str] | None:
    """The first string (member name or value) of a JSON document that `unstorable` refuses."""
    pending: list[tuple[Location, Any]] = [((), document)]
    while pending:  # iterative: a deeply nested body must not exhaust the stack
        location, value = pending.pop()
        if isinstance(value, str):
            if reason := unstorable(value):
                return location, reason
        elif isinstance(value, dict):
            for name, member in value.items():
                if reason := unstorable(name):
                    return (*location, name), f"member name {reason}"
                pending.append(((*location, name), member))
        elif isinstance(value, list):
            pending.extend(((*location, index), item) for index, item in enumerate(value))
    return None


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database is unreachable or restarting (retrying may work)."""
    for cause in _causes(error):
        if isinstance(cause, _DATABASE_AWAY):
            return True
        if isinstance(cause, sa.DBAPIError) and cause.connection_invalidated:
            return True
        # A new connection the server closed while SQLAlchemy set it up (PostgreSQL shutting
        # down) surfaces unwrapped; asyncpg's other InterfaceErrors are misuse, not an outage.
        if isinstance(cause, asyncpg.InterfaceError) and str(cause) == "connection is closed":
            return True
    return False


class EdgeGuard:
    """ASGI middleware: see the module docstring. Outermost inside Starlette's own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _refusal_of_path_and_query(scope)
        if refusal is None and _json_body(scope):
            body, receive = await _buffered(receive)
            refusal = _refusal_of_body(body)
        if refusal is not None:
            location, reason = refusal
            await _invalid_text(scope, location, reason)(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            if started:  # too late for another answer; the server closes the connection
                raise
            await _failure(scope, error)(scope, receive, send)


def _refusal_of_path_and_query(scope: Scope) -> tuple[Location, str] | None:
    if reason := unstorable(scope["path"]):
        return ("path",), reason
    # Decoded as Starlette decodes it, so the guard sees what the route would get.
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if reason := unstorable(name):
            return ("query", name), f"parameter name {reason}"
        if reason := unstorable(value):
            return ("query", name), reason
    return None


def _json_body(scope: Scope) -> bool:
    """Whether FastAPI may decode the body as JSON: json, +json, or no content type (which
    some FastAPI versions decode as JSON too)."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = next(
        (value for name, value in scope["headers"] if name == b"content-type"), b""
    ).decode("latin-1")
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (
        media.startswith("application/") and media.endswith("+json")
    )


def _refusal_of_body(body: bytes) -> tuple[Location, str] | None:
    try:
        # Strict: Python's JSON decoder would let UTF-8-encoded surrogates through.
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ("body",), "must be UTF-8 encoded JSON"
    if "\\u" not in text:  # a NUL or a surrogate can only come in escaped
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON: FastAPI's own validation answers for it
    found = unstorable_member(document)
    if found is None:
        return None
    location, reason = found
    return ("body", *location), reason


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that hands it to the app as one message."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _invalid_text(scope: Scope, location: Location, reason: str) -> Any:
    where = ".".join(str(part) for part in location)
    return problem_response(
        422,
        "validation-error",
        "The request is not valid",
        f"{where}: {reason}",
        instance=_printable_path(scope),
        errors=[{"location": where, "message": reason, "error": "unstorable_text"}],
    )


def _failure(scope: Scope, error: Exception) -> Any:
    path = _printable_path(scope)
    if database_unavailable(error):
        _log.warning(
            "database unavailable for %s %s: %s", scope["method"], path, type(error).__name__
        )
        return problem_response(
            503,
            "database-unavailable",
            "The database is unavailable",
            "the service cannot reach its database right now; retry with the same "
            "Idempotency-Key after Retry-After seconds",
            instance=path,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            retryable=True,
        )
    _log.error("unexpected error for %s %s", scope["method"], path, exc_info=error)
    return problem_response(
        500,
        "internal-error",
        "Internal server error",
        "an unexpected error occurred; it was logged",
        instance=path,
    )


def _printable_path(scope: Scope) -> str:
    path: str = scope["path"]
    return _SURROGATE.sub("\ufffd", path).replace("\x00", "\ufffd")


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it wraps: explicit causes and SQLAlchemy's `orig` (not implicit
    contexts: a bug raised while handling a connection error is still a bug)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        for wrapped in (current.__cause__, orig):
            if isinstance(wrapped, BaseException):
                pending.append(wrapped)
