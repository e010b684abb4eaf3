"""The dashboard served by uvicorn in-process on a free port (its live stream needs a real
server: an in-memory transport answers only once the body has ended), fed by events published
to its own topics as the three producers would (`eventing.testing.service`)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import uvicorn

from contracts.events.base import EventPayload
from contracts.parties import SERVICES, Service
from contracts.values import Money
from dashboard_service.main import create_app
from dashboard_service.settings import DashboardSettings
from eventing.database import create_engine
from eventing.http.auth import Role
from eventing.testing import eventually
from eventing.testing.service import Headers, RunningService, example_event


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


class Dashboard(RunningService):
    """The running dashboard; `publish` sends upstream events to its topics as their producers
    would. (The dashboard produces nothing: RunningService's own-topic verbs do not apply.)"""

    def __init__(
        self,
        app: Any,
        client: httpx.AsyncClient,
        engine: Any,
        settings: DashboardSettings,
        server: uvicorn.Server,
        serve: asyncio.Task[None],
    ) -> None:
        super().__init__(Service.ORDER, client, engine, settings)
        self.app = app
        self._server = server
        self._serve = serve

    async def stop(self) -> None:
        """Shut the server down as SIGTERM would, and wait until it has."""
        self._server.should_exit = True
        await self._serve

    def viewer(self, role: Role = Role.PLATFORM, shop_id: str | None = None) -> Headers:
        return self.auth(role, f"{role.value}-1", shop_id)

    async def figures(self, caller: Headers | None = None, /, **query: str) -> dict[str, Any]:
        answer = await self.client.get("/v1/figures", params=query, headers=caller or self.viewer())
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def has_applied(self, count: int) -> None:
        """Until the figures subscription applied `count` events in all (nothing pending)."""
        subscription = self.app.state.subscription

        def done(applied: int) -> bool:
            return applied >= count

        async def probe() -> int:
            return int(subscription.applied)

        await eventually(probe, done, message=f"{count} events applied")


def free_socket() -> socket.socket:
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", 0))
    return listening


@asynccontextmanager
async def serving(
    settings: DashboardSettings, *, shutdown_grace: int | None = None
) -> AsyncIterator[Dashboard]:
    """The dashboard app with its subscription, on a real HTTP server, for the block; on
    shutdown the server waits `shutdown_grace` seconds for open answers (None: until they
    end), as `uvicorn --timeout-graceful-shutdown` does."""
    app = create_app(settings)
    listening = free_socket()
    port = listening.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, lifespan="on", timeout_graceful_shutdown=shutdown_grace
    )
    server = uvicorn.Server(config)
    serve = asyncio.create_task(server.serve(sockets=[listening]))
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        await eventually(lambda: _started(server), bool, message="dashboard serving")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield Dashboard(app, client, engine, settings, server, serve)
    finally:
        server.should_exit = True
        await serve
        listening.close()
        await engine.dispose()


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)


def dashboard_settings(infra: Any, database_url: str, topics: dict[str, str]) -> DashboardSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": infra.kafka_bootstrap,
        "clock": "database",
        "consumer_group_prefix": f"t{uuid.uuid4().hex[:8]}.",
        **topics,
    }
    return DashboardSettings(**values)


def topic_names(service_topics: dict[Service, str]) -> dict[str, str]:
    return {f"topic_{service.value}": service_topics[service] for service in SERVICES}


def event(event_type: str, order_id: str, shop_id: str, **changes: Any) -> EventPayload:
    """The contracts' example of `event_type` for this order and shop."""
    return example_event(event_type, order_id=order_id, shop_id=shop_id, **changes)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
