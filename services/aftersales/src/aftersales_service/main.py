"""Wiring of the aftersales service: settings, application, lifespan (for uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.api import case_commands, case_reads, shop_policy
from aftersales_service.api.context import AftersalesContext
from aftersales_service.application.policies import UpstreamPolicies
from aftersales_service.application.service import AftersalesCommands
from aftersales_service.application.shop_policies import ShopPolicies, default_policy
from aftersales_service.application.timers import CaseDeadlines
from aftersales_service.projections.refund_cases import project_case_event
from aftersales_service.settings import AftersalesSettings
from contracts.parties import Service
from eventing.app import build_service_app
from eventing.clock import clock_for
from eventing.database import asyncpg_dsn, create_engine
from eventing.deadlines import DeadlineScheduler, DeadlineWorker
from eventing.encoding import ConsumedEvent, cloudevents_encoder
from eventing.http.commands import CommandRunner
from eventing.idempotency import IdempotencyStore
from eventing.relay import OutboxRelay, RelayOptions
from eventing.store import EventStore
from eventing.subscriptions import Subscription, SubscriptionOptions

SERVICE = "aftersales"


def create_app(settings: AftersalesSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory aftersales_service.main:create_app`."""
    settings = settings or AftersalesSettings()
    engine = create_engine(settings.database_url)
    clock = clock_for(settings, engine)
    store = EventStore(engine, topic=settings.topic(Service.AFTERSALES), clock=clock)
    commands = AftersalesCommands(store, DeadlineScheduler(engine))
    policies = ShopPolicies(default_policy(settings))
    bootstrap = settings.kafka_bootstrap_servers

    async def project(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await project_case_event(event, connection, {})

    workers = (
        OutboxRelay(
            asyncpg_dsn(settings.database_url), bootstrap,
            cloudevents_encoder(Service.AFTERSALES.source), RelayOptions(name=SERVICE),
        ),
        Subscription(
            engine, bootstrap,
            SubscriptionOptions(
                group=settings.consumer_group(Service.AFTERSALES, "order-facts"),
                topics=(settings.topic(Service.ORDER), settings.topic(Service.LOGISTICS)),
            ),
            UpstreamPolicies(commands, policies, clock),
        ),
        Subscription(
            engine, bootstrap,
            SubscriptionOptions(
                group=settings.consumer_group(Service.AFTERSALES, "read-model"),
                topics=(settings.topic(Service.AFTERSALES),),
            ),
            project,
        ),
        DeadlineWorker(engine, clock, CaseDeadlines(commands, policies, clock).handlers()),
    )  # fmt: skip
    app = build_service_app(
        SERVICE,
        settings,
        title="Aftersales service",
        description="Refund cases, returns, time-outs, disputes and platform rulings.",
        routers=(case_commands.router, case_reads.router, shop_policy.router),
        workers=workers,
        on_shutdown=(engine.dispose,),
    )
    app.state.aftersales = AftersalesContext(
        engine=engine,
        runner=CommandRunner(engine, IdempotencyStore(engine, clock), clock),
        commands=commands,
        policies=policies,
        clock=clock,
    )
    return app
