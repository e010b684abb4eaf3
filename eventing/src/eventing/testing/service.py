"""Driving one service in-process in tests: call its API as a role, publish its neighbours'
events, move its clock, wait for an effect, look at its store.

`running(manifest, settings)` starts the app with its workers (relay, subscriptions, deadlines)
on the real PostgreSQL and Kafka and yields a `RunningService`; the `service_under_test`
fixture (`eventing.testing.fixtures`) makes the settings: a new migrated database, new topics,
own consumer groups and the database clock. Each service's test harness adds its own verbs
(place an order, dispatch a parcel, open a case) on top.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.examples import example_payloads
from contracts.kafka_binding import to_kafka
from contracts.parties import Actor, Service
from eventing.clock import advance_clock, read_clock_offset
from eventing.database import create_engine
from eventing.encoding import ConsumedEvent, OutgoingRecord
from eventing.http.auth import Role, TokenIssuer
from eventing.service import AnyManifest
from eventing.settings import ServiceSettings
from eventing.testing.kafka import publish_records, read_topic
from eventing.testing.waiting import eventually

R = TypeVar("R", bound="RunningService")
Headers = dict[str, str]


class RunningService:
    """One service running in-process and the ways a test talks to it."""

    def __init__(
        self,
        service: Service,
        client: httpx.AsyncClient,
        engine: AsyncEngine,
        settings: ServiceSettings,
    ) -> None:
        self.service = service
        self.client = client
        self.engine = engine
        self.settings = settings
        self.tokens = TokenIssuer(settings.auth_secret.get_secret_value())
        self._sequences: dict[tuple[str, str], int] = {}

    def auth(self, role: Role, subject: str = "someone", shop_id: str | None = None) -> Headers:
        """The Authorization header of a caller with `role`."""
        return {"Authorization": f"Bearer {self.tokens.issue(role, subject, shop_id)}"}

    async def command(
        self,
        path: str,
        body: Any,
        caller: Headers,
        *,
        key: str | None = None,
        if_match: int | None = None,
        method: str = "POST",
        headers: Headers | None = None,
    ) -> httpx.Response:
        """A command with a fresh Idempotency-Key (or `key`) and If-Match `if_match` if given."""
        sent = {**caller, "Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})}
        if if_match is not None:
            sent["If-Match"] = f'"{if_match}"'
        return await self.client.request(method, path, json=body, headers=sent)

    async def read_when(
        self,
        path: str,
        caller: Headers,
        condition: Callable[[dict[str, Any]], bool],
        message: str = "",
    ) -> dict[str, Any]:
        """GET `path` until it answers 200 with a body for which `condition` holds."""

        async def probe() -> dict[str, Any] | None:
            response = await self.client.get(path, headers=caller)
            return response.json() if response.status_code == 200 else None

        found = await eventually(probe, lambda b: b is not None and condition(b), message=message)
        assert found is not None
        return found

    async def publish(
        self,
        *payloads: EventPayload,
        at: datetime | None = None,
        actor: Actor = Actor.SYSTEM,
    ) -> list[Envelope]:
        """Publish other services' events as their producers would: to the producer's topic,
        keyed by order, with per-order sequences and one correlation id per order."""
        records, envelopes = [], []
        for payload in payloads:
            topic = self.settings.topic(payload.producer)
            stream = (topic, payload.order_id)
            self._sequences[stream] = sequence = self._sequences.get(stream, 0) + 1
            envelope = Envelope(
                data=payload,
                time=at or datetime.now(UTC),
                sequence=sequence,
                correlationid=f"flow-{payload.order_id}",
                actor=actor,
            )
            kafka = to_kafka(envelope)
            records.append(OutgoingRecord(topic, kafka.key, kafka.value, kafka.headers))
            envelopes.append(envelope)
        await publish_records(self.settings.kafka_bootstrap_servers, records)
        return envelopes

    def published(self, order_id: str, producer_topic: str) -> int:
        """How many events `publish` sent for `order_id` to `producer_topic`."""
        return self._sequences.get((producer_topic, order_id), 0)

    async def own_events(
        self, until: Callable[[Sequence[ConsumedEvent]], bool]
    ) -> list[ConsumedEvent]:
        """The service's own topic from the beginning, read until `until(records)` holds."""
        topic = self.settings.topic(self.service)
        return await read_topic(self.settings.kafka_bootstrap_servers, topic, until=until)

    async def advance(self, by: timedelta) -> None:
        """Move the service's (database) clock forward."""
        await advance_clock(self.engine, by)

    async def now(self) -> datetime:
        """The time on the service's (database) clock, as its commands read it."""
        return datetime.now(UTC) + await read_clock_offset(self.engine)

    async def stored_types(self, stream_id: str) -> list[str]:
        """Types of the events stored in `stream_id`, in order."""
        return [row.event_type for row in await self._rows(_STORED_TYPES, id=stream_id)]

    async def deadlines(self, key: str) -> list[str]:
        """Kinds of the deadlines still pending for `key`."""
        return [row.kind for row in await self._rows(_DEADLINES, id=key)]

    async def applied(self, group_purpose: str, stream_id: str) -> int:
        """The last sequence of `stream_id` the subscription `<service>.<purpose>` applied."""
        group = self.settings.consumer_group(self.service, group_purpose)
        rows = await self._rows(_APPLIED, group=group, id=stream_id)
        return int(rows[0].last_sequence) if rows else 0

    async def _rows(self, statement: str, **parameters: str) -> list[Any]:
        async with self.engine.connect() as connection:
            return list(await connection.execute(text(statement), parameters))


_STORED_TYPES = (
    "SELECT event_type FROM eventing.events WHERE stream_id = :id ORDER BY stream_version"
)
_DEADLINES = "SELECT kind FROM eventing.deadlines WHERE key = :id ORDER BY kind"
_APPLIED = (
    "SELECT last_sequence FROM eventing.consumer_streams"
    " WHERE consumer_group = :group AND stream_id = :id"
)


@asynccontextmanager
async def running(
    manifest: AnyManifest, settings: ServiceSettings, driver: type[R]
) -> AsyncIterator[R]:
    """The service (app and workers) running for the time of the block, driven by `driver`
    (`RunningService` or a service's harness built on it)."""
    app = manifest.create_app(settings)
    engine = create_engine(settings.database_url, pool_size=4)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            base_url = f"http://{manifest.service.value}"
            async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
                yield driver(manifest.service, client, engine, settings)
    finally:
        await engine.dispose()


def example_event(event_type: str, **changes: Any) -> EventPayload:
    """The contracts' example of `event_type` (`contracts.examples`) with `changes` applied
    and validated: how tests build the upstream facts they publish."""
    example = example_payloads()[event_type]
    return type(example).model_validate({**example.model_dump(), **changes})


def assert_problem(
    answer: httpx.Response, status: int, code: str, location: str | None = None
) -> None:
    """`answer` is an RFC 9457 problem with `status` and `code` (and an error at `location`)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.headers
    assert answer.json()["code"] == code, answer.text
    if location is not None:
        assert location in [error["location"] for error in answer.json()["errors"]], answer.text
