"""Dead-letter topics: where a subscription puts an event it could not apply, with the reason."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import TopicAlreadyExistsError

# Re-exported: the subscriptions, orderctl and the tests name them from here.
from contracts.dead_letters import ERROR_HEADER_PREFIX as ERROR_HEADER_PREFIX
from contracts.dead_letters import dead_letter_topic as dead_letter_topic
from eventing.redaction import describe_error
from eventing.topics import replicated_topics


class FailedRecord(Protocol):
    """What is dead-lettered: a consumed record (decoded or not)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


async def ensure_dead_letter_topics(bootstrap: str, names: Iterable[str]) -> None:
    """Create missing dead-letter topics (the brokers do not auto-create topics)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        # Inside the try: a start that fails (broker down) must not leave the client open.
        await admin.start()
        missing = set(names) - set(await admin.list_topics())
        # Another replica may create one between our list and create: that is fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            if missing:
                await admin.create_topics(await replicated_topics(admin, sorted(missing), 1))
    finally:
        await admin.close()


def dead_letter_headers(
    event: FailedRecord, group: str, error: BaseException, attempts: int
) -> list[tuple[str, bytes]]:
    """The original headers plus where the event came from and why it failed; the reason is
    scrubbed of personal data (`redaction.describe_error`): headers are read by operators and
    tools that may not see it. The record's value is the event itself and stays unchanged.
    The headers are those `contracts.dead_letters.DEAD_LETTER_HEADERS` documents."""
    reason = describe_error(error)
    extra = {
        "error": reason[:2000],
        "error_type": f"{type(error).__module__}.{type(error).__qualname__}",
        "origin_topic": event.topic,
        "origin_partition": str(event.partition),
        "origin_offset": str(event.offset),
        "group": group,
        "attempts": str(attempts),
        "failed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    return [*event.headers, *((ERROR_HEADER_PREFIX + k, v.encode()) for k, v in extra.items())]


async def send_to_dead_letters(
    producer: AIOKafkaProducer,
    event: FailedRecord,
    group: str,
    error: BaseException,
    attempts: int,
) -> None:
    """Publish the event unchanged to its dead-letter topic and wait for the acknowledgement."""
    await producer.send_and_wait(
        dead_letter_topic(event.topic, group),
        event.value,
        key=event.key,
        headers=dead_letter_headers(event, group, error, attempts),
    )
