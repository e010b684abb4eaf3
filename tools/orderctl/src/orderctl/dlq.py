"""Dead-letter topics (`<topic>.dlq.<group>`): overview, reading, retry and discard.

Which dead letters are handled is recorded as committed offsets of the consumer group
`orderctl.dlq-handled` on each dead-letter topic (the "handled mark"): retry and discard move
it forward with a note saying who did what and when; nothing is deleted from Kafka.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from contracts.parties import SERVICES, Service
from eventing.dead_letters import ERROR_HEADER_PREFIX
from orderctl.connections import kafka_admin, kafka_consumer
from orderctl.errors import BadInput
from orderctl.kafka_offsets import existing_topics, offset_range, partitions_of
from orderctl.settings import OrderctlSettings

HANDLED_GROUP = "orderctl.dlq-handled"
DLQ_MARK = ".dlq."


def parse_dlq_topic(name: str) -> tuple[str, str]:
    """(source topic, group) of a dead-letter topic; a retry group's own DLQ nests once more."""
    source, mark, group = name.rpartition(DLQ_MARK)
    if not mark or not source or not group:
        raise BadInput(f"unknown topic {name!r}: dead-letter topics read <topic>.dlq.<group>")
    return source, group


def service_of_group(group: str) -> Service | None:
    """The service in `<prefix><service>.<purpose>`: the first segment naming a service."""
    names = {service.value: service for service in SERVICES}
    for segment in group.split("."):
        for name, service in names.items():
            if segment == name or (segment.endswith(name) and segment[: -len(name)].endswith("-")):
                return service
    return None


@dataclass(frozen=True, slots=True)
class DeadLetterTopic:
    """One dead-letter topic: records in it, handled (retried or discarded), pending."""

    topic: str
    source_topic: str
    group: str
    total: int
    handled: int

    @property
    def pending(self) -> int:
        return self.total - self.handled


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead-lettered record with the error headers the subscription attached."""

    partition: int
    offset: int
    event_type: str
    order_id: str
    sequence: str
    failure: dict[str, str]
    handled: bool

    def document(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "offset": self.offset,
            "type": self.event_type,
            "order_id": self.order_id,
            "sequence": self.sequence,
            "handled": self.handled,
            **{f"dlq_{key}": value for key, value in self.failure.items()},
        }


async def handled_marks(
    admin: AIOKafkaAdminClient,
    partitions: Sequence[TopicPartition],
    beginnings: dict[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """The first offset not yet handled, per partition (the beginning if none is)."""
    if not partitions:
        return {}
    committed = await admin.list_consumer_group_offsets(HANDLED_GROUP, partitions=list(partitions))
    marks = {}
    for tp in partitions:
        found = committed.get(tp)
        offset = found.offset if found is not None and found.offset >= 0 else 0
        marks[tp] = max(offset, beginnings[tp])
    return marks


async def dead_letter_topics(settings: OrderctlSettings) -> list[DeadLetterTopic]:
    """Every `*.dlq.*` topic on the broker with its counts."""
    async with kafka_admin(settings) as admin, kafka_consumer(settings) as consumer:
        names = sorted(t for t in await existing_topics(admin) if DLQ_MARK in t)
        partitions = await partitions_of(admin, names) if names else []
        beginnings, ends = await offset_range(consumer, partitions)
        marks = await handled_marks(admin, partitions, beginnings)
    overview = []
    for name in names:
        source, group = parse_dlq_topic(name)
        mine = [tp for tp in partitions if tp.topic == name]
        total = sum(ends[tp] - beginnings[tp] for tp in mine)
        handled = sum(min(marks[tp], ends[tp]) - beginnings[tp] for tp in mine)
        overview.append(DeadLetterTopic(name, source, group, total, handled))
    return overview


def _failure(headers: Sequence[tuple[str, bytes | None]]) -> dict[str, str]:
    return {
        name.removeprefix(ERROR_HEADER_PREFIX): value.decode("utf-8", "replace")
        for name, value in headers
        if name.startswith(ERROR_HEADER_PREFIX) and value is not None
    }


def _sequence(text: str) -> str:
    """`ce_sequence` as a plain number: `0000000000000000007` (contracts 0.2 on) and `7`
    (records from before) both show as `7`."""
    return str(int(text)) if text.isascii() and text.isdigit() else text


@dataclass(frozen=True, slots=True)
class ErrorSummary:
    """A dead letter's error in one line: its class, the first line of its message and where
    it arose (the SQL statement of a database error, else the record it came from)."""

    kind: str
    first_line: str
    where: str


_SUMMARY_WIDTH = 120
_SQL = re.compile(r"\[SQL: (?P<sql>[^\]]*)")


def summarise_error(failure: dict[str, str]) -> ErrorSummary:
    """The summary `orderctl dlq show` prints (the whole error only with `--full`)."""
    error = failure.get("error", "")
    kind = failure.get("error_type", "").rsplit(".", 1)[-1] or "?"
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    for prefix in (f"{failure.get('error_type', '')}: ", f"{kind}: "):
        first = first.removeprefix(prefix)
    sql = _SQL.search(error)
    if sql is not None:
        where = "SQL: " + " ".join(sql["sql"].split())
    else:
        where = (
            f"{failure.get('origin_topic', '?')}/{failure.get('origin_partition', '?')}"
            f"@{failure.get('origin_offset', '?')}"
        )
    return ErrorSummary(kind, _clip(first), _clip(where, 60))


def _clip(text: str, width: int = _SUMMARY_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _attribute(headers: Sequence[tuple[str, bytes | None]], name: str) -> str:
    for key, value in headers:
        if key == f"ce_{name}" and value is not None:
            return value.decode("utf-8", "replace")
    return ""


async def _read_range(
    consumer: AIOKafkaConsumer,
    starts: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
    marks: dict[TopicPartition, int],
    limit: int | None,
) -> list[DeadLetter]:
    wanted = {tp: start for tp, start in starts.items() if start < ends[tp]}
    if not wanted:
        return []
    consumer.assign(list(wanted))
    for tp, start in wanted.items():
        consumer.seek(tp, start)
    letters: list[DeadLetter] = []
    done: set[TopicPartition] = set()
    while len(done) < len(wanted) and (limit is None or len(letters) < limit):
        for tp, records in (await consumer.getmany(timeout_ms=500)).items():
            for r in records:
                if r.offset >= ends[tp]:
                    continue
                headers = list(r.headers)
                letters.append(
                    DeadLetter(
                        r.partition,
                        r.offset,
                        _attribute(headers, "type"),
                        _attribute(headers, "subject"),
                        _sequence(_attribute(headers, "sequence")),
                        _failure(headers),
                        r.offset < marks[tp],
                    )
                )
            if await consumer.position(tp) >= ends[tp]:
                done.add(tp)
    letters.sort(key=lambda letter: (letter.partition, letter.offset))
    return letters[:limit] if limit is not None else letters


async def read_dead_letters(
    settings: OrderctlSettings, topic: str, *, include_handled: bool, limit: int | None
) -> list[DeadLetter]:
    """The pending dead letters of `topic` (with the handled ones too if asked)."""
    parse_dlq_topic(topic)
    async with kafka_admin(settings) as admin, kafka_consumer(settings) as consumer:
        partitions = await partitions_of(admin, [topic])
        beginnings, ends = await offset_range(consumer, partitions)
        marks = await handled_marks(admin, partitions, beginnings)
        starts = beginnings if include_handled else marks
        return await _read_range(consumer, starts, ends, marks, limit)


async def mark_handled(
    settings: OrderctlSettings, topic: str, offsets: dict[TopicPartition, int], note: str
) -> None:
    """Move the handled mark of `topic` forward to `offsets` (never backwards)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, group_id=HANDLED_GROUP, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        stamp = f"{note} at {datetime.now(UTC).isoformat(timespec='seconds')}"
        await consumer.commit(
            {tp: OffsetAndMetadata(offset, stamp[:200]) for tp, offset in offsets.items()}
        )
    finally:
        await consumer.stop()


async def pending_range(
    settings: OrderctlSettings, topic: str
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """(handled marks, end offsets) of a dead-letter topic, per partition."""
    async with kafka_admin(settings) as admin, kafka_consumer(settings) as consumer:
        partitions = await partitions_of(admin, [topic])
        beginnings, ends = await offset_range(consumer, partitions)
        marks = await handled_marks(admin, partitions, beginnings)
    return marks, ends
