"""Consumer groups settle at start-up and stay settled while a busy machine drives a mix (issue 23).

The three services start on topics of the catalog's 12 partitions (a fresh group of the order
read model then owns 36) beside two processes that keep the cores busy, and the demo's stories
run for a couple of minutes. The broker's own log must then show every group of the run formed
once (generation 1) and no member removed on heartbeat expiration; the services' logs must show
no heartbeat that the coordinator refused. Before the fix the assignment listener awaited a
fetch round per partition (13-20 s for 24-36 partitions, longer than the session timeout), and
the groups were rebalanced every 15-20 s for minutes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contracts.parties import SERVICES
from contracts.topics import topic_for
from eventing.service import manifest_of
from localinfra.demo import run_demo
from localinfra.flows import ServiceUrls
from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.e2e

LOAD_SECONDS = 120.0
"""How long the mix runs (the demo again and again): the churn of issue 23 began within
seconds of the start and went on for minutes."""
CPU_BURNERS = 2


@pytest.fixture(scope="module")
def busy_cores() -> Iterator[None]:
    """Processes that keep the machine's cores busy for as long as the module runs."""
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(CPU_BURNERS)
    ]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.fixture(scope="module")
async def loaded(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory, busy_cores: None
) -> AsyncIterator[System]:
    """A system of its own on 12-partition topics, started while the cores are busy."""
    if infra.settings is None:
        pytest.skip("reads the local broker's log, which only a local infrastructure has")
    logs = run_logs(infra, "e2e-groups") or tmp_path_factory.mktemp("e2e-groups-logs")
    partitions = topic_for(SERVICES[0]).partitions
    running = await start_system(infra, logs, partitions=partitions)
    try:
        yield running
    finally:
        await stop_system(running)


def _groups(system: System) -> set[str]:
    """Every consumer group the run's services run: read models (but those projected inline,
    which have none) and reactions."""
    prefix = f"e2e.{system.run}."
    groups: set[str] = set()
    for service in SERVICES:
        manifest = manifest_of(service)
        subscribed = [p.group for p in manifest.projections if not p.inline]
        purposes = subscribed + [r.name for r in manifest.reactions]
        groups.update(f"{prefix}{service.value}.{purpose}" for purpose in purposes)
    return groups


def _broker_lines(infra: InfraEndpoints, run: str) -> list[str]:
    """The broker's log lines about this run's groups (rolled files included)."""
    assert infra.settings is not None
    files = sorted(infra.settings.logs_dir.glob("kafka.log*"))
    marker = f"e2e.{run}."
    return [
        line
        for path in files
        for line in path.read_text(errors="replace").splitlines()
        if marker in line and "GroupCoordinator" in line
    ]


async def test_no_member_is_removed_and_no_group_rebalances_again_under_load(
    loaded: System, infra: InfraEndpoints
) -> None:
    urls = ServiceUrls(*(loaded.url(service) for service in SERVICES))
    stories = 0
    end = time.monotonic() + LOAD_SECONDS
    while time.monotonic() < end:
        stories += len((await run_demo(urls, loaded.tokens, loaded.clock_url)).orders)
    assert stories > 0

    lines = _broker_lines(infra, loaded.run)
    expired = [line for line in lines if "on heartbeat expiration" in line]
    assert expired == []
    stabilized = re.compile(r"Stabilized group (\S+) generation (\d+)")
    generations: dict[str, list[int]] = {}
    for line in lines:
        if found := stabilized.search(line):
            generations.setdefault(found[1], []).append(int(found[2]))
    assert generations == {group: [1] for group in _groups(loaded)}
    refused = {
        service.value: [line for line in _lines(running.log_file) if "Heartbeat failed" in line]
        for service, running in loaded.services.items()
    }
    assert refused == {service.value: [] for service in SERVICES}


def _lines(log_file: Path) -> list[str]:
    return log_file.read_text(errors="replace").splitlines()
