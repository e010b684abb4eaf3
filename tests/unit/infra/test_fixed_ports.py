"""The fixed ports of the test and benchmark infrastructure sit below the ephemeral range.

Fault tests stop PostgreSQL and Kafka while services keep reconnecting. A client connecting to a
port in the ephemeral range on which nothing listens can be given that very port as its source
and connect to itself (TCP simultaneous open); the restart then fails with "address already in
use". Below the range no outgoing connection is ever bound to them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localinfra.config import REPO_ROOT, InfraSettings
from localinfra.testing import TEST_DEFAULTS

LINUX_DEFAULT_EPHEMERAL = range(32768, 61000)
MAKEFILE = REPO_ROOT / "Makefile"


def _ephemeral() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except OSError:
        return LINUX_DEFAULT_EPHEMERAL
    return range(min(int(low), LINUX_DEFAULT_EPHEMERAL.start), int(high) + 1)


def _makefile_defaults(block: str) -> dict[str, int]:
    """`ORDERS_X=$${ORDERS_<block>_X:-1234}` defaults of the Makefile's TEST_ENV, BENCH_ENV or
    CLUSTER_TEST_ENV."""
    pattern = rf"(ORDERS_\w+)=\$\$\{{ORDERS_{block}_\w+:-(\d+)\}}"
    found = {name: int(port) for name, port in re.findall(pattern, MAKEFILE.read_text())}
    assert found, f"no ORDERS_{block}_* port defaults in the Makefile"
    return found


def _node_ports(settings: InfraSettings, brokers: int = 3) -> list[int]:
    ports = [settings.pg_port, settings.service_base_port]
    for node in range(1, brokers + 1):
        ports.extend(settings.kafka_node_ports(node))
    return ports


@pytest.mark.parametrize("block", ["TEST", "BENCH", "CLUSTER"])
def test_the_makefile_ports_are_below_the_ephemeral_range(block: str) -> None:
    defaults = _makefile_defaults(block)
    settings = InfraSettings(
        pg_port=defaults["ORDERS_PG_PORT"],
        kafka_port=defaults["ORDERS_KAFKA_PORT"],
        kafka_controller_port=defaults["ORDERS_KAFKA_CONTROLLER_PORT"],
        service_base_port=defaults["ORDERS_SERVICE_BASE_PORT"],
    )
    ephemeral = _ephemeral()
    inside = [port for port in _node_ports(settings) if port in ephemeral]
    assert not inside, f"{block} ports {inside} are in the ephemeral range {ephemeral}"


def test_the_test_plugin_defaults_match_the_makefile_and_are_below_the_range() -> None:
    defaults = _makefile_defaults("TEST")
    assert TEST_DEFAULTS["pg_port"] == defaults["ORDERS_PG_PORT"]
    assert TEST_DEFAULTS["kafka_port"] == defaults["ORDERS_KAFKA_PORT"]
    assert TEST_DEFAULTS["kafka_controller_port"] == defaults["ORDERS_KAFKA_CONTROLLER_PORT"]
    assert TEST_DEFAULTS["service_base_port"] == defaults["ORDERS_SERVICE_BASE_PORT"]
    settings = InfraSettings(**{k: v for k, v in TEST_DEFAULTS.items() if k != "infra_home"})
    ephemeral = _ephemeral()
    assert not [port for port in _node_ports(settings) if port in ephemeral]
