"""The default registry: every event of the three services and the upcasters between versions."""

from __future__ import annotations

from contracts.events import aftersales, logistics, order
from contracts.registry import EventRegistry

REGISTRY = EventRegistry(
    events=(
        *order.EVENTS,
        *order.LEGACY_EVENTS,
        *logistics.EVENTS,
        *logistics.LEGACY_EVENTS,
        *aftersales.EVENTS,
    ),
    upcasters=(*order.UPCASTERS, *logistics.UPCASTERS, *aftersales.UPCASTERS),
)
"""Every event the platform publishes; decoding uses it unless given another registry."""
