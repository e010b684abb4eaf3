"""A service declared once: its manifest, and the kit its endpoints, reactions and deadlines use.

Each service's `main.py` exports one `ServiceManifest`: the aggregate's rules, the shop-policy
defaults, the read models with their topics, the reactions to other services' events, the
deadline handlers and the routers. `wire(manifest, settings)` builds the runtime and the one
`ServiceKit` from it (an inline read model becomes a hook on the runtime's event store, any
other a subscription); `create_app` (`uvicorn --factory <service>_service.main:create_app`) adds
the HTTP app. orderctl reads the same manifests, so operators and the service agree on every
consumer group and handler.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.events.base import EventPayload
from contracts.parties import Service
from eventing.aggregate import Decision
from eventing.data_keys import DataKeySource, PersonalData, remote_data_keys
from eventing.deadlines import DeadlineHandler, DeadlineWorkerOptions
from eventing.handler import AggregateRules, CommandHandler, CommandSource
from eventing.http import access_audit
from eventing.http.auth import Caller
from eventing.http.commands import CommandResult
from eventing.http.endpoints import request_acting
from eventing.logs import configure_logging
from eventing.projections import Projection
from eventing.runtime import ServiceRuntime
from eventing.settings import ServiceSettings
from eventing.shop_policies import ShopPolicies, ShopPolicyModel, shop_policy_router
from eventing.subscriptions import Handler

C = TypeVar("C")
E = TypeVar("E", bound=EventPayload)
S = TypeVar("S")
D = TypeVar("D")
Cfg = TypeVar("Cfg", bound=ServiceSettings)

StreamOf = str | Callable[[AsyncConnection], Awaitable[str]]
"""The stream a command goes to, or how to find it in the transaction (e.g. a case's order)."""


@dataclass(frozen=True)
class ServiceKit(Generic[C, E, S, D, Cfg]):
    """What a service's endpoints, reactions and deadline handlers work with."""

    runtime: ServiceRuntime
    settings: Cfg
    commands: CommandHandler[C, E, S, D]
    policies: ShopPolicies[D]
    personal_data: PersonalData
    """Opens sealed personal data for the views that may show it (contracts.sealing)."""

    @property
    def engine(self) -> AsyncEngine:
        return self.runtime.engine

    async def run_command(
        self,
        request: Request,
        caller: Caller,
        key: str,
        stream: StreamOf,
        command: CommandSource[C, S, D],
        answer: Callable[[Decision[S, E]], CommandResult],
        *,
        expected_version: int | None = None,
        shop_id: str | None = None,
        creates: bool = False,
    ) -> JSONResponse:
        """One command endpoint: Idempotency-Key, If-Match, the caller as the acting party,
        one transaction; `answer` turns the decision into the response (`shop_id`, `creates`:
        as `CommandHandler.execute` takes them)."""
        acting = request_acting(request, caller)

        async def work(connection: AsyncConnection) -> CommandResult:
            stream_id = stream if isinstance(stream, str) else await stream(connection)
            decision = await self.commands.execute(
                connection,
                stream_id,
                command,
                acting,
                expected_version=expected_version,
                shop_id=shop_id,
                creates=creates,
            )
            return answer(decision)

        return await self.runtime.commands.run(request, key, caller, work)


@dataclass(frozen=True)
class Reaction(Generic[C, E, S, D, Cfg]):
    """A cross-service rule: `handler(kit)` applies the events of `topics` in group
    `<prefix><service>.<name>`, running commands through the kit."""

    name: str
    topics: tuple[Service, ...]
    handler: Callable[[ServiceKit[C, E, S, D, Cfg]], Handler]


@dataclass(frozen=True)
class ServiceManifest(Generic[C, E, S, D, Cfg]):
    """Everything that makes one service (see the module docstring)."""

    service: Service
    title: str
    description: str
    settings: type[Cfg]
    rules: Callable[[ServiceRuntime, Cfg], AggregateRules[C, E, S, D]]
    default_policy: Callable[[Cfg], ShopPolicyModel[D]]
    policy_title: str
    projections: tuple[Projection, ...]
    reactions: tuple[Reaction[C, E, S, D, Cfg], ...]
    deadlines: Callable[[ServiceKit[C, E, S, D, Cfg]], Mapping[str, DeadlineHandler]]
    routers: tuple[APIRouter, ...]
    pool_size: int = 10
    data_keys: Callable[[ServiceRuntime, Cfg], DataKeySource] | None = None
    """Where the service's data keys come from: its own custodian (the order service), or by
    default the custodian's HTTP API at KEY_CUSTODIAN_URL (eventing.data_keys)."""

    def wire(self, settings: Cfg | None = None) -> Wiring[C, E, S, D, Cfg]:
        """The runtime and kit of one process, workers registered but not started."""
        chosen = settings if settings is not None else self.settings()  # from the environment
        runtime = ServiceRuntime(self.service, chosen, pool_size=self.pool_size)
        policies = ShopPolicies(self.default_policy(chosen))
        commands = CommandHandler(
            runtime.store, self.rules(runtime, chosen), policies, runtime.clock, runtime.codec
        )
        keys = (
            self.data_keys(runtime, chosen)
            if self.data_keys is not None
            else remote_data_keys(self.service.value, chosen)
        )
        kit = ServiceKit(runtime, chosen, commands, policies, PersonalData(keys))
        handlers: dict[str, Handler] = {}
        for projection in self.projections:
            if projection.inline:
                if projection.topics != (self.service,):
                    raise ValueError(
                        f"projection {projection.name!r} is inline, so it can read only the "
                        f"{self.service.value} service's own events (DESIGN.md rule 6)"
                    )
                runtime.store.after_append(projection.inline_hook(runtime.codec))
                continue
            subscription = runtime.subscribe(
                projection.group,
                projection.topics,
                projection.live_handler(),
                batch_handler=projection.live_batch_handler(),
            )
            handlers[subscription.options.group] = subscription.handler
        for reaction in self.reactions:
            subscription = runtime.subscribe(reaction.name, reaction.topics, reaction.handler(kit))
            handlers[subscription.options.group] = subscription.handler
        deadline_handlers = self.deadlines(kit)
        if deadline_handlers:
            runtime.fire_deadlines(
                deadline_handlers,
                DeadlineWorkerOptions(poll_interval=chosen.deadline_poll_interval),
            )
        return Wiring(self, runtime, kit, handlers)

    def create_app(self, settings: Cfg | None = None) -> FastAPI:
        """The service's ASGI app with its workers in the lifespan; `app.state.kit`. Every
        service process starts here (`uvicorn --factory`), so its logging is set up here too,
        at the settings' `LOG_LEVEL`."""
        chosen = settings if settings is not None else self.settings()  # from the environment
        configure_logging(chosen.log_level)
        return self.wire(chosen).app()


@dataclass(frozen=True)
class Wiring(Generic[C, E, S, D, Cfg]):
    """One process's runtime and kit; `handlers` maps each consumer group to its handler."""

    manifest: ServiceManifest[C, E, S, D, Cfg]
    runtime: ServiceRuntime
    kit: ServiceKit[C, E, S, D, Cfg]
    handlers: Mapping[str, Handler] = field(default_factory=dict)

    def app(self) -> FastAPI:
        manifest = self.manifest
        policy_router = shop_policy_router(
            self.runtime, self.kit.policies, what=manifest.policy_title
        )
        app = self.runtime.app(
            title=manifest.title,
            description=manifest.description,
            routers=(*manifest.routers, policy_router, access_audit.router),
        )
        app.state.kit = self.kit
        return app


AnyManifest = ServiceManifest[Any, Any, Any, Any, Any]
AnyKit = ServiceKit[Any, Any, Any, Any, Any]


def kit_of(request: Request) -> AnyKit:
    """The kit of the app serving `request` (set by `Wiring.app`); each service narrows its
    type with its own dependency in `api/context.py`."""
    kit: AnyKit = request.app.state.kit
    return kit


def manifest_of(service: Service | str) -> AnyManifest:
    """The manifest a service declares (`<service>_service.main.MANIFEST`)."""
    module = importlib.import_module(f"{Service(service).value}_service.main")
    manifest: AnyManifest = module.MANIFEST
    return manifest
