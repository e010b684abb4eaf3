"""Faults: a service process killed (SIGKILL) or stopped (SIGTERM) and started again on its own
state; with replicas (`start_system(replicas=…)`), one replica at a time."""

from __future__ import annotations

import asyncio
import signal
from urllib.parse import urlsplit

from contracts.parties import Service
from localinfra.services import wait_ready
from localinfra.system import System, start_service


def kill(system: System, service: Service, replica: int = 0) -> None:
    """SIGKILL one service's process: no shutdown, no flush, as a crash would."""
    running = system.replicas(service)[replica]
    running.process.kill()
    running.process.wait()


async def stop(system: System, service: Service, replica: int = 0) -> None:
    """SIGTERM one service's process and wait for it to end: uvicorn drains its requests and
    the lifespan stops the workers (the relay lets go of its lock, the group is left), as a
    rolling restart does."""
    running = system.replicas(service)[replica]
    running.process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(running.process.wait)


async def restart(system: System, service: Service, replica: int = 0) -> None:
    """Start a killed service again on its database, topics, consumer groups and port (the
    others reach the order service, the key custodian, at the URL they were started with)."""
    running = system.replicas(service)[replica]
    await running.engine.dispose()
    custodian = system.services[Service.ORDER].url if service is not Service.ORDER else None
    again = start_service(
        service, running.database_url, system.topics, system.infra, system.run,
        running.log_file.parent, clock_url=system.clock_url, custodian_url=custodian,
        port=urlsplit(running.url).port, replica=replica, public_url=running.public_url or None,
    )  # fmt: skip
    system.replace(service, replica, again)
    await wait_ready(again)
