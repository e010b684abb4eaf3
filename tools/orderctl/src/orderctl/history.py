"""An order's whole history: its stream in each service's event store, merged in time order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.parties import SERVICES, Service
from eventing.events import RecordedEvent
from eventing.store import EventStore
from orderctl.connections import service_engine
from orderctl.errors import NothingFound
from orderctl.settings import OrderctlSettings
from orderctl.summaries import masked_data, summarize
from orderctl.times import format_time


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of the order, with the service whose store holds it."""

    service: Service
    event: RecordedEvent

    @property
    def sort_key(self) -> tuple[Any, int, int]:
        return (self.event.occurred_at, SERVICES.index(self.service), self.event.position)

    def actor(self) -> str:
        metadata = self.event.metadata
        if metadata.actor and metadata.actor_id:
            return f"{metadata.actor}:{metadata.actor_id}"
        return metadata.actor or "-"

    def row(self, *, unmasked: bool) -> tuple[str, str, str, str, str, str, str]:
        """time, service, type, version, actor, trace id, summary (as the table shows them)."""
        event = self.event
        summary = summarize(
            event.data,
            event_type=event.event_type,
            schema_version=event.schema_version,
            unmasked=unmasked,
        )
        return (
            format_time(event.occurred_at),
            self.service.value,
            event.event_type,
            str(event.stream_version),
            self.actor(),
            event.metadata.trace_id or "-",
            summary,
        )

    def document(self, *, unmasked: bool) -> dict[str, Any]:
        """The entry as one JSON line."""
        event = self.event
        return {
            "time": event.occurred_at.isoformat(),
            "service": self.service.value,
            "type": event.event_type,
            "version": event.stream_version,
            "position": event.position,
            "event_id": str(event.event_id),
            "schema_version": event.schema_version,
            "actor": event.metadata.actor,
            "actor_id": event.metadata.actor_id,
            "correlation_id": event.metadata.correlation_id,
            "causation_id": event.metadata.causation_id,
            "trace_id": event.metadata.trace_id,
            "data": masked_data(
                event.data,
                event_type=event.event_type,
                schema_version=event.schema_version,
                unmasked=unmasked,
            ),
        }


def merge_histories(streams: dict[Service, list[RecordedEvent]]) -> list[HistoryEntry]:
    """Every service's events of one order by time, then service, then position."""
    entries = [
        HistoryEntry(service, event) for service, events in streams.items() for event in events
    ]
    return sorted(entries, key=lambda entry: entry.sort_key)


async def order_history(settings: OrderctlSettings, order_id: str) -> list[HistoryEntry]:
    """The order's events in all three services; `NothingFound` if none has heard of it."""
    streams: dict[Service, list[RecordedEvent]] = {}
    for service in SERVICES:
        async with service_engine(settings, service) as engine:
            store = EventStore(engine, topic=settings.topic(service))
            streams[service] = await store.read_stream(order_id)
    entries = merge_histories(streams)
    if not entries:
        raise NothingFound(f"no events for order {order_id!r} in any service")
    return entries
