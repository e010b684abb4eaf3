"""The alert rules use metrics the services really export, and each has a runbook section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import eventing.metrics  # noqa: F401  (registers the metrics)

ROOT = Path(__file__).resolve().parents[3]
RULES = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
RUNBOOK = (ROOT / "docs/operations.md").read_text()
ALERTS: list[dict[str, Any]] = [rule for group in RULES["groups"] for rule in group["rules"]]


def exported_names() -> set[str]:
    names: set[str] = set()
    for metric in REGISTRY.collect():
        names.add(metric.name)
        if metric.type == "counter":
            names.add(f"{metric.name}_total")
    return names


@pytest.mark.parametrize("alert", ALERTS, ids=[a["alert"] for a in ALERTS])
def test_every_alert_uses_exported_metrics(alert: dict[str, Any]) -> None:
    # Recorded series (`group:eventing_…:rate5m`) are held by test_prometheus_provisioning.py.
    used = set(re.findall(r"(?<![\w:])eventing_[a-z_]+(?![\w:])", alert["expr"]))
    assert used <= exported_names(), f"{alert['alert']} uses unknown {used - exported_names()}"


@pytest.mark.parametrize("alert", ALERTS, ids=[a["alert"] for a in ALERTS])
def test_every_alert_has_a_runbook_section(alert: dict[str, Any]) -> None:
    anchor = alert["annotations"]["runbook"].split("#", 1)[1]
    assert anchor == alert["alert"].lower()
    assert f"\n### {alert['alert']}\n" in RUNBOOK


def test_business_alerts_name_deadline_kinds_the_services_schedule() -> None:
    from aftersales_service.application.deadlines import DeadlineKind
    from logistics_service.application.deadlines import DEADLINE_KINDS

    kinds = {kind.value for kind in DeadlineKind} | set(DEADLINE_KINDS.values())
    for alert in ALERTS:
        for kind in re.findall(r'kind="([^"]+)"', alert["expr"]):
            assert kind in kinds, f"{alert['alert']} watches an unknown deadline kind {kind}"
