"""The server span of every request, named by its route template.

OpenTelemetry's FastAPI instrumentation names the span before the request is routed, by
matching the request against every route of the app itself, a second routing of each request
(5% of a `GET /v1/orders/{id}`'s CPU, issue 19). Here the span starts with the method alone and
is named once FastAPI has routed the request, from the route it put in the scope
(`scope["route"]`), the same template the HTTP metrics use (`eventing.http.request_metrics`):
`POST /v1/orders/{order_id}/payments`, with `http.route` set to the template. No child span per
ASGI `send`/`receive` message: they say nothing the server span does not. An exception that
escapes the app is recorded on the span by OpenTelemetry's ASGI middleware, which wraps
everything (Starlette's error middleware answers 500 and re-raises it).
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import TracerProvider
from opentelemetry.util.http import parse_excluded_urls
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventing.http.request_metrics import UNMATCHED, route_template


def install_server_spans(
    app: FastAPI, *, excluded_urls: str, tracer_provider: TracerProvider | None = None
) -> None:
    """Trace every request of `app` but those of `excluded_urls` (comma-separated paths), with
    the process's tracer provider unless one is given."""
    excluded = parse_excluded_urls(excluded_urls)
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return OpenTelemetryMiddleware(
            build(),
            excluded_urls=excluded,
            default_span_details=_method_only,
            exclude_spans=["receive", "send"],
            tracer_provider=tracer_provider,
        )

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
    # Among the app's own middleware, which share the scope the router writes the route into
    # (FastAPI's outer layers hand a copy of it inward).
    app.add_middleware(_NameAfterRouting)


def _method_only(scope: Scope) -> tuple[str, dict[str, str]]:
    return str(scope.get("method") or "HTTP"), {}


class _NameAfterRouting:
    """Names the current (server) span from the routed request's template, once it is known."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def naming(message: Message) -> None:
            # Routed by now, and before the answer's end, when the server span ends.
            if message["type"] == "http.response.start":
                _name(scope)
            await send(message)

        await self.app(scope, receive, naming)


def _name(scope: Scope) -> None:
    span = trace.get_current_span()
    if not span.is_recording():
        return
    template = route_template(scope)
    if template == UNMATCHED:
        return
    span.update_name(f"{scope['method']} {template}")
    span.set_attribute(HTTP_ROUTE, template)
