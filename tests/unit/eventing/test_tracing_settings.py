"""Which exporter the standard OpenTelemetry variables select (`eventing.tracing`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from eventing.tracing import configure_tracing

# Run in a child: a process installs its tracer provider once, and the suite's must stay unset.
_CONSOLE_TO_FILE = """
import sys
from opentelemetry import trace
from eventing.tracing import configure_tracing

assert configure_tracing("order", {"OTEL_TRACES_EXPORTER": "console",
                                   "EVENTING_TRACES_FILE": sys.argv[1]})
with trace.get_tracer("check").start_as_current_span("looked at"):
    pass
"""


def test_nothing_is_traced_unless_a_collector_or_an_exporter_is_given() -> None:
    assert configure_tracing("order", {}) is False
    assert configure_tracing("order", {"OTEL_TRACES_EXPORTER": "none"}) is False
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)


def test_an_unknown_exporter_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER='zipkin'"):
        configure_tracing("order", {"OTEL_TRACES_EXPORTER": "zipkin"})


def test_the_console_exporter_writes_one_json_span_per_line_to_the_file(tmp_path: Path) -> None:
    spans = tmp_path / "traces.jsonl"

    subprocess.run([sys.executable, "-c", _CONSOLE_TO_FILE, str(spans)], check=True)

    (line,) = spans.read_text().splitlines()
    span = json.loads(line)
    assert span["name"] == "looked at"
    assert span["resource"]["attributes"]["service.name"] == "order"
