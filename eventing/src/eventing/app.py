"""The FastAPI application shell every service shares: metadata, operations endpoints, lifespan.

The lifespan runs the service's background workers (outbox relay, subscriptions, deadline
workers) next to the HTTP server and stops them in order on shutdown; problem+json handlers,
bearer-token authentication and `/metrics` are installed here once for all services.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import structlog
from fastapi import APIRouter, FastAPI
from prometheus_client import make_asgi_app

from eventing.database import asyncpg_dsn
from eventing.health import DependencyChecks, health_router
from eventing.http.auth import Authenticator
from eventing.http.problems import install_problem_handlers
from eventing.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
Hook = Callable[[], Awaitable[None]]
WORKER_STOP_TIMEOUT_S = 15.0

log = structlog.get_logger(__name__)


class Worker(Protocol):
    """A background loop: `run()` until `stop()` is called (relay, subscription, deadlines)."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


def build_service_app(
    service: str,
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    workers: Sequence[Worker] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
) -> FastAPI:
    """A service's app with `/health`, `/ready`, `/metrics`, its routers and its workers.

    `on_startup` hooks run before the workers start; `on_shutdown` hooks after they stopped
    (dispose engines there). Workers run only when `settings.run_workers` is true.
    """
    checks = DependencyChecks(asyncpg_dsn(settings.database_url), settings.kafka_bootstrap_servers)
    background = tuple(workers) if settings.run_workers else ()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        try:
            for hook in on_startup:
                await hook()
            for worker in background:
                task = asyncio.create_task(worker.run(), name=f"{service}:{type(worker).__name__}")
                task.add_done_callback(_report_crash)
                tasks.append(task)
            yield
        finally:
            await _stop_workers(background, tasks)
            for hook in on_shutdown:
                await hook()
            await checks.close()

    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.state.authenticator = Authenticator(settings.auth_secret.get_secret_value())
    install_problem_handlers(app)
    app.include_router(health_router(service, checks))
    app.mount("/metrics", make_asgi_app())
    for router in routers:
        app.include_router(router)
    return app


async def _stop_workers(workers: Sequence[Worker], tasks: list[asyncio.Task[None]]) -> None:
    for worker in workers:
        worker.stop()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=WORKER_STOP_TIMEOUT_S)
    for task in pending:
        log.warning("service.worker_stop_timeout", worker=task.get_name())
        task.cancel()
    if pending:
        await asyncio.wait(pending)


def _report_crash(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("service.worker_crashed", worker=task.get_name(), error=repr(error))
