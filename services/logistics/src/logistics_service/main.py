"""The logistics service, declared: its manifest, and the app factory for uvicorn --factory."""

from __future__ import annotations

from contracts.events.base import LogisticsEvent
from contracts.parties import Service
from eventing.service import ServiceManifest
from logistics_service.api import commands, queries, tracking_feed
from logistics_service.application.commands import shipment_rules
from logistics_service.application.deadlines import deadline_handlers
from logistics_service.application.reactions import REACTIONS
from logistics_service.application.shop_policy import default_policy
from logistics_service.domain import Shipment, ShipmentCommand, ShippingWindow
from logistics_service.projections import PROJECTIONS
from logistics_service.settings import LogisticsSettings

MANIFEST = ServiceManifest[
    ShipmentCommand, LogisticsEvent, Shipment, ShippingWindow, LogisticsSettings
](
    service=Service.LOGISTICS,
    title="Logistics service",
    description="Shipments: ship-by SLA, dispatch with the three checks, tracking, delivery "
    "exceptions and delivery. Events go to the logistics topic (see the event catalog).",
    settings=LogisticsSettings,
    rules=shipment_rules,
    default_policy=default_policy,
    policy_title="ship-by window",
    projections=PROJECTIONS,
    reactions=REACTIONS,
    deadlines=deadline_handlers,
    routers=(commands.router, tracking_feed.router, queries.router),
)

create_app = MANIFEST.create_app
