"""The edge of the shared HTTP layer without I/O: unstorable text, signed cursors, failures that
escape every handler, Idempotency-Key, and the OpenAPI document of every service."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa

from eventing.http.auth import Caller, Role
from eventing.http.commands import idempotency_key
from eventing.http.guard import EdgeGuard, database_unavailable, unstorable, unstorable_member
from eventing.http.pagination import (
    cursor_key,
    decode_cursor,
    encode_cursor,
    list_scope,
    signing_cursors,
)
from eventing.http.problems import PROBLEM_MEDIA_TYPE, ProblemError, install_problem_handlers
from eventing.service import manifest_of

CALLER = Caller(Role.BUYER, "b-1")
KEY = cursor_key("a-test-secret-that-is-long-enough-for-hs256")


@pytest.mark.parametrize(
    ("text", "refused"),
    [("plain", False), ("张三 🙂", False), ("a\x00b", True), ("\udbe4", True), ("x\udc00", True)],
)
def test_nul_and_lone_surrogates_are_unstorable(text: str, refused: bool) -> None:
    assert (unstorable(text) is not None) == refused


def test_the_first_unstorable_member_is_named_with_its_location() -> None:
    document = {"items": [{"sku": "A-1"}, {"sku": "B\x00"}], "note": "ok"}
    found = unstorable_member(document)
    assert found is not None
    assert found[0] == ("items", 1, "sku")
    assert unstorable_member({"bad\udbe4": 1}) == (
        ("bad\udbe4",),
        "member name must not contain a lone surrogate (U+D800 to U+DFFF)",
    )
    assert unstorable_member({"fine": [1, 2.5, None, True, {"x": "y"}]}) is None


def test_a_deeply_nested_document_does_not_exhaust_the_stack() -> None:
    document: Any = "\x00"
    for _ in range(50_000):
        document = [document]
    found = unstorable_member(document)
    assert found is not None
    assert len(found[0]) == 50_000


def _wrapped(cause: BaseException) -> sa.DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises it: a DBAPIError whose `orig` came from `cause`."""
    translated = RuntimeError(str(cause))
    translated.__cause__ = cause
    return sa.OperationalError("SELECT 1", {}, translated)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        ConnectionRefusedError(111, "Connect call failed"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        socket.gaierror("Name or service not known"),
        _wrapped(asyncpg.CannotConnectNowError("starting up")),
        _wrapped(ConnectionResetError()),
        sa.TimeoutError("QueuePool limit reached"),
        sa.DBAPIError("SELECT 1", {}, RuntimeError("closed"), connection_invalidated=True),
        asyncpg.InterfaceError("connection is closed"),  # a new connection, closed in its setup
    ],
)
def test_an_unreachable_or_restarting_database_is_recognised(error: BaseException) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        asyncpg.UniqueViolationError("duplicate key"),
        _wrapped(asyncpg.DataError("value out of int64 range")),
        sa.InterfaceError("SELECT 1", {}, RuntimeError("another operation is in progress")),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    ],
)
def test_other_errors_are_not_taken_for_an_outage(error: BaseException) -> None:
    assert not database_unavailable(error)


def test_a_signed_cursor_round_trips_and_is_bound_to_its_list() -> None:
    position = {"created_at": "2026-11-25T10:00:00+00:00", "order_id": "o-9"}
    scope = list_scope("/v1/orders", b"shop_id=s-1&limit=5")
    with signing_cursors(KEY, scope):
        cursor = encode_cursor(position)
        assert decode_cursor(cursor, required=("created_at", "order_id")) == position
    # Page size and the cursor itself are not part of the list; filters and path are.
    with signing_cursors(KEY, list_scope("/v1/orders", b"limit=50&shop_id=s-1&cursor=x")):
        assert decode_cursor(cursor) == position
    for other in (
        list_scope("/v1/orders", b"shop_id=s-2"),
        list_scope("/v1/orders", b""),
        list_scope("/v1/shipments", b"shop_id=s-1"),
    ):
        with signing_cursors(KEY, other), pytest.raises(ProblemError) as raised:
            decode_cursor(cursor)
        assert raised.value.code == "invalid-cursor"
    with signing_cursors(cursor_key("another service's secret"), scope):
        _invalid_cursor(lambda: decode_cursor(cursor))


def _invalid_cursor(decode: Callable[[], object]) -> None:
    with pytest.raises(ProblemError) as raised:
        decode()
    assert (raised.value.status, raised.value.code) == (400, "invalid-cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        # The crafted cursor: unsigned JSON with the wrong types.
        "eyJjcmVhdGVkX2F0IjogNSwgIm9yZGVyX2lkIjogWzFdfQ",
        "eyJjcmVhdGVkX2F0IjogNSwgIm9yZGVyX2lkIjogWzFdfQ.AAAAAAAAAAAAAAAAAAAAAA",
        ".",
        "é.é",
        "",
    ],
)
def test_an_unsigned_or_forged_cursor_is_a_400(cursor: str) -> None:
    _invalid_cursor(lambda: decode_cursor(cursor, required=("created_at", "order_id")))


@pytest.mark.parametrize(
    "position", [{"id": [1]}, {"id": None}, {"id": True}, {"id": 1.5}, {"id": {"a": 1}}, {}]
)
def test_a_required_member_must_be_a_string_or_an_integer(position: dict[str, Any]) -> None:
    cursor = encode_cursor(position)
    _invalid_cursor(lambda: decode_cursor(cursor, required=("id",)))


def test_required_types_are_checked_and_timestamps_parsed() -> None:
    at = datetime(2026, 11, 25, 10, tzinfo=UTC)
    cursor = encode_cursor({"at": at.isoformat(), "id": 7})
    assert decode_cursor(cursor, required={"at": datetime, "id": int}) == {"at": at, "id": 7}
    _invalid_cursor(lambda: decode_cursor(cursor, required={"at": datetime, "id": str}))
    not_a_time = encode_cursor({"at": "yesterday", "id": 7})
    _invalid_cursor(lambda: decode_cursor(not_a_time, required={"at": datetime}))


@pytest.mark.parametrize("key", ["k", "0b6f6f0e-3a6c-4b3f-9d55-5c1d7f0c2a11", "a" * 255])
async def test_an_idempotency_key_of_visible_ascii_is_taken_as_sent(key: str) -> None:
    assert await idempotency_key(CALLER, key) == key


@pytest.mark.parametrize("key", ["a" * 256, "two words", "clé", "tab\there"])
async def test_an_idempotency_key_outside_its_pattern_is_refused(key: str) -> None:
    with pytest.raises(ProblemError) as raised:
        await idempotency_key(CALLER, key)
    assert (raised.value.status, raised.value.code) == (400, "idempotency-key-invalid")


def _guarded_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(EdgeGuard)
    seen: list[Any] = []
    app.state.seen = seen

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        seen.append(body)
        return body

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret connection string postgresql://u:p@db")

    @app.get("/outage")
    async def outage() -> None:
        raise _wrapped(asyncpg.CannotConnectNowError("the database system is shutting down"))

    return app


async def _call(app: FastAPI, method: str, path: str, content: bytes = b"") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = {"content-type": "application/json"} if content else {}
        return await client.request(method, path, content=content or None, headers=headers)


@pytest.mark.parametrize(
    ("content", "location"),
    [
        (b'{"title": "tea\\u0000"}', "body.title"),
        (b'{"items": [{"title": "\\udbe4"}]}', "body.items.0.title"),
        (b'{"title": "\xed\xa0\x80"}', "body"),  # a surrogate encoded as UTF-8 bytes
    ],
)
async def test_a_body_with_unstorable_text_is_refused_before_the_route_runs(
    content: bytes, location: str
) -> None:
    app = _guarded_app()
    response = await _call(app, "POST", "/echo", content)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = response.json()
    assert problem["code"] == "validation-error"
    assert [error["location"] for error in problem["errors"]] == [location]
    assert app.state.seen == []


async def test_a_valid_body_reaches_the_route_unchanged() -> None:
    app = _guarded_app()
    response = await _call(app, "POST", "/echo", '{"title": "\\u8336 茶 🙂"}'.encode())
    assert response.status_code == 200
    assert response.json() == {"title": "茶 茶 🙂"}


async def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = await _call(_guarded_app(), "GET", "/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["code"] == "internal-error"
    assert "postgresql" not in response.text
    assert any(record.exc_info for record in caplog.records)


async def test_a_database_outage_is_a_retryable_503() -> None:
    response = await _call(_guarded_app(), "GET", "/outage")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["Retry-After"] == "1"
    assert (response.json()["code"], response.json()["retryable"]) == (
        "database-unavailable",
        True,
    )


SERVICES = ("order", "logistics", "aftersales")


@pytest.fixture(scope="module", params=SERVICES)
def openapi(request: pytest.FixtureRequest) -> dict[str, Any]:
    manifest = manifest_of(request.param)
    # Building the app connects to nothing; the URL is never used.
    settings = manifest.settings(database_url="postgresql://nobody@127.0.0.1:1/none")
    document: dict[str, Any] = manifest.create_app(settings).openapi()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next(
        (p for p in operation.get("parameters", ()) if p["in"] == "header" and p["name"] == name),
        None,
    )


def test_every_error_is_documented_as_the_one_problem_schema(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert set(schemas["Problem"]["properties"]) >= {
        "type", "title", "status", "detail", "instance", "code", "retryable", "errors",
    }  # fmt: skip
    for path, method, operation in _operations(openapi):
        responses = operation["responses"]
        assert "422" in responses, f"{method} {path}"
        if path.startswith("/v1/"):
            assert "503" in responses, f"{method} {path}"
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"] == {
                    PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, f"{method} {path} {status}"


def test_commands_require_an_idempotency_key_and_take_if_match_as_an_entity_tag(
    openapi: dict[str, Any],
) -> None:
    commands = 0
    for path, method, operation in _operations(openapi):
        key = _header(operation, "Idempotency-Key")
        if method in ("post", "put"):
            assert key is not None, f"{method} {path} takes no Idempotency-Key"
        if key is not None:
            commands += 1
            assert key["required"] is True
            assert key["schema"] == {
                "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$",
            }  # fmt: skip
        condition = _header(operation, "If-Match")
        if condition is not None:
            assert condition["required"] is False
            assert condition["schema"]["pattern"] == '^(W/)?"[0-9]{1,18}"$'
            assert "anyOf" not in condition["schema"]
    assert commands > 0


def test_etag_is_declared_on_command_answers_and_on_gets_of_conditional_resources(
    openapi: dict[str, Any],
) -> None:
    conditional = {p for p, _, o in _operations(openapi) if _header(o, "If-Match") is not None}
    for path, method, operation in _operations(openapi):
        is_command = _header(operation, "Idempotency-Key") is not None
        if is_command or (method == "get" and path in conditional):
            responses = operation["responses"]
            successes = [responses[s] for s in ("200", "201") if s in responses]
            assert successes, f"{method} {path}"
            for response in successes:
                assert "ETag" in response["headers"], f"{method} {path}"
    policy = openapi["paths"]["/v1/shops/{shop_id}/policy"]["get"]
    assert "ETag" in policy["responses"]["200"]["headers"]


def test_the_document_is_valid_openapi_3_1(openapi: dict[str, Any]) -> None:
    # openapi-spec-validator is not installed; schemathesis ships the OAS 3.1 meta-schema.
    from schemathesis.specs.openapi.definitions import OPENAPI_31

    assert openapi["openapi"].startswith("3.1")
    jsonschema_rs.Draft202012Validator(OPENAPI_31).validate(openapi)
