"""The three services as real processes against given PostgreSQL and Kafka (end-to-end tests).

`start_system` gives a run its own databases, topics and consumer groups, starts the services
with uvicorn on free ports on the database clock, and returns HTTP clients per role and a way
to move every service's time at once; `stop_system` undoes all of it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import NewTopic
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.parties import Service
from eventing.clock import advance_clock
from eventing.database import create_engine
from eventing.http.auth import Role, TokenIssuer
from eventing.migrate import upgrade_service_async
from eventing.topics import connect_admin
from localinfra.testing import InfraEndpoints


class SystemStartError(RuntimeError):
    """A service did not come up; the message carries the end of its log."""


AUTH_SECRET = "end-to-end-secret-long-enough-for-hs256-tokens"
SERVICES = (Service.ORDER, Service.LOGISTICS, Service.AFTERSALES)


@dataclass
class RunningService:
    service: Service
    url: str
    database_url: str
    engine: AsyncEngine
    process: subprocess.Popen[bytes]
    log_file: Path


@dataclass
class System:
    """The running system: service URLs, topics, and helpers to act and to move time."""

    services: dict[Service, RunningService]
    topics: dict[Service, str]
    bootstrap: str
    infra: InfraEndpoints
    run: str
    tokens: TokenIssuer = field(default_factory=lambda: TokenIssuer(AUTH_SECRET))

    def database_name(self, service: Service) -> str:
        return f"e2e_{self.run}_{service.value}"

    def url(self, service: Service) -> str:
        return self.services[service].url

    def client(
        self, service: Service, role: Role, subject: str, shop_id: str | None = None
    ) -> httpx.AsyncClient:
        token = self.tokens.issue(role, subject, shop_id)
        return httpx.AsyncClient(
            base_url=self.url(service),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    async def advance(self, by: timedelta) -> None:
        """Move every service's clock forward by `by` (their deadline workers pick it up)."""
        for running in self.services.values():
            await advance_clock(running.engine, by)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _create_database(infra: InfraEndpoints, name: str) -> str:
    connection = await asyncpg.connect(infra.admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return infra.postgres_dsn(name)


async def _drop_databases(infra: InfraEndpoints, names: list[str]) -> None:
    connection = await asyncpg.connect(infra.admin_dsn)
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def wait_ready(running: RunningService) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(600):
            if running.process.poll() is not None:
                log = running.log_file.read_text(errors="replace")[-3000:]
                raise SystemStartError(
                    f"{running.service} exited with {running.process.returncode}:\n{log}"
                )
            try:
                if (await http.get(f"{running.url}/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemStartError(f"{running.service} never became ready; see {running.log_file}")


def start_service(
    service: Service,
    database_url: str,
    topics: dict[Service, str],
    infra: InfraEndpoints,
    run: str,
    logs: Path,
    clock: str = "database",
) -> RunningService:
    """Start one service process on a free port. The database clock (the default) lets tests
    move time; benchmarks pass `clock="system"`, the production setting, which saves a query
    per command."""
    port = _free_port()
    log_file = logs / f"{service.value}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "AUTH_SECRET": AUTH_SECRET,
        "CLOCK": clock,
        "CONSUMER_GROUP_PREFIX": f"e2e.{run}.",
        "TOPIC_ORDER": topics[Service.ORDER],
        "TOPIC_LOGISTICS": topics[Service.LOGISTICS],
        "TOPIC_AFTERSALES": topics[Service.AFTERSALES],
        "PYTHONUNBUFFERED": "1",
    }
    with log_file.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", f"{service}_service.main:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    return RunningService(
        service,
        f"http://127.0.0.1:{port}",
        database_url,
        create_engine(database_url, pool_size=2, max_overflow=2),
        process,
        log_file,
    )


async def start_system(infra: InfraEndpoints, logs: Path, clock: str = "database") -> System:
    """Fresh databases and topics, migrated, and the three services ready on free ports."""
    run = uuid.uuid4().hex[:10]
    topics = {service: f"e2e.{run}.{service.value}" for service in SERVICES}
    admin = await connect_admin(infra.kafka_bootstrap)
    try:
        await admin.create_topics([NewTopic(name, 3, 1) for name in topics.values()])
    finally:
        await admin.close()
    system = System({}, topics, infra.kafka_bootstrap, infra, run)
    try:
        for service in SERVICES:
            url = await _create_database(infra, system.database_name(service))
            await upgrade_service_async(url, service.value)
            system.services[service] = start_service(service, url, topics, infra, run, logs, clock)
        for running in system.services.values():
            await wait_ready(running)
    except BaseException:
        await stop_system(system)
        raise
    return system


async def stop_system(system: System) -> None:
    """Stop the services, drop their databases (topics are left: names never repeat)."""
    for running in system.services.values():
        running.process.terminate()
    for running in system.services.values():
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
        await running.engine.dispose()
    await _drop_databases(system.infra, [system.database_name(s) for s in SERVICES])
