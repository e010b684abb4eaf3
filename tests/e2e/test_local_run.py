"""`localinfra run` (behind `make run`) brings the system up; Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from contracts.parties import SERVICES, Service
from localinfra.config import REPLICA_PORT_STEP, InfraSettings
from localinfra.stack import LocalStack

pytestmark = pytest.mark.e2e

SERVICE_PORTS = 4
"""`make run` serves on ORDERS_SERVICE_BASE_PORT + 0..3: the three services and the dashboard."""


@dataclass(frozen=True, slots=True)
class LaunchPorts:
    """The ports of one `localinfra run`: PostgreSQL, Kafka, its controller, then the services."""

    pg: int
    kafka: int
    controller: int
    services: int

    def environment(self, home: Path) -> dict[str, str]:
        return {
            **os.environ,
            "ORDERS_INFRA_HOME": str(home),
            "ORDERS_PG_PORT": str(self.pg),
            "ORDERS_KAFKA_PORT": str(self.kafka),
            "ORDERS_KAFKA_CONTROLLER_PORT": str(self.controller),
            "ORDERS_SERVICE_BASE_PORT": str(self.services),
        }


def _ephemeral_ports() -> range:
    """The ports the kernel hands out by itself: to `bind` on port 0 and to every outgoing
    connection."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except OSError:
        return range(32768, 65536)  # Linux's default start; macOS and the BSDs start higher
    return range(int(low), int(high) + 1)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _launch_ports(replicas: int = 1) -> LaunchPorts:
    """Consecutive ports, free now and outside the ephemeral range (with `replicas`, up to the
    last replica's, `REPLICA_PORT_STEP` apart).

    A number from a probe bound to port 0 is free only until the probe closes: the kernel may
    give it to the next process of the machine that asks for any port (a service started on
    `localinfra.system._free_port`), and the launcher binds it seconds later, after initdb and
    Kafka's storage format. The service ports above the base were not probed at all, and the
    even ones of that range are what outgoing connections are bound to. A port outside the
    range is only ever taken by a process asking for that very number, and none here does.
    """
    block = 3 + SERVICE_PORTS + REPLICA_PORT_STEP * (replicas - 1)
    ephemeral = _ephemeral_ports()
    starts = [
        start
        for start in range(20000, 65536 - block)  # above the fixed ports of `make run`/tests
        if start + block <= ephemeral.start or start >= ephemeral.stop
    ]
    for start in random.sample(starts, min(len(starts), 200)):
        if all(_bindable(port) for port in range(start, start + block)):
            return LaunchPorts(start, start + 1, start + 2, start + 3)
    pytest.fail(f"no {block} free consecutive ports outside the ephemeral range {ephemeral}")


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
    ports = _launch_ports()
    services = ports.services
    home = tmp_path / "infra"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "localinfra.cli", "run"],
        env=ports.environment(home),
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


def test_run_with_replicas_serves_each_on_its_printed_port_and_one_relay_leads_per_service(
    tmp_path: Path,
) -> None:
    """`make run REPLICAS=2`: two processes of each service, replica 1 ten ports above replica
    0, both ready, each named in the printout; of each service's two relays, one leads."""
    ports = _launch_ports(replicas=2)
    home = tmp_path / "infra"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "localinfra.cli", "run", "--replicas", "2"],
        env=ports.environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    urls = {
        (service, replica): f"http://127.0.0.1:{ports.services + offset + 10 * replica}"
        for offset, service in enumerate(SERVICES)
        for replica in (0, 1)
    }
    try:
        for url in urls.values():
            _wait_ready(f"{url}/ready", launcher)
        leading = _until_one_relay_leads_per_service(urls, launcher)
    finally:
        launcher.send_signal(signal.SIGINT)
        output, _ = launcher.communicate(timeout=180)
    printed = output.decode()
    assert launcher.returncode == 0, printed
    for url in urls.values():
        assert url in printed
    assert all(len(replicas) == 1 for replicas in leading.values()), leading
    assert _processes_under(home) == []


_RELAY_ACTIVE_ON = re.compile(r"^eventing_relay_active\{[^}]*\} 1\.0$", re.MULTILINE)


def _until_one_relay_leads_per_service(
    urls: dict[tuple[Service, int], str], launcher: subprocess.Popen[bytes], attempts: int = 600
) -> dict[Service, list[int]]:
    """The replicas leading each service's relay (their /metrics), once one leads for each."""
    for _ in range(attempts):
        assert launcher.poll() is None, "the launcher exited"
        leading: dict[Service, list[int]] = {service: [] for service in SERVICES}
        for (service, replica), url in urls.items():
            if _RELAY_ACTIVE_ON.search(httpx.get(f"{url}/metrics", timeout=5).text):
                leading[service].append(replica)
        if all(leading.values()):
            return leading
        time.sleep(0.2)
    pytest.fail(f"not every service has a relay leading: {leading}")


@pytest.mark.parametrize("command", ["up", "run"])
def test_a_taken_kafka_port_is_one_error_line_and_stops_the_postgres_the_launcher_started(
    tmp_path: Path, command: str
) -> None:
    ports = _launch_ports()
    home = tmp_path / "infra"
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports.kafka))
        squatter.listen()
        result = subprocess.run(
            [sys.executable, "-m", "localinfra.cli", command],
            env=ports.environment(home),
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: port {ports.kafka} for Kafka (ORDERS_KAFKA_PORT) is already in use by another "
        "process"
    ]
    postgres_log = (home / "logs" / "postgres.log").read_text()
    assert "ready to accept connections" in postgres_log, "PostgreSQL starts before Kafka"
    assert "database system is shut down" in postgres_log
    assert _processes_under(home) == []


def test_a_taken_kafka_port_leaves_a_postgres_that_already_ran_running(tmp_path: Path) -> None:
    ports = _launch_ports()
    home = tmp_path / "infra"
    stack = LocalStack(InfraSettings(infra_home=home, pg_port=ports.pg))
    assert stack.postgres.start()
    try:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", ports.controller))
            squatter.listen()
            result = subprocess.run(
                [sys.executable, "-m", "localinfra.cli", "up"],
                env=ports.environment(home),
                capture_output=True,
                text=True,
                check=False,
            )
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"port {ports.controller} for Kafka (ORDERS_KAFKA_CONTROLLER_PORT)" in result.stderr
        assert stack.postgres.status().running
    finally:
        stack.postgres.stop()
