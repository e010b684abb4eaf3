"""`localinfra clock` moves the one clock every local service reads, as operators and demos
need: one offset in the clock database, moved for all services at once."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from eventing.migrate import upgrade_async
from localinfra.cli import app
from localinfra.config import CLOCK_DATABASE
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration


def test_advance_show_and_reset_move_the_systems_clock(infra: InfraEndpoints) -> None:
    if infra.settings is None:
        pytest.skip("the clock command works on the local infrastructure's clock database")
    asyncio.run(upgrade_async(infra.postgres_dsn(CLOCK_DATABASE)))
    runner = CliRunner()
    try:
        advanced = runner.invoke(app, ["clock", "advance", "PT2H"])
        assert advanced.exit_code == 0, advanced.output
        assert "offset now 2:00:00" in advanced.output
        again = runner.invoke(app, ["clock", "advance", "3600"])
        assert "3:00:00" in again.output
        shown = runner.invoke(app, ["clock", "show"])
        assert "system clock offset 3:00:00" in shown.output
        refused = runner.invoke(app, ["clock", "advance", "PT0S"])
        assert refused.exit_code == 1
        assert "positive" in refused.output
    finally:
        reset = runner.invoke(app, ["clock", "reset"])
    assert reset.exit_code == 0
    assert "offset 0:00:00" in runner.invoke(app, ["clock", "show"]).output
