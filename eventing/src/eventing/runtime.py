"""One service process's runtime, wired from its settings in one place.

A service's `main.create_app` builds a `ServiceRuntime`, registers its subscriptions (policies,
read models) and deadline handlers, and asks it for the FastAPI app; the runtime owns the
engine, clock, event store, outbox relay, idempotency store, command runner and deadline
scheduler, and runs the background workers in the app's lifespan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from fastapi import APIRouter, FastAPI

from contracts.parties import Service
from eventing.access_log import AccessLog
from eventing.app import Worker, build_service_app
from eventing.clock import clock_for
from eventing.codec import ContractsCodec
from eventing.database import asyncpg_dsn, create_engine
from eventing.deadlines import (
    DeadlineHandler,
    DeadlineScheduler,
    DeadlineWorker,
    DeadlineWorkerOptions,
)
from eventing.encoding import cloudevents_encoder
from eventing.http.commands import CommandRunner
from eventing.idempotency import IdempotencyStore
from eventing.relay import OutboxRelay, RelayOptions
from eventing.settings import ServiceSettings
from eventing.store import EventStore
from eventing.subscriptions import BatchHandler, Handler, Subscription, SubscriptionOptions


class ServiceRuntime:
    """The shared machinery of one service process (see the module docstring)."""

    def __init__(
        self,
        service: Service,
        settings: ServiceSettings,
        *,
        pool_size: int = 10,
        relay_options: RelayOptions | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.engine = create_engine(settings.database_url, pool_size=pool_size)
        clock_url = settings.clock_database_url if settings.clock == "database" else None
        self.clock_engine = (
            create_engine(clock_url, pool_size=1, max_overflow=2) if clock_url else None
        )
        self.clock = clock_for(settings, self.clock_engine or self.engine)
        self.codec = ContractsCodec()
        self.store = EventStore(self.engine, topic=settings.topic(service), clock=self.clock)
        self.idempotency = IdempotencyStore(self.engine, self.clock)
        self.commands = CommandRunner(self.engine, self.idempotency, self.clock)
        self.deadlines = DeadlineScheduler(self.engine)
        self.access_log = AccessLog(self.engine, service.value)
        self.relay = OutboxRelay(
            asyncpg_dsn(settings.database_url),
            settings.kafka_bootstrap_servers,
            cloudevents_encoder(service.source, settings.schemas_base(service)),
            relay_options or RelayOptions(name=service.value),
        )
        self._workers: list[Worker] = [self.relay]

    @property
    def workers(self) -> tuple[Worker, ...]:
        return tuple(self._workers)

    def subscribe(
        self,
        purpose: str,
        topics: Sequence[Service],
        handler: Handler,
        options: SubscriptionOptions | None = None,
        *,
        batch_handler: BatchHandler | None = None,
    ) -> Subscription:
        """Run `handler` over the topics of `topics` in group `<prefix><service>.<purpose>`
        (with `batch_handler`, a whole partition batch at once when it succeeds)."""
        group = self.settings.consumer_group(self.service, purpose)
        names = tuple(self.settings.topic(source) for source in topics)
        chosen = replace(options, group=group, topics=names) if options else None
        subscription = Subscription(
            self.engine,
            self.settings.kafka_bootstrap_servers,
            chosen or SubscriptionOptions(group=group, topics=names),
            handler,
            batch_handler=batch_handler,
        )
        self._workers.append(subscription)
        return subscription

    def fire_deadlines(
        self,
        handlers: Mapping[str, DeadlineHandler],
        options: DeadlineWorkerOptions | None = None,
    ) -> DeadlineWorker:
        """Fire due deadlines of the kinds in `handlers` (on the service's clock)."""
        worker = DeadlineWorker(self.engine, self.clock, handlers, options)
        self._workers.append(worker)
        return worker

    def app(self, *, title: str, description: str, routers: Sequence[APIRouter] = ()) -> FastAPI:
        """The service's FastAPI app running this runtime's workers; `app.state.runtime`."""
        application = build_service_app(
            self.service.value,
            self.settings,
            title=title,
            description=description,
            routers=routers,
            workers=self.workers,
            on_shutdown=[self.close],
        )
        application.state.runtime = self
        application.state.access_log = self.access_log
        return application

    async def close(self) -> None:
        await self.engine.dispose()
        if self.clock_engine is not None:
            await self.clock_engine.dispose()
