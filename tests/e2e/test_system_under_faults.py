"""The whole system under faults: a mixed load of orders over HTTP while the broker is killed
and restarted, each service process is killed and restarted, PostgreSQL is restarted and the
broker is paused; once the system is quiet, nothing acknowledged is lost, nothing is doubled,
every event is on its topic once and in order, the services agree, every read model equals
its rebuild and nothing was dead-lettered.

Orders run `ORDERS_FAULT_ORDERS` (default 100) at a time of `AT_ONCE`: completed, cancelled
unpaid, cancelled after payment and refunded before shipment (`tests.e2e.lifecycle_mix`).
Clients retry as real clients do (`tests.e2e.patient_clients`). Each fault starts when its
share of the orders has started, so every fault meets orders in flight. The time the system
took to be quiet after the last fault is recorded (`quiet_after_last_fault_seconds`), never
asserted.

Marked `fault`: it stops and kills shared infrastructure (see tests/e2e/test_lifecycle_faults.py).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from pprint import pformat

import httpx
import pytest

from contracts.parties import SERVICES, Service
from eventing.testing import eventually
from localinfra import flows
from localinfra.flows import CUP, TEA
from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import FaultInjector, InfraEndpoints
from tests.e2e import fault_invariants as invariants
from tests.e2e.lifecycle_mix import AFTER_FAULT, STOCK, Load, everything_wrong
from tests.e2e.patient_clients import PatientActors
from tests.fuzz import downstream

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

ORDERS = int(os.environ.get("ORDERS_FAULT_ORDERS", "100"))
QUIET_WITHIN = 300.0  # seconds the system may take to be quiet after the load
BROKER_DOWN, BROKER_PAUSED, POSTGRES_DOWN = 5.0, 5.0, 2.0


@pytest.fixture
async def faulted_system(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """A system of its own, so what the checks see is this run's (logs under the
    infrastructure's home, `fault-logs/…`, kept for reading after a failure)."""
    logs = run_logs(infra, "fault") or tmp_path_factory.mktemp("fault-logs")
    running = await start_system(infra, logs)
    try:
        yield running
    finally:
        if infra.faults is not None:  # whatever a failure left down, before the system goes
            await infra.faults.resume_kafka()
            await infra.faults.start_postgres()
            await infra.faults.start_kafka()
        await stop_system(running)


async def test_orders_survive_crashes_restarts_and_pauses_of_everything_they_depend_on(
    faulted_system: System,
    fault_injector: FaultInjector,
    record_property: Callable[[str, object], None],
) -> None:
    system = faulted_system
    before = await downstream.snapshot(system)
    async with PatientActors.of(system) as actors:
        for line in (TEA, CUP):
            await flows.set_stock(actors, line.sku, STOCK)
        load = Load(actors, ORDERS)
        faults = Faults(system, fault_injector)
        async with asyncio.TaskGroup() as running:
            running.create_task(load.run())
            running.create_task(faults.run(load))
        load_done = time.monotonic()
        quiet_at = await invariants.wait_until_quiet(system, QUIET_WITHIN)
        _record(record_property, faults, actors, load_done, quiet_at)

        problems = await everything_wrong(system, actors, load)
        aftermath = await downstream.aftermath(system, before)
        problems["dead letters"] = [f"{why}: {n}" for why, n in aftermath.dead_letters.items()]
        print(f"tracebacks in the service logs (faults log some): {len(aftermath.tracebacks)}")
    wrong = {check: found[: invariants.SHOWN] for check, found in problems.items() if found}
    assert not wrong, pformat(wrong, width=120)


def _record(
    record_property: Callable[[str, object], None],
    faults: Faults,
    actors: PatientActors,
    load_done: float,
    quiet_at: float,
) -> None:
    """What the run took: recorded (junit properties) and printed, never asserted."""
    last_fault = faults.ended[-1]
    took = {name: round(seconds, 1) for name, seconds in faults.took.items()}
    measured: dict[str, object] = {
        "orders": ORDERS,
        "quiet_after_last_fault_seconds": round(quiet_at - last_fault, 1),
        "load_done_after_last_fault_seconds": round(load_done - last_fault, 1),
        "broker_back_after_kill_seconds": round(faults.broker_back, 1),
        "fault_seconds": took,
        "retried": dict(actors.retried),
    }
    for name, value in measured.items():
        record_property(name, value)
    print(f"\nfault suite: {measured}")


class Faults:
    """The faults, one after the other, each once its share of the orders has started."""

    def __init__(self, system: System, injector: FaultInjector) -> None:
        self.system = system
        self.injector = injector
        self.took: dict[str, float] = {}  # fault: seconds from its start to its end
        self.ended: list[float] = []  # when each ended (time.monotonic)
        self.broker_back = 0.0  # seconds the killed broker took to start (as `localinfra up`)

    def plan(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        def killed(service: Service) -> Callable[[], Awaitable[None]]:
            return lambda: self._service_killed(service)

        return [
            ("broker killed", self._broker_killed),
            *((f"{service.value} killed", killed(service)) for service in SERVICES),
            ("postgres restarted", self._postgres_restarted),
            ("broker paused", self._broker_paused),
        ]

    async def run(self, load: Load) -> None:
        plan = self.plan()
        for number, (name, inject) in enumerate(plan, start=1):
            await load.started_at_least(load.size * number // (len(plan) + 1))
            started = time.monotonic()
            fault = asyncio.ensure_future(inject())
            try:
                await asyncio.shield(fault)
            except asyncio.CancelledError:
                await fault  # the load failed: let the fault finish, nothing left half down
                raise
            self.ended.append(time.monotonic())
            self.took[name] = self.ended[-1] - started

    async def _broker_killed(self) -> None:
        await self.injector.kill_kafka()
        await asyncio.sleep(BROKER_DOWN)
        started = time.monotonic()
        await self.injector.start_kafka()
        self.broker_back = time.monotonic() - started

    async def _broker_paused(self) -> None:
        await self.injector.pause_kafka()
        await asyncio.sleep(BROKER_PAUSED)
        await self.injector.resume_kafka()

    async def _service_killed(self, service: Service) -> None:
        flows.kill(self.system, service)
        await asyncio.sleep(1.0)
        await flows.restart(self.system, service)

    async def _postgres_restarted(self) -> None:
        """Every relay must lead again and every service be ready (issue 15, item 1)."""
        logs = {s: self.system.services[s].log_file for s in SERVICES}
        offsets = {s: log.stat().st_size for s, log in logs.items()}
        await self.injector.stop_postgres()
        await asyncio.sleep(POSTGRES_DOWN)
        await self.injector.start_postgres()

        async def leading_again() -> list[Service]:
            leads = {s: _relay_leads(logs[s], offsets[s]) for s in SERVICES}
            return [s for s in SERVICES if f"relay={s.value}" not in leads[s]]

        await eventually(leading_again, lambda missing: not missing, timeout=AFTER_FAULT,
                         interval=0.5, message="relay.leading again after the restart")  # fmt: skip
        await eventually(self._not_ready, lambda down: not down, timeout=AFTER_FAULT,
                         interval=0.5, message="every service ready again")  # fmt: skip

    async def _not_ready(self) -> list[str]:
        down = []
        async with httpx.AsyncClient(timeout=5) as http:
            for service in SERVICES:
                try:
                    answer = await http.get(f"{self.system.url(service)}/ready")
                except httpx.HTTPError as error:
                    down.append(f"{service.value}: {error!r}")
                    continue
                if answer.status_code != 200:
                    down.append(f"{service.value}: {answer.text[:300]}")
        return down


def _relay_leads(log: Path, offset: int) -> str:
    """The `relay.leading` lines a service logged after `offset`."""
    with log.open("rb") as lines:
        lines.seek(offset)
        text = lines.read().decode(errors="replace")
    return "\n".join(line for line in text.splitlines() if "relay.leading" in line)


# What each lifecycle leaves in each store: event type -> how many times (types not named are
# not counted; 0 says the event must not be there).
