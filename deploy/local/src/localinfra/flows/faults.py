"""Faults: a service process killed (SIGKILL) and started again on its own state."""

from __future__ import annotations

from urllib.parse import urlsplit

from contracts.parties import Service
from localinfra.services import wait_ready
from localinfra.system import System, start_service


def kill(system: System, service: Service) -> None:
    """SIGKILL one service's process: no shutdown, no flush, as a crash would."""
    running = system.services[service]
    running.process.kill()
    running.process.wait()


async def restart(system: System, service: Service) -> None:
    """Start a killed service again on its database, topics, consumer groups and port (the
    others reach the order service, the key custodian, at the URL they were started with)."""
    running = system.services[service]
    await running.engine.dispose()
    custodian = system.services[Service.ORDER].url if service is not Service.ORDER else None
    again = start_service(
        service, running.database_url, system.topics, system.infra, system.run,
        running.log_file.parent, clock_url=system.clock_url, custodian_url=custodian,
        port=urlsplit(running.url).port,
    )  # fmt: skip
    system.services[service] = again
    await wait_ready(again)
