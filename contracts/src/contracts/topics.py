"""The topic catalog: one topic per producing service, keyed by order id.

Everything that creates, produces to or consumes from a topic reads it from here, so partition
counts and retention live in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.events import aftersales, logistics, order
from contracts.events.base import EventPayload
from contracts.parties import Service

__all__ = ["TOPICS", "Service", "TopicSpec", "topic_for", "topic_of_event_type"]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """How one topic is laid out on the broker and who uses it."""

    name: str
    producer: Service
    consumers: tuple[Service, ...]
    partitions: int
    retention_ms: int
    key: str = "order id"
    description: str = ""
    event_types: tuple[str, ...] = ()

    @property
    def config(self) -> dict[str, str]:
        """Broker-side topic configuration applied when the topic is created."""
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": "delete",
            "min.insync.replicas": "1",
        }


_DAY_MS = 24 * 60 * 60 * 1000


def _types(events: Iterable[type[EventPayload]]) -> tuple[str, ...]:
    return tuple(event.event_type for event in events)


ORDER_TOPIC = TopicSpec(
    name="orders.order.v1",
    producer=Service.ORDER,
    consumers=(Service.LOGISTICS, Service.AFTERSALES),
    partitions=12,
    retention_ms=30 * _DAY_MS,
    description="Order lifecycle: placement, stock, payment, presale, address, cancel, receipt.",
    event_types=_types(order.EVENTS),
)
LOGISTICS_TOPIC = TopicSpec(
    name="orders.logistics.v1",
    producer=Service.LOGISTICS,
    consumers=(Service.ORDER, Service.AFTERSALES),
    partitions=12,
    retention_ms=30 * _DAY_MS,
    description="Shipments: requested, shipped, tracking, exceptions, delivery, SLA breaches.",
    event_types=_types(logistics.EVENTS),
)
AFTERSALES_TOPIC = TopicSpec(
    name="orders.aftersales.v1",
    producer=Service.AFTERSALES,
    consumers=(Service.ORDER,),
    partitions=12,
    retention_ms=30 * _DAY_MS,
    description=(
        "Refund cases: requests, answers, returns, refunds, disputes and rulings; complaints: "
        "filed, accepted, analysed, handled, replied, followed up, escalated, ruled."
    ),
    event_types=_types(aftersales.EVENTS),
)

TOPICS: tuple[TopicSpec, ...] = (ORDER_TOPIC, LOGISTICS_TOPIC, AFTERSALES_TOPIC)


def topic_for(service: Service) -> TopicSpec:
    """The topic a service publishes its events to."""
    for topic in TOPICS:
        if topic.producer is service:
            return topic
    raise KeyError(service)


def topic_of_event_type(event_type: str) -> TopicSpec:
    """The topic that carries events of this type."""
    for topic in TOPICS:
        if event_type in topic.event_types:
            return topic
    raise KeyError(event_type)
