"""Test kit for services built on eventing: decider given/when/then, waiting, topic reading."""

from eventing.decider import Decider
from eventing.testing.deciders import DeciderSpec
from eventing.testing.waiting import eventually

__all__ = ["Decider", "DeciderSpec", "eventually"]
