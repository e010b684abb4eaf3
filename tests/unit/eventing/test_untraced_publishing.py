"""Without a recording tracer provider the relay's publishing makes no spans and hands the
events on as stored (their trace context unchanged)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from eventing import tracing
from eventing.events import EventMetadata, RecordedEvent

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _event(n: int) -> RecordedEvent:
    now = datetime.now(UTC)
    metadata = EventMetadata(correlation_id="c-1", traceparent=TRACEPARENT)
    return RecordedEvent(
        n, f"o-{n}", 1, uuid.uuid4(), "order.placed", 2, "t", {}, metadata, now, now
    )


def test_untraced_publishing_passes_the_stored_events_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "tracing_installed", lambda: False)
    events = [_event(n) for n in range(3)]

    publishing = tracing.Publishing("outbox", events)
    publishing.end(acknowledged=True)

    assert publishing.spans == []
    assert publishing.events == events
    assert [e.metadata.traceparent for e in publishing.events] == [TRACEPARENT] * 3
