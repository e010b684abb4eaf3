"""Every service app's routes are plain routes: no router node resolved per request."""

from __future__ import annotations

import importlib

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from eventing.http.routing import include_flat


def test_a_flattened_router_answers_under_its_prefix_with_its_tags() -> None:
    router = APIRouter(prefix="/v1/things", tags=["things"])

    @router.get("/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"thing_id": thing_id}

    app = FastAPI()
    include_flat(app, router)

    assert all(isinstance(route, APIRoute | Route | Mount) for route in app.routes)
    assert TestClient(app).get("/v1/things/t-1").json() == {"thing_id": "t-1"}
    operation = app.openapi()["paths"]["/v1/things/{thing_id}"]["get"]
    assert operation["tags"] == ["things"]


def test_a_router_with_its_own_dependencies_is_refused() -> None:
    async def dependency() -> None:
        return None

    router = APIRouter(dependencies=[Depends(dependency)])
    with pytest.raises(ValueError, match="router-level dependencies"):
        include_flat(FastAPI(), router)


@pytest.mark.parametrize("service", ["order", "logistics", "aftersales", "dashboard"])
def test_every_service_app_has_plain_routes_only(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/none")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    module = importlib.import_module(f"{service}_service.main")
    app: FastAPI = module.create_app()
    kinds = {type(route).__name__ for route in app.routes}
    assert kinds <= {"APIRoute", "Route", "Mount"}, kinds
