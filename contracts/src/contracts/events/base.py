"""The base every event payload derives from: identity of the event type and its order."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts.parties import Service
from contracts.values import ContractModel, Identifier


class EventPayload(ContractModel):
    """The data of one event: a fact about one order, in the past tense.

    Each concrete event sets `event_type` (`<producer>.<fact>`, e.g. `order.paid`) and
    `event_version`; the registry and the generated documents are built from these constants.
    """

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    producer: ClassVar[Service]
    platform_message: ClassVar[str | None] = None
    """The platform push message this event corresponds to (DOMAIN: reference vocabulary)."""

    order_id: Identifier = Field(
        description="The order this fact is about; also the CloudEvents subject and Kafka key."
    )
    shop_id: Identifier = Field(description="The shop that sells the order.")


class OrderEvent(EventPayload):
    """An event produced by the order service."""

    producer = Service.ORDER


class LogisticsEvent(EventPayload):
    """An event produced by the logistics service."""

    producer = Service.LOGISTICS


class AftersalesEvent(EventPayload):
    """An event produced by the aftersales service."""

    producer = Service.AFTERSALES
