"""The shipment of an order as a pure decider: commands, state, rules, carrier catalogue."""

from logistics_service.domain.carriers import CARRIERS, Carrier, carrier_for
from logistics_service.domain.commands import (
    CancelShipment,
    ChangeReceiver,
    Dispatch,
    MarkDeadlineMissed,
    OpenException,
    RecordCheckpoint,
    RecordDelivery,
    RequestShipment,
    ResolveException,
    ShipmentCommand,
)
from logistics_service.domain.decide import decide, shipment_decider, shipment_id_for
from logistics_service.domain.policy import ShippingWindow
from logistics_service.domain.state import (
    LogisticsException,
    Shipment,
    ShipmentStatus,
    TrackedCheckpoint,
    evolve,
)

__all__ = [
    "CARRIERS",
    "CancelShipment",
    "Carrier",
    "ChangeReceiver",
    "Dispatch",
    "LogisticsException",
    "MarkDeadlineMissed",
    "OpenException",
    "RecordCheckpoint",
    "RecordDelivery",
    "RequestShipment",
    "ResolveException",
    "Shipment",
    "ShipmentCommand",
    "ShipmentStatus",
    "ShippingWindow",
    "TrackedCheckpoint",
    "carrier_for",
    "decide",
    "evolve",
    "shipment_decider",
    "shipment_id_for",
]
