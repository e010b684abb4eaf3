"""Telling open dashboards that figures changed: after each applied batch the subscription
calls `AppliedBroadcast.publish` with its events, and every listener (one per open
`/v1/stream`) gets the shops they touched. In-process: each replica tells its own listeners
about the batches it applied, which are all of them while one replica consumes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from eventing.encoding import ConsumedEvent

LISTENER_BACKLOG = 64
"""Notices a slow listener may have waiting; past that the oldest is dropped (a later notice
makes the page refetch all the same)."""


@dataclass(frozen=True, slots=True)
class Applied:
    """One applied batch: the shops it touched, its latest business time, when applied."""

    shop_ids: tuple[str, ...]
    last_event_at: datetime | None
    applied_at: datetime


def applied(events: Sequence[ConsumedEvent], applied_at: datetime) -> Applied:
    """What a batch tells the listeners (pure)."""
    shops = {str(event.data["shop_id"]) for event in events}
    times = [time for event in events if (time := event.time) is not None]
    return Applied(tuple(sorted(shops)), max(times, default=None), applied_at)


class AppliedBroadcast:
    """The listeners of one process and the fan-out to them."""

    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue[Applied]] = set()

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def publish(self, events: Sequence[ConsumedEvent]) -> None:
        """An `eventing.subscriptions.AppliedListener`: called after a batch committed."""
        notice = applied(events, datetime.now(UTC))
        for queue in self._listeners:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(notice)

    def subscribe(self) -> asyncio.Queue[Applied]:
        queue: asyncio.Queue[Applied] = asyncio.Queue(LISTENER_BACKLOG)
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Applied]) -> None:
        self._listeners.discard(queue)

    @contextmanager
    def listening(self) -> Iterator[asyncio.Queue[Applied]]:
        queue = self.subscribe()
        try:
            yield queue
        finally:
            self.unsubscribe(queue)
