"""The spans of the workers that act on their own: a deadline firing, a dead letter sent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.clock import ManualClock
from eventing.dead_letters import dead_letter_topic
from eventing.deadlines import Deadline, DeadlineScheduler, DeadlineWorker, DeadlineWorkerOptions
from eventing.encoding import ConsumedEvent
from eventing.events import NewEvent, StreamState
from eventing.store import EventStore
from eventing.subscriptions import Subscription, SubscriptionOptions
from eventing.testing.kafka import publish_records, read_topic, synthetic_record
from eventing.testing.waiting import eventually
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration

KIND = "order.auto_close"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


async def test_a_deadline_fires_in_a_root_span_of_its_own_with_its_append_inside(
    spans: InMemorySpanExporter, store: EventStore
) -> None:
    async def close(deadline: Deadline, connection: AsyncConnection) -> None:
        event = NewEvent("order.closed", {"reason": "unpaid"})
        await store.append(deadline.key, [event], StreamState.NO_STREAM, connection=connection)

    async def broken(deadline: Deadline, connection: AsyncConnection) -> None:
        raise RuntimeError("handler bug")

    clock = ManualClock()
    options = DeadlineWorkerOptions(retry_backoff=timedelta(minutes=1))
    worker = DeadlineWorker(store.engine, clock, {KIND: close, "order.broken": broken}, options)
    scheduler = DeadlineScheduler(store.engine)
    await scheduler.schedule(Deadline(KIND, "order-1", clock.now()))
    await scheduler.schedule(Deadline("order.broken", "order-2", clock.now()))
    clock.advance(timedelta(seconds=30))

    assert await worker.fire_due() == 2

    finished = spans.get_finished_spans()
    [fired] = [span for span in finished if span.name == f"deadline {KIND}"]
    [failed] = [span for span in finished if span.name == "deadline order.broken"]
    [append] = [span for span in finished if span.name == "eventing.append"]
    assert fired.parent is None
    assert fired.kind is SpanKind.INTERNAL
    assert append.parent is not None
    assert append.parent.span_id == fired.context.span_id
    assert fired.attributes is not None
    assert fired.attributes["eventing.deadline.key"] == "order-1"
    assert fired.attributes["eventing.deadline.late_seconds"] == 30.0
    assert fired.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR
    assert [event.name for event in failed.events] == ["exception"]

    [stored] = await store.read_stream("order-1")
    assert stored.metadata.traceparent is not None
    assert stored.metadata.traceparent.split("-")[1] == format(fired.context.trace_id, "032x")


async def test_a_dead_letter_is_sent_in_an_error_span_of_the_events_own_trace(
    spans: InMemorySpanExporter,
    store: EventStore,
    infra: InfraEndpoints,
    topic_factory: Callable[..., Awaitable[str]],
) -> None:
    topic = await topic_factory(1)
    record = synthetic_record(topic, "order-1", 1, {"poison": True})
    traced = replace(
        record,
        headers=(*record.headers, ("ce_traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01".encode())),
    )
    await publish_records(infra.kafka_bootstrap, [traced])

    async def refuse(event: ConsumedEvent, connection: AsyncConnection) -> None:
        raise ValueError("cannot apply")

    options = SubscriptionOptions(
        group="projector", topics=(topic,), poll_timeout_ms=100, retry_backoff=0.01
    )
    subscription = Subscription(store.engine, infra.kafka_bootstrap, options, refuse)
    task = asyncio.create_task(subscription.run())
    try:
        await eventually(
            lambda: _now(subscription.dead_lettered), lambda n: n == 1, message="dead-lettered"
        )
        [dead] = await read_topic(
            infra.kafka_bootstrap,
            dead_letter_topic(topic, "projector"),
            until=lambda got: got != [],
        )
    finally:
        subscription.stop()
        await task

    assert dict(dead.headers)["ce_traceparent"] == f"00-{TRACE_ID}-{PARENT_ID}-01".encode()
    [sent] = [s for s in spans.get_finished_spans() if s.name.startswith("send ")]
    assert sent.name == f"send {dead_letter_topic(topic, 'projector')}"
    assert sent.kind is SpanKind.PRODUCER
    assert format(sent.context.trace_id, "032x") == TRACE_ID
    assert sent.parent is not None
    assert format(sent.parent.span_id, "016x") == PARENT_ID
    assert sent.status.status_code is StatusCode.ERROR
    assert sent.attributes is not None
    assert sent.attributes["error.type"] == "ValueError"
    assert sent.attributes["eventing.dead_letter.source_topic"] == topic
    processes = [s for s in spans.get_finished_spans() if s.name == f"process {topic}"]
    # The batch's fast attempt, then each careful one: all children of the record's context.
    assert len(processes) == 1 + options.max_attempts
    assert {format(s.context.trace_id, "032x") for s in processes} == {TRACE_ID}


async def _now(value: int) -> int:
    return value
