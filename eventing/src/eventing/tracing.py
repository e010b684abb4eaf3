"""OpenTelemetry tracing of the event pipeline: one trace from a command through Kafka on.

The W3C trace context is stored with each event (`EventMetadata.traceparent`/`tracestate`,
taken from the append's span) and travels as the CloudEvents distributed-tracing extension
(`ce_traceparent`/`ce_tracestate`). The relay parents its publish span on the stored context,
never on its own (so a republish or a rebuild continues the original trace), and writes the
publish span's context into the headers; a subscription parents each handling on the headers.
Spans are hand-made here because the aiokafka instrumentation traces a `send`/`getmany` from the
current context, while the relay publishes for earlier requests and a subscription applies a
poll of many traces in one transaction. asyncpg's instrumentation is left out: a span per
statement would bury each flow under the workers' polls (relay, subscriptions, deadlines, each
a root span every second); the append's span covers the one statement a flow writes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from contracts.kafka_binding import header_name
from eventing.encoding import ConsumedEvent
from eventing.events import EventMetadata, RecordedEvent

if TYPE_CHECKING:  # eventing.deadlines imports this module
    from eventing.deadlines import Deadline

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# Not an OpenTelemetry variable: where `OTEL_TRACES_EXPORTER=console` writes (stdout if unset).
TRACES_FILE_VARIABLE = "EVENTING_TRACES_FILE"

_PROPAGATOR = TraceContextTextMapPropagator()


def _tracer() -> trace.Tracer:
    # Asked for at each use, not held: a held proxy would keep the first provider it met.
    return trace.get_tracer("eventing")


def tracing_installed() -> bool:
    """Whether this process records spans (`configure_tracing` or a test installed the SDK's
    provider); without one every span is a no-op."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def current_context() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span; empty when nothing is traced."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def stamped(metadata: EventMetadata, carrier: dict[str, str]) -> EventMetadata:
    """`metadata` with the trace context `carrier` (`current_context()`, taken once per
    append), unless it carries one already (an event copied from elsewhere keeps its own)."""
    if metadata.traceparent is not None:
        return metadata
    if TRACEPARENT not in carrier:
        return metadata
    return replace(metadata, traceparent=carrier[TRACEPARENT], tracestate=carrier.get(TRACESTATE))


def _context_of(traceparent: str | None, tracestate: str | None) -> Context | None:
    if traceparent is None:
        return None
    carrier = {TRACEPARENT: traceparent}
    if tracestate is not None:
        carrier[TRACESTATE] = tracestate
    return _PROPAGATOR.extract(carrier)


@contextmanager
def appending(topic: str, stream_id: str, count: int) -> Iterator[None]:
    """The span of one append to the event store (its context is what the events store);
    `topic` is the store's, which names the service."""
    attributes: dict[str, str | int] = {
        "eventing.topic": topic,
        "eventing.stream_id": stream_id,
        "eventing.count": count,
    }
    with _tracer().start_as_current_span("eventing.append", attributes=attributes):
        yield


class Publishing:
    """The publish spans of one relay batch, one per event, parented on the stored context."""

    def __init__(self, relay: str, events: Sequence[RecordedEvent]) -> None:
        self.spans: list[Span] = []
        self.events: list[RecordedEvent] = []
        if not tracing_installed():
            # Nothing would record the spans, and each event's stored context goes on as it
            # is: a no-op span per event still cost more than encoding it (issue 19).
            self.events = list(events)
            return
        for event in events:
            metadata = event.metadata
            span = _tracer().start_span(
                f"publish {event.topic}",
                context=_context_of(metadata.traceparent, metadata.tracestate),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": event.topic,
                    "messaging.message.id": str(event.event_id),
                    "cloudevents.event_type": event.event_type,
                    "eventing.relay": relay,
                },
            )
            self.spans.append(span)
            self.events.append(_with_span_context(event, span))

    def end(self, acknowledged: bool) -> None:
        for span in self.spans:
            if not acknowledged:
                span.set_status(Status(StatusCode.ERROR, "not acknowledged by Kafka"))
            span.end()


def _with_span_context(event: RecordedEvent, span: Span) -> RecordedEvent:
    """The event whose headers carry `span`'s context (a child of the stored one), when the
    span is recorded; otherwise the stored context goes on unchanged."""
    if not span.is_recording():
        return event
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    metadata = replace(
        event.metadata, traceparent=carrier[TRACEPARENT], tracestate=carrier.get(TRACESTATE)
    )
    return replace(event, metadata=metadata)


def _consumer_attributes(event: ConsumedEvent, group: str) -> dict[str, Any]:
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": event.topic,
        "messaging.destination.partition.id": str(event.partition),
        "messaging.kafka.offset": event.offset,
        "messaging.consumer.group.name": group,
        "messaging.message.id": str(event.event_id),
        "cloudevents.event_type": event.event_type,
    }


@contextmanager
def handling(event: ConsumedEvent, group: str) -> Iterator[None]:
    """The span of a subscription applying one event, a child of the event's header context;
    what the handler appends (a policy's events) is traced inside it."""
    attributes = event.attributes
    with _tracer().start_as_current_span(
        f"process {event.topic}",
        context=_context_of(attributes.get(TRACEPARENT), attributes.get(TRACESTATE)),
        kind=SpanKind.CONSUMER,
        attributes=_consumer_attributes(event, group),
    ):
        yield


@contextmanager
def handling_batch(events: Sequence[ConsumedEvent], group: str) -> Iterator[None]:
    """The span of a batch handler applying several events in one go (a projection): one
    span linked to each event's context, as OpenTelemetry's messaging conventions do."""
    links = []
    for event in events:
        context = _context_of(event.attributes.get(TRACEPARENT), event.attributes.get(TRACESTATE))
        if context is not None:
            links.append(Link(trace.get_current_span(context).get_span_context()))
    with _tracer().start_as_current_span(
        f"process {events[0].topic}" if events else "process",
        context=Context(),  # a batch of many flows belongs to none of them
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.consumer.group.name": group,
            "messaging.batch.message_count": len(events),
        },
    ):
        yield


@contextmanager
def dead_lettering(
    source_topic: str,
    topic: str,
    headers: Sequence[tuple[str, bytes]],
    group: str,
    error: BaseException,
) -> Iterator[None]:
    """The span of sending a failed record to its dead-letter topic: a child of the record's
    own context (its `ce_traceparent` header, kept on the dead letter), marked as an error with
    the failure's type, so the flow's trace ends where its effect went missing. The message of
    the error is left out: it may quote personal data (`redaction.describe_error` is for the
    operators' headers)."""
    carried = {name: value for name, value in headers}
    traceparent = carried.get(header_name(TRACEPARENT))
    tracestate = carried.get(header_name(TRACESTATE))
    context = _context_of(
        None if traceparent is None else traceparent.decode(errors="replace"),
        None if tracestate is None else tracestate.decode(errors="replace"),
    )
    with _tracer().start_as_current_span(
        f"send {topic}",
        context=context,
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": group,
            "eventing.dead_letter.source_topic": source_topic,
            "error.type": type(error).__qualname__,
        },
    ) as span:
        span.set_status(Status(StatusCode.ERROR, f"dead-lettered: {type(error).__qualname__}"))
        yield


@contextmanager
def firing(deadline: Deadline, now: datetime) -> Iterator[None]:
    """The span of a deadline's handler: the root of a trace of its own (the deadline outlives
    the request that scheduled it), so what it appends and publishes follows from it."""
    with _tracer().start_as_current_span(
        f"deadline {deadline.kind}",
        context=Context(),
        kind=SpanKind.INTERNAL,
        attributes={
            "eventing.deadline.kind": deadline.kind,
            "eventing.deadline.key": deadline.key,
            "eventing.deadline.due_at": deadline.due_at.isoformat(),
            "eventing.deadline.attempts": deadline.attempts,
            "eventing.deadline.late_seconds": max(0.0, (now - deadline.due_at).total_seconds()),
        },
    ):
        yield


def configure_tracing(service: str, environment: Mapping[str, str] | None = None) -> bool:
    """Install the process's tracer provider from the standard OpenTelemetry variables.

    `OTEL_TRACES_EXPORTER`: `otlp` (OTLP over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` or
    `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), `console` (JSON lines to stdout, or to the file
    `EVENTING_TRACES_FILE`) or `none`. Unset, it is `otlp` when an endpoint is given and
    `none` otherwise, so nothing is traced unless asked. `OTEL_SERVICE_NAME` overrides
    `service`. A provider that is already installed (a test's, another in-process service's)
    is kept. True when this call installed one.
    """
    env = os.environ if environment is None else environment
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    kind = env.get("OTEL_TRACES_EXPORTER", "otlp" if endpoint else "none").strip().lower()
    if kind == "none" or tracing_installed():
        return False
    exporter = _exporter(kind, env)
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    processor = SimpleSpanProcessor(exporter) if kind == "console" else BatchSpanProcessor(exporter)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return True


def _exporter(kind: str, env: Mapping[str, str]) -> SpanExporter:
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # reads the OTEL_EXPORTER_OTLP_* variables itself
    if kind == "console":
        path = env.get(TRACES_FILE_VARIABLE)
        # Held open for the process's life: the exporter writes each span as it ends.
        out: IO[str] = open(path, "a", encoding="utf-8") if path else sys.stdout  # noqa: SIM115
        return ConsoleSpanExporter(out=out, formatter=_json_line)
    raise ValueError(f"OTEL_TRACES_EXPORTER={kind!r}: use otlp, console or none")


def _json_line(span: ReadableSpan) -> str:
    return f"{span.to_json(indent=None)}\n"
