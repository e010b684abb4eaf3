"""Test kit for services built on eventing: decider given/when/then, waiting, topic reading."""

from eventing.testing.deciders import Decider, DeciderSpec
from eventing.testing.waiting import eventually

__all__ = ["Decider", "DeciderSpec", "eventually"]
