"""The given/when/then kit on a tiny counter decider."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eventing.testing import Decider, DeciderSpec
from eventing.testing.deciders import DecisionMismatch


@dataclass(frozen=True)
class Increment:
    by: int


@dataclass(frozen=True)
class Incremented:
    by: int


class LimitReached(Exception):
    pass


def decide(command: Increment, total: int) -> list[Incremented]:
    if total + command.by > 10:
        raise LimitReached(f"{total} + {command.by} exceeds 10")
    return [Incremented(command.by)]


def evolve(total: int, event: Incremented) -> int:
    return total + event.by


counter: DeciderSpec[Increment, Incremented, int] = DeciderSpec(Decider(decide, evolve, 0))


def test_then_passes_when_the_decider_decides_the_expected_events() -> None:
    counter.given(Incremented(3)).when(Increment(2)).then(Incremented(2))


def test_then_reports_given_when_expected_and_actual_on_a_mismatch() -> None:
    with pytest.raises(DecisionMismatch, match=r"expected \[Incremented\(by=3\)\]"):
        counter.when(Increment(2)).then(Incremented(3))


def test_then_raises_returns_the_refusal_when_the_decider_refuses() -> None:
    refusal = counter.given(Incremented(9)).when(Increment(2)).then_raises(LimitReached, "exceeds")

    assert isinstance(refusal, LimitReached)


def test_then_raises_fails_when_the_decider_accepts_the_command() -> None:
    with pytest.raises(DecisionMismatch, match="expected LimitReached"):
        counter.when(Increment(1)).then_raises(LimitReached)


def test_the_state_is_the_fold_of_the_given_events() -> None:
    assert counter.given(Incremented(1), Incremented(4)).state == 5


def test_a_scenario_without_a_command_is_reported_clearly() -> None:
    with pytest.raises(DecisionMismatch, match="no command"):
        counter.given(Incremented(1)).then()
