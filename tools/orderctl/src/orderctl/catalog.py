"""What orderctl knows about the services' code: their manifests (`eventing.service`).

Projections are the manifest's `projections` (a read side's, such as the dashboard's, its
`<name>_service.projections.PROJECTIONS`: it has no manifest, being no producer). A dead
letter is retried with the handler of the group that failed it, as the service itself wires
it: `manifest.wire(settings).handlers` maps every consumer group (read models and reactions)
to its handler, built with orderctl's settings and never started. Tests pass a catalog of their
own to `build_app`.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from contracts.parties import SERVICES, Service
from eventing.projections import Projection
from eventing.service import AnyManifest, manifest_of
from eventing.settings import ServiceSettings
from eventing.subscriptions import Handler
from orderctl.errors import BadInput, OrderctlError
from orderctl.settings import OrderctlSettings, Owner, ReadSide

RETRY_SUFFIX = ".retry"
Settings = TypeVar("Settings", bound=ServiceSettings)


def parse_service(name: str) -> Service:
    """The service an operator named (order, logistics, aftersales)."""
    try:
        return Service(name.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in SERVICES)
        raise BadInput(f"unknown service {name!r}: use one of {known}") from None


def parse_owner(name: str) -> Owner:
    """The service or read side an operator named (order, logistics, aftersales, dashboard)."""
    try:
        return ReadSide(name.strip().lower())
    except ValueError:
        pass
    try:
        return parse_service(name)
    except BadInput:
        known = ", ".join((*(s.value for s in SERVICES), *(r.value for r in ReadSide)))
        raise BadInput(f"unknown service {name!r}: use one of {known}") from None


def base_group(group: str) -> str:
    """The group whose handler applies a dead letter (a retry group retries its base's)."""
    while group.endswith(RETRY_SUFFIX):
        group = group.removesuffix(RETRY_SUFFIX)
    return group


def service_settings(
    settings: OrderctlSettings, service: Service, kind: type[Settings]
) -> Settings:
    """The service's own settings pointing where orderctl points (workers off)."""
    values: dict[str, Any] = {
        "database_url": settings.database(service),
        "kafka_bootstrap_servers": settings.bootstrap,
        "consumer_group_prefix": settings.group_prefix,
        "run_workers": False,
        **{f"topic_{s.value}": settings.topic(s) for s in SERVICES},
    }
    return kind(**values)


class Catalog:
    """The services' projections and handlers, read from their manifests."""

    def manifest(self, service: Service) -> AnyManifest:
        try:
            return manifest_of(service)
        except Exception as error:
            # The service's own code failed to import: say so in one line, not a traceback.
            raise OrderctlError(
                f"cannot load the {service.value} service: {type(error).__name__}: {error}"
            ) from None

    def projections(self, service: Owner) -> tuple[Projection, ...]:
        if isinstance(service, Service):
            return self.manifest(service).projections
        try:
            module = importlib.import_module(f"{service.value}_service.projections")
        except Exception as error:
            raise OrderctlError(
                f"cannot load the {service.value}: {type(error).__name__}: {error}"
            ) from None
        projections: tuple[Projection, ...] = module.PROJECTIONS
        return projections

    def projection(self, service: Owner, name: str | None) -> Projection:
        """The projection `name` of `service` (None: its only one)."""
        found = self.projections(service)
        if name is None and len(found) == 1:
            return found[0]
        for projection in found:
            if projection.name == name:
                return projection
        known = ", ".join(p.name for p in found) or "none yet"
        if name is None:
            raise BadInput(f"name the projection of the {service.value} service (known: {known})")
        raise BadInput(
            f"unknown projection {name!r} of the {service.value} service (known: {known})"
        )

    @asynccontextmanager
    async def handlers(
        self, settings: OrderctlSettings, service: Service
    ) -> AsyncIterator[Mapping[str, Handler]]:
        """Every consumer group of the service and its handler, as the service wires them."""
        manifest = self.manifest(service)
        wiring = manifest.wire(service_settings(settings, service, manifest.settings))
        try:
            yield wiring.handlers
        finally:
            await wiring.runtime.close()

    @asynccontextmanager
    async def handler(
        self, settings: OrderctlSettings, service: Service, group: str
    ) -> AsyncIterator[Handler]:
        """The handler that applies `group`'s events, or `BadInput` saying what is missing."""
        wanted = base_group(group)
        async with self.handlers(settings, service) as handlers:
            if wanted not in handlers:
                known = ", ".join(sorted(handlers)) or "none"
                raise BadInput(
                    f"no handler for group {wanted!r} in the {service.value} service"
                    f" (its groups: {known})"
                )
            yield handlers[wanted]
