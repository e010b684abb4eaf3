"""Benchmark 2, commands over HTTP: place-order then pay-order, a fixed number of connections
kept busy by the load generator process (`bench.loadgen`), against the order service running as
a real uvicorn process (one worker) on a fresh database and topics of the bench infrastructure.

Baseline: `bench.bare_app`, a bare FastAPI endpoint doing one asyncpg INSERT of the same body,
served by the same uvicorn command line and driven by the same generator, run before and after
ours (the better run counts). Each connection has its own shop and buyer, so no two connections
reserve the same SKU row (a hot SKU would measure lock waits, not the service).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.diagnosis import Diagnosis, diagnosing
from bench.figures import Figure, Target
from bench.harness import BenchInfra
from bench.loadgen import LoadSpec
from bench.profiling import profiled
from bench.servers import (
    Latencies,
    LoadResult,
    Preload,
    RssSampler,
    bare_app,
    bare_connections,
    concurrency,
    drive,
    order_service,
    sampling,
    stocked_connections,
)

COMMANDS = ("place", "pay")
MIN_SHARE_OF_BARE = 0.6
P99_FACTOR = 2.0


@dataclass(frozen=True, slots=True)
class Measured:
    """One contender's load and the peak RSS of its server process (bytes)."""

    result: LoadResult
    peak_rss: int
    diagnosis: Diagnosis | None = None
    profile: str = ""


# Peak RSS of the order service and the bare app during the last run of this benchmark in this
# process, for benchmark 8 (memory) when the suite runs both.
LAST_PEAKS: dict[str, int] = {}
# Its place + pay requests/s, the sustainable rate benchmark 6 (freshness) paces at half of.
LAST_RATE: dict[str, float] = {}


async def service_load(
    infra: BenchInfra, purpose: str, seconds: float, warmup: float, preload: Preload | None = None
) -> Measured:
    """place+pay on a freshly started order service (after `preload`)."""
    async with order_service(infra, purpose, preload) as running:
        connections = await stocked_connections(running.url, concurrency())
        spec = LoadSpec(running.url, "place_and_pay", warmup, seconds, connections)
        database = running.database_url.rsplit("/", 1)[1]
        async with (
            sampling({"order": running.process.pid}) as sampler,
            diagnosing(running.process.pid, infra.dsn(), database) as diagnosis,
            profiled(running.process.pid, warmup + seconds) as profile,
        ):
            result = await drive(spec, f"order service ({purpose})")
    print(f"    {diagnosis.summary()}", flush=True)
    if profile.summary:
        print(f"    {profile.summary}", flush=True)
    return Measured(result, _peak(sampler, "order"), diagnosis, profile.summary)


async def bare_load(infra: BenchInfra, seconds: float, warmup: float) -> Measured:
    async with bare_app(infra) as running:
        spec = LoadSpec(
            running.url, "bare_insert", warmup, seconds, bare_connections(concurrency())
        )
        async with sampling({"bare": running.process.pid}) as sampler:
            result = await drive(spec, "bare endpoint")
    return Measured(result, _peak(sampler, "bare"))


def _peak(sampler: RssSampler, name: str) -> int:
    return sampler.peaks.get(name, 0)


def show(label: str, latencies: Latencies) -> None:
    print(f"    {label:<52} {latencies.summary()}", flush=True)


async def run(infra: BenchInfra) -> list[Figure]:
    seconds, warmup = infra.size(full=60, quick=15), infra.size(full=5, quick=3)
    print(f"  {concurrency()} connections, {warmup} s warm-up + {seconds} s measured", flush=True)
    before = await bare_load(infra, seconds, warmup)
    show("bare FastAPI + asyncpg INSERT (before)", before.result.of("insert"))
    ours = await service_load(infra, "commands", seconds, warmup)
    for kind in COMMANDS:
        show(f"order service: {kind}", ours.result.of(kind))
    show("order service: place + pay", ours.result.of(*COMMANDS))
    after = await bare_load(infra, seconds, warmup)
    show("bare FastAPI + asyncpg INSERT (after)", after.result.of("insert"))
    bare = max(before, after, key=lambda m: m.result.of("insert").per_second)
    LAST_PEAKS.update(order=ours.peak_rss, bare=max(before.peak_rss, after.peak_rss))
    LAST_RATE["place+pay"] = ours.result.of(*COMMANDS).per_second
    return command_figures(ours.result.of(*COMMANDS), bare.result.of("insert"), ours)


def command_figures(ours: Latencies, bare: Latencies, measured: Measured) -> list[Figure]:
    result = measured.result
    connections = concurrency()
    bound = P99_FACTOR * bare.percentile(99)
    rates = ", ".join(f"{kind} {result.of(kind).per_second:,.0f}/s" for kind in COMMANDS)
    rates += "; load from bench.loadgen, a separate Python process (httpx, one connection per loop)"
    failures = f"; failed: {result.failures}" if result.failures else ""
    limits = f"; {measured.diagnosis.summary()}" if measured.diagnosis else ""
    limits += f"; {measured.profile}" if measured.profile else ""
    return [
        Figure(f"place + pay, {connections} connections", ours.per_second, "requests/s",
               "bare FastAPI + asyncpg INSERT", bare.per_second,
               Target(f"≥ {MIN_SHARE_OF_BARE:.0%} of bare", minimum_ratio=MIN_SHARE_OF_BARE),
               note=rates + failures + limits),
        Figure("place + pay p50 latency", ours.percentile(50) * 1000, "ms",
               "bare p50", bare.percentile(50) * 1000),
        Figure("place + pay p99 latency", ours.percentile(99) * 1000, "ms",
               "bare p99", bare.percentile(99) * 1000,
               note=f"target ≤ {P99_FACTOR:.0f}× bare p99 = {bound * 1000:.1f} ms: next row"),
        Figure(f"place + pay answered within {P99_FACTOR:.0f}× bare p99 ({bound * 1000:.1f} ms)",
               ours.share_within(bound), "%", "bare within the same bound",
               bare.share_within(bound),
               Target(f"p99 ≤ {P99_FACTOR:.0f}× bare p99 (≥ 99% within)", minimum_value=99.0),
               note=f"p99 {ours.percentile(99) * 1000:.1f} ms"),
    ]  # fmt: skip
