"""`localinfra run` (behind `make run`) brings the system up; Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from contracts.parties import SERVICES

pytestmark = pytest.mark.e2e


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _wait_ready(url: str, launcher: subprocess.Popen[bytes], attempts: int = 600) -> None:
    for _ in range(attempts):
        assert launcher.poll() is None, "the launcher exited before the services were ready"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} never became ready")


def _processes_under(home: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(home) in cmdline:
            found.append(process)
    return found


def test_run_starts_three_ready_services_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    pg, kafka, controller, services = _free_ports(4)
    home = tmp_path / "infra"
    env = {
        **os.environ,
        "ORDERS_INFRA_HOME": str(home),
        "ORDERS_PG_PORT": str(pg),
        "ORDERS_KAFKA_PORT": str(kafka),
        "ORDERS_KAFKA_CONTROLLER_PORT": str(controller),
        "ORDERS_SERVICE_BASE_PORT": str(services),
    }
    launcher = subprocess.Popen(
        [sys.executable, "-m", "localinfra.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for offset, _ in enumerate(SERVICES):
            _wait_ready(f"http://127.0.0.1:{services + offset}/ready", launcher)
        docs = httpx.get(f"http://127.0.0.1:{services}/openapi.json", timeout=5)
        assert docs.status_code == 200
        assert _processes_under(home), "PostgreSQL and Kafka should run under the test home"
    finally:
        launcher.send_signal(signal.SIGINT)
        output, _ = launcher.communicate(timeout=180)
    assert launcher.returncode == 0, output.decode()
    assert b"stopped" in output
    leftovers = [p.pid for p in _processes_under(home) if p.is_running()]
    assert leftovers == []
    for offset, _ in enumerate(SERVICES):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{services + offset}/health", timeout=1)
