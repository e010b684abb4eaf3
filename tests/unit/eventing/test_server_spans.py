"""Each request's server span is named by its route template once routed; probes untraced."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from eventing.http.server_spans import install_server_spans


def _traced_app() -> tuple[FastAPI, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"thing_id": thing_id}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    install_server_spans(app, excluded_urls="/health", tracer_provider=provider)
    return app, exporter


def test_the_server_span_is_named_by_the_route_template_not_the_path() -> None:
    app, exporter = _traced_app()

    assert TestClient(app).get("/v1/things/t-1").status_code == 200

    servers = [s for s in exporter.get_finished_spans() if s.name.startswith("GET")]
    assert [s.name for s in servers] == ["GET /v1/things/{thing_id}"]
    assert (servers[0].attributes or {}).get("http.route") == "/v1/things/{thing_id}"
    assert not [s for s in exporter.get_finished_spans() if s.name.endswith((" send", " receive"))]


def test_an_unrouted_request_keeps_the_method_alone_and_probes_are_not_traced() -> None:
    app, exporter = _traced_app()
    client = TestClient(app)

    assert client.get("/nowhere").status_code == 404
    assert client.get("/health").status_code == 200

    assert [s.name for s in exporter.get_finished_spans() if s.name.startswith("GET")] == ["GET"]
