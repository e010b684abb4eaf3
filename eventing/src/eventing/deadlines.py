"""Durable deadlines: timers stored in PostgreSQL, fired at least once by a worker.

A worker claims due rows with `FOR UPDATE SKIP LOCKED` (so replicas share the work without
firing one row twice at a time) and runs the handler in the same transaction that deletes the
row: database effects of a handler happen exactly once, other effects at least once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing import metrics, tracing
from eventing.clock import Clock, RefreshableClock
from eventing.committed_events import counted_on_commit
from eventing.database import RawStatement
from eventing.schema import deadlines
from eventing.supervision import Heartbeat

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A timer: `kind` names the rule (e.g. `order.unpaid_close`), `key` the thing it is about."""

    kind: str
    key: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    attempts: int = 0


DeadlineHandler = Callable[[Deadline, AsyncConnection], Awaitable[None]]


class DeadlineScheduler:
    """Schedules, reschedules and cancels deadlines (optionally in the caller's transaction)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def schedule(
        self, deadline: Deadline, *, connection: AsyncConnection | None = None
    ) -> None:
        """Create the deadline, or move an existing one of the same kind and key."""
        await self.schedule_all([deadline], connection=connection)

    async def schedule_all(
        self, deadlines: Iterable[Deadline], *, connection: AsyncConnection | None = None
    ) -> None:
        """`schedule` each, in one statement (the last of one kind and key counts)."""
        latest = {(deadline.kind, deadline.key): deadline for deadline in deadlines}
        if not latest:
            return
        args = (
            [deadline.kind for deadline in latest.values()],
            [deadline.key for deadline in latest.values()],
            [deadline.due_at for deadline in latest.values()],
            [json.dumps(dict(deadline.payload)) for deadline in latest.values()],
        )
        await self._execute(_SCHEDULE, args, connection)

    async def cancel(
        self, kind: str, key: str, *, connection: AsyncConnection | None = None
    ) -> None:
        """Remove the deadline if it is still pending (cancelling twice is harmless)."""
        await self.cancel_all([kind], key, connection=connection)

    async def cancel_all(
        self, kinds: Iterable[str], key: str, *, connection: AsyncConnection | None = None
    ) -> None:
        """`cancel` the deadlines of these kinds about `key`, in one statement."""
        await self._execute(_CANCEL, (list(kinds), key), connection)

    async def get(self, kind: str, key: str) -> Deadline | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    deadlines.select().where(deadlines.c.kind == kind, deadlines.c.key == key)
                )
            ).first()
        return None if row is None else Deadline(row.kind, row.key, row.due_at, row.payload,
                                                  row.attempts)  # fmt: skip

    async def _execute(
        self, statement: RawStatement, args: tuple[Any, ...], connection: AsyncConnection | None
    ) -> None:
        if connection is not None:
            await statement.execute(connection, *args)
            return
        async with self._engine.begin() as own:
            await statement.execute(own, *args)


# On the driver connection (`RawStatement`): commands schedule and cancel in their transaction.
_SCHEDULE = RawStatement(
    "INSERT INTO eventing.deadlines AS d"
    " (kind, key, due_at, payload, attempts, scheduled_at)"
    " SELECT u.kind, u.key, u.due_at, u.payload, 0, now()"
    " FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[])"
    " AS u(kind, key, due_at, payload)"
    " ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at,"
    " payload = excluded.payload, attempts = 0, last_error = NULL, scheduled_at = now()"
)
_CANCEL = RawStatement("DELETE FROM eventing.deadlines WHERE kind = ANY($1::text[]) AND key = $2")


@dataclass(frozen=True, slots=True)
class DeadlineWorkerOptions:
    batch_size: int = 100
    poll_interval: float = 1.0
    retry_backoff: timedelta = timedelta(seconds=10)  # doubles per failed attempt
    max_attempts: int = 10  # then the deadline is parked (due_at = infinity) for ops
    # How often the due / overdue / parked gauges are re-read: a scrape every 15 s needs no more,
    # and under a backlog the count is not free.
    gauge_interval: float = 10.0


_CLAIM = text(
    "SELECT kind, key, due_at, payload, attempts FROM eventing.deadlines"
    " WHERE due_at <= :now AND kind = ANY(:kinds)"
    " ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED"
)
# Both ranges come from the due_at index: only what is due or parked is read, never the pending.
_BACKLOG = text(
    "SELECT kind,"
    " count(*) FILTER (WHERE due_at <> 'infinity') AS due,"
    " min(due_at) FILTER (WHERE due_at <> 'infinity') AS oldest,"
    " count(*) FILTER (WHERE due_at = 'infinity') AS parked"
    " FROM eventing.deadlines"
    " WHERE (due_at <= :now OR due_at = 'infinity') AND kind = ANY(:kinds)"
    " GROUP BY kind"
)
_DONE = text("DELETE FROM eventing.deadlines WHERE kind = :kind AND key = :key AND due_at = :due")
_FAILED = text(
    "UPDATE eventing.deadlines SET attempts = attempts + 1, last_error = :error,"
    " due_at = CASE WHEN attempts + 1 >= :max_attempts THEN 'infinity'::timestamptz"
    " ELSE CAST(:retry_at AS timestamptz) END"
    " WHERE kind = :kind AND key = :key AND due_at = :due"
)


class DeadlineWorker:
    """Fires due deadlines with the handler registered for their kind, until `stop()`."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        handlers: Mapping[str, DeadlineHandler],
        options: DeadlineWorkerOptions | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._handlers = dict(handlers)
        self.options = options or DeadlineWorkerOptions()
        self._stopping = asyncio.Event()
        self.heartbeat = Heartbeat()  # beats after each scan the database answered
        self._gauges_read_at: float | None = None  # monotonic time of the last backlog read

    @property
    def name(self) -> str:
        return "deadlines"

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Scan until `stop()`; holds nothing between scans, so it may be run again after it
        raised."""
        while not self._stopping.is_set():
            try:
                fired = await self.fire_due()
                await self._read_backlog_if_stale()
            except (DBAPIError, OSError) as error:
                log.warning("deadline.worker_database_error", error=repr(error))
                fired = 0
            else:
                self.heartbeat.beat()
            if fired < self.options.batch_size:
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.options.poll_interval)
                except TimeoutError:
                    continue

    async def fire_due(self) -> int:
        """Fire one batch of due deadlines; the number handled (fired or failed)."""
        if isinstance(self._clock, RefreshableClock):
            await self._clock.refresh()
        now = self._clock.now()
        with counted_on_commit():
            async with self._engine.begin() as connection:
                rows = await connection.execute(
                    _CLAIM,
                    {"now": now, "kinds": list(self._handlers), "limit": self.options.batch_size},
                )
                due = [Deadline(r.kind, r.key, r.due_at, r.payload, r.attempts) for r in rows]
                for deadline in due:
                    await self._fire(connection, deadline, now)
        return len(due)

    async def read_backlog(self) -> None:
        """Set the due, overdue and parked gauges of every kind this worker handles, by the
        business clock (a test clock moved forward makes deadlines due at once)."""
        now = self._clock.now()
        kinds = list(self._handlers)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(_BACKLOG, {"now": now, "kinds": kinds})).all()
        seen = {row.kind: row for row in rows}
        for kind in kinds:
            row = seen.get(kind)
            due = 0 if row is None else int(row.due)
            oldest = None if row is None else row.oldest
            metrics.DEADLINES_DUE.labels(kind).set(due)
            metrics.DEADLINES_OVERDUE_SECONDS.labels(kind).set(
                0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
            )
            metrics.DEADLINES_PARKED.labels(kind).set(0 if row is None else int(row.parked))
        self._gauges_read_at = time.monotonic()

    async def _read_backlog_if_stale(self) -> None:
        read_at = self._gauges_read_at
        if read_at is None or time.monotonic() - read_at >= self.options.gauge_interval:
            await self.read_backlog()

    async def _fire(self, connection: AsyncConnection, deadline: Deadline, now: datetime) -> None:
        params = {"kind": deadline.kind, "key": deadline.key, "due": deadline.due_at}
        try:
            with (
                counted_on_commit(),  # a failed handler's events were rolled back: not counted
                tracing.firing(deadline, now),
            ):
                async with connection.begin_nested():
                    await self._handlers[deadline.kind](deadline, connection)
        except Exception as error:
            # A handler is service code: its failure is retried later with backoff, bounded by
            # max_attempts, and never stops the other deadlines of the batch.
            metrics.DEADLINES_FAILED.labels(deadline.kind).inc()
            retry_at = now + self.options.retry_backoff * (2**deadline.attempts)
            log.warning("deadline.failed", kind=deadline.kind, key=deadline.key, error=repr(error))
            await connection.execute(
                _FAILED,
                {**params, "error": repr(error)[:2000], "retry_at": retry_at,
                 "max_attempts": self.options.max_attempts},
            )  # fmt: skip
            return
        await connection.execute(_DONE, params)
        metrics.DEADLINES_FIRED.labels(deadline.kind).inc()
