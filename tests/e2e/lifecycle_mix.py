"""A mixed load of orders over HTTP and what must hold of each order once the system is quiet.

`Load` runs orders through their lifecycles, `AT_ONCE` at a time: completed, cancelled unpaid,
cancelled after payment and refunded before shipment, in the proportions of `MIX`. Its clients
should be `tests.e2e.patient_clients.PatientActors`, which ride out faults. `everything_wrong`
reads the stores, the topics, the services' answers, the stock and the read models and returns
what it found wrong, by check. Used by the fault tests (test_system_under_faults.py,
test_cluster_failover.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from contracts.parties import SERVICES, Service
from eventing.http.auth import Role
from eventing.testing import eventually
from localinfra import flows
from localinfra.flows import CUP, TEA, Json
from localinfra.system import System
from tests.e2e import fault_invariants as invariants
from tests.e2e.patient_clients import PatientActors

AT_ONCE = 12
STOCK = 1_000_000
AFTER_FAULT = 240.0  # seconds a reaction may take to show while faults come and go


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

    async def run(self, until: asyncio.Event | None = None) -> None:
        """`size` orders; with `until`, orders keep starting until it is set too (a fault that
        outlasts `size` orders still meets a load), and `size` ends as the number started."""
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(number: int) -> None:
            try:
                async with self._progress:
                    self.started += 1
                    self._progress.notify_all()
                await self._live(MIX[number % len(MIX)])
            finally:
                gate.release()

        async with asyncio.TaskGroup() as orders:
            number = 0
            while number < self.size or (until is not None and not until.is_set()):
                await gate.acquire()
                orders.create_task(one(number))
                number += 1
        self.size = number

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


async def everything_wrong(
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
