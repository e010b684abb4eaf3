"""What the services publish about themselves, checked without a network: the offline docs
pages, the contracts over HTTP, the OpenAPI metadata and the `ce_dataschema` the relay writes."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]  # no stubs; the lock has no types-jsonschema
import pytest
from fastapi import FastAPI

from contracts import REGISTRY
from contracts.envelope import SCHEMA_BASE_URI, SEQUENCE_DIGITS, format_sequence
from contracts.parties import Service
from contracts.schemas import VENDOR_KEYWORDS, schema_files
from eventing.encoding import cloudevents_encoder
from eventing.events import EventMetadata, RecordedEvent
from eventing.http.api_docs import ASSETS, ASSETS_PATH
from eventing.http.openapi_metadata import TAG_DESCRIPTIONS
from eventing.service import manifest_of
from eventing.settings import ServiceSettings

SERVICES = ("order", "logistics", "aftersales")
_METHODS = frozenset({"get", "put", "post", "delete", "patch"})


@pytest.fixture(scope="module", params=SERVICES)
def app(request: pytest.FixtureRequest) -> FastAPI:
    manifest = manifest_of(request.param)
    # Building the app connects to nothing; the URL is never used.
    settings = manifest.settings(
        database_url="postgresql://nobody@127.0.0.1:1/none",
        public_url=f"https://{request.param}.shop.example",
    )
    return manifest.create_app(settings)


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.get(path)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_refer_only_to_assets_the_service_serves(
    app: FastAPI, page: str
) -> None:
    html = (await _get(app, page)).text
    referenced = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    referenced += re.findall(r"""url:\s*['"]([^'"]+)['"]""", html)

    assert referenced
    assert not [url for url in referenced if "//" in url], referenced
    for url in referenced:
        assert (await _get(app, url)).status_code == 200, url
    assert not re.search(r"https?://", html.replace("http://service", ""))


async def test_every_vendored_asset_is_served(app: FastAPI) -> None:
    for name in ASSETS:
        assert (await _get(app, f"{ASSETS_PATH}/{name}")).status_code == 200


async def test_the_service_serves_every_schema_as_checked_in(app: FastAPI) -> None:
    for path, text in schema_files(REGISTRY).items():
        response = await _get(app, f"/contracts/schemas/{path}")
        assert response.status_code == 200
        assert response.text == text
    missing = await _get(app, "/contracts/schemas/order.paid/v99.json")
    assert (missing.status_code, missing.json()["code"]) == (404, "not-found")


def test_the_openapi_document_says_who_and_where_it_is(app: FastAPI) -> None:
    document = app.openapi()
    service = document["servers"][0]["url"].removeprefix("https://").split(".")[0]

    assert document["servers"] == [
        {"url": f"https://{service}.shop.example", "description": "This deployment (PUBLIC_URL)."}
    ]
    assert document["info"]["version"] == "0.1.0"
    assert document["info"]["contact"]["name"]
    assert document["info"]["license"]["name"]
    declared = {tag["name"]: tag.get("description") for tag in document["tags"]}
    assert all(declared.values()), declared
    assert set(declared) <= set(TAG_DESCRIPTIONS)


def test_every_operation_has_a_description_and_every_body_an_example(app: FastAPI) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            assert operation.get("description"), (method, path)
            body = operation.get("requestBody")
            if body is None:
                continue
            schema = _resolved(body["content"]["application/json"]["schema"], schemas)
            for example in schema.get("examples") or [_example(schema, schemas)]:
                jsonschema.validate(example, {**schema, "components": document["components"]})


def _resolved(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return schemas[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema


def _example(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The body's example, or one of its required fields' own examples (Swagger UI shows
    what they make); a required field with neither fails the test."""
    schema = _resolved(schema, schemas)
    if "examples" in schema or "example" in schema:
        return schema["examples"][0] if "examples" in schema else schema["example"]
    assert "properties" in schema, f"no example for {schema}"
    return {
        name: _example(schema["properties"][name], schemas) for name in schema.get("required", [])
    }


def _recorded(version: int) -> RecordedEvent:
    return RecordedEvent(
        position=1,
        event_id=uuid.uuid4(),
        stream_id="o-1",
        stream_version=version,
        event_type="order.paid",
        schema_version=1,
        data={},
        metadata=EventMetadata(correlation_id="c-1", actor="buyer"),
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        recorded_at=datetime(2026, 12, 1, tzinfo=UTC),
        topic="orders.order.v1",
    )


def test_the_relay_points_dataschema_at_the_producer_and_pads_the_sequence() -> None:
    settings = ServiceSettings(
        database_url="postgresql://nobody@127.0.0.1:1/none",
        public_url="https://orders.shop.example/",
    )
    encode = cloudevents_encoder(Service.ORDER.source, settings.schemas_base(Service.ORDER))
    headers = dict(encode(_recorded(7)).headers)

    assert headers["ce_dataschema"] == (
        b"https://orders.shop.example/contracts/schemas/order.paid/v1.json"
    )
    assert headers["ce_sequence"] == b"0000000000000000007"
    sequences = [format_sequence(n) for n in (1, 2, 9, 10, 11, 100, 2**63 - 1)]
    assert sorted(sequences) == sequences
    assert {len(sequence) for sequence in sequences} == {SEQUENCE_DIGITS}


def test_the_default_dataschema_is_where_make_run_serves_the_producer() -> None:
    settings = ServiceSettings(database_url="postgresql://nobody@127.0.0.1:1/none")

    assert settings.schemas_base(Service.LOGISTICS) == "http://127.0.0.1:8101/contracts/schemas/"


def test_the_schemas_use_exactly_the_declared_vendor_keywords() -> None:
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            used.update(key for key in node if key.startswith("x-"))
            for key, value in node.items():
                if key != "properties":
                    walk(value)
                else:
                    for prop in value.values():
                        walk(prop)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for text in schema_files(REGISTRY).values():
        walk(json.loads(text))
    assert used == set(VENDOR_KEYWORDS)
    ids = [json.loads(text)["$id"] for text in schema_files(REGISTRY).values()]
    assert all(schema_id.startswith(SCHEMA_BASE_URI) for schema_id in ids)
