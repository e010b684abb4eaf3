"""Servers under load for the service benchmarks: the order service alone, the CRUD contender
and the bare baseline, the load generator process that drives them (wrk, `bench.wrk`; or httpx,
`bench.loadgen`), the server CPU over the measured window, and the RSS sampler.

The order service is started exactly as `localinfra.system` starts it (`start_service`: real
uvicorn, one worker, database clock) on a fresh database and fresh topics of the bench
infrastructure; the contenders' apps are served by the same uvicorn command line.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from aiokafka.admin import NewTopic

from bench import wrk
from bench.harness import BenchInfra
from bench.loadgen import Connection, LoadSpec
from contracts.parties import SERVICES, Service
from eventing.database import create_engine
from eventing.http.auth import Role, TokenIssuer
from eventing.migrate import upgrade_service_async
from eventing.topics import connect_admin
from localinfra import flows
from localinfra.services import wait_ready
from localinfra.system import AUTH_SECRET, RunningService, start_service
from localinfra.testing import InfraEndpoints

ON_HAND = 10_000_000  # stock per SKU and shop: never the limit during a run
TOKENS = TokenIssuer(AUTH_SECRET)


def endpoints(infra: BenchInfra) -> InfraEndpoints:
    return InfraEndpoints("local", infra.dsn(), infra.bootstrap, settings=infra.settings)


def logs_dir(infra: BenchInfra, run: str) -> Path:
    path = infra.settings.logs_dir / "bench" / run
    path.mkdir(parents=True, exist_ok=True)
    return path


def concurrency() -> int:
    """Connections the load generator keeps busy (`BENCH_CONCURRENCY`, default 16)."""
    return int(os.environ.get("BENCH_CONCURRENCY", "16"))


# --- databases, topics, processes -----------------------------------------------------------


async def create_database(infra: BenchInfra, name: str) -> str:
    admin = await asyncpg.connect(infra.dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return infra.dsn(name)


async def drop_database(infra: BenchInfra, name: str) -> None:
    admin = await asyncpg.connect(infra.dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def service_topics(infra: BenchInfra, run: str) -> AsyncIterator[dict[Service, str]]:
    topics = {service: f"bench.{run}.{service.value}" for service in SERVICES}
    admin = await connect_admin(infra.bootstrap)
    try:
        await admin.create_topics([NewTopic(name, 3, 1) for name in topics.values()])
        yield topics
    finally:
        await admin.delete_topics(list(topics.values()))
        await admin.close()


async def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        await asyncio.to_thread(process.wait, 30)
    except subprocess.TimeoutExpired:
        process.kill()


Preload = Callable[[str], Awaitable[None]]


@asynccontextmanager
async def order_service(
    infra: BenchInfra, purpose: str, preload: Preload | None = None
) -> AsyncIterator[RunningService]:
    """The order service alone on a fresh migrated database (after `preload(dsn)`)."""
    run = f"{purpose}_{uuid.uuid4().hex[:8]}"
    database = f"bench_{run}"
    async with service_topics(infra, run) as topics:
        dsn = await create_database(infra, database)
        try:
            await upgrade_service_async(dsn, "order")
            if preload is not None:
                await preload(dsn)
            running = start_service(
                Service.ORDER, dsn, topics, endpoints(infra), run, logs_dir(infra, run), "system"
            )
            try:
                await wait_ready(running)
                yield running
            finally:
                await stop_process(running.process)
                await running.engine.dispose()
        finally:
            await drop_database(infra, database)


@asynccontextmanager
async def _fresh_database(infra: BenchInfra, kind: str) -> AsyncIterator[tuple[str, str]]:
    """(run name, DSN) of a fresh, empty database for one contender; dropped afterwards."""
    run = f"{kind}_{uuid.uuid4().hex[:8]}"
    database = f"bench_{run}"
    dsn = await create_database(infra, database)
    try:
        yield run, dsn
    finally:
        await drop_database(infra, database)


@asynccontextmanager
async def bare_app(infra: BenchInfra) -> AsyncIterator[RunningService]:
    """The baseline endpoint on a fresh database, served like the services."""
    async with _fresh_database(infra, "bare") as (run, dsn):
        env = {"BENCH_BARE_DSN": dsn}
        async with contender_app("bench.bare_app", dsn, env, logs_dir(infra, run)) as running:
            yield running


@asynccontextmanager
async def crud_app(infra: BenchInfra) -> AsyncIterator[RunningService]:
    """The CRUD contender (`bench.crud_app`) on a fresh database, served like the services."""
    async with (
        _fresh_database(infra, "crud") as (run, dsn),
        crud_app_on(dsn, logs_dir(infra, run)) as running,
    ):
        yield running


def crud_app_on(dsn: str, logs: Path) -> AbstractAsyncContextManager[RunningService]:
    """The CRUD contender on `dsn` (it creates its tables), accepting the services' tokens."""
    env = {"BENCH_CRUD_DSN": dsn, "BENCH_CRUD_SECRET": AUTH_SECRET}
    return contender_app("bench.crud_app", dsn, env, logs)


@asynccontextmanager
async def contender_app(
    module: str, dsn: str, env: dict[str, str], logs: Path
) -> AsyncIterator[RunningService]:
    """`module:create_app` with the uvicorn command line of `localinfra.system.start_service`
    (one worker, no access log), ready; stopped on exit."""
    log_file = logs / f"{module.rsplit('.', 1)[-1]}.log"
    process, port = _spawn(module, env, log_file)
    running = RunningService(
        Service.ORDER, f"http://127.0.0.1:{port}", dsn, create_engine(dsn, pool_size=1),
        process, log_file,
    )  # fmt: skip
    try:
        await wait_ready(running)
        yield running
    finally:
        await stop_process(process)
        await running.engine.dispose()


def _spawn(module: str, env: dict[str, str], log_file: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    with log_file.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", f"{module}:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, port


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrderUrl:
    order: str

    def url(self, service: Service) -> str:
        return self.order


async def stocked_connections(url: str, connections: int) -> list[Connection]:
    """One shop and one buyer per connection, the shop's SKUs stocked (no shared hot row)."""
    prepared = []
    for _ in range(connections):
        async with flows.Actors(_OrderUrl(url), TOKENS) as actors:
            for line in (flows.TEA, flows.CUP):
                await flows.set_stock(actors, line.sku, ON_HAND)
            token = TOKENS.issue(Role.BUYER, actors.buyer_id)
            provider = TOKENS.issue(Role.SYSTEM, "payment-provider")
            prepared.append(
                Connection(
                    {"Authorization": f"Bearer {token}"},
                    flows.order_body(actors.shop_id),
                    {"Authorization": f"Bearer {provider}"},
                )
            )
    return prepared


def bare_connections(connections: int) -> list[Connection]:
    return [Connection({}, flows.order_body(f"shop-{n}")) for n in range(connections)]


@dataclass(frozen=True, slots=True)
class Latencies:
    """Latencies (seconds) of the requests finished in a measured window."""

    seconds: float
    samples: list[float]

    @property
    def per_second(self) -> float:
        return len(self.samples) / self.seconds

    def percentile(self, p: float) -> float:
        """Nearest rank: at least p% of the samples are at or below it."""
        ordered = sorted(self.samples)
        return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)] if ordered else math.nan

    def share_within(self, bound: float) -> float:
        """Percent of the samples at or below `bound` (≥ 99 ⟺ p99 ≤ bound)."""
        return 100 * sum(1 for s in self.samples if s <= bound) / max(len(self.samples), 1)

    def summary(self) -> str:
        return (
            f"{self.per_second:,.0f} req/s, p50 {self.percentile(50) * 1000:.1f} ms, "
            f"p99 {self.percentile(99) * 1000:.1f} ms ({len(self.samples):,} requests)"
        )


@dataclass(frozen=True, slots=True)
class LoadResult:
    seconds: float
    latencies: dict[str, list[float]]
    failures: dict[str, int]
    # CPU seconds (user + system) the server process spent inside the measured window.
    server_cpu: float = math.nan

    def of(self, *kinds: str) -> Latencies:
        return Latencies(self.seconds, [s for k in kinds for s in self.latencies.get(k, [])])

    def cpu_per(self, kind: str) -> float:
        """Server CPU seconds per `kind` request finished in the window."""
        done = len(self.latencies.get(kind, []))
        return self.server_cpu / done if done else math.nan


GENERATORS = ("wrk", "httpx")
STARTUP = 0.5  # seconds given to the generator process to start before its warm-up begins


def generator() -> str:
    """`BENCH_LOADGEN`: wrk (the default, `bench.wrk`) or httpx (`bench.loadgen`)."""
    chosen = os.environ.get("BENCH_LOADGEN", "wrk")
    if chosen not in GENERATORS:
        raise SystemExit(f"BENCH_LOADGEN={chosen!r}: one of {', '.join(GENERATORS)}")
    return chosen


async def drive(
    spec: LoadSpec, label: str, server_pid: int | None = None, using: str | None = None
) -> LoadResult:
    """Run the load generator process on `spec` (wrk unless `using`/BENCH_LOADGEN say httpx);
    what it measured, with the CPU `server_pid` spent in the measured window."""
    using = using or generator()
    spec = replace(spec, starts_at=time.monotonic() + STARTUP)
    window = spec.window()
    load = asyncio.create_task(
        wrk.run(spec, window) if using == "wrk" else _python_generator(spec, label)
    )
    cpu = math.nan
    if server_pid is not None:
        cpu = await _cpu_between(server_pid, window)
    document = await load
    result = LoadResult(document["seconds"], document["latencies"], document["failures"], cpu)
    if result.failures:
        print(f"    {label}: failed requests {result.failures}", flush=True)
    return result


async def _cpu_between(pid: int, window: tuple[float, float]) -> float:
    """CPU seconds (user + system) of `pid` between two time.monotonic() instants."""
    process = psutil.Process(pid)
    await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
    before = process.cpu_times()
    await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
    after = process.cpu_times()
    return (after.user + after.system) - (before.user + before.system)


async def _python_generator(spec: LoadSpec, label: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        spec_file, out_file = Path(scratch, "spec.json"), Path(scratch, "out.json")
        await asyncio.to_thread(
            spec_file.write_text, json.dumps(spec.to_json(), ensure_ascii=False)
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.loadgen", str(spec_file), str(out_file)
        )
        if await process.wait() != 0:
            raise RuntimeError(f"load generator for {label} exited with {process.returncode}")
        document: dict[str, Any] = json.loads(await asyncio.to_thread(out_file.read_text))
    return document


# --- memory ---------------------------------------------------------------------------------


@dataclass(slots=True)
class RssSampler:
    """Samples the resident set size of processes (and their children) until stopped."""

    pids: dict[str, int]
    interval: float = 0.05
    peaks: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[int]] = field(default_factory=dict)

    def sample(self) -> None:
        for name, pid in self.pids.items():
            try:
                process = psutil.Process(pid)
                rss = process.memory_info().rss + sum(
                    child.memory_info().rss for child in process.children(recursive=True)
                )
            except psutil.NoSuchProcess:
                continue
            self.samples.setdefault(name, []).append(rss)
            self.peaks[name] = max(self.peaks.get(name, 0), rss)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)


@asynccontextmanager
async def sampling(pids: dict[str, int]) -> AsyncIterator[RssSampler]:
    sampler = RssSampler(pids)
    stop = asyncio.Event()
    task = asyncio.create_task(sampler.run(stop))
    try:
        yield sampler
    finally:
        stop.set()
        await task
        sampler.sample()
