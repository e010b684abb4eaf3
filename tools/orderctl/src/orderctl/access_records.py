"""Who saw which buyer's personal data in full: the three services' access logs
(`eventing.personal_data_access`), merged newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.parties import SERVICES, Service
from eventing.access_log import AccessFilter, RecordedAccess, read_accesses
from orderctl.connections import service_engine
from orderctl.settings import OrderctlSettings
from orderctl.times import format_time


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One record, with the service whose database holds it."""

    service: Service
    recorded: RecordedAccess

    @property
    def sort_key(self) -> tuple[Any, int, int]:
        return (self.recorded.at, -SERVICES.index(self.service), self.recorded.id)

    def row(self) -> tuple[str, ...]:
        """time, service, caller, buyer, order, fields, endpoint, correlation id."""
        access = self.recorded.access
        caller = f"{access.caller_role}:{access.caller_subject}"
        if access.caller_shop_id:
            caller += f"@{access.caller_shop_id}"
        return (
            format_time(self.recorded.at),
            self.service.value,
            caller,
            access.data_subject or "-",
            access.order_id,
            ", ".join(access.fields),
            access.endpoint,
            access.correlation_id,
        )

    def document(self) -> dict[str, Any]:
        return self.recorded.document()


def merge_newest_first(found: dict[Service, list[RecordedAccess]]) -> list[AccessEntry]:
    """Every service's records by time, newest first (then service, then id)."""
    entries = [AccessEntry(service, r) for service, records in found.items() for r in records]
    return sorted(entries, key=lambda entry: entry.sort_key, reverse=True)


async def access_entries(
    settings: OrderctlSettings, where: AccessFilter, limit: int
) -> list[AccessEntry]:
    """The newest `limit` records matching `where` across the three services."""
    found: dict[Service, list[RecordedAccess]] = {}
    for service in SERVICES:
        async with service_engine(settings, service) as engine, engine.connect() as connection:
            found[service] = await read_accesses(connection, where, limit)
    return merge_newest_first(found)[:limit]
