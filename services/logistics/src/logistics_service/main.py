"""Wiring of the logistics service: settings, application, lifespan (for uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.parties import Service
from eventing.aggregate import AggregateRepository
from eventing.encoding import ConsumedEvent
from eventing.runtime import ServiceRuntime
from eventing.shop_policies import ShopPolicies, shop_policy_router
from logistics_service.api import commands, reads, tracking_feed
from logistics_service.api.context import ApiContext
from logistics_service.application.deadlines import ship_deadline_handlers
from logistics_service.application.order_facts import OrderFactsTable
from logistics_service.application.order_policy import OrderPolicy
from logistics_service.application.shipments import ShipmentCommands
from logistics_service.application.shop_policies import ShippingPolicy
from logistics_service.application.waybills import WaybillIndex
from logistics_service.domain import shipment_decider
from logistics_service.projections.projector import project_shipments
from logistics_service.settings import LogisticsSettings

SERVICE = Service.LOGISTICS


def create_app(settings: LogisticsSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory logistics_service.main:create_app`."""
    settings = settings or LogisticsSettings()  # from the environment
    runtime = ServiceRuntime(SERVICE, settings)
    waybills = WaybillIndex()
    shipments = ShipmentCommands(
        AggregateRepository(runtime.store, shipment_decider, runtime.codec),
        runtime.deadlines,
        waybills,
        runtime.clock,
    )
    policies = ShopPolicies(
        ShippingPolicy(ship_by_target=settings.ship_by_target, ship_by_limit=settings.ship_by_limit)
    )
    runtime.subscribe(
        "order-policy", (Service.ORDER,), OrderPolicy(shipments, OrderFactsTable(), policies)
    )
    runtime.subscribe("read-model", (Service.LOGISTICS,), _project_live)
    runtime.fire_deadlines(ship_deadline_handlers(shipments))
    app = runtime.app(
        title="Logistics service",
        description="Shipments: ship-by SLA, dispatch with the three checks, tracking, delivery "
        "exceptions and delivery. Events go to the logistics topic (see the event catalog).",
        routers=(
            commands.router,
            tracking_feed.router,
            reads.router,
            shop_policy_router(runtime, policies, what="ship-by window"),
        ),
    )
    app.state.logistics = ApiContext(runtime, settings, shipments, policies, waybills)
    return app


async def _project_live(event: ConsumedEvent, connection: AsyncConnection) -> None:
    await project_shipments(event, connection, {})
