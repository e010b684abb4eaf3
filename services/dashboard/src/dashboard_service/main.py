"""Wiring of one dashboard process, in one place: its database, clock, the figures
subscription over the three topics (announcing each applied batch to the live stream), the
routes and the page. `uvicorn --factory dashboard_service.main:create_app`.

The dashboard is a read side, not a `contracts.parties.Service`: no event store, relay,
commands or deadlines, so it uses `eventing.app.build_service_app` (health, readiness,
metrics, problems, supervised workers) without the producers' `ServiceRuntime`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.parties import SERVICES
from dashboard_service import NAME
from dashboard_service.api import page, queries, stream
from dashboard_service.api.context import Dashboard
from dashboard_service.live import AppliedBroadcast
from dashboard_service.projections import FIGURES
from dashboard_service.settings import DashboardSettings
from eventing.app import build_service_app
from eventing.clock import clock_for
from eventing.database import create_engine
from eventing.logs import configure_logging
from eventing.subscriptions import Subscription, SubscriptionOptions

TITLE = "Dashboard"
DESCRIPTION = (
    "The figures the business watches, per shop and for the whole platform: orders and GMV, "
    "payment conversion, shipping on time, refunds, disputes and ratings, by day, week, month "
    "or range in a time zone; a day series; and a live stream of changes. Kept from the "
    "order, logistics and aftersales topics only."
)


def figures_subscription(
    settings: DashboardSettings, engine: AsyncEngine, broadcast: AppliedBroadcast
) -> Subscription:
    """The live read model: group `<prefix>dashboard.figures` on the three topics."""
    options = SubscriptionOptions(
        group=settings.dashboard_group(FIGURES.group),
        topics=tuple(settings.topic(source) for source in SERVICES),
    )
    return Subscription(
        engine,
        settings.kafka_bootstrap_servers,
        options,
        FIGURES.live_handler(),
        batch_handler=FIGURES.live_batch_handler(),
        on_applied=broadcast.publish,
    )


def create_app(settings: DashboardSettings | None = None) -> FastAPI:
    """The dashboard's ASGI app with the figures subscription in its lifespan."""
    configure_logging()
    chosen = settings if settings is not None else DashboardSettings()  # from the environment
    engine = create_engine(chosen.database_url, pool_size=10)
    clock_url = chosen.clock_database_url if chosen.clock == "database" else None
    clock_engine = create_engine(clock_url, pool_size=1, max_overflow=2) if clock_url else None
    broadcast = AppliedBroadcast()
    subscription = figures_subscription(chosen, engine, broadcast)

    async def close() -> None:
        await engine.dispose()
        if clock_engine is not None:
            await clock_engine.dispose()

    app = build_service_app(
        NAME,
        chosen,
        title=TITLE,
        description=DESCRIPTION,
        routers=(queries.router, stream.router, page.router),
        workers=(subscription,),
        on_shutdown=[close],
    )
    app.state.dashboard = Dashboard(
        chosen, engine, clock_for(chosen, clock_engine or engine), broadcast
    )
    app.state.subscription = subscription
    app.mount("/static", StaticFiles(directory=page.STATIC), name="static")
    return app
