"""The Decider pattern and domain rejections: what every service's pure domain builds on.

A decider is an aggregate's rules as three pure parts, `decide(command, state) -> events`,
`evolve(state, event) -> state` and an initial state. A command the rules refuse raises a
`DomainError` subclass; its `code` and `kind` tell the HTTP edge which problem to answer.
Nothing here does I/O, so a domain package may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import reduce
from typing import ClassVar, Generic, TypeVar

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Decider(Generic[C, E, S]):
    """An aggregate's rules as three pure parts."""

    decide: Callable[[C, S], Sequence[E]]
    evolve: Callable[[S, E], S]
    initial_state: S

    def fold(self, events: Sequence[E], state: S | None = None) -> S:
        """The state after `events`, starting from `state` (default: the initial state)."""
        return reduce(self.evolve, events, self.initial_state if state is None else state)


class Rejection(Enum):
    """What kind of refusal a domain error is; the HTTP status follows from it."""

    INVALID = 422  # the command itself is wrong (amounts, formats, limits)
    CONFLICT = 409  # the command is fine but the aggregate's state refuses it now
    NOT_FOUND = 404  # the thing the command is about does not exist
    FORBIDDEN = 403  # the caller may not do this to this aggregate
    NOT_YET_KNOWN = 425  # a fact this decision depends on has not arrived yet: retry later

    @property
    def status(self) -> int:
        """HTTP status: a not-yet-known fact is a retryable 409 conflict."""
        return 409 if self is Rejection.NOT_YET_KNOWN else self.value

    @property
    def retryable(self) -> bool:
        return self is Rejection.NOT_YET_KNOWN


class DomainError(Exception):
    """A command the rules refuse. Subclasses set a stable `code` (kebab-case) and `kind`.

    The message says what was refused and why, in words a caller can act on; `details` holds
    structured facts (e.g. which SKUs were short) that the HTTP edge adds to the problem.
    """

    code: ClassVar[str] = "domain-rule-violated"
    kind: ClassVar[Rejection] = Rejection.CONFLICT
    title: ClassVar[str] = "The command was refused"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
