"""What a fuzzing run leaves downstream: tracebacks in the service logs, records in the run's
dead-letter topics, and a way to wait until every relay and subscription has caught up."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.parties import Service
from eventing.dead_letters import ERROR_HEADER_PREFIX
from eventing.partitions import topic_partitions
from eventing.testing import eventually
from eventing.topics import connect_admin
from localinfra.system import System

_LAG = re.compile(r"^(eventing_(?:relay|subscription)_lag_events\{[^}]*\}) (\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Snapshot:
    """Where the logs and dead-letter topics stood: what came after is a run's own."""

    log_sizes: dict[Service, int]
    dead_letter_ends: dict[TopicPartition, int]


@dataclass(frozen=True)
class Aftermath:
    """Tracebacks logged and events dead-lettered since a snapshot (exception line: count)."""

    tracebacks: dict[str, int]
    dead_letters: dict[str, int]

    def lines(self) -> list[str]:
        return [
            *(f"traceback x{n}: {line}" for line, n in sorted(self.tracebacks.items())),
            *(f"dead letter x{n}: {why}" for why, n in sorted(self.dead_letters.items())),
        ]


async def snapshot(system: System) -> Snapshot:
    sizes = {s: running.log_file.stat().st_size for s, running in system.services.items()}
    return Snapshot(sizes, await _dead_letter_ends(system))


async def aftermath(system: System, since: Snapshot) -> Aftermath:
    """Waits until the system has applied everything published, then reads what went wrong."""
    await settled(system)
    tracebacks: Counter[str] = Counter()
    for service, running in system.services.items():
        with running.log_file.open("rb") as log:
            log.seek(since.log_sizes.get(service, 0))
            text = log.read().decode(errors="replace")
        tracebacks.update(f"{service.value}: {line}" for line in _exception_lines(text))
    return Aftermath(dict(tracebacks), await _dead_letters_after(system, since.dead_letter_ends))


async def settled(system: System) -> None:
    """Every relay has published and every subscription applied (or dead-lettered) all there
    is, as each service's /metrics says: all lag gauges at zero on two reads in a row."""

    async def lags() -> list[str]:
        """The series not at zero, named with the replica that reports them."""
        found: list[str] = []
        async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
            for service in system.services:
                for running in system.replicas(service):
                    page = (await client.get(f"{running.url}/metrics")).text
                    where = f"{service.value}[{running.replica}]"
                    behind = [(series, v) for series, v in _LAG.findall(page) if float(v)]
                    found.extend(f"{where} {series} {value}" for series, value in behind)
        return found

    for _ in range(2):
        await eventually(lags, lambda behind: not behind, timeout=120, interval=0.5,
                         message="every relay and subscription caught up")  # fmt: skip


def _exception_lines(text: str) -> list[str]:
    """The exception line ending each traceback in a log (the first unindented line after)."""
    found = []
    lines = text.splitlines()
    for at, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last):"):
            after = (x for x in lines[at + 1 :] if x.strip() and not x[0].isspace())
            found.append(next(after, "(end of log)")[:300])
    return found


async def _dead_letter_topics(system: System) -> list[str]:
    admin = await connect_admin(system.bootstrap)
    try:
        names = await admin.list_topics()
    finally:
        await admin.close()
    return sorted(n for n in names if n.startswith(f"e2e.{system.run}.") and ".dlq." in n)


async def _dead_letter_ends(system: System) -> dict[TopicPartition, int]:
    topics = await _dead_letter_topics(system)
    if not topics:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=system.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(
            await topic_partitions(system.bootstrap, topics)
        )
    finally:
        await consumer.stop()
    return ends


async def _dead_letters_after(system: System, before: dict[TopicPartition, int]) -> dict[str, int]:
    """Each dead letter added since `before`, as "group: error" (from its dlq_ headers)."""
    ends = await _dead_letter_ends(system)
    fresh = {tp: (before.get(tp, 0), end) for tp, end in ends.items() if end > before.get(tp, 0)}
    if not fresh:
        return {}
    reasons: Counter[str] = Counter()
    consumer = AIOKafkaConsumer(bootstrap_servers=system.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(fresh))
        for tp, (start, _) in fresh.items():
            consumer.seek(tp, start)
        while [tp for tp, (_, end) in fresh.items() if await consumer.position(tp) < end]:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                for record in batch:
                    headers = {k: v.decode(errors="replace") for k, v in record.headers}
                    group = headers.get(f"{ERROR_HEADER_PREFIX}group", "?")
                    error = headers.get(f"{ERROR_HEADER_PREFIX}error", "?").splitlines()[-1]
                    reasons[f"{group}: {error[:300]}"] += 1
    finally:
        await consumer.stop()
    return dict(reasons)
