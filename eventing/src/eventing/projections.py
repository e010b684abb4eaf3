"""The read models a service declares, so operators can rebuild and verify them by name.

Each service lists its read models in `<service>_service.projections.PROJECTIONS`, which its
manifest (`eventing.service`) declares. A
projection's projector takes `ConsumedEvent`s, so one projector serves the live subscription,
a rebuild from the topics and a rebuild from the event store (via
`ContractsCodec.consumed_from_recorded`).
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

    @property
    def group(self) -> str:
        return self.subscription or self.name

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
