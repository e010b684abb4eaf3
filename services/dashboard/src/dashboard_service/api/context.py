"""What the routes share: the dashboard's parts on the app, who may look, whose figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from dashboard_service.live import AppliedBroadcast
from dashboard_service.settings import DashboardSettings
from eventing.clock import Clock, refresh_clock
from eventing.http.access import forbidden
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.paths import identifier_query
from eventing.periods import PeriodRefused


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The parts of one dashboard process the routes use (`app.state.dashboard`)."""

    settings: DashboardSettings
    engine: AsyncEngine
    clock: Clock
    broadcast: AppliedBroadcast

    async def now(self) -> datetime:
        await refresh_clock(self.clock)  # the movable clock: another process may have moved it
        return self.clock.now()


# async, as every dependency: FastAPI runs a plain `def` one in its thread pool (issue 19).
async def _dashboard(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


Parts = Annotated[Dashboard, Depends(_dashboard)]
Viewer = Annotated[
    Caller, Depends(require_roles(Role.SELLER, Role.PLATFORM, Role.OPS, Role.SYSTEM))
]
"""Sellers (their own shop) and the platform, ops and system (any shop, the platform)."""
ShopQuery = Annotated[
    str | None, identifier_query("The shop; omit for the whole platform (not for sellers).")
]


def figures_scope(caller: Caller, shop_id: str | None) -> str | None:
    """The shop whose figures `caller` asked for (None: the platform's), or 403."""
    if caller.role is Role.SELLER:
        if shop_id is None:
            raise forbidden("a seller sees their own shop's figures only: name it (shop_id)")
        if shop_id != caller.shop_id:
            raise forbidden("a seller sees their own shop's figures only")
    return shop_id


def own_shop(caller: Caller) -> str | None:
    """The one shop a seller's lists and notices are limited to (None: every shop)."""
    return caller.shop_id if caller.role is Role.SELLER else None


def zone_of(name: str | None, parts: Dashboard) -> ZoneInfo:
    """The request's zone (`tz`, already a known `TimeZoneName`) or `DASHBOARD_TIME_ZONE`."""
    return ZoneInfo(name or parts.settings.dashboard_time_zone)


def bad_query(refused: PeriodRefused) -> RequestValidationError:
    """A refused period as the 422 `validation-error` every other bad query gets (the order
    service's figures answer the same)."""
    return RequestValidationError(
        [{"loc": ("query", refused.parameter), "msg": refused.reason, "type": "value_error"}]
    )
