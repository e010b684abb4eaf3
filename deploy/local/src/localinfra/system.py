"""The three services as real processes against given PostgreSQL and Kafka (end-to-end tests).

`start_system` gives a run its own databases, topics and consumer groups, starts the services
with uvicorn on free ports on the database clock (`replicas` processes of each, on one database
and one consumer group), and returns HTTP clients per role and a way to move every service's
time at once; `stop_system` undoes all of it (its topics too).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.parties import SERVICES, Service
from eventing.clock import advance_clock, read_clock_offset
from eventing.database import create_engine
from eventing.http.auth import Role, TokenIssuer
from eventing.migrate import upgrade_async, upgrade_service_async
from eventing.topics import connect_admin, replicated_topics
from localinfra.config import Deployable, ReadSide
from localinfra.services import (
    KEEP_ALIVE,
    replica_log_name,
    service_launch,
    start_process,
    stop_services,
    wait_all_ready,
)
from localinfra.testing import InfraEndpoints

AUTH_SECRET = "end-to-end-secret-long-enough-for-hs256-tokens"


@dataclass
class RunningService:
    """One service process of the system, with an engine on its database."""

    service: Deployable
    url: str
    database_url: str
    engine: AsyncEngine
    process: subprocess.Popen[bytes]
    log_file: Path
    replica: int = 0
    public_url: str = ""  # what its events name (replica 0's URL); its own URL if empty


@dataclass
class System:
    """The running system: service URLs, topics, and helpers to act and to move time.

    `services` holds replica 0 of each service (the only one, unless started with `replicas`);
    `others` the further replicas. `url(service)` takes the replicas in turn, as a load
    balancer in front of them would, so clients spread over every replica."""

    services: dict[Service, RunningService]
    topics: dict[Service, str]
    bootstrap: str
    infra: InfraEndpoints
    run: str
    clock_url: str = ""  # the run's one movable clock (every service reads it)
    tokens: TokenIssuer = field(default_factory=lambda: TokenIssuer(AUTH_SECRET))
    dashboard: RunningService | None = None  # started only when asked (`start_system`)
    others: dict[Service, list[RunningService]] = field(default_factory=dict)
    _turns: itertools.count[int] = field(default_factory=itertools.count)

    def replicas(self, service: Service) -> list[RunningService]:
        """Every process of `service`, replica 0 first."""
        return [self.services[service], *self.others.get(service, [])]

    def replace(self, service: Service, replica: int, running: RunningService) -> None:
        """`running` is now replica `replica` of `service` (after a restart)."""
        if replica == 0:
            self.services[service] = running
        else:
            self.others[service][replica - 1] = running

    def database_name(self, service: Deployable) -> str:
        return f"e2e_{self.run}_{service.value}"

    def dashboard_client(
        self, role: Role, subject: str, shop_id: str | None = None
    ) -> httpx.AsyncClient:
        """A client of the dashboard as `role` (the system must run it: `dashboard=True`)."""
        if self.dashboard is None:
            raise RuntimeError("this system runs no dashboard: start_system(..., dashboard=True)")
        token = self.tokens.issue(role, subject, shop_id)
        return httpx.AsyncClient(
            base_url=self.dashboard.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            limits=KEEP_ALIVE,
        )

    def url(self, service: Service) -> str:
        """A replica's URL: the next one in turn (replica 0's when there is one)."""
        replicas = self.replicas(service)
        return replicas[next(self._turns) % len(replicas)].url

    def client(
        self, service: Service, role: Role, subject: str, shop_id: str | None = None
    ) -> httpx.AsyncClient:
        token = self.tokens.issue(role, subject, shop_id)
        return httpx.AsyncClient(
            base_url=self.url(service),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            limits=KEEP_ALIVE,
        )

    async def now(self) -> datetime:
        """The system's time: wall time plus the clock's offset (what every service reads)."""
        engine = create_engine(self.clock_url, pool_size=1, max_overflow=0)
        try:
            return datetime.now(UTC) + await read_clock_offset(engine)
        finally:
            await engine.dispose()

    async def advance(self, by: timedelta) -> None:
        """Move the system's clock forward by `by`: one write, every service at once."""
        engine = create_engine(self.clock_url, pool_size=1, max_overflow=0)
        try:
            await advance_clock(engine, by)
        finally:
            await engine.dispose()


def run_logs(infra: InfraEndpoints, kind: str) -> Path | None:
    """A new folder for a run's service logs under the infrastructure's home
    (`<home>/<kind>-logs/<pid>-<time>`), where they outlive pytest's rotation of temporary
    directories, so a failure can be read later; None when the infrastructure has no home."""
    if infra.settings is None:
        return None
    logs = infra.settings.infra_home / f"{kind}-logs" / f"{os.getpid()}-{int(time.time())}"
    logs.mkdir(parents=True, exist_ok=True)
    return logs


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_service(
    service: Deployable,
    database_url: str,
    topics: dict[Service, str],
    infra: InfraEndpoints,
    run: str,
    logs: Path,
    clock: str = "database",
    clock_url: str | None = None,
    custodian_url: str | None = None,
    port: int | None = None,
    replica: int = 0,
    public_url: str | None = None,
) -> RunningService:
    """Start one service process on a free port, in the run's topics and consumer groups. The
    database clock (the default) lets tests move time; benchmarks pass `clock="system"`, the
    production setting, which saves a query per command. A further replica (`replica` > 0)
    logs to a file of its own and names `public_url` (replica 0's) in its events."""
    settings = {
        **({"PUBLIC_URL": public_url} if public_url else {}),
        "AUTH_SECRET": AUTH_SECRET,
        "CLOCK": clock,
        "CONSUMER_GROUP_PREFIX": f"e2e.{run}.",
        **({"CLOCK_DATABASE_URL": clock_url} if clock_url else {}),
        **({"KEY_CUSTODIAN_URL": custodian_url} if custodian_url else {}),
        **{f"TOPIC_{source.name}": topics[source] for source in SERVICES},
    }
    launch = service_launch(
        service,
        database_url=database_url,
        kafka_bootstrap=infra.kafka_bootstrap,
        host="127.0.0.1",
        port=port or _free_port(),
        settings=settings,
    )
    started = start_process(launch, logs / replica_log_name(service, replica), replica=replica)
    return RunningService(
        service,
        started.url,
        database_url,
        create_engine(database_url, pool_size=2, max_overflow=2),
        started.process,
        started.log_file,
        replica,
        public_url or "",
    )


async def start_system(
    infra: InfraEndpoints,
    logs: Path,
    clock: str = "database",
    *,
    dashboard: bool = False,
    partitions: int = 3,
    replicas: int = 1,
) -> System:
    """Fresh databases and topics, migrated, and the three services ready on free ports (and
    the dashboard, when asked: most runs need only the services). Topics have `partitions`
    each: 3 keep a test's partitions few; the topic catalog's 12 are what a deployment has.
    `replicas` processes of each service share its database and consumer groups (the others
    fetch data keys from the order service's replica 0)."""
    run = uuid.uuid4().hex[:10]
    topics = {service: f"e2e.{run}.{service.value}" for service in SERVICES}
    admin = await connect_admin(infra.kafka_bootstrap)
    try:
        await admin.create_topics(await replicated_topics(admin, topics.values(), partitions))
    finally:
        await admin.close()
    system = System({}, topics, infra.kafka_bootstrap, infra, run)
    try:
        system.clock_url = await infra.create_database(f"e2e_{run}_clock")
        await upgrade_async(system.clock_url)
        for service in SERVICES:
            url = await infra.create_database(system.database_name(service))
            await upgrade_service_async(url, service.value)
            # The order service starts first: the others fetch the buyers' data keys from it.
            order = system.services.get(Service.ORDER)
            system.services[service] = start_service(
                service,
                url,
                topics,
                infra,
                run,
                logs,
                clock,
                system.clock_url,
                custodian_url=order.url if order is not None else None,
            )
        for service in SERVICES:
            first = system.services[service]
            order = system.services[Service.ORDER]
            system.others[service] = [
                start_service(
                    service, first.database_url, topics, infra, run, logs, clock, system.clock_url,
                    custodian_url=order.url if service is not Service.ORDER else None,
                    replica=replica, public_url=first.url,
                )
                for replica in range(1, replicas)
            ]  # fmt: skip
        if dashboard:
            url = await infra.create_database(system.database_name(ReadSide.DASHBOARD))
            await upgrade_service_async(url, ReadSide.DASHBOARD.value)
            system.dashboard = start_service(
                ReadSide.DASHBOARD, url, topics, infra, run, logs, clock, system.clock_url
            )
        await wait_all_ready(_processes_of(system))
    except BaseException:
        await stop_system(system)
        raise
    return system


async def stop_system(system: System) -> None:
    """Stop the services, drop their databases and delete the run's topics (dead-letter topics
    included): every partition a broker holds is recovered again at each of its restarts."""
    processes = _processes_of(system)
    await asyncio.to_thread(stop_services, processes)
    for running in processes:
        await running.engine.dispose()
    await system.infra.drop_databases(
        [
            *(system.database_name(s) for s in (*SERVICES, *ReadSide)),
            f"e2e_{system.run}_clock",
        ]
    )
    await _delete_topics(system.bootstrap, f"e2e.{system.run}.")


def _processes_of(system: System) -> list[RunningService]:
    """Every process of the system: each replica of each service, and the dashboard if any."""
    replicas = [running for service in system.services for running in system.replicas(service)]
    return [*replicas, *([system.dashboard] if system.dashboard is not None else [])]


async def _delete_topics(bootstrap: str, prefix: str) -> None:
    try:
        admin = await connect_admin(bootstrap, timeout=10)
    except (KafkaError, OSError):
        return  # cleanup only: names never repeat, and a broker left down is reported elsewhere
    try:
        doomed = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
