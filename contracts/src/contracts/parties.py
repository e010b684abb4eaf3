"""Who takes part in an event: the service that produced it and the actor who caused it."""

from __future__ import annotations

from enum import StrEnum

SOURCE_PREFIX = "/orderflow/"


class Service(StrEnum):
    """The services that produce events (the CloudEvents `source` is derived from these)."""

    ORDER = "order"
    LOGISTICS = "logistics"
    AFTERSALES = "aftersales"

    @property
    def source(self) -> str:
        """The CloudEvents `source` of every event this service produces."""
        return f"{SOURCE_PREFIX}{self.value}"


SERVICES: tuple[Service, ...] = tuple(Service)
"""Every service, in the order tools list them (order, logistics, aftersales)."""


class Actor(StrEnum):
    """Who caused an event: a person in one of three roles, or the system itself."""

    BUYER = "buyer"
    SELLER = "seller"
    PLATFORM = "platform"
    SYSTEM = "system"
