"""Re-emitting stored events to Kafka, exactly as the relay encodes them.

Consumers dedupe by stream sequence (eventing.subscriptions), so a republished event that a
group already applied is skipped, and one it never saw (e.g. after topic loss) is applied.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import text

from contracts.parties import Service
from eventing.encoding import cloudevents_encoder
from eventing.store import EventStore
from orderctl.connections import broker_unreachable, service_engine
from orderctl.errors import NothingFound
from orderctl.settings import OrderctlSettings

BATCH = 500
_PLAN = text(
    "SELECT topic, count(*) AS events, min(position) AS first, max(position) AS last"
    " FROM eventing.events"
    " WHERE position >= :first AND (CAST(:last AS bigint) IS NULL OR position <= :last)"
    " GROUP BY topic ORDER BY topic"
)


@dataclass(frozen=True, slots=True)
class RepublishPlan:
    """What would be sent: events per topic and the positions they span."""

    service: Service
    per_topic: dict[str, int]
    first: int
    last: int

    @property
    def events(self) -> int:
        return sum(self.per_topic.values())


async def _plan(store: EventStore, service: Service, first: int, last: int | None) -> RepublishPlan:
    async with store.engine.connect() as connection:
        rows = (await connection.execute(_PLAN, {"first": first, "last": last})).all()
    if not rows:
        upto = f" to {last}" if last is not None else ""
        raise NothingFound(f"no {service.value} events at positions {first}{upto}")
    return RepublishPlan(
        service,
        {row.topic: int(row.events) for row in rows},
        min(row.first for row in rows),
        max(row.last for row in rows),
    )


async def republish(
    settings: OrderctlSettings,
    service: Service,
    *,
    from_position: int,
    to_position: int | None,
    confirm: Callable[[RepublishPlan], bool],
) -> Counter[str] | None:
    """Send the range with an idempotent acks=all producer; events per topic (None: declined)."""
    async with service_engine(settings, service) as engine:
        store = EventStore(engine, topic=settings.topic(service))
        plan = await _plan(store, service, from_position, to_position)
        if not confirm(plan):
            return None
        encode = cloudevents_encoder(service.source)
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=30_000,
        )
        sent: Counter[str] = Counter()
        try:
            await asyncio.wait_for(producer.start(), settings.connect_timeout)
            position = plan.first - 1
            while batch := await store.read_all(position, BATCH):
                batch = [event for event in batch if event.position <= plan.last]
                if not batch:
                    break
                records = [encode(event) for event in batch]
                futures = [
                    await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
                    for r in records
                ]
                await asyncio.gather(*futures)
                sent.update(r.topic for r in records)
                position = batch[-1].position
        except (KafkaError, OSError, TimeoutError) as error:
            failure = broker_unreachable(settings, error)
            if sent:
                failure.args = (
                    f"{failure} (after {sum(sent.values())} events were sent: run"
                    f" again --from-position {position + 1})",
                )
            raise failure from None
        finally:
            await producer.stop()
    return sent
