"""What the routes share: the service's kit, the roles that may call, path parameters (the
order and shop ids are `eventing.http.paths`'s, shared by every service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from contracts.events.base import LogisticsEvent
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.paths import identifier_path
from eventing.http.problems import ProblemError
from eventing.service import ServiceKit, kit_of
from logistics_service.domain import Shipment, ShipmentCommand, ShippingWindow
from logistics_service.settings import LogisticsSettings

LogisticsKit = ServiceKit[
    ShipmentCommand, LogisticsEvent, Shipment, ShippingWindow, LogisticsSettings
]


# async, as every dependency: FastAPI runs a plain `def` one in its thread pool (issue 19).
async def logistics_kit(request: Request) -> LogisticsKit:
    kit: LogisticsKit = kit_of(request)
    return kit


Kit = Annotated[LogisticsKit, Depends(logistics_kit)]

ExceptionId = Annotated[str, identifier_path("The exception id.")]

Shippers = Annotated[Caller, Depends(require_roles(Role.SELLER, Role.SYSTEM))]
Trackers = Annotated[Caller, Depends(require_roles(Role.SELLER, Role.SYSTEM, Role.PLATFORM))]
Feeds = Annotated[Caller, Depends(require_roles(Role.SYSTEM, Role.PLATFORM))]
Staff = Annotated[Caller, Depends(require_roles(Role.SELLER, Role.PLATFORM, Role.OPS, Role.SYSTEM))]


def shipment_not_found(order_id: str) -> ProblemError:
    return ProblemError(
        404, "shipment-not-found", "No such shipment", f"no shipment is known for order {order_id}"
    )
