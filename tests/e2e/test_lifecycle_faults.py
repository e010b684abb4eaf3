"""The lifecycle survives crashes: a logistics process killed while orders are being paid, and
the Kafka broker stopped in the middle of a flow. Nothing is lost and nothing is doubled.

Marked `fault`: these stop shared infrastructure (the broker) or kill processes; run them only
when no one else uses the test infrastructure (`-m "not fault"` leaves them out).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from contracts.parties import Service
from eventing.testing.waiting import ConditionNotMet
from localinfra import flows
from localinfra.flows import CUP, TEA, Actors
from localinfra.system import System
from localinfra.testing import FaultInjector

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

BATCH = 12
AFTER_RESTART = 120.0  # seconds a consumer may take to resume after a crash or broker restart


async def test_a_logistics_crash_while_orders_are_paid_neither_loses_nor_doubles_a_shipment(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        for line in (TEA, CUP):
            await flows.set_stock(actors, line.sku, 1_000)
        orders = [(await flows.place_order(actors, on_hand=0))["order_id"] for _ in range(BATCH)]
        halfway = asyncio.Event()

        async def pay_all() -> None:
            for number, order_id in enumerate(orders, start=1):
                await flows.pay(actors, order_id, flows.payable())
                if number == BATCH // 2:
                    halfway.set()

        paying = asyncio.create_task(pay_all())
        await halfway.wait()
        flows.kill(system, Service.LOGISTICS)
        await paying
        await flows.restart(system, Service.LOGISTICS)
        await actors.forget(Service.LOGISTICS)

        for order_id in orders:
            try:
                shipment = await flows.shipment_requested(actors, order_id, timeout=AFTER_RESTART)
            except ConditionNotMet:
                pytest.fail(await _where_it_stopped(system, order_id))
            assert shipment["status"] == "awaiting_dispatch"
            assert shipment["version"] == 1
        envelopes = await flows.published_when(
            system.bootstrap, system.topics[Service.LOGISTICS],
            lambda found: all(flows.types_of(found, o) for o in orders), "shipment requests",
        )  # fmt: skip
        requested = Counter(
            e.subject for e in flows.first_deliveries(envelopes)
            if e.data.event_type == "logistics.shipment_requested"
        )  # fmt: skip
        assert {order_id: requested[order_id] for order_id in orders} == dict.fromkeys(orders, 1)
        await flows.dispatch(actors, orders[0])  # the restarted service works as before


async def _where_it_stopped(system: System, order_id: str) -> str:
    """What the topics show of an order whose shipment never appeared (policy or read model?)."""
    seen = {
        service.value: flows.types_of(
            await flows.published(system.bootstrap, system.topics[service]), order_id
        )
        for service in (Service.ORDER, Service.LOGISTICS)
    }
    log = system.services[Service.LOGISTICS].log_file
    return f"no shipment for {order_id} after the restart; topics: {seen}; log: {log}"


async def test_a_flow_interrupted_by_a_broker_restart_completes_when_it_is_back(
    system: System, fault_injector: FaultInjector
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        await fault_injector.stop_kafka()
        try:
            # Commands still land in each service's store; only publishing waits.
            await flows.dispatch(actors, order_id)
            await flows.deliver(actors, order_id)
        finally:
            await fault_injector.start_kafka()

        await flows.order_when(
            actors, order_id, lambda o: o["status"] == "shipped", "shipped", AFTER_RESTART
        )
        await flows.confirm_receipt(actors, order_id)
        await flows.rate(actors, order_id)
        done = await flows.order_when(
            actors, order_id,
            lambda o: o["detail"]["rating"] is not None
            and (o["detail"]["shipment"] or {}).get("delivered_at") is not None,
            "completed, rated and delivered", AFTER_RESTART,
        )  # fmt: skip
        assert done["platform_status"] == "TRADE_FINISHED"
        envelopes = await flows.published(system.bootstrap, system.topics[Service.ORDER])
        assert flows.out_of_order_streams(envelopes) == {}
        assert flows.types_of(envelopes, order_id)[-3:] == [
            "order.receipt_confirmed",
            "order.completed",
            "order.rated",
        ]
