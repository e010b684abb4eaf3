"""Open-loop pacing and a visibility watcher, for latency from an action to a read model.

`paced` starts one action every 1/rate seconds whatever the earlier ones are doing (a steady
arrival rate, as traffic arrives, rather than a closed loop that slows down with the server).
Each action returns the id it wrote and the moment it was acknowledged; `Watcher` polls a table
in a tight loop (1 ms apart) for the ids still pending and records when each became visible.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from bench.servers import Latencies

Action = Callable[[int], Awaitable[str]]  # does one thing; returns the id to watch for

# Every 5 ms: finer polling (1 ms was tried) costs the 2-core machine a query per millisecond
# for a resolution the 100 ms target does not need; both ours and the baseline use it.
POLL_INTERVAL = 0.005
GIVE_UP_AFTER = 120.0  # an id not visible this long after the last action counts as missing


@dataclass(slots=True)
class Watcher:
    """Visibility of ids in a table: `query` takes `$1::text[]` and returns the visible ids."""

    dsn: str
    query: str
    pending: dict[str, float] = field(default_factory=dict)
    delays: list[float] = field(default_factory=list)
    missing: int = 0

    def acknowledged(self, key: str) -> None:
        """The write of `key` was acknowledged now: visibility is timed from here."""
        self.pending[key] = time.perf_counter()

    async def watch(self, done: asyncio.Event) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            statement = await connection.prepare(self.query)
            deadline: float | None = None
            while self.pending or not done.is_set():
                if done.is_set() and deadline is None:
                    deadline = time.perf_counter() + GIVE_UP_AFTER
                if deadline is not None and time.perf_counter() > deadline:
                    self.missing = len(self.pending)
                    return
                if self.pending:
                    rows = await statement.fetch(list(self.pending))
                    seen = time.perf_counter()
                    for row in rows:
                        self.delays.append(seen - self.pending.pop(row[0]))
                await asyncio.sleep(POLL_INTERVAL)
        finally:
            await connection.close()

    def latencies(self) -> Latencies:
        return Latencies(1.0, self.delays)


async def paced(rate: float, seconds: float, act: Action, watcher: Watcher) -> int:
    """Run `act` `rate` times a second for `seconds`, each acknowledged into `watcher`;
    how many actions failed."""
    failures = [0]
    done = asyncio.Event()
    watching = asyncio.create_task(watcher.watch(done))

    async def one(n: int) -> None:
        try:
            watcher.acknowledged(await act(n))
        except Exception as error:  # counted and shown: one failed action must not stop a run
            failures[0] += 1
            print(f"    action {n} failed: {error!r}"[:300], flush=True)

    started = time.perf_counter()
    tasks = []
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    done.set()
    await watching
    return failures[0]
