"""The FastAPI application shell every service shares: metadata, operations endpoints, lifespan.

The lifespan runs the service's background workers (outbox relay, subscriptions, deadline
workers) under a supervisor next to the HTTP server and stops them on shutdown; problem+json
handlers, the edge guard (unstorable text, 503 while the database is away), signed cursors,
the corrected OpenAPI document with its metadata, `/docs` and `/redoc` served offline, the event
contracts over HTTP (`/contracts/...`), bearer-token authentication, the HTTP metrics
(`eventing.http.request_metrics`) and `/metrics` are installed here once for all services.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from prometheus_client import make_asgi_app
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from eventing.business_metrics import label_shops
from eventing.data_keys import install_key_problems
from eventing.database import asyncpg_dsn
from eventing.health import DependencyChecks, health_router
from eventing.http.api_docs import install_api_docs
from eventing.http.auth import Authenticator
from eventing.http.contract_documents import install_contract_documents
from eventing.http.guard import EdgeGuard
from eventing.http.openapi import install_openapi
from eventing.http.openapi_metadata import declare_tags, install_metadata
from eventing.http.pagination import CursorSigning, cursor_key
from eventing.http.problems import install_problem_handlers
from eventing.http.request_metrics import RequestMetrics
from eventing.http.routing import include_flat
from eventing.http.server_spans import install_server_spans
from eventing.settings import ServiceSettings
from eventing.supervision import RestartPolicy, Supervisor
from eventing.supervision import Worker as Worker  # re-exported: the runtime types its list
from eventing.tracing import configure_tracing

Hook = Callable[[], Awaitable[None]]
WORKER_STOP_TIMEOUT_S = 15.0


def freeze_startup_heap() -> int:
    """Move every object alive after start-up (modules, the app, pools, caches: about 150k) out
    of the collector's reach, once per process; returns how many are frozen.

    CPython's full collection walks every tracked object, and it runs once a quarter more
    objects than the oldest generation holds have survived into it: a relay batch of 5,000
    events and their futures, kept alive for the batch's round trip, gets there within a few
    batches. Over a start-up heap that took 150-250 ms per collection (measured on 2 cores), a
    pause of the relay and of every request in flight. Frozen, the collection walks only what
    the process created since (`gc.freeze`, as Instagram does for its Django workers); what
    start-up made stays for the life of the process anyway. A process that starts a second app
    (a test session) does not freeze again: what it made in between may be garbage.
    """
    _freeze_once()
    return gc.get_freeze_count()


@functools.cache
def _freeze_once() -> None:
    gc.collect()
    gc.freeze()


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
    restart_policy: RestartPolicy | None = None,
) -> FastAPI:
    """A service's app with `/health`, `/ready`, `/metrics`, its routers and its workers.

    `on_startup` hooks run before the workers start; `on_shutdown` hooks after they stopped
    (dispose engines there). Workers run only when `settings.run_workers` is true, each under
    the supervisor (`app.state.workers`): restarted after a failure, reported by `/ready`.
    """
    checks = DependencyChecks(asyncpg_dsn(settings.database_url), settings.kafka_bootstrap_servers)
    supervisor = Supervisor(service, workers if settings.run_workers else (), restart_policy)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            for hook in on_startup:
                await hook()
            freeze_startup_heap()
            supervisor.start()
            yield
        finally:
            await supervisor.stop(WORKER_STOP_TIMEOUT_S)
            for hook in on_shutdown:
                await hook()
            await checks.close()

    secret = settings.auth_secret.get_secret_value()
    # Swagger UI and ReDoc from the service's own copies (`eventing.http.api_docs`), not a CDN.
    app = FastAPI(
        title=title, description=description, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.authenticator = Authenticator(secret)
    app.state.workers = supervisor
    install_problem_handlers(app)
    install_key_problems(app)
    install_metadata(app, settings.service_url(service), f"orderflow-{service}-service")
    install_openapi(app, declare_tags)
    install_api_docs(app)
    # Added last = outermost: the guard refuses bad text before cursors or routes see it, and
    # answers whatever escapes the problem handlers.
    app.add_middleware(CursorSigning, key=cursor_key(secret))
    app.add_middleware(EdgeGuard)
    # Outermost of ours: it times and counts every answer, the guard's included.
    app.add_middleware(RequestMetrics, service=service)
    label_shops(settings.metrics_shop_ids())
    include_flat(app, health_router(service, checks, supervisor.health))
    # `/metrics` answers itself (no 307 to `/metrics/`); the mount keeps `/metrics/` working.
    exposition = _Exposition(make_asgi_app())
    app.router.routes.append(Route(exposition.path, exposition, include_in_schema=False))
    app.mount(exposition.path, exposition)
    for router in routers:
        include_flat(app, router)
    install_contract_documents(app, settings)
    # The server span of each request is the root (or, given `traceparent`, the continuation)
    # of the trace its appended events carry on (`eventing.tracing`); probes stay untraced.
    configure_tracing(service)
    install_server_spans(app, excluded_urls="/health,/ready,/metrics")
    return app


class _Exposition:
    """The Prometheus exposition app as a route's endpoint (an instance, so Starlette hands it
    the raw ASGI call rather than a request). It names itself the scope's route, as FastAPI's
    routes do, so the HTTP metrics count scrapes under `/metrics`."""

    path = "/metrics"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("route", self)
        await self.app(scope, receive, send)
