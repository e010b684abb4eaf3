"""HTTP metrics of every service: requests, latency, problems by `type`, replays and conflicts.

Labels are the route *template* (`/v1/orders/{order_id}`, never the path, so no id becomes a
label; `unmatched` when no route matched), the method (`other` for an unknown one), the status
and, for an error, the
problem `type` slug of the answer (`version-mismatch`). The type is read from the answer itself
(its `application/problem+json` body), so every problem counts whoever wrote it: the problem
handlers, the edge guard, a refusal recorded as a command's answer, a replayed stored answer.

Written on prometheus-client directly rather than prometheus-fastapi-instrumentator: the
instrumentator hands instrumentations a response body only for routes chosen up front (every
body of those routes, buffered), while the problem type needs the body of problem answers only;
and FastAPI already names the matched route in the scope (`scope["route"]`), which the
instrumentator re-derives by matching every route again.
"""

from __future__ import annotations

import json
import re
import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventing.http.commands import REPLAYED_HEADER
from eventing.http.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

UNMATCHED = "unmatched"
OTHER_METHOD = "other"  # a client may send any method name; a label takes the known ones only
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
NO_PROBLEM = "none"  # an error answer without a problem body (none is expected)
MAX_PROBLEM_BYTES = 64 * 1024  # problem bodies are small; a longer one is not read for its type
_PROBLEM_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_REPLAYED = REPLAYED_HEADER.lower().encode()

REQUESTS = Counter(
    "orderflow_http_requests_total",
    "HTTP requests answered, by route template, method and status",
    ["service", "method", "route", "status"],
)
LATENCY = Histogram(
    "orderflow_http_request_duration_seconds",
    "Time from receiving a request to the end of its answer, by route template and method",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PROBLEMS = Counter(
    "orderflow_http_problems_total",
    "Error answers (4xx, 5xx) by problem type (the `type` URI's last segment)",
    ["service", "method", "route", "status", "type"],
)
REPLAYS = Counter(
    "orderflow_http_idempotent_replays_total",
    "Commands answered with the stored first response of their Idempotency-Key",
    ["service", "method", "route", "status"],
)
CONFLICTS = Counter(
    "orderflow_http_conflicts_total",
    "409 and 412 answers (lost races, stale If-Match, refusals recorded as conflicts) by type",
    ["service", "method", "route", "status", "type"],
)


class RequestMetrics:
    """ASGI middleware recording the metrics above; outermost, so it sees every answer."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = _Answer()

        async def observed(message: Message) -> None:
            answer.observe(message)
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self._record(scope, answer, time.perf_counter() - started)

    def _record(self, scope: Scope, answer: _Answer, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else OTHER_METHOD
        route = route_template(scope)
        status = str(answer.status)
        REQUESTS.labels(self.service, method, route, status).inc()
        LATENCY.labels(self.service, method, route).observe(seconds)
        if answer.replayed:
            REPLAYS.labels(self.service, method, route, status).inc()
        if answer.status >= 400:
            problem = answer.problem_type()
            PROBLEMS.labels(self.service, method, route, status, problem).inc()
            if answer.status in (409, 412):
                CONFLICTS.labels(self.service, method, route, status, problem).inc()


def route_template(scope: Scope) -> str:
    """The template of the route that answered (set in the scope by the router), or
    `unmatched`: never the request's own path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class _Answer:
    """What the middleware learns from the answer's messages (500 if none was started)."""

    def __init__(self) -> None:
        self.status = 500
        self.replayed = False
        self._problem: bytearray | None = None

    def observe(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            headers = dict(message.get("headers", ()))
            self.replayed = headers.get(_REPLAYED) == b"true"
            media = headers.get(b"content-type", b"").split(b";", 1)[0].strip()
            if media == PROBLEM_MEDIA_TYPE.encode():
                self._problem = bytearray()
        elif (
            message["type"] == "http.response.body"
            and self._problem is not None
            and len(self._problem) <= MAX_PROBLEM_BYTES
        ):
            self._problem += message.get("body", b"")

    def problem_type(self) -> str:
        """The slug of the problem's `type` (`version-mismatch`), `none` without a problem."""
        if self._problem is None or len(self._problem) > MAX_PROBLEM_BYTES:
            return NO_PROBLEM
        try:
            problem = json.loads(self._problem)
        except ValueError:
            return NO_PROBLEM
        kind = problem.get("type") if isinstance(problem, dict) else None
        if not isinstance(kind, str) or not kind.startswith(PROBLEM_BASE):
            return NO_PROBLEM
        slug = kind.removeprefix(PROBLEM_BASE)
        return slug if _PROBLEM_SLUG.fullmatch(slug) else NO_PROBLEM
