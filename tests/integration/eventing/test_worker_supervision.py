"""A service's workers under supervision: connections killed, a worker that keeps failing,
PostgreSQL restarted and Kafka down at start; every worker comes back and `/ready` says so."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.parties import Service
from eventing.app import build_service_app
from eventing.deadlines import Deadline
from eventing.encoding import ConsumedEvent, OutgoingRecord, cloudevents_encoder
from eventing.events import NewEvent, RecordedEvent, StreamState
from eventing.relay import OutboxRelay, RelayOptions
from eventing.runtime import ServiceRuntime
from eventing.settings import ServiceSettings
from eventing.supervision import RestartPolicy, Supervisor
from eventing.testing import eventually
from localinfra.testing import FaultInjector, InfraEndpoints

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., Awaitable[str]]
FAST = RestartPolicy(first_delay=0.2, max_delay=1.0)
RELAY_CONNECTION = "eventing.relay.order"
OUTAGE_SECONDS = 10


class EncoderBug(Exception):
    """What the breakable encoder raises: an error the relay has no handling for."""


class BreakableEncoder:
    """The real encoder, failing on every event while `broken` (a bug until a fix is deployed)."""

    def __init__(self, broken: bool = True) -> None:
        self._encode = cloudevents_encoder("/orderflow/order")
        self.broken = broken
        self.failures = 0

    def __call__(self, event: RecordedEvent) -> OutgoingRecord:
        if self.broken:
            self.failures += 1
            raise EncoderBug(f"cannot encode {event.event_type}")
        return self._encode(event)


@dataclass
class RunningService:
    runtime: ServiceRuntime
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def supervisor(self) -> Supervisor:
        supervisor: Supervisor = self.app.state.workers
        return supervisor

    async def ready(self) -> httpx.Response:
        return await self.client.get("/ready")

    async def append(self, stream: str, n: int) -> None:
        await self.runtime.store.append(stream, [NewEvent("tick", {"n": n})], StreamState.ANY)

    async def metric(self, series: str) -> float:
        """The value of one series (`name{labels}`) on the service's `/metrics/`."""
        page = (await self.client.get("/metrics/")).text
        [value] = [line.split(" ")[-1] for line in page.splitlines() if line.startswith(series)]
        return float(value)

    def restarts(self, worker: str) -> int:
        return next(h.restarts for h in self.supervisor.health() if h.name == worker)


@pytest.fixture
async def order_runtime(
    database_url: str, engine: AsyncEngine, infra: InfraEndpoints, topic_factory: TopicFactory
) -> ServiceRuntime:
    """An order runtime: relay, a subscription `echo` on its own topic recording what it
    applies in `applied`, and a deadline worker recording what fired in `fired`."""
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE applied (event_id uuid, stream_id text)"))
        await connection.execute(text("CREATE TABLE fired (key text)"))
    settings = ServiceSettings(
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        topic_order=await topic_factory(3),
        consumer_group_prefix=f"sup-{uuid.uuid4().hex[:8]}.",
    )
    runtime = ServiceRuntime(
        Service.ORDER,
        settings,
        relay_options=RelayOptions(name="order", poll_interval=0.2, max_backoff=1.0),
    )

    async def remember(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await connection.execute(
            text("INSERT INTO applied VALUES (:id, :stream)"),
            {"id": event.event_id, "stream": event.stream_id},
        )

    async def record(deadline: Deadline, connection: AsyncConnection) -> None:
        await connection.execute(text("INSERT INTO fired VALUES (:key)"), {"key": deadline.key})

    runtime.subscribe("echo", [Service.ORDER], remember)
    runtime.fire_deadlines({"test.remind": record})
    return runtime


@asynccontextmanager
async def running(runtime: ServiceRuntime, app: FastAPI) -> AsyncIterator[RunningService]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://order") as client:
            yield RunningService(runtime, app, client)


def app_with(runtime: ServiceRuntime, relay: OutboxRelay | None = None) -> FastAPI:
    """The runtime's workers (its relay replaced by `relay`) in an app restarting them fast."""
    workers = [relay or runtime.relay, *runtime.workers[1:]]
    return build_service_app(
        "order",
        runtime.settings,
        title="order",
        description="supervision test",
        workers=workers,
        on_shutdown=[runtime.close],
        restart_policy=FAST,
    )


def relay_with(runtime: ServiceRuntime, encoder: BreakableEncoder) -> OutboxRelay:
    return OutboxRelay(
        runtime.settings.database_url,
        runtime.settings.kafka_bootstrap_servers,
        encoder,
        RelayOptions(name="order", poll_interval=0.2, max_backoff=1.0),
    )


async def applied(engine: AsyncEngine) -> tuple[int, int]:
    """Rows the subscription wrote, and distinct events among them."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(text("SELECT count(*), count(DISTINCT event_id) FROM applied"))
        ).one()
    return int(row[0]), int(row[1])


async def fired(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.scalars(text("SELECT key FROM fired ORDER BY key"))).all())


async def relay_backends(engine: AsyncEngine) -> list[tuple[int, bool]]:
    """Each relay connection of this database, and whether it holds an advisory lock."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT a.pid, EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid"
                " AND l.locktype = 'advisory' AND l.granted)"
                " FROM pg_stat_activity a"
                " WHERE a.datname = current_database() AND a.application_name = :name"
            ),
            {"name": RELAY_CONNECTION},
        )
        return [(int(pid), bool(locked)) for pid, locked in rows]


async def terminate(engine: AsyncEngine, where: str, **params: Any) -> int:
    """Kill the server processes of this database's connections matching `where`."""
    async with engine.connect() as connection:
        killed = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                f" WHERE datname = current_database() AND pid <> pg_backend_pid() AND {where}"
            ),
            params,
        )
    return int(killed or 0)


def every_worker_up(answer: httpx.Response) -> bool:
    workers = answer.json().get("workers", {})
    return answer.status_code == 200 and all(w["status"] == "up" for w in workers.values())


async def test_a_relay_whose_connection_is_terminated_reconnects_and_publishes_again(
    order_runtime: ServiceRuntime, engine: AsyncEngine
) -> None:
    async with running(order_runtime, order_runtime.app(title="order", description="t")) as svc:
        await svc.append("o-1", 1)
        await eventually(lambda: applied(engine), lambda c: c[1] == 1, timeout=60)
        [(before, locked)] = await relay_backends(engine)
        assert locked

        assert await terminate(engine, "application_name = :name", name=RELAY_CONNECTION) == 1
        await svc.append("o-2", 1)
        await eventually(lambda: applied(engine), lambda c: c[1] == 2, timeout=60)
        [(after, locked_after)] = await relay_backends(engine)
        await eventually(svc.ready, every_worker_up, timeout=60)

    assert after != before
    assert locked_after
    assert await applied(engine) == (2, 2)


async def test_a_relay_that_raised_is_restarted_on_a_fresh_connection_and_publishes(
    order_runtime: ServiceRuntime, engine: AsyncEngine
) -> None:
    encoder = BreakableEncoder()
    app = app_with(order_runtime, relay_with(order_runtime, encoder))
    async with running(order_runtime, app) as svc:
        await svc.append("o-1", 1)

        async def failures() -> int:
            return encoder.failures

        await eventually(failures, lambda n: n >= 2, timeout=60, message="the relay failed twice")
        encoder.broken = False
        await eventually(lambda: applied(engine), lambda c: c[1] == 1, timeout=60)
        await svc.append("o-2", 1)
        await eventually(lambda: applied(engine), lambda c: c[1] == 2, timeout=60)
        backends = await relay_backends(engine)
        restarts = svc.restarts("relay:order")

    # The failed runs left no connection behind, so no stale one kept the leadership lock.
    assert [locked for _, locked in backends] == [True]
    assert restarts >= 2
    assert await applied(engine) == (2, 2)


async def test_a_subscription_whose_connections_are_terminated_applies_every_event_once(
    order_runtime: ServiceRuntime, engine: AsyncEngine
) -> None:
    async with running(order_runtime, app_with(order_runtime)) as svc:
        for n in range(20):
            await svc.append(f"o-{n}", 1)
        await eventually(lambda: applied(engine), lambda c: c[1] >= 1, timeout=60)

        # Every connection of the service: the subscription's pool, the relay, the probes.
        killed = await terminate(engine, "true")
        for n in range(20, 40):
            await svc.append(f"o-{n}", 1)
        await eventually(lambda: applied(engine), lambda c: c[1] == 40, timeout=90)
        await eventually(svc.ready, every_worker_up, timeout=60)

    assert killed >= 1
    assert await applied(engine) == (40, 40)


async def test_a_worker_that_keeps_failing_makes_the_service_unready_until_it_recovers(
    order_runtime: ServiceRuntime, engine: AsyncEngine
) -> None:
    encoder = BreakableEncoder()
    async with running(
        order_runtime, app_with(order_runtime, relay_with(order_runtime, encoder))
    ) as svc:
        await svc.append("o-1", 1)
        unready = await eventually(svc.ready, lambda a: a.status_code == 503, timeout=60)
        problem = unready.json()
        metrics_down = await svc.metric('eventing_worker_up{service="order",worker="relay:order"}')

        encoder.broken = False
        await eventually(svc.ready, every_worker_up, timeout=60)
        await eventually(lambda: applied(engine), lambda c: c[1] == 1, timeout=60)
        metrics_up = await svc.metric('eventing_worker_up{service="order",worker="relay:order"}')
        restarts = await svc.metric(
            'eventing_worker_restarts_total{service="order",worker="relay:order"}'
        )

    assert unready.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "https://orderflow.dev/problems/worker-unavailable"
    assert "relay:order" in problem["detail"]
    relay = problem["workers"]["relay:order"]
    assert relay["status"] == "down"
    assert relay["last_error"] == "EncoderBug('cannot encode tick')"
    group = order_runtime.settings.consumer_group(Service.ORDER, "echo")
    assert problem["workers"][f"subscription:{group}"]["status"] != "down"
    assert problem["checks"]["postgres"]["status"] == "up"
    assert (metrics_down, metrics_up) == (0.0, 1.0)
    assert restarts >= 1


@pytest.mark.fault
async def test_every_worker_resumes_by_itself_after_postgres_restarts(
    order_runtime: ServiceRuntime, engine: AsyncEngine, fault_injector: FaultInjector
) -> None:
    app = order_runtime.app(title="order", description="production wiring and restart policy")
    async with running(order_runtime, app) as svc:
        await svc.append("o-before", 1)
        await eventually(lambda: applied(engine), lambda c: c[1] == 1, timeout=60)
        await eventually(svc.ready, every_worker_up, timeout=60)

        await fault_injector.stop_postgres()
        try:
            loop = asyncio.get_running_loop()
            outage_ends = loop.time() + OUTAGE_SECONDS
            # The readiness checks are kept for a second (`DependencyChecks.max_age`): the
            # outage shows once the answer before it has aged out.
            during = await eventually(
                svc.ready, lambda answer: answer.status_code == 503, timeout=OUTAGE_SECONDS
            )
            await asyncio.sleep(max(outage_ends - loop.time(), 0))
        finally:
            await fault_injector.start_postgres()

        await svc.append("o-after", 1)
        due = order_runtime.clock.now() - timedelta(seconds=1)
        await order_runtime.deadlines.schedule(Deadline("test.remind", "after", due))
        await eventually(lambda: applied(engine), lambda c: c[1] == 2, timeout=120)
        await eventually(lambda: fired(engine), lambda keys: keys == ["after"], timeout=120)
        recovered = await eventually(svc.ready, every_worker_up, timeout=120)

    assert during.status_code == 503
    assert during.json()["checks"]["postgres"]["status"] == "down"
    assert set(recovered.json()["workers"]) == {
        "relay:order",
        "subscription:" + order_runtime.settings.consumer_group(Service.ORDER, "echo"),
        "deadlines",
    }
    assert await applied(engine) == (2, 2)


@pytest.mark.fault
async def test_a_subscription_that_cannot_start_without_the_broker_starts_once_it_is_back(
    order_runtime: ServiceRuntime, engine: AsyncEngine, fault_injector: FaultInjector
) -> None:
    group = order_runtime.settings.consumer_group(Service.ORDER, "echo")
    await fault_injector.stop_kafka()  # the fixture starts it again whatever happens
    async with running(order_runtime, app_with(order_runtime)) as svc:
        await svc.append("o-1", 1)
        await eventually(
            lambda: _restarts(svc, f"subscription:{group}"), lambda n: n >= 1, timeout=60
        )
        unready = await svc.ready()
        await fault_injector.start_kafka()

        await eventually(lambda: applied(engine), lambda c: c[1] == 1, timeout=120)
        await eventually(svc.ready, every_worker_up, timeout=120)

    assert unready.status_code == 503
    assert unready.json()["workers"][f"subscription:{group}"]["status"] == "down"


async def _restarts(svc: RunningService, worker: str) -> int:
    return svc.restarts(worker)
