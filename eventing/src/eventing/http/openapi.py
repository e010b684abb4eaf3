"""The OpenAPI document as the server behaves: one pass over FastAPI's generated document.

FastAPI documents what its signatures say; the shared HTTP layer answers more than that. The
pass declares `Idempotency-Key` required with its pattern and `If-Match` as an entity tag (the
dependencies take both as optional only to answer their own 400 problems), every 4xx/5xx as
`application/problem+json` with the one `Problem` schema (FastAPI's `HTTPValidationError`
included), the 422 the edge guard can answer on every operation, the 503 a `/v1` operation
answers while the database is away, and `ETag` on the responses that carry it: a command's
200/201, and a GET on a path whose writes take If-Match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

from eventing.http.commands import (
    ENTITY_TAG_PATTERN,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_KEY_LENGTH,
    MAX_VERSION_DIGITS,
)
from eventing.http.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

IDEMPOTENCY_KEY = "Idempotency-Key"
IF_MATCH = "If-Match"
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_ADDED = {
    "422": "The request is not valid (problem+json `validation-error`)",
    "503": "The database is unavailable; retry after Retry-After (problem+json "
    "`database-unavailable`)",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; branch on `type` (or `code`), never on text.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": PROBLEM_BASE + "order-shipped"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "The last segment of `type`."},
        "retryable": {"type": "boolean"},
        "errors": {
            "type": "array",
            "description": "Each invalid input: where (`body.items.0.sku`, `query.limit`, "
            "`header.If-Match`), what is wrong, and a stable error kind.",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "message": {"type": "string"},
                    "error": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}
_HEADER_SCHEMAS: dict[str, dict[str, Any]] = {
    IDEMPOTENCY_KEY: {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    },
    IF_MATCH: {
        "type": "string",
        "maxLength": MAX_VERSION_DIGITS + 4,
        "pattern": ENTITY_TAG_PATTERN,
        "description": 'An entity tag as returned in ETag: `"7"` (or `W/"7"`).',
    },
}
ETAG_HEADER: dict[str, Any] = {
    "description": 'The resource\'s version as an entity tag (`"7"`): send it as If-Match.',
    "schema": {"type": "string", "pattern": ENTITY_TAG_PATTERN},
}


def install_openapi(app: FastAPI, *then: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Make `app.openapi()` answer the corrected document, passed through `then` in order
    (e.g. `openapi_metadata.declare_tags`); built once, then cached."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = truthful(generate())
            for transform in then:
                document = transform(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def truthful(document: dict[str, Any]) -> dict[str, Any]:
    """`document` corrected in place (see the module docstring)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    conditional = {
        path for path, _, operation in _operations(document) if _takes(operation, IF_MATCH)
    }
    for path, method, operation in _operations(document):
        _declare_headers(operation)
        responses = operation.setdefault("responses", {})
        for status in ("422", "503") if path.startswith("/v1/") else ("422",):
            responses.setdefault(status, {"description": _ADDED[status]})
        for status, response in responses.items():
            if status[:1] in ("4", "5"):
                response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
        carries_etag = _takes(operation, IDEMPOTENCY_KEY) or (
            method == "get" and path in conditional
        )
        for status in ("200", "201") if carries_etag else ():
            if status in responses:
                responses[status].setdefault("headers", {})["ETag"] = ETAG_HEADER
    if not any(_refers_to(document["paths"], name) for name in _FASTAPI_VALIDATION_SCHEMAS):
        for name in _FASTAPI_VALIDATION_SCHEMAS:
            schemas.pop(name, None)
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS:
                yield path, method, operation


def _takes(operation: dict[str, Any], header: str) -> bool:
    return any(
        parameter.get("in") == "header" and parameter.get("name") == header
        for parameter in operation.get("parameters", ())
    )


def _declare_headers(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", ()):
        name = parameter.get("name")
        if parameter.get("in") != "header" or name not in _HEADER_SCHEMAS:
            continue
        parameter["schema"] = _HEADER_SCHEMAS[name]
        # Missing If-Match means "whatever the version"; a missing key is refused.
        parameter["required"] = name == IDEMPOTENCY_KEY


def _refers_to(node: Any, schema: str) -> bool:
    target = f"#/components/schemas/{schema}"
    if isinstance(node, dict):
        return node.get("$ref") == target or any(_refers_to(v, schema) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(item, schema) for item in node)
    return False
