"""How far each service's outbox relay is behind its event store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text

from contracts.parties import Service
from orderctl.connections import service_engine
from orderctl.settings import OrderctlSettings

_STATUS = text(
    """
    WITH relay AS (
        SELECT coalesce(min(position), 0) AS checkpoint, count(*) AS relays,
               max(updated_at) AS updated_at
        FROM eventing.relay_checkpoints
    )
    SELECT relay.checkpoint, relay.relays, relay.updated_at,
           (SELECT coalesce(max(position), 0) FROM eventing.events) AS head,
           (SELECT count(*) FROM eventing.events e WHERE e.position > relay.checkpoint)
               AS unpublished,
           now() - (SELECT min(recorded_at) FROM eventing.events e
                    WHERE e.position > relay.checkpoint) AS oldest_age
    FROM relay
    """
)


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """One service: the relay's checkpoint against the store's head."""

    service: Service
    head: int
    checkpoint: int
    unpublished: int
    oldest_unpublished_age: timedelta | None
    relay_seen: bool  # False: no relay has ever run on this database

    @property
    def healthy(self) -> bool:
        return self.unpublished == 0


async def outbox_status(settings: OrderctlSettings, service: Service) -> OutboxStatus:
    """Unpublished events (after the relay checkpoint) and the age of the oldest one.

    The age is measured with the database's clock, like `recorded_at`, so a skewed operator
    machine cannot distort it. With several relay names the slowest one counts.
    """
    async with service_engine(settings, service) as engine, engine.connect() as connection:
        row = (await connection.execute(_STATUS)).one()
    return OutboxStatus(
        service=service,
        head=int(row.head),
        checkpoint=int(row.checkpoint),
        unpublished=int(row.unpublished),
        oldest_unpublished_age=row.oldest_age,
        relay_seen=int(row.relays) > 0,
    )
