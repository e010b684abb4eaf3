"""`localinfra clock` moves every service database's clock, as operators and demos need."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from contracts.parties import SERVICES
from eventing.migrate import upgrade_async
from localinfra.cli import app
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration


def test_advance_show_and_reset_move_every_service_clock(infra: InfraEndpoints) -> None:
    if infra.settings is None:
        pytest.skip("the clock command works on the local infrastructure's service databases")
    for name in SERVICES:
        asyncio.run(upgrade_async(infra.postgres_dsn(name)))
    runner = CliRunner()
    try:
        advanced = runner.invoke(app, ["clock", "advance", "PT2H"])
        assert advanced.exit_code == 0, advanced.output
        assert advanced.output.count("offset now") == len(SERVICES)
        again = runner.invoke(app, ["clock", "advance", "3600"])
        assert "3:00:00" in again.output
        shown = runner.invoke(app, ["clock", "show"])
        assert shown.output.count("3:00:00") == len(SERVICES)
        refused = runner.invoke(app, ["clock", "advance", "PT0S"])
        assert refused.exit_code == 1
        assert "positive" in refused.output
    finally:
        reset = runner.invoke(app, ["clock", "reset"])
    assert reset.exit_code == 0
    assert runner.invoke(app, ["clock", "show"]).output.count("offset 0:00:00") == len(SERVICES)
