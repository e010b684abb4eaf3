"""The worker supervisor with fake workers: restarts, bounded backoff, stop, health, metrics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from eventing.health import DependencyChecks, health_router
from eventing.supervision import (
    Heartbeat,
    RestartPolicy,
    Supervisor,
    WorkerHealth,
    WorkerStatus,
    unique_names,
)
from eventing.testing import eventually

FAST = RestartPolicy(first_delay=0.001, max_delay=0.004)


class ControlledWorker:
    """A worker the test drives order by order: `beat`, `fail`, `cancel` or `return`."""

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.heartbeat = Heartbeat()
        self.orders: asyncio.Queue[str] = asyncio.Queue()
        self.runs = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.orders.put_nowait("stop")

    async def run(self) -> None:
        self.runs += 1
        while not self._stopping.is_set():
            order = await self.orders.get()
            if order == "beat":
                self.heartbeat.beat()
            elif order == "fail":
                raise RuntimeError(f"{self.name} broke in run {self.runs}")
            elif order == "cancel":
                raise asyncio.CancelledError
            elif order == "return":
                return


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def service() -> str:
    """A service name of the test's own, so its metric series are not shared."""
    return f"svc-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def supervising(supervisor: Supervisor) -> AsyncIterator[Supervisor]:
    supervisor.start()
    try:
        yield supervisor
    finally:
        await supervisor.stop(timeout=5)


async def status_of(supervisor: Supervisor, index: int = 0) -> WorkerStatus:
    return supervisor.health()[index].status


def sample(name: str, service: str, worker: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service, "worker": worker})


async def test_a_worker_that_raises_is_restarted_and_its_run_called_again(service: str) -> None:
    worker = ControlledWorker()
    async with supervising(Supervisor(service, [worker], FAST)) as supervisor:
        worker.orders.put_nowait("fail")
        worker.orders.put_nowait("fail")
        worker.orders.put_nowait("beat")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)

        health = supervisor.health()[0]
    assert worker.runs == 3
    assert (health.restarts, health.failures) == (2, 2)
    assert health.last_error == "RuntimeError('fake broke in run 2')"


async def test_each_failure_is_logged_with_worker_error_attempt_and_next_delay(
    service: str,
) -> None:
    worker = ControlledWorker("relay:order")
    with capture_logs() as logs:
        async with supervising(Supervisor(service, [worker], FAST)) as supervisor:
            worker.orders.put_nowait("fail")
            worker.orders.put_nowait("fail")
            worker.orders.put_nowait("beat")
            await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)

    failed = [entry for entry in logs if entry["event"] == "service.worker_failed"]
    assert [(e["worker"], e["service"], e["attempt"]) for e in failed] == [
        ("relay:order", service, 1),
        ("relay:order", service, 2),
    ]
    assert failed[0]["error"] == "RuntimeError('relay:order broke in run 1')"
    assert all(0 < e["next_delay"] <= FAST.max_delay for e in failed)
    assert [e["event"] for e in logs].count("service.worker_recovered") == 1


@pytest.mark.parametrize(
    ("failures", "lowest", "highest"),
    [
        (1, 0.25, 0.5),
        (2, 0.5, 1.0),
        (3, 1.0, 2.0),
        (6, 8.0, 16.0),
        (7, 15.0, 30.0),
        (8, 15.0, 30.0),
        (10_000, 15.0, 30.0),
    ],
)
def test_the_backoff_doubles_up_to_its_cap_and_is_jittered_in_its_upper_half(
    failures: int, lowest: float, highest: float
) -> None:
    policy = RestartPolicy(first_delay=0.5, max_delay=30.0)

    assert policy.delay(failures, rng=lambda: 0.0) == lowest
    assert policy.delay(failures, rng=lambda: 1.0) == highest
    assert lowest <= policy.delay(failures) <= highest


async def test_a_worker_that_is_cancelled_is_not_restarted(service: str) -> None:
    worker = ControlledWorker()
    supervisor = Supervisor(service, [worker], FAST)
    task = asyncio.create_task(supervisor.workers[0].run())
    worker.orders.put_nowait("cancel")

    with pytest.raises(asyncio.CancelledError):
        await task
    assert worker.runs == 1
    assert supervisor.health()[0].status is WorkerStatus.STOPPED


async def test_cancelling_the_supervised_task_ends_it_without_a_restart(service: str) -> None:
    worker = ControlledWorker()
    supervisor = Supervisor(service, [worker], FAST)
    task = asyncio.create_task(supervisor.workers[0].run())
    worker.orders.put_nowait("beat")
    await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert worker.runs == 1
    assert supervisor.health()[0].status is WorkerStatus.STOPPED


async def test_stop_ends_a_backoff_at_once(service: str) -> None:
    worker = ControlledWorker()
    supervisor = Supervisor(service, [worker], RestartPolicy(first_delay=3600, max_delay=3600))
    supervisor.start()
    worker.orders.put_nowait("fail")
    await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.DOWN)

    # A backoff of an hour: the supervisor ends without having to cancel its task.
    with capture_logs() as logs:
        await supervisor.stop(timeout=30)

    assert worker.runs == 1
    assert supervisor.health()[0].status is WorkerStatus.STOPPED
    assert not [e for e in logs if e["event"] == "service.worker_stop_timeout"]


async def test_stop_stops_a_running_worker_and_it_is_not_restarted(service: str) -> None:
    worker = ControlledWorker()
    supervisor = Supervisor(service, [worker], FAST)
    supervisor.start()
    worker.orders.put_nowait("beat")
    await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)

    await supervisor.stop(timeout=30)

    assert worker.runs == 1
    assert supervisor.health()[0].restarts == 0


async def test_a_worker_that_returns_unasked_is_restarted(service: str) -> None:
    worker = ControlledWorker()
    async with supervising(Supervisor(service, [worker], FAST)) as supervisor:
        worker.orders.put_nowait("return")
        worker.orders.put_nowait("beat")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)

        health = supervisor.health()[0]
    assert worker.runs == 2
    assert health.last_error is not None
    assert "returned without being stopped" in health.last_error


async def test_a_failed_worker_is_down_until_its_restarted_run_beats(service: str) -> None:
    worker = ControlledWorker()
    # The restart comes quickly, but the worker stays down until it shows progress.
    async with supervising(Supervisor(service, [worker], FAST)) as supervisor:
        assert supervisor.health()[0].status is WorkerStatus.STARTING
        worker.orders.put_nowait("beat")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)

        worker.orders.put_nowait("fail")
        await eventually(lambda: _runs(worker), lambda runs: runs == 2)
        down = supervisor.health()[0]
        assert down.status is WorkerStatus.DOWN
        assert down.detail == "failed: RuntimeError('fake broke in run 1')"

        worker.orders.put_nowait("beat")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)
        assert supervisor.health()[0].detail is None


async def _runs(worker: ControlledWorker) -> int:
    return worker.runs


async def test_a_worker_without_heartbeat_for_the_stall_time_is_down_until_it_beats(
    service: str,
) -> None:
    clock = FakeClock()
    worker = ControlledWorker()
    policy = RestartPolicy(stall_after=60)
    async with supervising(Supervisor(service, [worker], policy, clock=clock)) as supervisor:
        await eventually(lambda: _runs(worker), lambda runs: runs == 1)
        clock.now += 61
        never_beat = supervisor.health()[0]
        worker.orders.put_nowait("beat")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)
        clock.now += 59
        quiet = supervisor.health()[0]
        clock.now += 2
        silent = supervisor.health()[0]
        worker.orders.put_nowait("beat")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)

    assert (never_beat.status, never_beat.detail) == (WorkerStatus.DOWN, "no heartbeat for 61 s")
    assert quiet.status is WorkerStatus.UP
    assert (silent.status, silent.detail) == (WorkerStatus.DOWN, "no heartbeat for 61 s")
    assert silent.seconds_since_heartbeat == 61.0


async def test_the_backoff_starts_over_after_a_run_that_was_healthy_for_a_while(
    service: str,
) -> None:
    clock = FakeClock()
    worker = ControlledWorker()
    policy = RestartPolicy(first_delay=0.001, max_delay=0.004, reset_after=60)
    async with supervising(Supervisor(service, [worker], policy, clock=clock)) as supervisor:
        for _ in range(2):
            worker.orders.put_nowait("beat")  # a beat, but a short run: not healthy yet
            worker.orders.put_nowait("fail")
        await eventually(lambda: _runs(worker), lambda runs: runs == 3)
        after_short_runs = supervisor.health()[0].failures

        worker.orders.put_nowait("beat")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.UP)
        clock.now += 61
        worker.orders.put_nowait("fail")
        await eventually(lambda: _runs(worker), lambda runs: runs == 4)
        after_healthy_run = supervisor.health()[0].failures

    assert after_short_runs == 2
    assert after_healthy_run == 1


async def test_the_up_gauge_and_the_restart_counter_follow_the_worker(service: str) -> None:
    worker = ControlledWorker("subscription:order.read-model")
    name = worker.name
    supervisor = Supervisor(service, [worker], RestartPolicy(first_delay=3600, max_delay=3600))
    async with supervising(supervisor):
        assert sample("eventing_worker_up", service, name) == 1.0
        assert sample("eventing_worker_restarts_total", service, name) == 0.0

        worker.orders.put_nowait("fail")
        await eventually(lambda: status_of(supervisor), lambda s: s is WorkerStatus.DOWN)
        assert sample("eventing_worker_up", service, name) == 0.0
    assert sample("eventing_worker_up", service, name) is None  # a stopped app exports none

    fast = ControlledWorker(name)
    async with supervising(Supervisor(service, [fast], FAST)) as restarted:
        fast.orders.put_nowait("fail")
        fast.orders.put_nowait("beat")
        await eventually(lambda: status_of(restarted), lambda s: s is WorkerStatus.UP)
        assert sample("eventing_worker_up", service, name) == 1.0
        assert sample("eventing_worker_restarts_total", service, name) == 1.0


def test_repeated_worker_names_are_numbered_in_wiring_order() -> None:
    workers = [
        ControlledWorker("deadlines"),
        ControlledWorker("relay:o"),
        ControlledWorker("deadlines"),
    ]

    assert unique_names(workers) == ["deadlines", "relay:o", "deadlines#2"]


class _DependenciesUp(DependencyChecks):
    def __init__(self) -> None:
        super().__init__("postgresql://unused/unused", "unused:9092")

    async def run(self) -> dict[str, dict[str, Any]]:
        return {"postgres": {"status": "up"}, "kafka": {"status": "up"}}


def _health(name: str, status: WorkerStatus, detail: str | None = None) -> WorkerHealth:
    error = "OSError('boom')" if status is WorkerStatus.DOWN else None
    return WorkerHealth(name, status, 3, 1, error, 12.5, detail)


async def _ready(workers: list[WorkerHealth]) -> httpx.Response:
    app = FastAPI()
    app.include_router(health_router("order", _DependenciesUp(), lambda: workers))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.get("/ready")


async def test_ready_names_each_down_worker_and_its_error_in_a_problem() -> None:
    workers = [
        _health("relay:order", WorkerStatus.DOWN, "failed: OSError('boom')"),
        _health("deadlines", WorkerStatus.UP),
        _health("subscription:order.read-model", WorkerStatus.DOWN, "no heartbeat for 75 s"),
    ]
    answer = await _ready(workers)

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "https://orderflow.dev/problems/worker-unavailable"
    assert problem["status"] == 503
    assert problem["detail"] == (
        "order has workers down: relay:order (failed: OSError('boom'));"
        " subscription:order.read-model (no heartbeat for 75 s)"
    )
    assert problem["workers"]["relay:order"]["last_error"] == "OSError('boom')"
    assert problem["workers"]["deadlines"]["status"] == "up"


async def test_ready_is_200_while_workers_are_up_or_starting() -> None:
    answer = await _ready(
        [_health("relay:order", WorkerStatus.UP), _health("deadlines", WorkerStatus.STARTING)]
    )

    assert answer.status_code == 200
    assert answer.json()["status"] == "ready"
    assert answer.json()["workers"]["deadlines"]["status"] == "starting"
