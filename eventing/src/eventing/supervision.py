"""Supervised background workers: restarted with bounded, jittered backoff; healthy by heartbeat.

A service's relay, subscriptions and deadline workers each run under a `Supervisor`, which
restarts a worker whose `run()` raised and tells `/ready` and `eventing_worker_up` which are down.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import structlog

from eventing import metrics

log = structlog.get_logger(__name__)

Clock = Callable[[], float]
Random = Callable[[], float]


class Heartbeat:
    """A worker's sign of progress: it beats after each loop iteration that did its job."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def beat(self) -> None:
        for listener in self._listeners:
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def forget(self, listener: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)


class Worker(Protocol):
    """A background loop (relay, subscription, deadlines): `run()` until `stop()` is called.

    `run()` may be called again after it raised: each call starts from fresh connections. The
    worker beats its `heartbeat` whenever a loop iteration completed without trouble.
    """

    @property
    def name(self) -> str: ...

    @property
    def heartbeat(self) -> Heartbeat: ...

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """When a failed worker is restarted, and when it counts as down."""

    first_delay: float = 0.5
    max_delay: float = 30.0
    # A run that beat and lasted this long was healthy: the next failure starts the backoff over.
    reset_after: float = 60.0
    # Every worker beats at least once per poll (about a second by default); a minute of silence
    # means it hangs or loops on an outage it handles itself (database or broker down).
    stall_after: float = 60.0

    def delay(self, failures: int, rng: Random = random.random) -> float:
        """The wait before the restart after `failures` consecutive failures: doubling up to
        `max_delay`, then jittered into its upper half so replicas do not restart in step."""
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** min(failures - 1, 64))
        return ceiling / 2 + rng() * ceiling / 2


class WorkerStatus(StrEnum):
    STARTING = "starting"  # running, no heartbeat yet (a first start is given the benefit)
    UP = "up"
    DOWN = "down"  # failed and not beating again yet, or stalled
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    """What `/ready` reports of one worker."""

    name: str
    status: WorkerStatus
    restarts: int
    failures: int  # consecutive, reset once a run was healthy for `reset_after`
    last_error: str | None
    seconds_since_heartbeat: float | None
    detail: str | None = None  # why it is down

    @property
    def down(self) -> bool:
        return self.status in (WorkerStatus.DOWN, WorkerStatus.STOPPED)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status.value,
            "restarts": self.restarts,
            "failures": self.failures,
            "last_error": self.last_error,
            "seconds_since_heartbeat": self.seconds_since_heartbeat,
        }
        if self.detail is not None:
            body["detail"] = self.detail
        return body


class WorkerExited(RuntimeError):
    """A worker's `run()` returned although nobody asked it to stop."""


class SupervisedWorker:
    """Runs one worker until stopped, restarting it after each failure (see RestartPolicy)."""

    def __init__(
        self,
        worker: Worker,
        name: str,
        service: str,
        policy: RestartPolicy,
        *,
        clock: Clock = time.monotonic,
        rng: Random = random.random,
    ) -> None:
        self.worker = worker
        self.name = name
        self._service = service
        self._policy = policy
        self._clock = clock
        self._rng = rng
        self._stopping = asyncio.Event()
        self._stopped = False
        self._run_started = clock()
        self._last_beat: float | None = None
        self._beat_this_run = False
        self._failures = 0
        self._restarts = 0
        self._last_error: str | None = None

    def stop(self) -> None:
        """Stop the worker, or end the backoff it waits in."""
        self._stopping.set()
        self.worker.stop()

    async def run(self) -> None:
        self.worker.heartbeat.listen(self._on_beat)
        try:
            while not self._stopping.is_set():
                failure = await self._run_once()
                if failure is None:
                    break
                delay = self._failed(failure)
                if await self._stopped_within(delay):
                    break
                self._restarts += 1
                metrics.WORKER_RESTARTS.labels(self._service, self.name).inc()
        finally:
            self._stopped = True
            self.worker.heartbeat.forget(self._on_beat)

    async def _run_once(self) -> Exception | None:
        """None when the worker returned because it was stopped; else why it ended."""
        self._run_started = self._clock()
        self._beat_this_run = False
        try:
            await self.worker.run()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Whatever a worker did not handle itself (a bug, an outage it did not expect) must
            # not end it: it is logged and the worker restarted after a bounded backoff.
            if self._stopping.is_set():
                log.warning("service.worker_failed_while_stopping", worker=self.name,
                            service=self._service, error=repr(error))  # fmt: skip
                return None
            return error
        if self._stopping.is_set():
            return None
        return WorkerExited(f"{self.name} returned without being stopped")

    def _failed(self, error: Exception) -> float:
        ran_healthily = self._beat_this_run and (
            self._clock() - self._run_started >= self._policy.reset_after
        )
        self._failures = 1 if ran_healthily else self._failures + 1
        self._beat_this_run = False
        self._last_error = repr(error)[:500]
        delay = self._policy.delay(self._failures, self._rng)
        log.error(
            "service.worker_failed",
            service=self._service,
            worker=self.name,
            error=repr(error),
            attempt=self._failures,
            next_delay=round(delay, 3),
            exc_info=error,
        )
        return delay

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    def _on_beat(self) -> None:
        self._last_beat = self._clock()
        if not self._beat_this_run:
            self._beat_this_run = True
            if self._failures:
                log.info("service.worker_recovered", service=self._service, worker=self.name,
                         restarts=self._restarts)  # fmt: skip

    def health(self) -> WorkerHealth:
        """Down after one failure until the restarted run beats: a worker that failed is not
        doing its job meanwhile, and counting failures would hide one waiting in a long
        backoff. Down too when silent for `stall_after`, whatever the cause."""
        now = self._clock()
        since = None if self._last_beat is None else round(now - self._last_beat, 1)
        silent_since = self._last_beat if self._beat_this_run else self._run_started
        detail: str | None = None
        if self._stopped:
            status, detail = WorkerStatus.STOPPED, "not running"
        elif self._failures and not self._beat_this_run:
            status, detail = WorkerStatus.DOWN, f"failed: {self._last_error}"
        elif silent_since is not None and now - silent_since > self._policy.stall_after:
            status = WorkerStatus.DOWN
            detail = f"no heartbeat for {now - silent_since:.0f} s"
        elif self._beat_this_run:
            status = WorkerStatus.UP
        else:
            status = WorkerStatus.STARTING
        return WorkerHealth(
            self.name, status, self._restarts, self._failures, self._last_error, since, detail
        )

    def up_value(self) -> float:
        """1 unless down: what `eventing_worker_up` exports at each scrape."""
        return 0.0 if self.health().down else 1.0


class Supervisor:
    """Runs a service's workers, each under a `SupervisedWorker`; reports their health."""

    def __init__(
        self,
        service: str,
        workers: Sequence[Worker],
        policy: RestartPolicy | None = None,
        *,
        clock: Clock = time.monotonic,
        rng: Random = random.random,
    ) -> None:
        self.service = service
        chosen = policy or RestartPolicy()
        self.workers = [
            SupervisedWorker(worker, name, service, chosen, clock=clock, rng=rng)
            for worker, name in zip(workers, unique_names(workers), strict=True)
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for supervised in self.workers:
            # One service app per process: a later app with the same names takes the series over.
            metrics.WORKER_UP.labels(self.service, supervised.name).set_function(
                supervised.up_value
            )
            metrics.WORKER_RESTARTS.labels(self.service, supervised.name)  # exported from 0
            task = asyncio.create_task(supervised.run(), name=f"{self.service}:{supervised.name}")
            task.add_done_callback(_report_supervisor_crash)
            self._tasks.append(task)

    async def stop(self, timeout: float) -> None:
        """Ask every worker to stop; cancel those still running after `timeout` seconds."""
        for supervised in self.workers:
            supervised.stop()
        tasks, self._tasks = self._tasks, []
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                log.warning("service.worker_stop_timeout", worker=task.get_name())
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        for supervised in self.workers:
            with contextlib.suppress(KeyError):
                metrics.WORKER_UP.remove(self.service, supervised.name)

    def health(self) -> list[WorkerHealth]:
        return [supervised.health() for supervised in self.workers]


def unique_names(workers: Sequence[Worker]) -> list[str]:
    """The workers' names, a repeated one suffixed `#2`, `#3`… (stable for a given wiring)."""
    seen: dict[str, int] = {}
    names: list[str] = []
    for worker in workers:
        seen[worker.name] = seen.get(worker.name, 0) + 1
        count = seen[worker.name]
        names.append(worker.name if count == 1 else f"{worker.name}#{count}")
    return names


def _report_supervisor_crash(task: asyncio.Task[None]) -> None:
    # A supervisor never lets a worker's error out; anything here is a bug of the supervisor.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("service.supervisor_crashed", worker=task.get_name(), error=repr(error))
