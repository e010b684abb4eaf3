"""The FastAPI application shell every service shares: metadata, operations endpoints, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI

from eventing.database import asyncpg_dsn
from eventing.health import DependencyChecks, health_router
from eventing.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_service_app(
    service: str,
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> FastAPI:
    """A service's app with `/health`, `/ready`, its routers and an orderly shutdown."""
    checks = DependencyChecks(asyncpg_dsn(settings.database_url), settings.kafka_bootstrap_servers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook()
            await checks.close()

    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.include_router(health_router(service, checks))
    for router in routers:
        app.include_router(router)
    return app
