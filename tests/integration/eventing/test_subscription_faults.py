"""A subscriber process SIGKILLed mid-batch: after a restart every event is applied once."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.testing.kafka import publish_records, synthetic_record
from eventing.testing.waiting import eventually
from localinfra.testing import InfraEndpoints

pytestmark = [pytest.mark.integration, pytest.mark.fault]

TopicFactory = Callable[..., Awaitable[str]]
SUBSCRIBER_WORKER = Path(__file__).with_name("_subscriber_worker.py")
STREAMS, PER_STREAM = 20, 50


async def test_a_consumer_killed_mid_batch_applies_every_event_exactly_once_after_restart(
    database_url: str, engine: AsyncEngine, topic_factory: TopicFactory, infra: InfraEndpoints
) -> None:
    topic = await topic_factory(3)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TABLE applied"
                " (id bigserial, event_id uuid, stream_id text, sequence bigint)"
            )
        )
    records = [
        synthetic_record(topic, f"order-{s}", seq, {"n": seq})
        for seq in range(1, PER_STREAM + 1)
        for s in range(STREAMS)
    ]
    await publish_records(infra.kafka_bootstrap, records)
    total = len(records)

    worker = _start(database_url, infra.kafka_bootstrap, topic)
    try:
        await eventually(lambda: _counts(engine), lambda c: c[0] > 0, message="some applied")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        applied_when_killed = (await _counts(engine))[0]
        assert applied_when_killed < total, "it finished before the kill; publish more events"

        await publish_records(infra.kafka_bootstrap, records[:200])  # republished duplicates
        worker = _start(database_url, infra.kafka_bootstrap, topic)
        await eventually(
            lambda: _counts(engine), lambda c: c[1] >= total, timeout=120, message="all applied"
        )
        await eventually(
            lambda: _next_offsets(engine), lambda n: n >= total + 200, message="all consumed"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert await _counts(engine) == (total, total)
    assert await _stream_sequences_in_order(engine)


def _start(dsn: str, bootstrap: str, topic: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(SUBSCRIBER_WORKER), dsn, bootstrap, topic, "g"])


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(text("SELECT count(*), count(DISTINCT event_id) FROM applied"))
        ).one()
    return int(row[0]), int(row[1])


async def _next_offsets(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        total = await connection.scalar(
            text("SELECT coalesce(sum(next_offset), 0) FROM eventing.consumer_positions")
        )
    return int(total)


async def _stream_sequences_in_order(engine: AsyncEngine) -> bool:
    """Each stream was applied 1, 2, 3, ... in insertion order (no gap, no reordering)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT stream_id, array_agg(sequence ORDER BY id) FROM applied GROUP BY 1")
        )
        return all(list(seqs) == list(range(1, PER_STREAM + 1)) for _, seqs in rows)
