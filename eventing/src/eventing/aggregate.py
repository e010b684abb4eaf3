"""Load an aggregate's stream, run its pure decider, append what it decided: one command.

Commands run inside the caller's transaction (the HTTP command runner, a policy's subscription
transaction or a deadline's), so read-model or stock changes made in the same transaction
commit together with the events. The append comes last, because it holds the store's position
lock until commit.

Inside `deferred_append()` (the HTTP command runner's scope) the append is not made at once but
handed to the scope, which makes it after the caller's own last writes (the stored idempotent
response), right before the commit: the position lock then covers the append and the commit
only. The decision's version is known before the append (loaded version + events decided); a
writer that got there first still fails the append with `WrongExpectedVersion`, and the whole
transaction rolls back as before. One command per scope: a second command (or a load) while an
append is pending is a programming error, raised at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import EventPayload
from eventing.codec import ContractsCodec
from eventing.decider import Decider
from eventing.events import EventMetadata, StreamState
from eventing.store import ConcurrencyConflict, EventStore

C = TypeVar("C")
E = TypeVar("E", bound=EventPayload)
S = TypeVar("S")

BeforeAppend = Callable[[S, S, tuple[E, ...]], Awaitable[None]]


class VersionMismatch(ConcurrencyConflict):
    """The client's If-Match version is not the aggregate's current version (HTTP 412)."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"{stream_id} is at version {actual}; the request was made against version {expected}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    """An aggregate's state and the stream version it was folded from (0: no events yet)."""

    state: S
    version: int


@dataclass(frozen=True, slots=True)
class Decision(Generic[S, E]):
    """What a command did: the events appended, the new state and version (`positions`: the
    events' store positions; empty when the append was deferred)."""

    state: S
    events: tuple[E, ...]
    version: int
    positions: tuple[int, ...] = ()


class PendingAppend:
    """The append a command decided inside `deferred_append()`, made by `flush()`."""

    def __init__(self) -> None:
        self._stream_id: str | None = None
        self._append: Callable[[], Awaitable[Any]] | None = None

    @property
    def waiting(self) -> bool:
        return self._append is not None

    def defer(self, stream_id: str, append: Callable[[], Awaitable[Any]]) -> None:
        self.check_idle(stream_id)
        self._stream_id, self._append = stream_id, append

    def check_idle(self, stream_id: str) -> None:
        if self._append is not None:
            raise RuntimeError(
                f"{stream_id}: a command ran while the append to {self._stream_id} is deferred;"
                " run one command per deferred_append() scope (or none: append at once)"
            )

    async def flush(self) -> None:
        """Make the deferred append, if any (raises `WrongExpectedVersion` as `append` does)."""
        append, self._append = self._append, None
        if append is not None:
            await append()


_pending: ContextVar[PendingAppend | None] = ContextVar("eventing_pending_append", default=None)


@contextmanager
def deferred_append() -> Iterator[PendingAppend]:
    """Commands run in this scope (this task) defer their append to `PendingAppend.flush()`;
    the caller must flush before it commits. A scope left without a flush drops the append, so
    leave it only by an exception that rolls the transaction back."""
    pending = PendingAppend()
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


class AggregateRepository(Generic[C, E, S]):
    """Runs commands against one kind of aggregate stored in an `EventStore`."""

    def __init__(
        self,
        store: EventStore,
        decider: Decider[C, E, S],
        codec: ContractsCodec | None = None,
    ) -> None:
        self.store = store
        self.decider = decider
        self.codec = codec or ContractsCodec()

    async def load(self, stream_id: str, *, connection: AsyncConnection) -> Loaded[S]:
        """Fold the whole stream (events upcast to their current version)."""
        pending = _pending.get()
        if pending is not None:
            pending.check_idle(stream_id)
        recorded = await self.store.read_stream(stream_id, connection=connection)
        events = [cast(E, self.codec.decode(event)) for event in recorded]
        state = self.decider.fold(events)
        return Loaded(state, recorded[-1].stream_version if recorded else 0)

    async def execute(
        self,
        stream_id: str,
        command: C,
        *,
        metadata: EventMetadata,
        connection: AsyncConnection,
        expected_version: int | None = None,
        loaded: Loaded[S] | None = None,
        before_append: BeforeAppend[S, E] | None = None,
    ) -> Decision[S, E]:
        """Decide and append; raises the decider's `DomainError`s, `VersionMismatch` when
        `expected_version` is not the current version, `WrongExpectedVersion` when another
        writer appended since the stream was loaded. Pass `loaded` to reuse a state already
        loaded in this transaction. `before_append(state_before, state_after, events)` runs
        in the same transaction once something was decided, before the append takes the
        store's position lock: the place for side tables (stock, deadlines) that must commit
        with the events."""
        current = loaded or await self.load(stream_id, connection=connection)
        if expected_version is not None and expected_version != current.version:
            raise VersionMismatch(stream_id, expected_version, current.version)
        decided = tuple(self.decider.decide(command, current.state))
        if not decided:
            return Decision(current.state, (), current.version)
        state = self.decider.fold(decided, current.state)
        if before_append is not None:
            await before_append(current.state, state, decided)
        encoded = [self.codec.encode(event, metadata) for event in decided]
        expected = current.version if current.version else StreamState.NO_STREAM
        pending = _pending.get()
        if pending is not None:

            async def append() -> None:
                await self.store.append(stream_id, encoded, expected, connection=connection)

            pending.defer(stream_id, append)
            return Decision(state, decided, current.version + len(decided))
        result = await self.store.append(stream_id, encoded, expected, connection=connection)
        return Decision(state, decided, result.last_version, result.positions)
