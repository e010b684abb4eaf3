"""The HTTP metrics every service app records: route templates (never paths), problem types,
idempotent replays and conflicts counted apart, and `/metrics` answering without a redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel

from eventing.aggregate import VersionMismatch
from eventing.app import build_service_app
from eventing.events import StreamState
from eventing.http.commands import REPLAYED_HEADER
from eventing.http.problems import ProblemError
from eventing.settings import ServiceSettings
from eventing.store import WrongExpectedVersion

SERVICE = "metrics-unit"
ROUTE = "/v1/things/{thing_id}"


class Body(BaseModel):
    count: int


def things() -> APIRouter:
    router = APIRouter(prefix="/v1/things")

    @router.get("/{thing_id}")
    async def read(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise ProblemError(404, "thing-not-found", "No such thing")
        return {"thing_id": thing_id}

    @router.post("/{thing_id}")
    async def change(thing_id: str, body: Body) -> JSONResponse:
        if thing_id == "stale":
            raise VersionMismatch(thing_id, 1, 2)
        if thing_id == "raced":
            raise WrongExpectedVersion(thing_id, StreamState.NO_STREAM, 1)
        replayed = {REPLAYED_HEADER: "true"} if thing_id == "replayed" else {}
        return JSONResponse({"count": body.count}, 201, headers=replayed)

    return router


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        database_url="postgresql://nobody@127.0.0.1:1/none", run_workers=False
    )
    app = build_service_app(SERVICE, settings, title="t", description="d", routers=[things()])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as http:
        yield http


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": SERVICE, **labels}) or 0.0


async def test_requests_and_latency_are_labelled_by_route_template_not_path(
    client: httpx.AsyncClient,
) -> None:
    before = value("orderflow_http_requests_total", method="GET", route=ROUTE, status="200")
    timed = value("orderflow_http_request_duration_seconds_count", method="GET", route=ROUTE)
    for thing in ("t-1", "t-2", "t-3"):
        assert (await client.get(f"/v1/things/{thing}")).status_code == 200
    assert value("orderflow_http_requests_total", method="GET", route=ROUTE, status="200") == (
        before + 3
    )
    assert value("orderflow_http_request_duration_seconds_count", method="GET", route=ROUTE) == (
        timed + 3
    )
    page = (await client.get("/metrics")).text
    assert "t-1" not in page
    assert "/v1/things/t-2" not in page


async def test_errors_count_by_problem_type_and_an_unknown_path_as_unmatched(
    client: httpx.AsyncClient,
) -> None:
    labels = {"method": "GET", "route": ROUTE, "status": "404"}
    before = value("orderflow_http_problems_total", **labels, type="thing-not-found")
    invalid = {"method": "POST", "route": ROUTE, "status": "422", "type": "validation-error"}
    before_invalid = value("orderflow_http_problems_total", **invalid)
    unmatched = {"method": "GET", "route": "unmatched", "status": "404", "type": "not-found"}
    before_unmatched = value("orderflow_http_problems_total", **unmatched)
    odd = {"method": "other", "route": "unmatched", "status": "404"}
    before_odd = value("orderflow_http_requests_total", **odd)
    assert (await client.get("/v1/things/missing")).status_code == 404
    assert (await client.post("/v1/things/t-1", json={"count": "many"})).status_code == 422
    assert (await client.get("/v1/nothing/here-7")).status_code == 404
    assert (await client.request("BREW", "/v1/nothing/coffee")).status_code == 404
    assert value("orderflow_http_problems_total", **labels, type="thing-not-found") == before + 1
    assert value("orderflow_http_problems_total", **invalid) == before_invalid + 1
    assert value("orderflow_http_problems_total", **unmatched) == before_unmatched + 1
    assert value("orderflow_http_requests_total", **odd) == before_odd + 1  # not a label "BREW"


async def test_conflicts_and_replays_are_counted_apart(client: httpx.AsyncClient) -> None:
    stale = {"method": "POST", "route": ROUTE, "status": "412", "type": "version-mismatch"}
    raced = {"method": "POST", "route": ROUTE, "status": "409", "type": "concurrency-conflict"}
    replay = {"method": "POST", "route": ROUTE, "status": "201"}
    before = (
        value("orderflow_http_conflicts_total", **stale),
        value("orderflow_http_conflicts_total", **raced),
        value("orderflow_http_idempotent_replays_total", **replay),
    )
    for thing, status in (("stale", 412), ("raced", 409), ("replayed", 201), ("fresh", 201)):
        assert (await client.post(f"/v1/things/{thing}", json={"count": 1})).status_code == status
    assert (
        value("orderflow_http_conflicts_total", **stale),
        value("orderflow_http_conflicts_total", **raced),
        value("orderflow_http_idempotent_replays_total", **replay),
    ) == (before[0] + 1, before[1] + 1, before[2] + 1)


async def test_metrics_answer_without_the_slash_and_with_it(client: httpx.AsyncClient) -> None:
    bare = await client.get("/metrics")
    slashed = await client.get("/metrics/")
    assert (bare.status_code, slashed.status_code) == (200, 200)
    names = {family.name for family in text_string_to_metric_families(bare.text)}
    assert {"orderflow_http_requests", "orderflow_events_recorded"} <= names
