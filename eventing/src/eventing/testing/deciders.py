"""Given/when/then for pure deciders: `decide(command, state)`, `evolve(state, event)`.

spec = DeciderSpec(order_decider)
spec.given(OrderPlaced(...)).when(PayOrder(...)).then(OrderPaid(...))
spec.given(OrderPlaced(...), OrderShipped(...)).when(CancelOrder(...)).then_raises(...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from eventing.decider import Decider

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


class DecisionMismatch(AssertionError):
    """The decider decided something other than the scenario expected."""


@dataclass(frozen=True, slots=True)
class DeciderSpec(Generic[C, E, S]):
    """An immutable scenario: past events, one command, then an expectation."""

    decider: Decider[C, E, S]
    history: tuple[E, ...] = ()
    command: C | None = None

    def given(self, *events: E) -> DeciderSpec[C, E, S]:
        return replace(self, history=self.history + events)

    def when(self, command: C) -> DeciderSpec[C, E, S]:
        return replace(self, command=command)

    @property
    def state(self) -> S:
        """The state the given events fold to."""
        return self.decider.fold(self.history)

    def decided(self) -> list[E]:
        if self.command is None:
            raise DecisionMismatch("the scenario has no command; call .when(command) first")
        return list(self.decider.decide(self.command, self.state))

    def then(self, *expected: E) -> list[E]:
        """Assert the decider decides exactly `expected`; also checks they fold cleanly."""
        actual = self.decided()
        if actual != list(expected):
            raise DecisionMismatch(
                f"given {list(self.history)!r}\nwhen {self.command!r}\n"
                f"expected {list(expected)!r}\nbut got {actual!r}"
            )
        self.decider.fold([*self.history, *actual])
        return actual

    def then_raises(self, error: type[Exception], match: str | None = None) -> Exception:
        """Assert the decider refuses the command with `error` (message matching `match`)."""
        try:
            actual = self.decided()
        except error as raised:
            if match is not None and not re.search(match, str(raised)):
                raise DecisionMismatch(f"{raised!r} does not match {match!r}") from raised
            return raised
        raise DecisionMismatch(
            f"given {list(self.history)!r}\nwhen {self.command!r}\n"
            f"expected {error.__name__} but the decider decided {actual!r}"
        )
