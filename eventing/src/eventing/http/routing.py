"""Routers added to an app as plain routes.

Since FastAPI 0.137 `include_router` keeps each router as a lazily resolved node
(`_IncludedRouter`) that every request walks: the router's route version is recomputed, its
routes matched once to pick the branch and again to pick the route, and OpenTelemetry's FastAPI
instrumentation matches every route once more to name the span. With the services' dozen
routers that was a fifth of the CPU of a `GET /v1/orders/{id}` (issue 19, item 4). Our routers
carry everything on their routes (prefix, tags and responses are applied when a route is
added to its router; none has router-level dependencies or nested routers), so the routes
are appended to the app's own router as they are, and Starlette matches them in one pass.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route


def include_flat(app: FastAPI, router: APIRouter) -> None:
    """Add `router`'s routes to `app` as its own routes (see the module docstring)."""
    if router.dependencies:
        raise ValueError("router-level dependencies would be lost; put them on the routes")
    for route in router.routes:
        app.router.routes.append(_plain(route))


def _plain(route: BaseRoute) -> BaseRoute:
    if not isinstance(route, APIRoute | Route | Mount):
        raise TypeError(f"only plain routes can be flattened, not {type(route).__name__}")
    return route
