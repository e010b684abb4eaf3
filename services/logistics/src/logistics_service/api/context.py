"""What the API needs from the rest of the service, handed to the routers at wiring time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from eventing.events import EventMetadata
from eventing.http.auth import Caller, Role
from eventing.runtime import ServiceRuntime
from logistics_service.application.shipments import Acting, ShipmentCommands
from logistics_service.application.shop_policies import ShippingPolicies
from logistics_service.application.waybills import WaybillIndex
from logistics_service.settings import LogisticsSettings

CORRELATION_HEADER = "X-Correlation-Id"


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The service's parts the endpoints use."""

    runtime: ServiceRuntime
    settings: LogisticsSettings
    shipments: ShipmentCommands
    policies: ShippingPolicies
    waybills: WaybillIndex


def api_context(request: Request) -> ApiContext:
    """FastAPI dependency: the service's parts, set on `app.state` by the wiring."""
    context: ApiContext = request.app.state.logistics
    return context


Context = Annotated[ApiContext, Depends(api_context)]


def acting(caller: Caller, request: Request) -> Acting:
    """Metadata for events the caller causes (ops act as the platform, with their id); a
    seller may act on their own shop's shipments only."""
    correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
    metadata = EventMetadata(
        correlation_id=correlation_id, actor=caller.actor.value, actor_id=caller.subject
    )
    return Acting(metadata, caller.shop_id if caller.role is Role.SELLER else None)
