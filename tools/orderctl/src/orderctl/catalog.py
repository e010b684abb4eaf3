"""What orderctl knows about the services' code: their projections and subscription handlers.

Projections come from `<service>_service.projections.PROJECTIONS` (eventing.projections). A
dead letter is retried with the handler of the group that failed it: a projection's group
`<prefix><service>.<projection name>` has the projector on the live tables; any other group's
handler is found in the service's own wiring (`create_app(settings).state.runtime`, the
`eventing.runtime.ServiceRuntime` whose subscriptions hold group and handler), built with
orderctl's settings but never started. Tests pass a catalog of their own to `build_app`.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.projections import Projection, service_projections
from eventing.settings import ServiceSettings
from eventing.subscriptions import Handler, Subscription
from orderctl.errors import BadInput, OrderctlError
from orderctl.settings import SERVICES, OrderctlSettings

RETRY_SUFFIX = ".retry"


def parse_service(name: str) -> Service:
    """The service an operator named (order, logistics, aftersales)."""
    try:
        return Service(name.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in SERVICES)
        raise BadInput(f"unknown service {name!r}: use one of {known}") from None


def projection_handler(projection: Projection) -> Handler:
    """The projection's projector writing to its live tables, as a subscription handler."""
    live = {table: table for table in projection.tables.tables}
    projector = projection.tables.projector

    async def handle(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await projector(event, connection, live)

    return handle


def base_group(group: str) -> str:
    """The group whose handler applies a dead letter (a retry group retries its base's)."""
    while group.endswith(RETRY_SUFFIX):
        group = group.removesuffix(RETRY_SUFFIX)
    return group


def _settings_class(service: Service) -> type[ServiceSettings]:
    try:
        module = importlib.import_module(f"{service.value}_service.settings")
    except ModuleNotFoundError:
        return ServiceSettings
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value is not ServiceSettings
        ):
            return value
    return ServiceSettings


def service_settings(settings: OrderctlSettings, service: Service) -> ServiceSettings:
    """The service's own settings pointing where orderctl points (workers off)."""
    values: dict[str, Any] = {
        "database_url": settings.database(service),
        "kafka_bootstrap_servers": settings.bootstrap,
        "consumer_group_prefix": settings.group_prefix,
        "run_workers": False,
        **{f"topic_{s.value}": settings.topic(s) for s in SERVICES},
    }
    return _settings_class(service)(**values)


class Catalog:
    """The services' projections and handlers, discovered from their packages."""

    def projections(self, service: Service) -> tuple[Projection, ...]:
        try:
            return service_projections(service)
        except ModuleNotFoundError as error:
            if error.name != f"{service.value}_service.projections":
                raise OrderctlError(
                    f"cannot load the {service.value} projections: {error}"
                ) from None
            return ()  # the service declares no read model yet
        except AttributeError:
            return ()
        except Exception as error:
            # The service's own code failed to import: say so in one line, not a traceback.
            raise OrderctlError(
                f"cannot load the {service.value} projections: {type(error).__name__}: {error}"
            ) from None

    def projection(self, service: Service, name: str) -> Projection:
        found = self.projections(service)
        for projection in found:
            if projection.name == name:
                return projection
        known = ", ".join(p.name for p in found) or "none yet"
        raise BadInput(
            f"unknown projection {name!r} of the {service.value} service (known: {known})"
        )

    @asynccontextmanager
    async def handler(
        self, settings: OrderctlSettings, service: Service, group: str
    ) -> AsyncIterator[Handler]:
        """The handler that applies `group`'s events, or `BadInput` saying what is missing."""
        wanted = base_group(group)
        for projection in self.projections(service):
            if wanted == f"{settings.group_prefix}{service.value}.{projection.name}":
                yield projection_handler(projection)
                return
        async with self._wired_handlers(settings, service) as handlers:
            if wanted not in handlers:
                known = ", ".join(sorted(handlers)) or "none"
                raise BadInput(
                    f"no handler for group {wanted!r} in the {service.value} service"
                    f" (its groups: {known})"
                )
            yield handlers[wanted]

    @asynccontextmanager
    async def _wired_handlers(
        self, settings: OrderctlSettings, service: Service
    ) -> AsyncIterator[dict[str, Handler]]:
        module = importlib.import_module(f"{service.value}_service.main")
        app = module.create_app(service_settings(settings, service))
        runtime = getattr(app.state, "runtime", None)
        if runtime is None:
            yield {}
            return
        try:
            yield {
                worker.options.group: worker.handler
                for worker in runtime.workers
                if isinstance(worker, Subscription)
            }
        finally:
            await runtime.close()
