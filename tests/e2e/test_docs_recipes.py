"""The shell recipes of README.md and docs/*.md run as written against a running system.

Every fenced `sh`/`bash` block a reader is told to paste is run by bash (`set -euo pipefail`)
against the e2e system, with the addresses `make run` uses (ports 8100-8102 and 59092, the
`orders.*.v1` topics, `.venv/bin/`) swapped for the system's, orderctl pointed at its
databases and topics, `localinfra` and `make` at the test infrastructure (`ORDERS_*`): a recipe
that fails (connection refused, a command that no longer exists, a snippet that validates
nothing) fails here. `ORDER_ID` is an order placed and paid for the purpose.

A block that cannot run against a test system says so in an HTML comment just above it,
`<!-- recipe not run: <why> -->` (e.g. `make run` itself); the test lists those too, so each
exception is visible in review.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.environments import LOCAL_KAFKA_PORT, local_service_url
from contracts.parties import SERVICES, Service
from contracts.topics import topic_for
from eventing.migrate import upgrade_async
from localinfra.flows import Actors
from localinfra.flows.orders import pay, payable, place_order
from localinfra.system import System

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("**/*.md")])
_BLOCK = re.compile(
    r"(?P<before>(?:<!--[^\n]*-->\n)?)^```(?:sh|bash)\n(?P<body>.*?)^```$", re.S | re.M
)
_NOT_RUN = re.compile(r"<!-- recipe not run: (?P<why>.+?) -->")


@dataclass(frozen=True)
class Recipe:
    """One shell block of a document."""

    document: str
    line: int
    script: str
    not_run: str | None

    def __str__(self) -> str:
        return f"{self.document}:{self.line}"


def recipes() -> list[Recipe]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for block in _BLOCK.finditer(text):
            reason = _NOT_RUN.search(block["before"])
            found.append(
                Recipe(
                    str(path.relative_to(ROOT)),
                    text.count("\n", 0, block.start("body")) + 1,
                    block["body"],
                    reason["why"] if reason else None,
                )
            )
    return found


RECIPES = recipes()


def _on_the_system(script: str, system: System) -> str:
    """The recipe with `make run`'s addresses replaced by the running system's."""
    for service in SERVICES:
        local = local_service_url(service).removeprefix("http://")
        url = system.url(service)
        script = script.replace(f"http://{local}", url)
        script = script.replace(local, url.removeprefix("http://"))
        script = script.replace(local.replace("127.0.0.1", "localhost"), url)
        script = script.replace(topic_for(service).name, system.topics[service])
    for host in ("127.0.0.1", "localhost"):
        script = script.replace(f"{host}:{LOCAL_KAFKA_PORT}", system.bootstrap)
    return script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")


def _environment(system: System, order_id: str) -> dict[str, str]:
    return {
        **os.environ,
        "ORDERCTL_BOOTSTRAP": system.bootstrap,
        "ORDERCTL_GROUP_PREFIX": f"e2e.{system.run}.",
        **{f"ORDERCTL_{s.name}_DB": system.services[s].database_url for s in Service},
        **{f"ORDERCTL_{s.name}_TOPIC": system.topics[s] for s in Service},
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }


def test_a_recipe_that_is_not_run_names_the_test_that_covers_it() -> None:
    skipped = [recipe for recipe in RECIPES if recipe.not_run]

    assert len(skipped) < len(RECIPES)
    for recipe in skipped:
        assert recipe.not_run is not None
        named = re.findall(r"tests/[\w/]+\.py", recipe.not_run)
        assert named, f"{recipe}: say which test covers it"
        assert all((ROOT / path).is_file() for path in named), (recipe, named)


@pytest.mark.parametrize("recipe", [r for r in RECIPES if not r.not_run], ids=str)
async def test_a_recipe_runs_against_a_running_system(
    system: System, recipe: Recipe, tmp_path: Path
) -> None:
    async with Actors.of(system) as actors:
        placed = await place_order(actors)
        await pay(actors, placed["order_id"], payable())
    environment = _environment(system, placed["order_id"])
    # `localinfra clock` moves a clock of its own here: moving the session system's would
    # time out the other tests' orders.
    clock = f"e2e_{system.run}_recipe_clock_{uuid.uuid4().hex[:8]}"
    environment["CLOCK_DATABASE_URL"] = await system.infra.create_database(clock)
    await upgrade_async(environment["CLOCK_DATABASE_URL"])
    script = _on_the_system(recipe.script, system).replace("ORDER_ID", placed["order_id"])
    script = "set -euo pipefail\n" + script.replace("make ", f"make -C {ROOT} ")
    try:
        process = await asyncio.create_subprocess_exec(
            "bash", "-c", script, cwd=tmp_path, env=environment,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
    finally:
        await system.infra.drop_databases([clock])
    printed = output.decode(errors="replace")

    assert process.returncode == 0, f"{recipe} failed ({process.returncode}):\n{script}\n{printed}"
    assert "Traceback" not in printed, printed
