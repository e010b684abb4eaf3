"""Infrastructure for tests: local processes (default), testcontainers, or given endpoints.

Selected by `ORDERS_TEST_INFRA` = `local` | `docker` | `external`. Without it, `external` is
chosen when both `KAFKA_BOOTSTRAP_SERVERS` and `ORDERS_TEST_DATABASE_URL` are set, else `local`.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from contracts.environments import TEST_KAFKA_PORT
from contracts.parties import SERVICES
from localinfra.config import CLOCK_DATABASE, REPO_ROOT, InfraSettings
from localinfra.stack import LocalStack

# Defaults that keep a test session away from the infrastructure `make run` uses.
TEST_DEFAULTS: dict[str, Any] = {
    "infra_home": REPO_ROOT / ".run" / "test",
    "pg_port": 26432,
    "kafka_port": TEST_KAFKA_PORT,
    "kafka_controller_port": 29193,
    "service_base_port": 18100,
}
_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class FaultInjector(Protocol):
    """Stops, crashes and restarts real infrastructure for fault tests. Kafka faults hit every
    broker, or broker `broker` (1-based) alone on a cluster (`ORDERS_KAFKA_BROKERS`)."""

    async def stop_kafka(self, broker: int | None = None) -> None: ...
    async def start_kafka(self, broker: int | None = None) -> None: ...
    async def kill_kafka(self, broker: int | None = None) -> None: ...
    async def pause_kafka(self, broker: int | None = None) -> None: ...
    async def resume_kafka(self, broker: int | None = None) -> None: ...
    async def stop_postgres(self) -> None: ...
    async def start_postgres(self) -> None: ...


@dataclass(frozen=True)
class InfraEndpoints:
    """Endpoints of the infrastructure a test session runs against."""

    backend: str
    admin_dsn: str
    kafka_bootstrap: str
    faults: FaultInjector | None = None
    settings: InfraSettings | None = None

    def postgres_dsn(self, database: str) -> str:
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path=f"/{database}"))

    async def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new database (a copy of `template` if given); its DSN."""
        copied = f' TEMPLATE "{safe_identifier(template)}"' if template else ""
        await self._execute(f'CREATE DATABASE "{safe_identifier(name)}"{copied}')
        return self.postgres_dsn(name)

    async def drop_databases(self, names: Iterable[str]) -> None:
        """Drop these databases if they exist, disconnecting whoever still uses them."""
        await self._execute(
            *(f'DROP DATABASE IF EXISTS "{safe_identifier(name)}" WITH (FORCE)' for name in names)
        )

    async def _execute(self, *statements: str) -> None:
        connection = await asyncpg.connect(self.admin_dsn)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()


class LocalFaults:
    """Fault injection on the local broker and server: same ports and data after a restart."""

    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack

    async def stop_kafka(self, broker: int | None = None) -> None:
        await asyncio.to_thread(self._stack.kafka.stop, broker=broker)

    async def start_kafka(self, broker: int | None = None) -> None:
        await asyncio.to_thread(self._stack.kafka.start, broker=broker)

    async def kill_kafka(self, broker: int | None = None) -> None:
        await asyncio.to_thread(self._stack.kafka.kill, broker=broker)

    async def pause_kafka(self, broker: int | None = None) -> None:
        await asyncio.to_thread(self._stack.kafka.pause, broker=broker)

    async def resume_kafka(self, broker: int | None = None) -> None:
        await asyncio.to_thread(self._stack.kafka.resume, broker=broker)

    async def stop_postgres(self) -> None:
        await asyncio.to_thread(self._stack.postgres.stop, "fast")

    async def start_postgres(self) -> None:
        await asyncio.to_thread(self._stack.postgres.start)
        await asyncio.to_thread(self._stack.postgres.wait_ready)


class InfraSession:
    """Starts the selected backend once per test session and stops what it started."""

    def __init__(self) -> None:
        self.backend = _select_backend()
        self._cleanup: list[Any] = []

    def start(self) -> InfraEndpoints:
        if self.backend == "external":
            return InfraEndpoints(
                "external",
                admin_dsn=os.environ["ORDERS_TEST_DATABASE_URL"],
                kafka_bootstrap=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            )
        if self.backend == "docker":
            return self._start_containers()
        return self._start_local()

    def _start_local(self) -> InfraEndpoints:
        overrides = {
            k: v for k, v in TEST_DEFAULTS.items() if f"ORDERS_{k.upper()}" not in os.environ
        }
        stack = LocalStack(InfraSettings(**overrides))
        settings = stack.settings
        report = stack.up(databases=(*SERVICES, CLOCK_DATABASE))
        if report.started:
            self._cleanup.append(stack.down)
        return InfraEndpoints(
            "local",
            admin_dsn=settings.postgres_dsn("postgres"),
            kafka_bootstrap=settings.kafka_bootstrap,
            faults=LocalFaults(stack),
            settings=settings,
        )

    def _start_containers(self) -> InfraEndpoints:
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        postgres = PostgresContainer(
            os.environ.get("ORDERS_TEST_POSTGRES_IMAGE", "postgres:18"), driver=None
        ).start()
        self._cleanup.append(postgres.stop)
        kafka = (
            KafkaContainer(os.environ.get("ORDERS_TEST_KAFKA_IMAGE", "apache/kafka:4.1.1"))
            .with_kraft()
            .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .start()
        )
        self._cleanup.append(kafka.stop)
        return InfraEndpoints(
            "docker",
            admin_dsn=postgres.get_connection_url(),
            kafka_bootstrap=kafka.get_bootstrap_server(),
        )

    def stop(self) -> None:
        while self._cleanup:
            self._cleanup.pop()()


def _select_backend() -> str:
    chosen = os.environ.get("ORDERS_TEST_INFRA")
    if chosen:
        if chosen not in {"local", "docker", "external"}:
            raise ValueError(f"ORDERS_TEST_INFRA must be local, docker or external, not {chosen!r}")
        return chosen
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("ORDERS_TEST_DATABASE_URL"):
        return "external"
    return "local"


def safe_identifier(name: str) -> str:
    """Database names are interpolated into DDL; only our own generated names pass."""
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    return name
