"""What must hold of a running system once it is quiet after faults, read from its stores, its
topics and its read models: each check returns what it found wrong (empty: nothing)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.parties import SERVICES, Service
from eventing.database import create_engine
from eventing.testing.waiting import ConditionNotMet
from localinfra import flows
from localinfra.system import System
from orderctl.catalog import Catalog
from orderctl.errors import Unreachable
from orderctl.lag import subscription_lag
from orderctl.outbox import outbox_status
from orderctl.settings import OrderctlSettings
from orderctl.verify import verify_projection
from tests.e2e.patient_clients import Acknowledged

Problems = list[str]
SHOWN = 10  # problems of one kind listed in a failure message


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    stream_id: str
    stream_version: int
    event_id: uuid.UUID
    event_type: str
    data: dict[str, Any]


Stores = Mapping[Service, Sequence[StoredEvent]]


def orderctl_settings(system: System) -> OrderctlSettings:
    """orderctl pointed at this run's databases, topics and consumer groups."""
    return OrderctlSettings(
        order_db=system.services[Service.ORDER].database_url,
        logistics_db=system.services[Service.LOGISTICS].database_url,
        aftersales_db=system.services[Service.AFTERSALES].database_url,
        bootstrap=system.bootstrap,
        order_topic=system.topics[Service.ORDER],
        logistics_topic=system.topics[Service.LOGISTICS],
        aftersales_topic=system.topics[Service.AFTERSALES],
        group_prefix=f"e2e.{system.run}.",
    )


async def behind(system: System, settings: OrderctlSettings) -> Problems:
    """What is not done yet: unpublished events, unapplied records, a replica not ready."""
    found: Problems = []
    async with httpx.AsyncClient(timeout=5) as http:
        for service in SERVICES:
            outbox = await outbox_status(settings, service)
            if outbox.unpublished:
                found.append(f"{service.value}: {outbox.unpublished} events not published")
            found.extend(
                f"{lag.group}: {lag.lag} records behind on {lag.topic}"
                for lag in await subscription_lag(settings, service)
                if lag.lag or lag.topic_missing
            )
            for running in system.replicas(service):
                where = f"{service.value} replica {running.replica}"
                try:
                    ready = (await http.get(f"{running.url}/ready")).status_code
                except httpx.HTTPError as error:
                    found.append(f"{where}: /ready {type(error).__name__}")
                else:
                    if ready != 200:
                        found.append(f"{where}: /ready {ready}")
    return found


async def wait_until_quiet(system: System, timeout: float) -> float:
    """Until every event is published, every record applied and every service ready, on two
    looks a second apart; returns when that was first seen (time.monotonic)."""
    settings = orderctl_settings(system)
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        try:
            found = await behind(system, settings)
        except (OSError, httpx.HTTPError, Unreachable) as error:  # a dependency coming back
            found = [f"cannot look yet: {error!r}"]
        if not found:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 1.0:
                return quiet_since
        else:
            quiet_since = None
            if time.monotonic() > deadline:
                raise ConditionNotMet(f"not quiet after {timeout:.0f}s: {found[:SHOWN]}")
        await asyncio.sleep(0.5)


async def stored_events(system: System) -> dict[Service, list[StoredEvent]]:
    """Every service's event store, in position order."""
    stores: dict[Service, list[StoredEvent]] = {}
    for service in SERVICES:
        engine = create_engine(system.services[service].database_url, pool_size=1)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text(
                        "SELECT position, stream_id, stream_version, event_id, event_type, data"
                        " FROM eventing.events ORDER BY position"
                    )
                )
                stores[service] = [
                    StoredEvent(
                        row.position, row.stream_id, row.stream_version,
                        uuid.UUID(str(row.event_id)), row.event_type, row.data,
                    )
                    for row in rows
                ]  # fmt: skip
        finally:
            await engine.dispose()
    return stores


def lost_acknowledgements(acknowledged: Iterable[Acknowledged], stores: Stores) -> Problems:
    """Commands answered 2xx whose events are not in their service's store."""
    by_stream: dict[tuple[Service, str], dict[int, str]] = defaultdict(dict)
    for service, events in stores.items():
        for event in events:
            by_stream[service, event.stream_id][event.stream_version] = event.event_type
    lost: Problems = []
    for ack in acknowledged:
        stream = by_stream[ack.service, ack.stream_id]
        first = ack.version - len(ack.events) + 1
        found = tuple(stream.get(version) for version in range(first, ack.version + 1))
        if found != ack.events or (not ack.events and ack.version not in stream):
            lost.append(f"{ack.request} answered {ack.events}@{ack.version}, stored {found}")
    return lost


def publishing_problems(stored: Sequence[StoredEvent], published: Sequence[Envelope]) -> Problems:
    """Every stored event on the topic exactly once, nothing else on it, each order's events in
    stream order."""
    stored_ids = {event.event_id for event in stored}
    times = Counter(envelope.id for envelope in published)
    problems = [
        f"not published: {e.event_type} {e.event_id}" for e in stored if e.event_id not in times
    ]
    problems += [f"published {n} times: {event_id}" for event_id, n in times.items() if n > 1]
    problems += [f"published, not stored: {i}" for i in times.keys() - stored_ids]
    in_store: dict[str, list[uuid.UUID]] = defaultdict(list)
    for event in sorted(stored, key=lambda e: (e.stream_id, e.stream_version)):
        in_store[event.stream_id].append(event.event_id)
    on_topic: dict[str, list[uuid.UUID]] = defaultdict(list)
    for envelope in flows.first_deliveries(list(published)):
        on_topic[envelope.subject].append(envelope.id)
    problems += [
        f"stream {stream} published as {on_topic[stream]}, stored as {ids}"
        for stream, ids in in_store.items()
        if on_topic[stream] != ids
    ]
    return problems


def broken_streams(stores: Stores) -> Problems:
    """Stream versions must be 1, 2, 3 … in each store (a gap or repeat is a broken append)."""
    problems: Problems = []
    for service, events in stores.items():
        versions: dict[str, list[int]] = defaultdict(list)
        for event in events:
            versions[event.stream_id].append(event.stream_version)
        problems += [
            f"{service.value} stream {stream} has versions {seen}"
            for stream, seen in versions.items()
            if sorted(seen) != list(range(1, len(seen) + 1))
        ]
    return problems


def streams(events: Iterable[StoredEvent]) -> dict[str, list[StoredEvent]]:
    """Each stream's events in stream order."""
    streams: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e.stream_id, e.stream_version)):
        streams[event.stream_id].append(event)
    return streams


def count_mismatches(
    where: str, events: Sequence[StoredEvent], expected: Mapping[str, int]
) -> Problems:
    """The events of one stream whose number differs from `expected` (type: how many)."""
    counts = Counter(event.event_type for event in events)
    return [
        f"{where}: {counts[kind]} x {kind}, expected {times}"
        for kind, times in expected.items()
        if counts[kind] != times
    ]


async def read_model_differences(system: System) -> Problems:
    """Every read model of every service against its rebuild from the stores (orderctl verify)."""
    settings = orderctl_settings(system)
    problems: Problems = []
    for service in SERVICES:
        for projection in Catalog().projections(service):
            report = await verify_projection(settings, service, projection, wait_seconds=120)
            problems += [f"{service.value}/{projection.name}: {w}" for w in report.warnings]
            for table in report.tables:
                changed = [f"{c.key}: {c.columns}" for c in table.changed]
                differing = [*table.missing, *table.extra, *changed]
                if differing:
                    problems.append(
                        f"{service.value}/{projection.name} {table.table}: "
                        f"{len(table.missing)} missing, {len(table.extra)} extra, "
                        f"{len(table.changed)} changed, e.g. {differing[:3]}"
                    )
    return problems
