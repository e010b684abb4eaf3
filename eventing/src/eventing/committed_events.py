"""Events appended in a transaction are counted (`eventing.business_metrics`) once it commits.

An append is not a fact until its transaction commits: a refusal, a lost race, a failed deadline
handler or a subscription batch redone carefully rolls it back, and the retry appends again. So
the owner of a transaction wraps it in `counted_on_commit()` (outside `engine.begin()`: the block
ends after the commit); the store notes each append in the innermost scope; a scope left by an
error forgets its appends, and the outermost scope left normally counts them. A savepoint is a
nested scope (`counted_on_commit()` around `begin_nested()`): what its rollback undid is
forgotten, what it released joins the enclosing scope and counts with its commit. A replayed
Idempotency-Key appends nothing, so it counts nothing.

An append outside every scope counts at once: alone (no connection) it is its own transaction,
committed when the call returns; in a transaction nobody scoped (a test, a tool) it counts as if
that transaction committed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from eventing.business_metrics import count_recorded
from eventing.events import NewEvent

_scope: ContextVar[list[NewEvent] | None] = ContextVar("eventing_uncommitted", default=None)


def appended(events: Sequence[NewEvent], *, committed: bool) -> None:
    """The store appended `events` (`committed`: in a transaction of their own, already
    committed), called after the append statement succeeded."""
    pending = _scope.get()
    if committed or pending is None:
        count_recorded(events)
    else:
        pending.extend(events)


@contextmanager
def counted_on_commit() -> Iterator[None]:
    """What is appended inside counts once the block completes and, nested, once the enclosing
    scope does; nothing of it counts when the block raises (see the module docstring)."""
    enclosing = _scope.get()
    pending: list[NewEvent] = []
    token = _scope.set(pending)
    try:
        yield
    finally:
        _scope.reset(token)
    # Reached only when the block completed (an exception propagated past `finally`).
    if enclosing is None:
        count_recorded(pending)
    else:
        enclosing.extend(pending)
