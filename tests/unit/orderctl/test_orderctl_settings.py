"""orderctl points at the infrastructure `make run` starts, without the development package."""

from __future__ import annotations

import subprocess
import sys

import pytest

from contracts.parties import SERVICES
from localinfra.config import InfraSettings
from orderctl.settings import OrderctlSettings


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ORDERS_* or ORDERCTL_* variable of the test session leaks into the settings."""
    for name in InfraSettings.model_fields:
        monkeypatch.delenv(f"ORDERS_{name.upper()}", raising=False)
    for name in OrderctlSettings.model_fields:
        monkeypatch.delenv(f"ORDERCTL_{name.upper()}", raising=False)
    return monkeypatch


def _where(settings: OrderctlSettings) -> tuple[dict[str, str], str]:
    return {s.value: settings.database(s) for s in SERVICES}, settings.bootstrap


def _where_make_run_is(infra: InfraSettings) -> tuple[dict[str, str], str]:
    return {s.value: infra.postgres_dsn(s.value) for s in SERVICES}, infra.kafka_bootstrap


def test_the_defaults_are_the_databases_and_the_broker_of_make_run(
    environment: pytest.MonkeyPatch,
) -> None:
    settings = OrderctlSettings()

    assert _where(settings) == _where_make_run_is(InfraSettings())
    assert settings.database(SERVICES[0]) == "postgresql://postgres@127.0.0.1:55432/order"
    assert settings.bootstrap == "127.0.0.1:59092"


def test_the_defaults_follow_make_run_when_its_ports_are_moved(
    environment: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "ORDERS_HOST": "localhost",
        "ORDERS_PG_PORT": "56999",
        "ORDERS_PG_USER": "ops",
        "ORDERS_KAFKA_PORT": "59999",
    }.items():
        environment.setenv(name, value)

    assert _where(OrderctlSettings()) == _where_make_run_is(InfraSettings())
    assert OrderctlSettings().bootstrap == "localhost:59999"


def test_orderctl_variables_win_over_the_defaults(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("ORDERS_PG_PORT", "56999")
    environment.setenv("ORDERCTL_LOGISTICS_DB", "postgresql://ops@db.internal:5432/logistics")
    environment.setenv("ORDERCTL_BOOTSTRAP", "kafka:9092")

    shown = OrderctlSettings().shown()

    assert shown["logistics_db"] == "postgresql://ops@db.internal:5432/logistics"
    assert shown["order_db"] == "postgresql://postgres@127.0.0.1:56999/order"
    assert shown["bootstrap"] == "kafka:9092"


def test_orderctl_runs_without_importing_the_development_package() -> None:
    probe = (
        "import sys, orderctl.cli;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'localinfra'))"
    )

    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )

    assert (finished.returncode, finished.stdout.strip()) == (0, "[]"), finished.stderr
