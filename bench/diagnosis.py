"""What limits a server under load, measured alongside the figure rather than guessed after.

`diagnosing` samples, every 100 ms while the load runs, the server process's CPU use and what
its database sessions are doing (`pg_stat_activity`): running, waiting for a lock (the event
store allocates positions under one transaction-scoped advisory lock), or idle inside a
transaction while the service works out its next statement. Averages go into the figure's
note, so a missed target says what it waited on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import asyncpg
import psutil

INTERVAL = 0.1
_SESSIONS = (
    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
    " WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'"
)


@dataclass(slots=True)
class Diagnosis:
    """Average sessions per state over the samples, and the process's CPU use."""

    samples: int = 0
    sessions: Counter[str] = field(default_factory=Counter)
    cpu_percent: float = 0.0

    def average(self, kind: str) -> float:
        return self.sessions[kind] / self.samples if self.samples else 0.0

    def summary(self) -> str:
        return (
            f"service CPU {self.cpu_percent:.0f}% of a core; database sessions on average: "
            f"{self.average('lock:advisory'):.1f} waiting for the append lock, "
            f"{self.average('lock:other'):.1f} for other locks, "
            f"{self.average('idle in transaction'):.1f} idle in transaction (waiting for the "
            f"service), {self.average('active'):.1f} running"
        )


def _kind(state: str, wait_type: str | None, wait_event: str | None) -> str:
    if wait_type == "Lock":
        return "lock:advisory" if wait_event == "advisory" else "lock:other"
    if state.startswith("idle in transaction"):
        return "idle in transaction"
    return "active"


async def _sample(admin_dsn: str, database: str, stop: asyncio.Event, into: Diagnosis) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        while not stop.is_set():
            rows = await connection.fetch(_SESSIONS, database)
            into.samples += 1
            into.sessions.update(
                _kind(r["state"], r["wait_event_type"], r["wait_event"]) for r in rows
            )
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), INTERVAL)
    finally:
        await connection.close()


@asynccontextmanager
async def diagnosing(pid: int, admin_dsn: str, database: str) -> AsyncIterator[Diagnosis]:
    diagnosis = Diagnosis()
    process = psutil.Process(pid)
    process.cpu_percent(None)  # starts the interval the next call measures
    stop = asyncio.Event()
    task = asyncio.create_task(_sample(admin_dsn, database, stop, diagnosis))
    try:
        yield diagnosis
    finally:
        stop.set()
        await task
        diagnosis.cpu_percent = process.cpu_percent(None)
