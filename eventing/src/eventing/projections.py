"""The read models a service declares, so operators can rebuild and verify them by name.

Each service lists its read models in `<service>_service.projections.PROJECTIONS`, which its
manifest (`eventing.service`) declares. A
projection's projector takes `ConsumedEvent`s, so one projector serves the live subscription,
a rebuild from the topics and a rebuild from the event store (via
`ContractsCodec.consumed_from_recorded`). A read model of the service's own events only may be
`inline`: projected in every appending transaction of the service's store, with no
subscription (DESIGN.md rule 6; docs/architecture.md, "Read models projected inline").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.parties import Service
from eventing.codec import ContractsCodec
from eventing.encoding import ConsumedEvent
from eventing.events import RecordedEvent
from eventing.rebuild import ProjectionTables, TableNames
from eventing.store import AppendHook
from eventing.subscriptions import BatchHandler, Handler


@dataclass(frozen=True, slots=True)
class Projection:
    """A named read model: its tables and projector, and the services whose topics feed it."""

    name: str
    description: str
    tables: ProjectionTables[ConsumedEvent]
    topics: tuple[Service, ...]
    # The live subscription's purpose: group `<prefix><service>.<group>` (default: the name).
    subscription: str | None = None
    # Columns that say when the projection applied an event, not what the events say (a
    # rebuild writes its own time there): `orderctl verify` leaves them out.
    applied_time_columns: tuple[str, ...] = ()
    # Projected in the transaction that appends the events to the service's own store
    # (`inline_hook`), so a row is there when the command commits; no consumer group. Only
    # for a projection of the owning service's own topic (`ServiceManifest` checks).
    inline: bool = False

    def __post_init__(self) -> None:
        if self.inline and self.subscription is not None:
            raise ValueError(f"projection {self.name!r} is inline: it has no subscription")
        if self.inline and len(self.topics) != 1:
            raise ValueError(f"inline projection {self.name!r} reads its own service's topic only")

    @property
    def group(self) -> str:
        return self.subscription or self.name

    def inline_hook(self, codec: ContractsCodec | None = None) -> AppendHook:
        """The projector as the store's append hook: the appended events, adapted as a rebuild
        from the store adapts them, applied to the live tables in the appending transaction."""
        adapt = (codec or ContractsCodec()).consumed_from_recorded
        projector = self.tables.projector
        batch_projector = self.tables.batch_projector

        async def project(events: Sequence[RecordedEvent], connection: AsyncConnection) -> None:
            consumed = [adapt(event) for event in events]
            if batch_projector is not None:
                await batch_projector(consumed, connection, {})
                return
            for event in consumed:
                await projector(event, connection, {})

        return project

    def from_store(self, codec: ContractsCodec | None = None) -> ProjectionTables[RecordedEvent]:
        """The same read model fed from stored events (for a rebuild from the event store)."""
        adapt = (codec or ContractsCodec()).consumed_from_recorded
        projector = self.tables.projector
        batch_projector = self.tables.batch_projector

        async def project(
            event: RecordedEvent, connection: AsyncConnection, tables: TableNames
        ) -> None:
            await projector(adapt(event), connection, tables)

        async def project_batch(
            events: Sequence[RecordedEvent], connection: AsyncConnection, tables: TableNames
        ) -> None:
            assert batch_projector is not None  # only handed out when there is one
            await batch_projector([adapt(event) for event in events], connection, tables)

        return ProjectionTables(
            self.tables.tables, project, project_batch if batch_projector else None
        )

    def live_handler(self) -> Handler:
        """The projector as a subscription handler writing to the live tables."""
        projector = self.tables.projector

        async def handle(event: ConsumedEvent, connection: AsyncConnection) -> None:
            await projector(event, connection, {})

        return handle

    def live_batch_handler(self) -> BatchHandler | None:
        """The batch projector as a subscription batch handler (None without one)."""
        batch_projector = self.tables.batch_projector
        if batch_projector is None:
            return None

        async def handle(events: Sequence[ConsumedEvent], connection: AsyncConnection) -> None:
            await batch_projector(events, connection, {})

        return handle
