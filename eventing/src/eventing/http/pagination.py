"""Keyset (cursor) pagination: opaque cursors that encode the last row's sort key.

A list endpoint orders by a unique key (e.g. `(created_at, order_id)`), fetches `limit + 1`
rows, and returns `next_cursor` built from the last row it returns. Cursors are base64url JSON,
opaque to clients; a tampered or foreign cursor is a 400 problem, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from eventing.http.problems import ProblemError

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (1-{MAX_LIMIT}).")]
PageCursor = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page; omit for the first page."),
]


class Page(BaseModel, Generic[T]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[T] = Field(description="The rows of this page.")
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")


def encode_cursor(position: Mapping[str, Any]) -> str:
    """An opaque cursor for the sort-key values in `position` (JSON-serialisable)."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, required: Sequence[str] = ()) -> dict[str, Any]:
    """The sort-key values of a cursor; 400 `invalid-cursor` if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise _invalid(cursor) from error
    if not isinstance(position, dict) or any(name not in position for name in required):
        raise _invalid(cursor)
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


def _invalid(cursor: str) -> ProblemError:
    return ProblemError(
        400,
        "invalid-cursor",
        "The cursor is not valid",
        f"{cursor[:40]!r} is not a cursor this list returned; start again without `cursor`",
    )
