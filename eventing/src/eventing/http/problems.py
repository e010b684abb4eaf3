"""RFC 9457 problem details: every error a service answers, with a stable `type` URI.

`install_problem_handlers` maps domain errors (by their rejection kind), validation errors,
concurrency conflicts, idempotency misuse and plain HTTP errors onto `application/problem+json`
responses, so a client can branch on `type` (or `code`) and never on message text. What escapes
them all is answered by `eventing.http.guard`; the `Problem` schema is in `eventing.http.openapi`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from eventing.aggregate import VersionMismatch
from eventing.decider import DomainError
from eventing.idempotency import IdempotencyKeyReused
from eventing.store import ConcurrencyConflict

PROBLEM_BASE = "https://orderflow.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 1
_RESERVED_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "code", "retryable", "headers"}
)

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    500: "Internal server error",
    503: "Service unavailable",
}
_CODES = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 409: "conflict", 412: "precondition-failed",
          415: "unsupported-media-type", 422: "unprocessable", 428: "precondition-required",
          500: "internal-error", 503: "unavailable"}  # fmt: skip


class ProblemError(Exception):
    """Raise from an endpoint to answer with a problem: `code` becomes the `type` slug."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A `application/problem+json` response; `code` is repeated as a member for clients."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body["code"] = code
    body.update(jsonable_encoder(extensions))
    return JSONResponse(body, status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem answers of an endpoint."""
    return {
        status: {
            "description": _TITLES.get(status, "Error") + " (problem+json)",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of `app` as problem+json (see the module docstring)."""
    app.add_exception_handler(ProblemError, _on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(VersionMismatch, _on_version_mismatch)  # type: ignore[arg-type]
    app.add_exception_handler(ConcurrencyConflict, _on_conflict)  # type: ignore[arg-type]
    app.add_exception_handler(IdempotencyKeyReused, _on_key_reused)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]


async def _on_problem(request: Request, error: ProblemError) -> JSONResponse:
    return problem_response(
        error.status,
        error.code,
        error.title,
        error.detail,
        instance=request.url.path,
        headers=error.headers,
        **error.extensions,
    )


async def _on_domain_error(request: Request, error: DomainError) -> JSONResponse:
    kind = error.kind
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if kind.retryable else None
    # A detail may never overwrite a member the RFC or our clients rely on.
    details = {
        (f"detail_{name}" if name in _RESERVED_MEMBERS else name): value
        for name, value in error.details.items()
    }
    return problem_response(
        kind.status,
        error.code,
        error.title,
        error.message,
        instance=request.url.path,
        headers=headers,
        retryable=kind.retryable,
        **details,
    )


async def _on_version_mismatch(request: Request, error: VersionMismatch) -> JSONResponse:
    return problem_response(
        412,
        "version-mismatch",
        "The resource changed since the version you sent",
        str(error),
        instance=request.url.path,
        headers={"ETag": f'"{error.actual}"'},
        current_version=error.actual,
    )


async def _on_conflict(request: Request, error: ConcurrencyConflict) -> JSONResponse:
    return problem_response(
        409,
        "concurrency-conflict",
        "Another change to this resource won the race",
        f"{error}; reload and retry",
        instance=request.url.path,
        headers={"Retry-After": "0"},
        retryable=True,
    )


async def _on_key_reused(request: Request, error: IdempotencyKeyReused) -> JSONResponse:
    return problem_response(
        422,
        "idempotency-key-reused",
        "This Idempotency-Key was already used for a different request",
        str(error),
        instance=request.url.path,
    )


async def _on_validation(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "location": ".".join(str(part) for part in item.get("loc", ())),
            "message": item.get("msg", ""),
            "error": item.get("type", ""),
        }
        for item in error.errors()
    ]
    first = errors[0] if errors else {"location": "", "message": "invalid request"}
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return problem_response(
        422,
        "validation-error",
        "The request is not valid",
        f"{first['location']}: {first['message']}{more}",
        instance=request.url.path,
        errors=errors,
    )


async def _on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
    status = error.status_code
    detail = error.detail if isinstance(error.detail, str) else None
    return problem_response(
        status,
        _CODES.get(status, f"http-{status}"),
        _TITLES.get(status, "Error"),
        detail,
        instance=request.url.path,
        headers=error.headers,
    )
