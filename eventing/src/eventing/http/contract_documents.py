"""The event contracts over HTTP: every JSON Schema and the AsyncAPI document, on every service.

`ce_dataschema` of each event is `<producer's PUBLIC_URL>/contracts/schemas/<type>/v<n>.json`,
so a consumer resolves a record's schema from the record alone. Every service serves the whole
set (one contracts package), so the AsyncAPI document's relative payload references
(`./schemas/...`) resolve on whichever service served it. The schemas are the checked-in files
to the byte (`make schemas-check` holds the two equal); the AsyncAPI document names this
service's brokers as its servers and its topics by their names in this environment.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import Response

from contracts.asyncapi import asyncapi_document, kafka_servers
from contracts.catalog import REGISTRY
from contracts.envelope import SCHEMAS_PATH, schema_file
from contracts.schemas import schema_files
from contracts.topics import TOPICS
from eventing.http.problems import ProblemError
from eventing.http.routing import include_flat
from eventing.settings import ServiceSettings

SCHEMA_MEDIA_TYPE = "application/schema+json"
ASYNCAPI_PATH = "/contracts/asyncapi.json"
_EVENT_TYPE_PATTERN = r"^[a-z]+\.[a-z_]+$"
_TAG = "contracts"


def contract_router(settings: ServiceSettings) -> APIRouter:
    """`GET /contracts/schemas/{type}/v{version}.json` and `GET /contracts/asyncapi.json`
    (its servers and topic names those of this service's settings)."""
    schemas = schema_files(REGISTRY)
    servers = kafka_servers(
        settings.kafka_bootstrap_servers, "The broker this service publishes to and consumes from."
    )
    topics = tuple(replace(topic, name=settings.topic(topic.producer)) for topic in TOPICS)
    asyncapi = _canonical(asyncapi_document(REGISTRY, topics, servers))
    router = APIRouter(tags=[_TAG])

    @router.get(
        SCHEMAS_PATH + "{event_type}/v{version}.json",
        summary="The JSON Schema of one event version",
        description="The JSON Schema (draft 2020-12) of the data of one version of an event "
        "type, as checked in under contracts/schemas/: the URL a record's `ce_dataschema` "
        "names. Public (no token); cacheable, a published version never changes "
        "incompatibly.",
        response_class=Response,
        responses={
            200: {
                "description": "The schema",
                "content": {SCHEMA_MEDIA_TYPE: {"example": {"$id": "…", "type": "object"}}},
            },
            404: {"description": "No such event type or version (problem+json `not-found`)"},
        },
    )
    async def event_schema(
        event_type: str = Path(
            pattern=_EVENT_TYPE_PATTERN, max_length=64, examples=["order.placed"]
        ),
        version: int = Path(ge=1, le=999, examples=[2]),
    ) -> Response:
        text = schemas.get(schema_file(event_type, version))
        if text is None:
            raise ProblemError(
                404, "not-found", "No such event schema", f"no schema for {event_type} v{version}"
            )
        return Response(text, media_type=SCHEMA_MEDIA_TYPE, headers=_CACHEABLE)

    @router.get(
        ASYNCAPI_PATH,
        summary="The AsyncAPI document of every topic",
        description="AsyncAPI 3 description of the topics, their messages (one per event "
        "type, `ce_type` fixed), the dead-letter topics and this service's brokers; payloads "
        "refer to `./schemas/<type>/v<n>.json` on this service. Public (no token).",
        response_class=Response,
        responses={
            200: {
                "description": "The document",
                "content": {"application/json": {"example": {"asyncapi": "3.0.0"}}},
            }
        },
    )
    async def asyncapi_json() -> Response:
        return Response(asyncapi, media_type="application/json")

    return router


def install_contract_documents(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve the contracts from `app` (outside `/v1`: they are the events', not the API's)."""
    include_flat(app, contract_router(settings))


def _canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_CACHEABLE = {"Cache-Control": "public, max-age=3600"}
