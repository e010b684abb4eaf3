"""Wiring of the aftersales service: settings, application, lifespan (for uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI

from eventing.app import build_service_app
from eventing.settings import ServiceSettings

SERVICE = "aftersales"


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory aftersales_service.main:create_app`."""
    return build_service_app(
        SERVICE,
        settings or ServiceSettings(),
        title="Aftersales service",
        description="Refund cases, returns, time-outs, disputes and platform rulings.",
    )
