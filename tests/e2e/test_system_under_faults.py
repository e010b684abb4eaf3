"""The whole system under faults: a mixed load of orders over HTTP while the broker is killed
and restarted, each service process is killed and restarted, PostgreSQL is restarted and the
broker is paused; once the system is quiet, nothing acknowledged is lost, nothing is doubled,
every event is on its topic once and in order, the services agree, every read model equals
its rebuild and nothing was dead-lettered.

Orders run `ORDERS_FAULT_ORDERS` (default 100) at a time of `AT_ONCE`: completed, cancelled
unpaid, cancelled after payment and refunded before shipment. Clients retry as real clients do
(`tests.e2e.patient_clients`). Each fault starts when its share of the orders has started, so
every fault meets orders in flight. The time the system took to be quiet after the last fault
is recorded (`quiet_after_last_fault_seconds`), never asserted.

Marked `fault`: it stops and kills shared infrastructure (see tests/e2e/test_lifecycle_faults.py).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from pprint import pformat

import httpx
import pytest

from contracts.parties import SERVICES, Service
from eventing.http.auth import Role
from eventing.testing import eventually
from localinfra import flows
from localinfra.flows import CUP, TEA, Json
from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import FaultInjector, InfraEndpoints
from tests.e2e import fault_invariants as invariants
from tests.e2e.patient_clients import PatientActors
from tests.fuzz import downstream

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

ORDERS = int(os.environ.get("ORDERS_FAULT_ORDERS", "100"))
AT_ONCE = 12
STOCK = 1_000_000
AFTER_FAULT = 240.0  # seconds a reaction may take to show while faults come and go
QUIET_WITHIN = 300.0  # seconds the system may take to be quiet after the load
BROKER_DOWN, BROKER_PAUSED, POSTGRES_DOWN = 5.0, 5.0, 2.0


class Lifecycle(StrEnum):
    COMPLETED = "completed"
    CANCELLED = "cancelled unpaid"
    CANCELLED_AFTER_PAYMENT = "cancelled after payment"
    REFUNDED = "refunded before shipment"


MIX = (
    Lifecycle.COMPLETED,
    Lifecycle.CANCELLED,
    Lifecycle.COMPLETED,
    Lifecycle.CANCELLED_AFTER_PAYMENT,
    Lifecycle.REFUNDED,
)


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

        problems = await _everything_wrong(system, actors, load)
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


@dataclass
class Load:
    """`size` orders through their lifecycles, `AT_ONCE` at a time, in the mix's proportions."""

    actors: PatientActors
    size: int
    started: int = 0
    orders: dict[str, Lifecycle] = field(default_factory=dict)
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def started_at_least(self, count: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: self.started >= count)

    async def run(self) -> None:
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(number: int) -> None:
            async with gate:
                async with self._progress:
                    self.started += 1
                    self._progress.notify_all()
                await self._live(MIX[number % len(MIX)])

        async with asyncio.TaskGroup() as orders:
            for number in range(self.size):
                orders.create_task(one(number))

    async def _live(self, lifecycle: Lifecycle) -> None:
        actors = self.actors
        order_id = (await flows.place_order(actors, on_hand=0))["order_id"]
        self.orders[order_id] = lifecycle
        if lifecycle is Lifecycle.CANCELLED:
            await flows.cancel(actors, order_id)
            return
        await flows.pay(actors, order_id, flows.payable())
        if lifecycle is Lifecycle.CANCELLED_AFTER_PAYMENT:
            await flows.cancel(actors, order_id)
        elif lifecycle is Lifecycle.REFUNDED:
            terms = flows.refund_terms("refund_only", "changed_mind", flows.payable())
            opened = await flows.open_refund(actors, order_id, terms)
            await flows.approve(actors, opened["case_id"])
        else:
            requested: flows.Condition = lambda s: s["status"] != "not_requested"  # noqa: E731
            shipment = f"/v1/shipments/{order_id}"
            await _until(actors, Service.LOGISTICS, shipment, requested, "shipment requested")
            await flows.dispatch(actors, order_id)
            await flows.deliver(actors, order_id)
            await _until(actors, Service.ORDER, f"/v1/orders/{order_id}",
                         lambda o: o["status"] == "shipped", "order shipped")  # fmt: skip
            await flows.confirm_receipt(actors, order_id)


async def _until(
    actors: PatientActors, service: Service, path: str, condition: flows.Condition, what: str
) -> Json:
    """A GET polled (gently: many orders wait at once) until its answer meets `condition`."""
    role = Role.SELLER if service is Service.LOGISTICS else Role.PLATFORM

    async def read() -> Json | None:
        response = await actors.get(service, role, path)
        assert response.status_code < 500, f"GET {path}: {response.status_code} {response.text}"
        return response.json() if response.status_code == 200 else None

    found = await eventually(
        read, lambda body: body is not None and condition(body),
        timeout=AFTER_FAULT, interval=0.5, message=f"{what} ({path})",
    )  # fmt: skip
    assert found is not None
    return found


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
EXPECTED: dict[Lifecycle, dict[Service, dict[str, int]]] = {
    Lifecycle.COMPLETED: {
        Service.ORDER: {"order.placed": 1, "order.stock_reserved": 1, "order.paid": 1,
                        "order.shipped": 1, "order.receipt_confirmed": 1, "order.completed": 1,
                        "order.cancelled": 0, "order.closed": 0, "order.refund_recorded": 0,
                        "order.stock_released": 0, "order.duplicate_payment_detected": 0},
        Service.LOGISTICS: {"logistics.shipment_requested": 1, "logistics.shipped": 1,
                            "logistics.delivered": 1, "logistics.shipment_cancelled": 0},
        Service.AFTERSALES: {"aftersales.refund_requested": 0, "aftersales.refunded": 0},
    },
    Lifecycle.CANCELLED: {
        Service.ORDER: {"order.placed": 1, "order.stock_reserved": 1, "order.paid": 0,
                        "order.cancelled": 1, "order.stock_released": 1, "order.closed": 0,
                        "order.refund_recorded": 0},
        # Logistics calls off what it knows of even unpaid, so a later dispatch is refused.
        Service.LOGISTICS: {"logistics.shipment_requested": 0, "logistics.shipment_cancelled": 1,
                            "logistics.shipped": 0},
        Service.AFTERSALES: {"aftersales.refund_requested": 0, "aftersales.refunded": 0},
    },
    Lifecycle.CANCELLED_AFTER_PAYMENT: {
        Service.ORDER: {"order.placed": 1, "order.stock_reserved": 1, "order.paid": 1,
                        "order.cancelled": 1, "order.stock_released": 1, "order.shipped": 0,
                        "order.closed": 0, "order.refund_recorded": 0,
                        "order.duplicate_payment_detected": 0},
        Service.LOGISTICS: {"logistics.shipment_requested": 1, "logistics.shipment_cancelled": 1,
                            "logistics.shipped": 0},
        Service.AFTERSALES: {"aftersales.refund_requested": 0, "aftersales.refunded": 0},
    },
    Lifecycle.REFUNDED: {
        Service.ORDER: {"order.placed": 1, "order.stock_reserved": 1, "order.paid": 1,
                        "order.refund_recorded": 1, "order.stock_released": 1, "order.closed": 1,
                        "order.cancelled": 0, "order.shipped": 0,
                        "order.duplicate_payment_detected": 0},
        Service.LOGISTICS: {"logistics.shipment_requested": 1, "logistics.shipment_cancelled": 1,
                            "logistics.shipped": 0},
        Service.AFTERSALES: {"aftersales.refund_requested": 1, "aftersales.refund_approved": 1,
                             "aftersales.refunded": 1},
    },
}  # fmt: skip

# What the services show of each lifecycle: order status, shipment status, refund cases.
SHOWN: dict[Lifecycle, tuple[str, str | None, int]] = {
    Lifecycle.COMPLETED: ("completed", "delivered", 0),
    Lifecycle.CANCELLED: ("cancelled", "cancelled", 0),
    Lifecycle.CANCELLED_AFTER_PAYMENT: ("cancelled", "cancelled", 0),
    Lifecycle.REFUNDED: ("closed", "cancelled", 1),
}


async def _everything_wrong(
    system: System, actors: PatientActors, load: Load
) -> dict[str, invariants.Problems]:
    stores = await invariants.stored_events(system)
    problems = {
        "orders placed": [] if len(load.orders) == load.size else [f"{len(load.orders)} placed"],
        "acknowledged, not stored": invariants.lost_acknowledgements(actors.acknowledged, stores),
        "stream versions": invariants.broken_streams(stores),
    }
    for service in SERVICES:
        published = await flows.published(system.bootstrap, system.topics[service])
        problems[f"{service.value} topic"] = invariants.publishing_problems(
            stores[service], published
        )
    problems["lifecycles in the stores"] = _lifecycle_problems(load.orders, stores)
    problems["what the services show"] = await _views_disagreeing(actors, load.orders)
    problems["stock"] = await _stock_problems(actors, load.orders)
    problems["read models vs rebuild"] = await invariants.read_model_differences(system)
    return problems


def _lifecycle_problems(orders: dict[str, Lifecycle], stores: invariants.Stores) -> list[str]:
    streams = {service: invariants.streams(stores[service]) for service in SERVICES}
    found: list[str] = []
    for order_id, lifecycle in orders.items():
        for service, expected in EXPECTED[lifecycle].items():
            where = f"{order_id} ({lifecycle}) {service.value}"
            events = streams[service].get(order_id, [])
            found += invariants.count_mismatches(where, events, expected)
        found += _money_problems(order_id, lifecycle, streams[Service.ORDER].get(order_id, []))
    return found


def _money_problems(
    order_id: str, lifecycle: Lifecycle, events: list[invariants.StoredEvent]
) -> list[str]:
    """What goes back to the buyer is recorded once, in full, on the right event."""
    data = {event.event_type: event.data for event in events}
    found = []
    owed = {Lifecycle.CANCELLED: 0, Lifecycle.CANCELLED_AFTER_PAYMENT: flows.payable()}
    if lifecycle in owed:
        due = data.get("order.cancelled", {}).get("refund_due", {}).get("amount")
        if due != owed[lifecycle]:
            found.append(f"{order_id} ({lifecycle}): refund_due {due}, expected {owed[lifecycle]}")
    if lifecycle is Lifecycle.REFUNDED:
        refund = data.get("order.refund_recorded", {}).get("refunded_total", {}).get("amount")
        if refund != flows.payable():
            found.append(f"{order_id}: refunded_total {refund}, expected {flows.payable()}")
    return found


async def _views_disagreeing(actors: PatientActors, orders: dict[str, Lifecycle]) -> list[str]:
    gate = asyncio.Semaphore(AT_ONCE)

    async def shown(order_id: str) -> tuple[str, str | None, int]:
        async with gate:
            view = await flows.order(actors, order_id)
            answer = await actors.get(Service.LOGISTICS, Role.SELLER, f"/v1/shipments/{order_id}")
            status = answer.json()["status"] if answer.status_code == 200 else None
            cases = await flows.cases_of(actors, order_id)
        return view["status"], None if status == "not_requested" else status, len(cases)

    seen = await asyncio.gather(*(shown(order_id) for order_id in orders))
    return [
        f"{order_id} ({lifecycle}): order, shipment, cases {found}, expected {SHOWN[lifecycle]}"
        for (order_id, lifecycle), found in zip(orders.items(), seen, strict=True)
        if found != SHOWN[lifecycle]
    ]


async def _stock_problems(actors: PatientActors, orders: dict[str, Lifecycle]) -> list[str]:
    """Every reservation released or turned into a sale, exactly once."""
    completed = Counter(orders.values())[Lifecycle.COMPLETED]
    found = []
    for line in (TEA, CUP):
        level = await flows.stock(actors, line.sku)
        expected = {"on_hand": STOCK - completed * line.quantity, "reserved": 0}
        if {name: level[name] for name in expected} != expected:
            found.append(f"{line.sku}: {level}, expected {expected}")
    return found
