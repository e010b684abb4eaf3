"""Wiring of the order service: settings, application, workers, lifespan (uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI

from contracts.events.base import OrderEvent
from contracts.parties import Service
from eventing.aggregate import AggregateRepository
from eventing.deadlines import DeadlineWorkerOptions
from eventing.runtime import ServiceRuntime
from eventing.shop_policies import shop_policy_router
from order_service.api.dependencies import OrderApiDependencies
from order_service.api.order_commands import order_commands_router
from order_service.api.order_queries import order_queries_router
from order_service.api.placement import placement_router
from order_service.api.shops import shops_router
from order_service.application.deadlines import deadline_handlers
from order_service.application.effects import OrderEffects
from order_service.application.orders import OrderCommands
from order_service.application.policies import OrderPolicies
from order_service.application.policy_store import PolicyStore, default_policy
from order_service.domain import OrderState, order_decider
from order_service.domain.commands import OrderCommand
from order_service.projections import ORDER_READ_MODEL
from order_service.settings import OrderSettings

DESCRIPTION = (
    "Placement with stock reservation, payment (full, presale deposit and balance), address "
    "change, cancellation, automatic close, receipt, rating; SKU stock and shop policies. "
    "Errors are RFC 9457 problem+json; every command takes an Idempotency-Key and order "
    "writes accept If-Match with the order's version (its ETag)."
)


def create_app(settings: OrderSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory order_service.main:create_app`."""
    settings = settings or OrderSettings()  # database_url etc. from the environment
    runtime = ServiceRuntime(Service.ORDER, settings, pool_size=20)
    repository = AggregateRepository[OrderCommand, OrderEvent, OrderState](
        runtime.store, order_decider, runtime.codec
    )
    policies = PolicyStore(default_policy(settings))
    commands = OrderCommands(repository, OrderEffects(runtime.deadlines), policies, runtime.clock)
    reactions = OrderPolicies(commands, runtime.codec)
    runtime.subscribe(
        "read-model",
        ORDER_READ_MODEL.topics,
        ORDER_READ_MODEL.live_handler(),
        batch_handler=ORDER_READ_MODEL.live_batch_handler(),
    )
    runtime.subscribe("shipment-policy", (Service.LOGISTICS,), reactions.on_logistics_event)
    runtime.subscribe("refund-policy", (Service.AFTERSALES,), reactions.on_aftersales_event)
    runtime.fire_deadlines(
        deadline_handlers(commands),
        DeadlineWorkerOptions(poll_interval=settings.deadline_poll_interval),
    )
    dependencies = OrderApiDependencies(
        engine=runtime.engine,
        commands=commands,
        runner=runtime.commands,
        policies=policies,
        clock=runtime.clock,
    )
    return runtime.app(
        title="Order service",
        description=DESCRIPTION,
        routers=[
            placement_router(dependencies),
            order_commands_router(dependencies),
            order_queries_router(dependencies),
            shops_router(dependencies),
            shop_policy_router(runtime, policies.stored, what="order time policy"),
        ],
    )
