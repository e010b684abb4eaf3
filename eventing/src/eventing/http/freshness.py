"""Read-your-writes for read models fed asynchronously: wait briefly for a version.

A command answers with the aggregate's new version (ETag); a GET with `?min_version=N` polls
its read model until the row shows version N or later, and answers 409 `read-model-behind`
(with Retry-After) rather than stale data if it does not catch up in time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Query

from eventing.http.problems import ProblemError

T = TypeVar("T")

DEFAULT_WAIT_SECONDS = 3.0
_POLL_SECONDS = 0.02

MinVersion = Annotated[
    int | None,
    Query(
        ge=1,
        description="Answer only once the read model shows at least this version (the ETag a "
        "command returned); waits briefly, then 409 read-model-behind.",
    ),
]


async def wait_for_version(
    fetch: Callable[[], Awaitable[T | None]],
    version_of: Callable[[T], int],
    min_version: int | None,
    *,
    timeout: float = DEFAULT_WAIT_SECONDS,
) -> T | None:
    """The row from `fetch` once its version is ≥ `min_version` (None: not found in time)."""
    row = await fetch()
    if min_version is None:
        return row
    deadline = time.monotonic() + timeout
    pause = _POLL_SECONDS
    while row is None or version_of(row) < min_version:
        if time.monotonic() >= deadline:
            if row is None:
                return None
            raise ProblemError(
                409,
                "read-model-behind",
                "The read model has not caught up yet",
                f"it shows version {version_of(row)}, you asked for {min_version}; retry shortly",
                headers={"Retry-After": "1"},
                retryable=True,
                current_version=version_of(row),
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)
        row = await fetch()
    return row
