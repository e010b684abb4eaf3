"""Wiring of the order service: settings, application, workers, lifespan (uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import OrderEvent
from contracts.parties import Service
from eventing.aggregate import AggregateRepository
from eventing.app import Worker, build_service_app
from eventing.clock import clock_for
from eventing.database import asyncpg_dsn, create_engine
from eventing.deadlines import DeadlineScheduler, DeadlineWorker, DeadlineWorkerOptions
from eventing.encoding import ConsumedEvent, cloudevents_encoder
from eventing.http.commands import CommandRunner
from eventing.idempotency import IdempotencyStore
from eventing.projections import Projection
from eventing.relay import OutboxRelay, RelayOptions
from eventing.store import EventStore
from eventing.subscriptions import Handler, Subscription, SubscriptionOptions
from order_service.api.dependencies import OrderApiDependencies
from order_service.api.order_commands import order_commands_router
from order_service.api.order_queries import order_queries_router
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

SERVICE = "order"


def create_app(settings: OrderSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory order_service.main:create_app`."""
    settings = settings or OrderSettings()  # database_url etc. from the environment
    engine = create_engine(settings.database_url, pool_size=20, max_overflow=20)
    clock = clock_for(settings, engine)
    store = EventStore(engine, topic=settings.topic(Service.ORDER), clock=clock)
    repository = AggregateRepository[OrderCommand, OrderEvent, OrderState](store, order_decider)
    policies = PolicyStore(default_policy(settings))
    commands = OrderCommands(repository, OrderEffects(DeadlineScheduler(engine)), policies, clock)
    dependencies = OrderApiDependencies(
        engine=engine,
        commands=commands,
        runner=CommandRunner(engine, IdempotencyStore(engine, clock), clock),
        policies=policies,
        clock=clock,
    )
    reactions = OrderPolicies(commands)

    def subscription(purpose: str, topics: tuple[Service, ...], handler: Handler) -> Subscription:
        options = SubscriptionOptions(
            group=settings.consumer_group(Service.ORDER, purpose),
            topics=tuple(settings.topic(topic) for topic in topics),
        )
        return Subscription(engine, settings.kafka_bootstrap_servers, options, handler)

    workers: list[Worker] = [
        OutboxRelay(
            asyncpg_dsn(settings.database_url),
            settings.kafka_bootstrap_servers,
            cloudevents_encoder(Service.ORDER.source),
            RelayOptions(name="order"),
        ),
        subscription("read-model", ORDER_READ_MODEL.topics, _live(ORDER_READ_MODEL)),
        subscription("shipment-policy", (Service.LOGISTICS,), reactions.on_logistics_event),
        subscription("refund-policy", (Service.AFTERSALES,), reactions.on_aftersales_event),
        DeadlineWorker(
            engine,
            clock,
            deadline_handlers(commands),
            DeadlineWorkerOptions(poll_interval=settings.deadline_poll_interval),
        ),
    ]

    async def dispose() -> None:
        await engine.dispose()

    return build_service_app(
        SERVICE,
        settings,
        title="Order service",
        description=(
            "Placement with stock reservation, payment (full, presale deposit and balance), "
            "address change, cancellation, automatic close, receipt, rating; SKU stock and "
            "shop policies. Errors are RFC 9457 problem+json; every command takes an "
            "Idempotency-Key and order writes accept If-Match."
        ),
        routers=[
            order_commands_router(dependencies),
            order_queries_router(dependencies),
            shops_router(dependencies),
        ],
        workers=workers,
        on_shutdown=[dispose],
    )


def _live(projection: Projection) -> Handler:
    """The projection's projector as a subscription handler (writing to the live tables)."""
    project = projection.tables.projector

    async def handle(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await project(event, connection, {})

    return handle
