"""Zero-downtime rebuild of a service's read model, from the topics or from its event store."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiokafka.errors import KafkaError
from sqlalchemy import text

from contracts.parties import Service
from eventing.events import RecordedEvent
from eventing.partitions import UnknownTopic
from eventing.projections import Projection
from eventing.rebuild import (
    ProgressCallback,
    RebuildProgress,
    StoreTail,
    rebuild_from_store,
    rebuild_from_topics,
    relay_checkpoint,
)
from eventing.store import EventStore
from orderctl.connections import broker_unreachable, service_engine
from orderctl.errors import BadInput
from orderctl.settings import OrderctlSettings, Owner


@dataclass(frozen=True, slots=True)
class RebuildSummary:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class _StoreFrom(EventStore):
    """The event store as seen from a start position (older events are not read)."""

    def __init__(self, store: EventStore, first_position: int) -> None:
        super().__init__(store.engine, topic=store.topic, clock=store.clock)
        self._after = first_position - 1

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        return await super().read_all(max(after_position, self._after), limit)


def _counted_from(progress: ProgressCallback | None, skipped: int) -> ProgressCallback | None:
    """eventing's estimate counts the whole store; a rebuild from a position reads less."""
    if progress is None or skipped == 0:
        return progress
    report = progress

    def corrected(step: RebuildProgress) -> None:
        total = max(step.total - skipped, step.processed)
        remaining = total - step.processed
        eta = remaining / step.rate_per_second if step.rate_per_second > 0 else None
        outcome = report(RebuildProgress(step.processed, total, step.rate_per_second, eta))
        if outcome is not None:
            raise TypeError("orderctl's progress callbacks are synchronous")

    return corrected


def topics_of(settings: OrderctlSettings, projection: Projection) -> list[str]:
    return [settings.topic(service) for service in projection.topics]


async def rebuild_projection_from_topics(
    settings: OrderctlSettings,
    service: Owner,
    projection: Projection,
    *,
    since: datetime | None,
    progress: ProgressCallback | None,
) -> RebuildSummary:
    """Replay the projection's topics (all retained events, or since a time) and swap in; a
    projection fed inline takes what its relay has not yet published from the store."""
    started = time.perf_counter()
    since_ms = int(since.timestamp() * 1000) if since is not None else None
    async with service_engine(settings, service) as engine:
        tail = None
        if projection.inline and isinstance(service, Service):
            store = EventStore(engine, topic=settings.topic(service))
            tail = StoreTail(store, projection.from_store(), await relay_checkpoint(engine))
        try:
            events = await rebuild_from_topics(
                engine,
                settings.bootstrap,
                topics_of(settings, projection),
                projection.tables,
                from_timestamp_ms=since_ms,
                progress=progress,
                store_tail=tail,
            )
        except UnknownTopic as error:
            raise BadInput(f"unknown topic: {error}") from None
        except (KafkaError, OSError) as error:
            raise broker_unreachable(settings, error) from None
    return RebuildSummary(events, time.perf_counter() - started)


async def rebuild_projection_from_store(
    settings: OrderctlSettings,
    service: Service,
    projection: Projection,
    *,
    from_position: int,
    progress: ProgressCallback | None,
) -> RebuildSummary:
    """Replay the service's own event store from `from_position` on and swap in."""
    check_reads_only_own_events(service, projection.topics)
    started = time.perf_counter()
    async with service_engine(settings, service) as engine:
        store = _StoreFrom(EventStore(engine, topic=settings.topic(service)), from_position)
        async with engine.connect() as connection:
            skipped = int(
                await connection.scalar(
                    text("SELECT count(*) FROM eventing.events WHERE position < :first"),
                    {"first": from_position},
                )
                or 0
            )
        events = await rebuild_from_store(
            store, projection.from_store(), progress=_counted_from(progress, skipped)
        )
    return RebuildSummary(events, time.perf_counter() - started)


def check_reads_only_own_events(service: Owner, sources: Sequence[Service]) -> None:
    if not isinstance(service, Service):
        raise BadInput(
            f"the {service.value} keeps no event store (it only reads the topics): rebuild it "
            "from the topics with --from-beginning or --since"
        )
    others = [s.value for s in sources if s is not service]
    if others:
        raise BadInput(
            f"this projection also reads {', '.join(others)} events, which are not in the "
            f"{service.value} event store (positions are per store): rebuild it from the "
            "topics with --from-beginning or --since"
        )
