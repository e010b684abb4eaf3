"""Fixtures for eventing's integration tests: names for the kit's database and engine, a store,
the spans of a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.store import EventStore


@pytest.fixture
def database_url(migrated_database: str) -> str:
    return migrated_database


@pytest.fixture
def engine(eventing_engine: AsyncEngine) -> AsyncEngine:
    return eventing_engine


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    return EventStore(engine, topic="test.unset")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span of the test in memory: a tracer provider installed for the test and taken
    away after it, so no other test runs traced. The API lets a provider be set once per
    process; resetting its globals is what `opentelemetry-test-utils` does for the same end."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        pytest.skip("a tracer provider is installed in this process already")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        provider.shutdown()
        trace._TRACER_PROVIDER = None
        trace._TRACER_PROVIDER_SET_ONCE = Once()
