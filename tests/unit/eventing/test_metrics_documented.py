"""Every metric a service exports is explained in docs/operations.md ("Metrics")."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import Counter, Gauge, Histogram

from eventing import business_metrics, metrics
from eventing.http import request_metrics

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


def _exported() -> list[str]:
    names = []
    for module in (metrics, business_metrics, request_metrics):
        for value in vars(module).values():
            if isinstance(value, Counter):
                names.append(f"{value._name}_total")
            elif isinstance(value, Gauge | Histogram):
                names.append(value._name)
    return sorted(set(names))


def test_the_modules_export_the_pipeline_business_and_request_metrics() -> None:
    exported = _exported()
    assert "eventing_deadlines_due" in exported
    assert "orderflow_gmv_minor_units_total" in exported
    assert "orderflow_http_requests_total" in exported


@pytest.mark.parametrize("name", _exported())
def test_the_metric_has_a_row_in_the_operations_guide(name: str) -> None:
    rows = [line for line in OPERATIONS.read_text().splitlines() if line.startswith("|")]
    assert any(f"| `{name}` |" in row for row in rows), f"{name} is not in docs/operations.md"
