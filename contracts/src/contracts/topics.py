"""The topic catalog: one topic per producing service, keyed by order id.

Everything that creates, produces to or consumes from a topic reads it from here, so partition
counts and retention live in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Service(StrEnum):
    """The services that produce events (the CloudEvents `source` is derived from these)."""

    ORDER = "order"
    LOGISTICS = "logistics"
    AFTERSALES = "aftersales"


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

    @property
    def config(self) -> dict[str, str]:
        """Broker-side topic configuration applied when the topic is created."""
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": "delete",
            "min.insync.replicas": "1",
        }


_DAY_MS = 24 * 60 * 60 * 1000

ORDER_TOPIC = TopicSpec(
    name="orders.order.v1",
    producer=Service.ORDER,
    consumers=(Service.LOGISTICS, Service.AFTERSALES),
    partitions=12,
    retention_ms=30 * _DAY_MS,
    description="Order lifecycle: placement, stock, payment, presale, address, cancel, receipt.",
)
LOGISTICS_TOPIC = TopicSpec(
    name="orders.logistics.v1",
    producer=Service.LOGISTICS,
    consumers=(Service.ORDER, Service.AFTERSALES),
    partitions=12,
    retention_ms=30 * _DAY_MS,
    description="Shipments: requested, shipped, tracking, exceptions, delivery, SLA breaches.",
)
AFTERSALES_TOPIC = TopicSpec(
    name="orders.aftersales.v1",
    producer=Service.AFTERSALES,
    consumers=(Service.ORDER,),
    partitions=12,
    retention_ms=30 * _DAY_MS,
    description="Refund cases: requests, answers, returns, refunds, disputes and rulings.",
)

TOPICS: tuple[TopicSpec, ...] = (ORDER_TOPIC, LOGISTICS_TOPIC, AFTERSALES_TOPIC)


def topic_for(service: Service) -> TopicSpec:
    """The topic a service publishes its events to."""
    for topic in TOPICS:
        if topic.producer is service:
            return topic
    raise KeyError(service)
