"""A relay whose publish Kafka refuses logs `relay.publish_failed`, counts it and skips nothing.

The log event docs/architecture.md names for the relay ("Observability"); a broker outage of a
few seconds is absorbed by the producer's own retries, so the refusal is provoked with a record
larger than the producer may send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from eventing.encoding import cloudevents_encoder
from eventing.events import NewEvent, StreamState
from eventing.relay import OutboxRelay, RelayOptions
from eventing.store import EventStore
from eventing.testing.waiting import eventually
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration


async def test_a_refused_publish_is_logged_counted_and_retried_without_skipping(
    database_url: str,
    engine: AsyncEngine,
    topic_factory: Callable[..., Awaitable[str]],
    infra: InfraEndpoints,
) -> None:
    topic = await topic_factory(1)
    store = EventStore(engine, topic=topic)
    name = "refused"
    relay = OutboxRelay(
        database_url,
        infra.kafka_bootstrap,
        cloudevents_encoder("/orderflow/test"),
        RelayOptions(
            name=name,
            poll_interval=0.1,
            retry_backoff=0.05,
            max_backoff=0.2,
            producer_config={"max_request_size": 1024},
        ),
    )
    await store.append(
        "o-1", [NewEvent("order.noted", {"note": "x" * 4096})], StreamState.NO_STREAM
    )
    await store.append("o-2", [NewEvent("order.noted", {"note": "small"})], StreamState.NO_STREAM)

    def errors() -> float:
        return REGISTRY.get_sample_value("eventing_relay_errors_total", {"relay": name}) or 0.0

    async def errors_now() -> float:
        return errors()

    before = errors()
    with capture_logs() as logged:
        task = asyncio.create_task(relay.run())
        try:
            await eventually(errors_now, lambda n: n >= before + 2, message="refused twice")
        finally:
            relay.stop()
            await task

    failed = [entry for entry in logged if entry["event"] == "relay.publish_failed"]
    assert len(failed) >= 2  # retried, with backoff, and logged each time
    assert {entry["relay"] for entry in failed} == {name}
    assert "MessageSizeTooLarge" in failed[0]["error"]
    async with engine.connect() as connection:
        published = await connection.scalar(
            text("SELECT position FROM eventing.relay_checkpoints WHERE relay = :n"),
            {"n": name},
        )
    assert published in (None, 0)  # neither the refused event nor the one after it was skipped
