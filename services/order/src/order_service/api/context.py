"""What the order routes share: the typed kit, the callers each kind of command admits, and the
problems a command route may answer."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from eventing.http.auth import Caller, Role, require_roles
from eventing.http.problems import problem_responses
from eventing.service import kit_of
from order_service.application.commands import OrderKit


# async, as every dependency: FastAPI runs a plain `def` one in its thread pool (issue 19).
async def order_kit(request: Request) -> OrderKit:
    return cast(OrderKit, kit_of(request))


Kit = Annotated[OrderKit, Depends(order_kit)]

Buyer = Annotated[Caller, Depends(require_roles(Role.BUYER, Role.PLATFORM))]
BuyerOnly = Annotated[Caller, Depends(require_roles(Role.BUYER))]
Payer = Annotated[Caller, Depends(require_roles(Role.BUYER, Role.PLATFORM, Role.SYSTEM))]
AddressEditor = Annotated[Caller, Depends(require_roles(Role.BUYER, Role.SELLER, Role.PLATFORM))]
ShopOrBuyer = Annotated[
    Caller, Depends(require_roles(Role.BUYER, Role.SELLER, Role.PLATFORM, Role.SYSTEM))
]
Placer = ShopOrBuyer
ShopStaff = Annotated[Caller, Depends(require_roles(Role.SELLER, Role.PLATFORM))]

COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 422)
