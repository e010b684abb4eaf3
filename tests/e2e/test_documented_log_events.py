"""Every log event the service pages of docs/ name is provoked here and found in the log of the
running service that should write it (issue 23: `order.policy_refused` was documented, refusals
were logged as nothing at all).

The system is this module's own: some tests put records on its topics that no service of it
published (a shipment of an order never placed, a record without CloudEvents attributes), and
dead letters or refusals must not show in the logs other modules read.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.events.base import EventPayload
from contracts.examples import example_payloads
from contracts.parties import SERVICES, Service
from eventing.deadlines import Deadline, DeadlineScheduler
from eventing.encoding import OutgoingRecord
from eventing.testing import eventually
from eventing.testing.kafka import publish_records, synthetic_record
from localinfra import flows
from localinfra.flows import Actors
from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import InfraEndpoints
from order_service.application.deadlines import UNPAID_CLOSE
from order_service.application.reactions import NOTHING_TO_RECORD

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
async def logged(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    logs = run_logs(infra, "e2e-log-events") or tmp_path_factory.mktemp("e2e-log-events")
    running = await start_system(infra, logs)
    try:
        yield running
    finally:
        await stop_system(running)


async def _line(system: System, service: Service, event: str, **fields: str) -> str:
    """The first line of `service`'s log with `event` and every `key=value` of `fields`, once
    it is written (the reactions and deadlines that log run in the background)."""
    log = system.services[service].log_file
    wanted = [event, *(f"{key}={value}" for key, value in fields.items())]

    async def lines() -> list[str]:
        text = log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if all(part in line for part in wanted)]

    found = await eventually(lines, bool, timeout=60, interval=0.5, message=" ".join(wanted))
    return found[0]


def _payload(event_type: str, order_id: str, **changes: Any) -> dict[str, Any]:
    example: EventPayload = example_payloads()[event_type]
    data: dict[str, Any] = example.model_copy(update={"order_id": order_id, **changes}).model_dump(
        mode="json"
    )
    return data


async def _publish(system: System, source: Service, event_type: str, order_id: str,
                   sequence: int = 1, **changes: Any) -> None:  # fmt: skip
    """A record on `source`'s topic as its relay would publish it (no store behind it)."""
    data = _payload(event_type, order_id, **changes)
    topic = system.topics[source]
    record = synthetic_record(
        topic, order_id, sequence, data, event_type=event_type, source=source.source
    )
    await publish_records(system.bootstrap, [record])


def test_the_service_pages_name_only_the_log_events_tested_here() -> None:
    # Each event a service page names as logged is tested below; a new one needs a test here.
    named: set[str] = set()
    for page in (DOCS / "services").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        named |= set(re.findall(r"logged\s+(?:as\s+)?\(?`([a-z_]+\.[a-z_]+)`", text))
        named |= set(re.findall(r"`([a-z_]+\.[a-z_]+)`\s+in\s+the\s+log", text))
    assert named == {
        "order.reaction_refused",
        "order.deadline_obsolete",
        "logistics.payment_of_unknown_order",
    }


async def test_a_shipment_of_an_order_never_placed_is_logged_as_a_refused_reaction(
    logged: System,
) -> None:
    order_id = f"O-never-{uuid.uuid4().hex[:8]}"
    await _publish(logged, Service.LOGISTICS, "logistics.shipped", order_id)
    line = await _line(logged, Service.ORDER, "order.reaction_refused", order_id=order_id)
    assert "upstream=logistics.shipped" in line
    assert "code=order-not-found" in line


async def test_a_second_shipment_of_a_shipped_order_is_logged_as_nothing_to_record(
    logged: System,
) -> None:
    async with Actors.of(logged) as actors:
        order_id = await flows.paid_order(actors)
        await flows.dispatch(actors, order_id)
        await flows.order_when(actors, order_id, lambda o: o["status"] == "shipped", "shipped")
    # The carrier's feed sends the shipment again, as a new fact of the logistics stream.
    await _publish(logged, Service.LOGISTICS, "logistics.shipped", order_id, sequence=1_000)
    line = await _line(logged, Service.ORDER, "order.reaction_refused", order_id=order_id)
    assert f"code={NOTHING_TO_RECORD}" in line
    assert "the order is shipped" in line


async def test_a_timer_that_outlived_its_reason_is_logged_as_obsolete(logged: System) -> None:
    async with Actors.of(logged) as actors:
        order_id = await flows.paid_order(actors)
    # Paying cancelled the unpaid close in the payment's transaction; a timer that survives its
    # reason anyway (a restore, a race with the worker) must find the rules refusing.
    past = datetime.now().astimezone() - timedelta(minutes=1)
    scheduler = DeadlineScheduler(logged.services[Service.ORDER].engine)
    await scheduler.schedule(Deadline(UNPAID_CLOSE, order_id, past))
    line = await _line(logged, Service.ORDER, "order.deadline_obsolete", order_id=order_id)
    assert f"kind={UNPAID_CLOSE}" in line


async def test_a_payment_of_an_order_logistics_never_saw_placed_is_logged(logged: System) -> None:
    order_id = f"O-unseen-{uuid.uuid4().hex[:8]}"
    await _publish(logged, Service.ORDER, "order.paid", order_id)
    await _line(logged, Service.LOGISTICS, "logistics.payment_of_unknown_order", order_id=order_id)


async def test_every_service_logs_its_relay_leading(logged: System) -> None:
    for service in SERVICES:
        await _line(logged, service, "relay.leading", relay=service.value)


async def test_a_record_without_cloudevents_attributes_is_logged_as_dead_lettered(
    logged: System,
) -> None:
    topic = logged.topics[Service.AFTERSALES]
    await publish_records(logged.bootstrap, [OutgoingRecord(topic, b"O-x", b"{}", ())])
    # The order service reads the aftersales topic in its read model and its refund policy.
    await _line(logged, Service.ORDER, "subscription.dead_lettered", topic=topic)
