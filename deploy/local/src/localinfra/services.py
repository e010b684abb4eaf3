"""Service processes: the one way to launch a service (uvicorn on its app factory, its settings in
the environment), wait until it is ready and stop it; `make run` and `localinfra.system` use it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from contracts.parties import SERVICES, Service
from localinfra.config import Deployable, InfraSettings, ReadSide

# uvicorn closes a connection idle for 5 s (its `timeout_keep_alive`); httpx reuses one idle for
# up to 5 s, so a request sent on a connection the server is closing at that moment fails with a
# ReadError. The clients of a running system let idle connections go well before the server.
KEEP_ALIVE = httpx.Limits(keepalive_expiry=2.0)

READY_TIMEOUT = 120.0
"""Seconds a service may take to answer /ready (the three start at once, on a small machine too)."""


class ServiceStartError(RuntimeError):
    """A service process exited or never became ready."""


@dataclass(frozen=True, slots=True)
class ServiceLaunch:
    """The command line and environment of one service process, and where it will answer."""

    service: Deployable
    url: str
    command: tuple[str, ...]
    environment: Mapping[str, str]


# A read side's live stream (the dashboard's SSE) stays open until its client leaves: on
# SIGTERM uvicorn waits this long for such answers, then closes them and shuts down.
_STREAMS_GRACE_SECONDS = "3"


def service_launch(
    service: Deployable,
    *,
    database_url: str,
    kafka_bootstrap: str,
    host: str,
    port: int,
    settings: Mapping[str, str] | None = None,
) -> ServiceLaunch:
    """`service` served on `host:port`, configured by environment (`eventing.settings`).

    The environment is this process's with the database, the broker and `settings` (topics,
    consumer group prefix, …) on top. Locally the services run on the database clock, so
    `orderctl`, demos and end-to-end tests can move time (unpaid auto-close, auto-confirm,
    refund time-outs); CLOCK=system in the environment or in `settings` opts out. The service's
    PUBLIC_URL is where it answers, so the `ce_dataschema` of its events resolves (to it).
    """
    url = f"http://{host}:{port}"
    environment = {
        "CLOCK": "database",
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PUBLIC_URL": url,
        **(settings or {}),
        "PYTHONUNBUFFERED": "1",
    }
    command: tuple[str, ...] = (
        sys.executable, "-m", "uvicorn", "--factory", f"{service.value}_service.main:create_app",
        "--host", host, "--port", str(port), "--no-access-log",
    )  # fmt: skip
    if isinstance(service, ReadSide):
        command += ("--timeout-graceful-shutdown", _STREAMS_GRACE_SECONDS)
    return ServiceLaunch(service, url, command, environment)


@dataclass
class ServiceProcess:
    """A service process `start_process` started."""

    service: Deployable
    url: str
    process: subprocess.Popen[bytes]
    log_file: Path
    replica: int = 0


class StartedService(Protocol):
    """A started service process (`ServiceProcess`, `localinfra.system.RunningService`)."""

    service: Deployable
    url: str
    process: subprocess.Popen[bytes]
    log_file: Path


def start_process(
    launch: ServiceLaunch, log_file: Path, *, own_session: bool = False, replica: int = 0
) -> ServiceProcess:
    """Start the process, its output appended to `log_file`; in a session of its own if asked,
    so a terminal's Ctrl-C reaches only the launcher, which stops the services itself."""
    with log_file.open("ab") as out:
        process = subprocess.Popen(
            list(launch.command),
            env=dict(launch.environment),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
        )
    return ServiceProcess(launch.service, launch.url, process, log_file, replica)


async def wait_ready(started: StartedService, timeout: float = READY_TIMEOUT) -> None:
    """Until the service answers /ready with 200; `ServiceStartError` with the end of its log
    if the process exits first or time runs out."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            if started.process.poll() is not None:
                code = started.process.returncode
                raise ServiceStartError(
                    f"{started.service.value} exited with {code}; {_log_tail(started.log_file)}"
                )
            try:
                if (await http.get(f"{started.url}/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ServiceStartError(
                    f"{started.service.value} not ready after {timeout:.0f}s; "
                    f"{_log_tail(started.log_file)}"
                )
            await asyncio.sleep(0.2)


async def wait_all_ready(started: Iterable[StartedService]) -> None:
    """Until every one of them is ready (they start side by side)."""
    await asyncio.gather(*(wait_ready(service) for service in started))


def _log_tail(log_file: Path, characters: int = 3000) -> str:
    try:
        tail = log_file.read_text(errors="replace")[-characters:]
    except OSError:
        return f"no log at {log_file}"
    return f"the end of {log_file}:\n{tail}"


def stop_services(services: Sequence[StartedService], timeout: float = 30.0) -> None:
    """SIGTERM every service (uvicorn drains and runs the lifespan shutdown), then SIGKILL."""
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for service in services:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            service.process.wait(remaining)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()


def migrate(database_url: str, service: Deployable | None) -> None:
    """Apply a service database's migrations (the shared eventing schema, then its own; only
    eventing's for the clock database, `service=None`)."""
    chosen = ("--service", service.value) if service is not None else ()
    result = subprocess.run(
        [sys.executable, "-m", "eventing.migrate", "--database-url", database_url, *chosen],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServiceStartError(f"migrating {database_url} failed: {result.stderr.strip()[-2000:]}")


def replica_log_name(service: Deployable, replica: int) -> str:
    """`order.log` for replica 0 (as with one replica), `order-1.log`, … for the others."""
    return f"{service.value}.log" if replica == 0 else f"{service.value}-{replica}.log"


def start_all(settings: InfraSettings) -> list[ServiceProcess]:
    """`make run`'s processes, ready: `settings.replicas` of each of the three services (replica
    0 on the service's own port, replica r `REPLICA_PORT_STEP` × r above it), all on the
    service's one database and consumer groups, and the dashboard once."""
    started: list[ServiceProcess] = []
    replicas = [(service, 0) for service in (*SERVICES, *ReadSide)] + [
        (service, replica) for replica in range(1, settings.replicas) for service in SERVICES
    ]
    try:
        for service, replica in replicas:
            launch = service_launch(
                service,
                database_url=settings.postgres_dsn(service.value),
                kafka_bootstrap=settings.kafka_bootstrap,
                host=settings.host,
                port=settings.service_port(service, replica),
                settings={
                    "CLOCK_DATABASE_URL": settings.clock_dsn(),
                    # Every replica names the service's address (replica 0's) in its events.
                    "PUBLIC_URL": f"http://{settings.host}:{settings.service_port(service)}",
                    # The order service keeps the buyers' data keys; the others fetch them
                    # (from its replica 0: no load balancer runs locally).
                    "KEY_CUSTODIAN_URL": (
                        f"http://{settings.host}:{settings.service_port(Service.ORDER)}"
                    ),
                },
            )
            log_file = settings.logs_dir / replica_log_name(service, replica)
            started.append(start_process(launch, log_file, own_session=True, replica=replica))
        asyncio.run(wait_all_ready(started))
    except BaseException:
        stop_services(started)
        raise
    return started
