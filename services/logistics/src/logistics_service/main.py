"""Wiring of the logistics service: settings, application, lifespan (for uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI

from eventing.app import build_service_app
from eventing.settings import ServiceSettings

SERVICE = "logistics"


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory logistics_service.main:create_app`."""
    return build_service_app(
        SERVICE,
        settings or ServiceSettings(),
        title="Logistics service",
        description=(
            "Shipments: ship-by SLA, dispatch, tracking, delivery exceptions and delivery."
        ),
    )
