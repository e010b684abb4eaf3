"""Each service answers liveness and readiness from its real dependencies."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from contracts.parties import SERVICES, Service
from eventing.service import manifest_of
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _app(service: Service, database_url: str, kafka: str) -> FastAPI:
    # Readiness only: no relay, subscriptions or deadline workers on the shared databases.
    manifest = manifest_of(service)
    settings = manifest.settings(
        database_url=database_url, kafka_bootstrap_servers=kafka, run_workers=False
    )
    return manifest.create_app(settings)


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.get(path)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_is_ready_when_its_database_and_the_broker_answer(
    service: Service, infra: InfraEndpoints
) -> None:
    app = _app(service, infra.postgres_dsn(service), infra.kafka_bootstrap)
    answer = await _get(app, "/ready")
    assert answer.status_code == 200
    assert answer.json()["checks"]["postgres"]["status"] == "up"
    assert answer.json()["checks"]["kafka"]["status"] == "up"
    assert (await _get(app, "/health")).json() == {"status": "ok", "service": service}


async def test_a_service_is_not_ready_without_the_broker_and_says_why(
    infra: InfraEndpoints,
) -> None:
    app = _app(Service.ORDER, infra.postgres_dsn("order"), f"127.0.0.1:{_free_port()}")
    answer = await _get(app, "/ready")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/dependency-unavailable")
    assert problem["checks"]["kafka"]["status"] == "down"
    assert problem["checks"]["postgres"]["status"] == "up"
