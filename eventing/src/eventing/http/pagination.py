"""Keyset (cursor) pagination: opaque, signed cursors that encode the last row's sort key.

A list endpoint orders by a unique key (e.g. `(created_at, order_id)`), fetches `limit + 1`
rows, and returns `next_cursor` built from the last row it returns. A cursor is base64url JSON
plus an HMAC-SHA256 tag over it and the list it came from (path and filters, not `cursor` or
`limit`), keyed by the service's cursor key (`CursorSigning`, installed by the app shell): a
tampered, foreign or mistyped cursor is a 400 `invalid-cursor` problem, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import Query
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from eventing.http.problems import ProblemError

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 1024
_TAG_BYTES = 16  # 128 bits of HMAC-SHA256: unforgeable, and a cursor stays short
_UNBOUND_QUERY = frozenset({"cursor", "limit"})

PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (1-{MAX_LIMIT}).")]
PageCursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="`next_cursor` of the previous page (opaque; valid for the same list and "
        "filters only); omit for the first page.",
    ),
]

CursorField = type[str] | type[int] | type[datetime]
"""What a cursor member may be required as: `datetime` is parsed from its ISO 8601 text."""


class Page(BaseModel, Generic[T]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[T] = Field(description="The rows of this page.")
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")


def cursor_key(secret: str) -> bytes:
    """The cursor-signing key derived from a service's auth secret (never the secret itself)."""
    return hmac.new(secret.encode(), b"orderflow/cursor/v1", hashlib.sha256).digest()


# Outside a request (scripts, unit tests) cursors are signed with a key of this process only:
# they round-trip here and are worthless anywhere else.
_PROCESS_KEY = secrets.token_bytes(32)
_signing: ContextVar[tuple[bytes, str]] = ContextVar("cursor_signing", default=(_PROCESS_KEY, ""))


@contextmanager
def signing_cursors(key: bytes, scope: str = "") -> Iterator[None]:
    """Within the block, cursors are signed with `key` and bound to the list `scope`."""
    token = _signing.set((key, scope))
    try:
        yield
    finally:
        _signing.reset(token)


class CursorSigning:
    """ASGI middleware: each HTTP request signs and checks cursors with `key`, bound to its
    path and its query parameters other than `cursor` and `limit`."""

    def __init__(self, app: ASGIApp, key: bytes) -> None:
        self.app = app
        self.key = key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with signing_cursors(self.key, list_scope(scope["path"], scope["query_string"])):
            await self.app(scope, receive, send)


def list_scope(path: str, query_string: bytes) -> str:
    """What a cursor is bound to: the path and the sorted filters of the list."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    filters = sorted((name, value) for name, value in pairs if name not in _UNBOUND_QUERY)
    return json.dumps([path, filters], separators=(",", ":"))


def encode_cursor(position: Mapping[str, Any]) -> str:
    """An opaque cursor for the sort-key values in `position` (JSON-serialisable)."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True, default=str).encode()
    return f"{_b64(raw)}.{_b64(_tag(raw))}"


def decode_cursor(
    cursor: str, *, required: Sequence[str] | Mapping[str, CursorField] = ()
) -> dict[str, Any]:
    """The sort-key values of a cursor; 400 `invalid-cursor` if it is not one this list
    returned. Each name in `required` must be present as a string or integer; with a mapping,
    as that type (a `datetime` member is returned parsed)."""
    payload, _, tag = cursor.partition(".")
    try:
        raw = _unb64(payload)
        genuine = hmac.compare_digest(_unb64(tag), _tag(raw))
        position = json.loads(raw) if genuine else None
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise _invalid(cursor) from error
    if not isinstance(position, dict):
        raise _invalid(cursor)
    expected: Mapping[str, CursorField | None] = (
        required if isinstance(required, Mapping) else dict.fromkeys(required)
    )
    for name, kind in expected.items():
        position[name] = _member(cursor, position.get(name), kind)
    return position


def page_of(
    rows: Sequence[R],
    limit: int,
    item: Callable[[R], T],
    position: Callable[[R], Mapping[str, Any]],
) -> Page[T]:
    """A page from `limit + 1` fetched rows: the first `limit` items and the next cursor."""
    shown = rows[:limit]
    more = len(rows) > limit
    return Page[T](
        items=[item(row) for row in shown],
        next_cursor=encode_cursor(position(shown[-1])) if more and shown else None,
    )


def _member(cursor: str, value: Any, kind: CursorField | None) -> Any:
    """A required member checked against `kind` (None: any string or integer)."""
    if kind is datetime:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        raise _invalid(cursor)
    # bool is an int to Python, never to a cursor.
    allowed = (str, int) if kind is None else (kind,)
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise _invalid(cursor)
    return value


def _tag(raw: bytes) -> bytes:
    key, scope = _signing.get()
    return hmac.new(key, scope.encode() + b"\x00" + raw, hashlib.sha256).digest()[:_TAG_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def _invalid(cursor: str) -> ProblemError:
    return ProblemError(
        400,
        "invalid-cursor",
        "The cursor is not valid",
        f"{cursor[:40]!r} is not a cursor this list returned; start again without `cursor`",
    )
