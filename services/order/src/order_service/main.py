"""Wiring of the order service: settings, application, lifespan (for uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI

from eventing.app import build_service_app
from eventing.settings import ServiceSettings

SERVICE = "order"


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory order_service.main:create_app`."""
    return build_service_app(
        SERVICE,
        settings or ServiceSettings(),
        title="Order service",
        description=(
            "Placement, stock, payment, presale, address change, cancellation, receipt, rating."
        ),
    )
