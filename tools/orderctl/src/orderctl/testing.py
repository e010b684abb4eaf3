"""Test kit for orderctl's tests: a platform of fresh service databases and topics, events
appended through the event store and published by the relay, and the CLI run as operators run
it (in a thread: each command runs its own event loop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from typer.testing import CliRunner, Result

from contracts.events.base import EventPayload
from contracts.examples import example_payloads
from contracts.parties import SERVICES, Service
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent, cloudevents_encoder
from eventing.events import EventMetadata, StreamState
from eventing.projections import Projection
from eventing.rebuild import ProjectionTables, TableNames
from eventing.relay import OutboxRelay, RelayOptions
from eventing.settings import ServiceSettings
from eventing.store import EventStore
from eventing.subscriptions import Handler
from eventing.testing.waiting import eventually
from orderctl.catalog import Catalog, service_settings
from orderctl.cli import build_app
from orderctl.settings import OrderctlSettings, Owner

_CODEC = ContractsCodec()


@dataclass
class Platform:
    """Three service databases and topics of one test, and what orderctl needs to find them."""

    bootstrap: str
    urls: dict[Service, str]
    topics: dict[Service, str]
    engines: dict[Service, AsyncEngine] = field(default_factory=dict)

    def store(self, service: Service) -> EventStore:
        return EventStore(self.engines[service], topic=self.topics[service])

    def env(self) -> dict[str, str]:
        values = {f"ORDERCTL_{s.value.upper()}_DB": self.urls[s] for s in SERVICES}
        values.update({f"ORDERCTL_{s.value.upper()}_TOPIC": self.topics[s] for s in SERVICES})
        return {**values, "ORDERCTL_BOOTSTRAP": self.bootstrap, "COLUMNS": "220"}

    async def record(
        self, service: Service, order_id: str, *event_types: str, actor: str = "buyer"
    ) -> list[int]:
        """Append the contracts' example events of these types to the order's stream."""
        examples = example_payloads()
        payloads: list[EventPayload] = [
            examples[t].model_copy(update={"order_id": order_id}) for t in event_types
        ]
        events = [_CODEC.encode(p, EventMetadata(actor=actor, actor_id="u-1")) for p in payloads]
        result = await self.store(service).append(order_id, events, StreamState.ANY)
        return list(result.positions)

    async def publish_outbox(self, service: Service) -> None:
        """Run the service's relay until everything stored is on its topic."""
        head = await self.store(service).head_position()
        relay = OutboxRelay(self.urls[service], self.bootstrap,
                            cloudevents_encoder(service.source),
                            RelayOptions(name=service.value, poll_interval=0.05))  # fmt: skip
        task = asyncio.create_task(relay.run())
        try:
            await eventually(lambda: _checkpoint(self.engines[service]), lambda p: p >= head,
                             message=f"{service.value} outbox published")  # fmt: skip
        finally:
            relay.stop()
            await task


async def _checkpoint(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        value = await connection.scalar(
            text("SELECT coalesce(min(position), 0) FROM eventing.relay_checkpoints")
        )
    return int(value or 0)


async def run_cli(
    platform: Platform,
    *args: str,
    catalog: Catalog | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """`orderctl ARGS` with the platform's configuration in the environment."""
    runner = CliRunner()
    environment = {**platform.env(), **(env or {})}

    def invoke() -> Result:
        # An unexpected exception propagates to the test instead of becoming an exit code.
        return runner.invoke(
            build_app(catalog), list(args), env=environment, input=input, catch_exceptions=False
        )

    return await asyncio.to_thread(invoke)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_one_line_error(result: Result, *fragments: str, code: int = 2) -> None:
    """The command failed with `code` and one line on stderr containing every fragment."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert len(lines(result.stderr)) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


Invoke = Callable[..., Awaitable[Result]]


SUMMARY_TABLES = ("test_order_summaries", "test_order_timeline")
_CREATE_TABLES = (
    "CREATE TABLE test_order_summaries (order_id text PRIMARY KEY, status text NOT NULL,"
    " events integer NOT NULL, version bigint NOT NULL)",
    "CREATE TABLE test_order_timeline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " order_id text NOT NULL, sequence bigint NOT NULL, event_type text NOT NULL,"
    " UNIQUE (order_id, sequence))",
)
_SUMMARY = (
    'INSERT INTO "{table}" AS s (order_id, status, events, version)'
    " VALUES (:order_id, :status, 1, :version) ON CONFLICT (order_id) DO UPDATE"
    " SET status = EXCLUDED.status, events = s.events + 1, version = EXCLUDED.version"
    " WHERE s.version < EXCLUDED.version"
)
_TIMELINE = (
    'INSERT INTO "{table}" (order_id, sequence, event_type) VALUES (:order_id, :sequence, :type)'
    " ON CONFLICT (order_id, sequence) DO NOTHING"
)


class Poisoned(Exception):
    """The test projector refuses events of orders on its poison list."""


@dataclass
class SummaryProjection:
    """A small read model of the order topic for orderctl's tests: one summary row per order
    (idempotent per stream version) and a timeline with an identity key."""

    poisoned_orders: set[str] = field(default_factory=set)

    async def project(
        self, event: ConsumedEvent, connection: AsyncConnection, tables: TableNames
    ) -> None:
        if event.stream_id in self.poisoned_orders:
            raise Poisoned(f"refusing {event.event_type} of {event.stream_id}")
        values = {
            "order_id": event.stream_id,
            "status": event.event_type.split(".", 1)[1],
            "version": event.sequence,
            "sequence": event.sequence,
            "type": event.event_type,
        }
        summaries = tables.get(SUMMARY_TABLES[0], SUMMARY_TABLES[0])
        timeline = tables.get(SUMMARY_TABLES[1], SUMMARY_TABLES[1])
        await connection.execute(text(_SUMMARY.format(table=summaries)), values)
        await connection.execute(text(_TIMELINE.format(table=timeline)), values)

    @property
    def projection(self) -> Projection:
        return Projection(
            name="order-summaries",
            description="Status and event count per order (test read model).",
            tables=ProjectionTables(SUMMARY_TABLES, self.project),
            topics=(Service.ORDER,),
        )

    async def create_tables(self, engine: AsyncEngine) -> None:
        async with engine.begin() as connection:
            for statement in _CREATE_TABLES:
                await connection.execute(text(statement))


class FixedCatalog(Catalog):
    """A catalog whose order service declares the test projection and nothing else: one
    group, `<prefix>order.<projection.group>`, applying the projection to its live tables."""

    def __init__(self, projection: Projection) -> None:
        self._projection = projection

    def projections(self, service: Owner) -> tuple[Projection, ...]:
        return (self._projection,) if service is Service.ORDER else ()

    @asynccontextmanager
    async def handlers(
        self, settings: OrderctlSettings, service: Service
    ) -> AsyncIterator[Mapping[str, Handler]]:
        chosen = service_settings(settings, service, ServiceSettings)
        yield {
            chosen.consumer_group(service, projection.group): projection.live_handler()
            for projection in self.projections(service)
        }
