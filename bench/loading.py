"""Bulk loads that set the stage for a benchmark (never part of what is measured)."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from bench.payloads import StoredRow, metadata
from eventing.encoding import OutgoingRecord

EVENT_COLUMNS = (
    "stream_id",
    "stream_version",
    "event_id",
    "event_type",
    "schema_version",
    "topic",
    "data",
    "metadata",
    "occurred_at",
)
_CHUNK = 20_000


def event_record(row: StoredRow, topic: str, n: int, at: datetime) -> tuple[Any, ...]:
    """A row for `COPY eventing.events` (jsonb travels as text)."""
    return (
        row.stream_id,
        row.stream_version,
        uuid.uuid4(),
        row.event_type,
        row.schema_version,
        topic,
        json.dumps(row.data, ensure_ascii=False),
        json.dumps(metadata(n).to_json()),
        at,
    )


async def load_store(dsn: str, rows: Iterable[StoredRow], topic: str) -> int:
    """COPY events into `eventing.events` (and their streams); how many were loaded."""
    connection = await asyncpg.connect(dsn)
    loaded = 0
    at = datetime.now(UTC)
    try:
        numbered: Iterator[tuple[int, StoredRow]] = enumerate(rows)
        while chunk := list(itertools.islice(numbered, _CHUNK)):
            records = [event_record(row, topic, n, at) for n, row in chunk]
            await connection.copy_records_to_table(
                "events", schema_name="eventing", columns=EVENT_COLUMNS, records=records
            )
            loaded += len(records)
        await connection.execute(
            "INSERT INTO eventing.streams (stream_id, version)"
            " SELECT stream_id, max(stream_version) FROM eventing.events GROUP BY stream_id"
        )
        await connection.execute("VACUUM ANALYZE eventing.events")
    finally:
        await connection.close()
    return loaded


async def fill_topic(bootstrap: str, records: Iterable[OutgoingRecord]) -> int:
    """Produce records to their topics as fast as the broker takes them; how many."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20
    )
    await producer.start()
    count = 0
    try:
        pending = []
        for record in records:
            pending.append(
                await producer.send(
                    record.topic, record.value, key=record.key, headers=list(record.headers)
                )
            )
            count += 1
            if len(pending) >= _CHUNK:
                for future in pending:
                    await future
                pending.clear()
        for future in pending:
            await future
    finally:
        await producer.stop()
    return count
