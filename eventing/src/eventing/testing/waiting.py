"""Bounded polling for conditions in tests (never a duration assertion)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class ConditionNotMet(AssertionError):
    """A polled condition stayed false for the whole allowance."""


async def eventually(
    probe: Callable[[], Awaitable[T]],
    condition: Callable[[T], bool],
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    message: str = "condition",
) -> T:
    """Poll `probe` until `condition(value)` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if condition(value):
            return value
        if time.monotonic() > deadline:
            raise ConditionNotMet(f"{message} not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)
