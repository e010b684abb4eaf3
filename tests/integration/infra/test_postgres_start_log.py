"""The local PostgreSQL's start-up leaves a clean server log: every probe and connection of the
start names a role that exists (issue 23: `pg_isready` logged in as the OS user, `root`)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from localinfra.config import InfraSettings
from localinfra.postgres import LocalPostgres, ensure_databases

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_starting_postgres_logs_no_unknown_role(tmp_path: Path) -> None:
    settings = InfraSettings(infra_home=tmp_path / "infra", pg_port=_free_port())
    postgres = LocalPostgres(settings)
    assert postgres.start()
    try:
        # What `localinfra up` does once the server runs: the readiness probe, then the
        # databases; the probe runs twice, as a second `up` against a running server does.
        postgres.wait_ready()
        postgres.wait_ready()
        assert asyncio.run(ensure_databases(settings.postgres_dsn(), ("order",))) == ["order"]
    finally:
        postgres.stop()
    log = postgres.log_file.read_text()
    assert "ready to accept connections" in log
    assert [line for line in log.splitlines() if "FATAL" in line] == []
