"""Benchmark 12, CPU of a lifecycle: server CPU per command of each type, in the service that
takes it and in the services that react to its events, with the three services running
(issue 22, item 5; docs/capacity.md).

Orders go through the whole happy path phase by phase: place, pay, dispatch, deliver, confirm
receipt, rate (`localinfra.flows`, the steps the end-to-end tests take; stock is set before the
first phase so a placement is one request). A phase sends its commands for every order (a few
clients at once), then waits until the system is quiet again: no event appended anywhere and
every process back at its idle CPU for two windows in a row, so what the other services spend
reacting (consuming the phase's events, projecting, publishing their own) is counted with the
phase. CPU is each process's own CPU time (user + system, psutil), so other load on the machine
changes the wall time of a phase, not what it costs; each process's idle CPU (deadline scans,
relay and consumer polls), measured before the first phase, is subtracted for the phase's
length.

Two steps read before they write, as their callers do: dispatch reads the shipment (the
seller's tool needs its receiver and parcel), confirm receipt reads the order until it shows
the shipment. Their figures include that GET.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import psutil

from bench.figures import Figure
from bench.harness import BenchInfra
from bench.servers import endpoints, logs_dir
from contracts.parties import SERVICES, Service
from localinfra.flows import orders, shipping
from localinfra.flows.actors import Actors
from localinfra.system import System, start_system, stop_system

CLIENTS = 8
WINDOW = 0.5  # seconds per CPU sample while waiting for quiet
QUIET_WINDOWS = 2
EVENTS = "SELECT count(*) FROM eventing.events"


@dataclass(frozen=True, slots=True)
class Phase:
    """One step of every order: `step(actors, order_id)`, taken by `service`."""

    name: str
    service: Service
    step: Callable[[Actors, str], Awaitable[object]]


async def _pay(actors: Actors, order_id: str) -> None:
    await orders.pay(actors, order_id, orders.payable())


async def _dispatch(actors: Actors, order_id: str) -> None:
    await shipping.dispatch(actors, order_id)


async def _deliver(actors: Actors, order_id: str) -> None:
    await shipping.deliver(actors, order_id)


async def _confirm(actors: Actors, order_id: str) -> None:
    await orders.confirm_receipt(actors, order_id)


async def _rate(actors: Actors, order_id: str) -> None:
    await orders.rate(actors, order_id)


AFTER_PLACING = (
    Phase("pay", Service.ORDER, _pay),
    Phase("dispatch (with a GET of the shipment)", Service.LOGISTICS, _dispatch),
    Phase("deliver", Service.LOGISTICS, _deliver),
    Phase("confirm receipt (with a GET of the order)", Service.ORDER, _confirm),
    Phase("rate", Service.ORDER, _rate),
)


@dataclass(frozen=True, slots=True)
class Cost:
    """What one phase cost, per order."""

    phase: str
    service: Service
    own_ms: float  # CPU of the service that took the command
    reactions_ms: float  # CPU of the other services reacting to its events
    events: dict[Service, float]  # events appended per order, by service
    seconds: float  # wall time until quiet

    def line(self) -> str:
        appended = ", ".join(f"{s.value} {n:.1f}" for s, n in self.events.items() if n)
        return (
            f"    {self.phase:<44} {self.service.value:<10} {self.own_ms:6.2f} ms"
            f"  reactions {self.reactions_ms:6.2f} ms  events/order: {appended or '0'}"
            f"  ({self.seconds:.1f} s)"
        )


class Meter:
    """CPU time and event counts of the running system's processes."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.processes = {s: psutil.Process(system.services[s].process.pid) for s in SERVICES}
        self.idle_per_second: dict[Service, float] = dict.fromkeys(SERVICES, 0.0)

    def cpu(self) -> dict[Service, float]:
        def seconds(process: psutil.Process) -> float:
            times = process.cpu_times()
            return float(times.user + times.system)

        return {service: seconds(process) for service, process in self.processes.items()}

    async def events(self) -> dict[Service, int]:
        counts: dict[Service, int] = {}
        for service in SERVICES:
            connection = await asyncpg.connect(self.system.services[service].database_url)
            try:
                counts[service] = int(await connection.fetchval(EVENTS))
            finally:
                await connection.close()
        return counts

    async def measure_idle(self, seconds: float) -> None:
        before, started = self.cpu(), time.perf_counter()
        await asyncio.sleep(seconds)
        after, elapsed = self.cpu(), time.perf_counter() - started
        self.idle_per_second = {s: (after[s] - before[s]) / elapsed for s in SERVICES}
        idle = ", ".join(f"{s.value} {1000 * v:.1f}" for s, v in self.idle_per_second.items())
        print(f"  idle CPU, ms per second: {idle}", flush=True)

    async def until_quiet(self) -> None:
        """Two windows in a row with no new event and every process near its idle CPU."""
        quiet = 0
        events = await self.events()
        while quiet < QUIET_WINDOWS:
            before = self.cpu()
            await asyncio.sleep(WINDOW)
            after, now = self.cpu(), await self.events()
            busy = any(
                after[s] - before[s] > 1.5 * self.idle_per_second[s] * WINDOW + 0.005
                for s in SERVICES
            )
            quiet = 0 if busy or now != events else quiet + 1
            events = now


async def run(infra: BenchInfra) -> list[Figure]:
    count = infra.size(full=400, quick=120)
    logs = logs_dir(infra, f"lifecycle_{uuid.uuid4().hex[:8]}")
    system = await start_system(endpoints(infra), logs, clock="system", partitions=12)
    try:
        meter = Meter(system)
        await meter.until_quiet()
        await meter.measure_idle(infra.size(full=10, quick=5))
        shops = [Actors.of(system) for _ in range(CLIENTS)]
        try:
            for actors in shops:
                for line in (orders.TEA, orders.CUP):
                    await orders.set_stock(actors, line.sku, 10 * count)
            await meter.until_quiet()
            print(f"  {count} orders, {CLIENTS} clients at once, phase by phase", flush=True)
            placed: list[tuple[Actors, str]] = []

            async def place(actors: Actors, _order: str) -> None:
                body = await orders.place_order(actors, on_hand=0)
                placed.append((actors, str(body["order_id"])))

            slots = [(shops[n % CLIENTS], "") for n in range(count)]
            costs = [await _phase(meter, Phase("place", Service.ORDER, place), slots)]
            for phase in AFTER_PLACING:
                costs.append(await _phase(meter, phase, placed))
        finally:
            for actors in shops:
                await actors.aclose()
    finally:
        await stop_system(system)
    return _figures(costs)


async def _phase(meter: Meter, phase: Phase, targets: list[tuple[Actors, str]]) -> Cost:
    events_before, cpu_before, started = await meter.events(), meter.cpu(), time.perf_counter()
    queue = list(targets)

    async def client() -> None:
        while queue:
            actors, order_id = queue.pop()
            await phase.step(actors, order_id)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    await meter.until_quiet()
    elapsed = time.perf_counter() - started
    cpu_after, events_after = meter.cpu(), await meter.events()
    spent = {s: cpu_after[s] - cpu_before[s] - meter.idle_per_second[s] * elapsed for s in SERVICES}
    per_order = 1000 / len(targets)
    cost = Cost(
        phase.name,
        phase.service,
        max(spent[phase.service], 0.0) * per_order,
        max(sum(v for s, v in spent.items() if s is not phase.service), 0.0) * per_order,
        {s: (events_after[s] - events_before[s]) / len(targets) for s in SERVICES},
        elapsed,
    )
    print(cost.line(), flush=True)
    return cost


def _figures(costs: list[Cost]) -> list[Figure]:
    """Each command's CPU next to the whole lifecycle's, and the reactions per event consumed."""
    lifecycle = sum(c.own_ms + c.reactions_ms for c in costs)
    figures = [
        Figure(f"{c.phase} ({c.service.value})", c.own_ms + c.reactions_ms, "ms CPU/order",
               "the whole lifecycle", lifecycle,
               note=f"{c.own_ms:.2f} ms in {c.service.value}, {c.reactions_ms:.2f} ms reacting")
        for c in costs
    ]  # fmt: skip
    produced = sum(sum(c.events.values()) for c in costs)
    reactions = sum(c.reactions_ms for c in costs)
    commands = sum(c.own_ms for c in costs)
    figures.append(
        Figure("reactions per event appended", reactions / produced if produced else 0.0,
               "ms CPU/event", "command CPU per event appended",
               commands / produced if produced else 0.0,
               note=f"{produced:.1f} events per order across the three stores")
    )  # fmt: skip
    return figures
