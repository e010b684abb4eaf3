"""The three services run side by side on one PostgreSQL and Kafka and answer as one system."""

from __future__ import annotations

import httpx
import pytest

from contracts.parties import SERVICES
from localinfra.system import System

pytestmark = pytest.mark.e2e


async def test_every_service_is_ready_and_serves_its_openapi_and_metrics(system: System) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for service in SERVICES:
            ready = await http.get(f"{system.url(service)}/ready")
            assert ready.json()["checks"]["postgres"]["status"] == "up"
            openapi = (await http.get(f"{system.url(service)}/openapi.json")).json()
            assert "Problem" in openapi["components"]["schemas"]
            metrics = await http.get(f"{system.url(service)}/metrics/")
            assert "eventing_events_appended_total" in metrics.text


async def test_a_request_without_a_token_is_a_401_problem(system: System) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for service in SERVICES:
            response = await http.get(f"{system.url(service)}/v1/this-route-does-not-exist")
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"
