"""Runs the three services as uvicorn processes against the local infrastructure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from localinfra.config import SERVICES, InfraSettings


class ServiceStartError(RuntimeError):
    """A service process exited or never became ready."""


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def service_environment(settings: InfraSettings, service: str) -> dict[str, str]:
    """The environment a service process reads (see eventing.settings.ServiceSettings).

    Locally the services run on the database clock, so `orderctl`, demos and end-to-end tests
    can move time (unpaid auto-close, auto-confirm, refund time-outs); set CLOCK=system to
    opt out.
    """
    return {
        "CLOCK": "database",
        **os.environ,
        "DATABASE_URL": settings.postgres_dsn(service),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap,
        "PYTHONUNBUFFERED": "1",
    }


def migrate(database_url: str, service: str) -> None:
    """Apply a service database's migrations (the shared eventing schema, then its own)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "eventing.migrate",
            "--database-url",
            database_url,
            "--service",
            service,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServiceStartError(f"migrating {database_url} failed: {result.stderr.strip()[-2000:]}")


def start_service(settings: InfraSettings, service: str) -> ServiceProcess:
    port = settings.service_port(service)
    log_file = settings.logs_dir / f"{service}.log"
    with log_file.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"{service}_service.main:create_app",
                "--host",
                settings.host,
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=service_environment(settings, service),
            stdout=out,
            stderr=subprocess.STDOUT,
            # Own session, so a terminal Ctrl-C reaches only the launcher, which stops the
            # services first and the infrastructure after them.
            start_new_session=True,
        )
    return ServiceProcess(service, port, process, log_file)


def wait_ready(service: ServiceProcess, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if service.process.poll() is not None:
            raise ServiceStartError(
                f"{service.name} exited with {service.process.returncode}; see {service.log_file}"
            )
        try:
            if httpx.get(f"{service.url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ServiceStartError(f"{service.name} not ready after {timeout:.0f}s")
        time.sleep(0.25)


def stop_services(services: list[ServiceProcess], timeout: float = 20.0) -> None:
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


def start_all(settings: InfraSettings) -> list[ServiceProcess]:
    started: list[ServiceProcess] = []
    try:
        for name in SERVICES:
            started.append(start_service(settings, name))
        for service in started:
            wait_ready(service)
    except BaseException:
        stop_services(started)
        raise
    return started
