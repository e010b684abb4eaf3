"""The one command handler every service runs its aggregate's commands through.

`CommandHandler.execute(connection, stream_id, command, acting)` loads the stream, lets the
service's `AggregateRules` authorise the caller, checks If-Match, builds the command from what
is known (state, shop policy, time), decides, writes the side tables the decided events call
for and appends: the same steps, in the same order, for an HTTP command, a reaction to another
service's event and a fired deadline.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeAlias, TypeVar, Union, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.envelope import Envelope
from contracts.events.base import EventPayload
from contracts.parties import Actor
from eventing.aggregate import AggregateRepository, Decision, Loaded, VersionMismatch
from eventing.clock import Clock, refresh_clock
from eventing.codec import ContractsCodec
from eventing.deadlines import Deadline
from eventing.decider import Decider
from eventing.events import EventMetadata
from eventing.http.auth import Caller
from eventing.shop_policies import ShopPolicies
from eventing.store import EventStore

C = TypeVar("C")
E = TypeVar("E", bound=EventPayload)
S = TypeVar("S")
D = TypeVar("D")


@dataclass(frozen=True, slots=True)
class Acting:
    """Who runs a command: the metadata its events carry, and the HTTP caller if there is one
    (reactions and deadlines act as the system, with no caller to authorise)."""

    metadata: EventMetadata
    caller: Caller | None = None

    @property
    def actor(self) -> str:
        return self.metadata.actor or Actor.SYSTEM.value

    @classmethod
    def reaction(cls, envelope: Envelope) -> Acting:
        """A reaction to another service's event: its correlation, the event as the cause."""
        return cls(
            EventMetadata(
                correlation_id=envelope.correlationid,
                causation_id=str(envelope.id),
                actor=Actor.SYSTEM.value,
                actor_id=f"reaction:{envelope.type}",
            )
        )

    @classmethod
    def deadline(cls, deadline: Deadline) -> Acting:
        """A fired deadline: the correlation it was scheduled with (`payload["correlation_id"]`),
        else its key (the order or case it is about)."""
        correlation = deadline.payload.get("correlation_id")
        return cls(
            EventMetadata(
                correlation_id=str(correlation) if correlation else deadline.key,
                actor=Actor.SYSTEM.value,
                actor_id=f"deadline:{deadline.kind}",
            )
        )


@dataclass(frozen=True, slots=True)
class Given(Generic[S, D]):
    """What a command is built from: the aggregate as loaded, its shop's policy, the time, and
    the transaction (for facts a command needs from a side table)."""

    stream_id: str
    state: S
    version: int
    policy: D
    now: datetime
    connection: AsyncConnection


@dataclass(frozen=True, slots=True)
class Change(Generic[S, E]):
    """What a decision changed: the state before and after, and the events decided."""

    stream_id: str
    before: S
    after: S
    events: tuple[E, ...]


CommandSource: TypeAlias = Union[C, Callable[[Given[S, D]], Union[C, Awaitable[C]]]]  # noqa: UP007
"""A command, or how to build it from what is given (when it needs the state, policy or time)."""


class AggregateRules(Protocol[C, E, S, D]):
    """What a service says about its aggregate beyond the pure decider."""

    @property
    def decider(self) -> Decider[C, E, S]: ...

    def shop_of(self, state: S) -> str | None:
        """The shop whose policy applies (None before the aggregate exists)."""
        ...

    def authorize(self, stream_id: str, state: S, caller: Caller) -> None:
        """Raise a `DomainError` (not found / forbidden) unless `caller` may act on it."""
        ...

    async def before_append(
        self, connection: AsyncConnection, change: Change[S, E], given: Given[S, D], acting: Acting
    ) -> None:
        """Write the side tables (stock, deadlines, indexes) that commit with the events."""
        ...


class CommandHandler(Generic[C, E, S, D]):
    """Runs one aggregate's commands in the caller's transaction (see the module docstring)."""

    def __init__(
        self,
        store: EventStore,
        rules: AggregateRules[C, E, S, D],
        policies: ShopPolicies[D],
        clock: Clock,
        codec: ContractsCodec | None = None,
    ) -> None:
        self.rules = rules
        self.policies = policies
        self.clock = clock
        self.repository = AggregateRepository[C, E, S](store, rules.decider, codec)

    async def execute(
        self,
        connection: AsyncConnection,
        stream_id: str,
        command: CommandSource[C, S, D],
        acting: Acting,
        *,
        expected_version: int | None = None,
        shop_id: str | None = None,
        creates: bool = False,
    ) -> Decision[S, E]:
        """Decide and append; raises the rules' `DomainError`s, `VersionMismatch` (412) when
        `expected_version` is not the current one, `WrongExpectedVersion` (409) when another
        writer appended meanwhile. `shop_id` names the shop whose policy applies while the
        stream does not know it yet (a new order, a shipment not requested yet). `creates`: the
        command starts a new stream (placement): there is nothing to authorise on yet, and a
        stream that exists already is a conflict."""
        if creates:
            # Nothing to read: the append expects no stream (`StreamState.NO_STREAM`), so one
            # that exists already is refused there, with everything of this transaction.
            loaded: Loaded[S] = Loaded(self.repository.decider.fold([]), 0)
        else:
            loaded = await self.repository.load(stream_id, connection=connection)
        if acting.caller is not None and not creates:
            self.rules.authorize(stream_id, loaded.state, acting.caller)
        if expected_version is not None and expected_version != loaded.version:
            raise VersionMismatch(stream_id, expected_version, loaded.version)
        shop = self.rules.shop_of(loaded.state) or shop_id
        policy = await self.policies.domain_for(connection, shop)
        # A movable clock is re-read here, so a reaction or a deadline decides on the time the
        # whole system is at now, not on the offset an earlier request left behind.
        await refresh_clock(self.clock)
        given = Given(stream_id, loaded.state, loaded.version, policy, self.clock.now(), connection)
        built = await _build(command, given)

        async def side_tables(before: S, after: S, events: tuple[E, ...]) -> None:
            change = Change(stream_id, before, after, events)
            await self.rules.before_append(connection, change, given, acting)

        return await self.repository.execute(
            stream_id,
            built,
            metadata=acting.metadata,
            connection=connection,
            loaded=loaded,
            before_append=side_tables,
        )


async def _build(command: CommandSource[C, S, D], given: Given[S, D]) -> C:
    if not callable(command):
        return command
    built = command(given)
    if inspect.isawaitable(built):
        return cast(C, await built)
    return built
