"""Benchmark 2, commands over HTTP: place-order then pay-order, a fixed number of connections
kept busy by the load generator (wrk with `bench/loadgen.lua`, `bench.wrk`), against the order
service running as a real uvicorn process (one worker) on a fresh database and topics of the
bench infrastructure.

Two contenders share the run, each in its own uvicorn process on a fresh database, served by the
same command line and driven by the same generator and body:

- `bench.crud_app`, the service a team would write instead (FastAPI + SQLAlchemy ORM + asyncpg,
  JWT, Idempotency-Key table, stock rows locked `FOR UPDATE`, transactional outbox): the same
  place and pay requests;
- `bench.bare_app`, a bare FastAPI endpoint doing one asyncpg INSERT of the same order body: the
  ceiling for any HTTP command that records something durably.

The three take turns in rounds (bare, ours, CRUD, then the other way round), so a busy moment of
the machine hits them alike; each keeps its best round, and every round's ratios are in the
note. The server CPU per request comes from the server process's CPU time over exactly the
measured window. Each connection has its own shop and buyer, so no two connections reserve the
same SKU row (a hot SKU would measure lock waits, not the service).

The generator is checked in the same run: plain wrk (one static request, no Lua per request) on
the bare endpoint beside the bench's generator on the same process; the figure says whether the
generator reaches 90% of it. The httpx generator (`bench.loadgen`) is measured beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench import wrk
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
    crud_app,
    drive,
    order_service,
    sampling,
    stocked_connections,
)
from localinfra.system import RunningService

COMMANDS = ("place", "pay")
MIN_SHARE_OF_BARE = 0.6
MIN_TIMES_CRUD = 1.5
MAX_CPU_OF_CRUD = 0.7
MIN_GENERATOR_SHARE = 0.9
P99_FACTOR = 2.0


@dataclass(frozen=True, slots=True)
class Measured:
    """One contender's load and the peak RSS of its server process (bytes)."""

    result: LoadResult
    peak_rss: int
    diagnosis: Diagnosis | None = None
    profile: str = ""

    def rate(self, *kinds: str) -> float:
        return self.result.of(*kinds).per_second


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
        return await _place_and_pay(infra, running, "order", f"order service ({purpose})",
                                    seconds, warmup)  # fmt: skip


async def crud_load(infra: BenchInfra, seconds: float, warmup: float) -> Measured:
    """place+pay on a freshly started CRUD contender."""
    async with crud_app(infra) as running:
        return await _place_and_pay(infra, running, "crud", "CRUD service", seconds, warmup)


async def _place_and_pay(
    infra: BenchInfra, running: RunningService, name: str, label: str, seconds: float,
    warmup: float,
) -> Measured:  # fmt: skip
    connections = await stocked_connections(running.url, concurrency())
    spec = LoadSpec(running.url, "place_and_pay", warmup, seconds, connections)
    database = running.database_url.rsplit("/", 1)[1]
    pid = running.process.pid
    async with (
        sampling({name: pid}) as sampler,
        diagnosing(pid, infra.dsn(), database) as diagnosis,
        profiled(pid, warmup + seconds) as profile,
    ):
        result = await drive(spec, label, pid)
    print(f"    {label}: {diagnosis.summary()}", flush=True)
    if profile.summary:
        print(f"    {profile.summary}", flush=True)
    return Measured(result, _peak(sampler, name), diagnosis, profile.summary)


async def bare_load(infra: BenchInfra, seconds: float, warmup: float) -> Measured:
    async with bare_app(infra) as running:
        pid = running.process.pid
        spec = LoadSpec(
            running.url, "bare_insert", warmup, seconds, bare_connections(concurrency())
        )
        async with sampling({"bare": pid}) as sampler:
            result = await drive(spec, "bare endpoint", pid)
    return Measured(result, _peak(sampler, "bare"))


@dataclass(frozen=True, slots=True)
class GeneratorCheck:
    """Requests/s on one bare process: the bench's generator and plain wrk, slice by slice."""

    slices: list[tuple[float, float]]  # (generator, plain wrk), in the order they ran
    httpx: float
    plain_p99: float

    @property
    def generator(self) -> float:
        return sum(g for g, _ in self.slices) / len(self.slices)

    @property
    def plain(self) -> float:
        return sum(p for _, p in self.slices) / len(self.slices)


async def generator_check(infra: BenchInfra, slices: int, seconds: int) -> GeneratorCheck:
    """The bench's generator and plain wrk taking turns on one bare process in short slices
    (the machine's load drifts by more than the difference measured), then the httpx one."""
    async with bare_app(infra) as running:
        spec = LoadSpec(running.url, "bare_insert", 1, seconds, bare_connections(concurrency()))
        measured: list[tuple[float, float]] = []
        p99s: list[float] = []
        for _ in range(slices):
            by_generator = (await drive(spec, "bare (generator)")).of("insert").per_second
            plain = await wrk.plain(spec, seconds)
            measured.append((by_generator, plain.per_second))
            p99s.append(plain.p99)
        httpx = (await drive(spec, "bare (httpx)", using="httpx")).of("insert").per_second
    return GeneratorCheck(measured, httpx, max(p99s))


def _peak(sampler: RssSampler, name: str) -> int:
    return sampler.peaks.get(name, 0)


def show(label: str, latencies: Latencies, cpu: float = math.nan) -> None:
    cost = f", server CPU {cpu * 1000:.2f} ms each" if not math.isnan(cpu) else ""
    print(f"    {label:<44} {latencies.summary()}{cost}", flush=True)


@dataclass(slots=True)
class Rounds:
    """Each contender's measurements, one per round, in the order they ran."""

    bare: list[Measured] = field(default_factory=list)
    ours: list[Measured] = field(default_factory=list)
    crud: list[Measured] = field(default_factory=list)

    def best(self, name: str) -> Measured:
        kinds = ("insert",) if name == "bare" else COMMANDS
        runs = {"bare": self.bare, "ours": self.ours, "crud": self.crud}[name]
        return max(runs, key=lambda m: m.rate(*kinds))

    def ratios(self) -> str:
        """Per round: ours / CRUD and ours / bare requests/s."""
        return ", ".join(
            f"round {n}: ours/CRUD {o.rate(*COMMANDS) / c.rate(*COMMANDS):.2f}×, "
            f"ours/bare {o.rate(*COMMANDS) / b.rate('insert'):.2f}×"
            for n, (b, o, c) in enumerate(zip(self.bare, self.ours, self.crud, strict=True), 1)
            if c.rate(*COMMANDS) and b.rate("insert")
        )


async def run(infra: BenchInfra) -> list[Figure]:
    seconds, warmup = infra.size(full=60, quick=15), infra.size(full=5, quick=3)
    rounds = infra.size(full=2, quick=2)
    slices, slice_seconds = infra.size(full=5, quick=3), infra.size(full=10, quick=5)
    print(
        f"  {concurrency()} connections, {warmup} s warm-up + {seconds} s measured, "
        f"{rounds} rounds of bare / ours / CRUD (alternating order)",
        flush=True,
    )
    measured = Rounds()

    async def bare(n: int) -> None:
        m = await bare_load(infra, seconds, warmup)
        measured.bare.append(m)
        show(f"bare FastAPI + asyncpg INSERT (round {n + 1})", m.result.of("insert"),
             m.result.cpu_per("insert"))  # fmt: skip

    async def ours(n: int) -> None:
        m = await service_load(infra, "commands", seconds, warmup)
        measured.ours.append(m)
        show(f"order service: place + pay (round {n + 1})", m.result.of(*COMMANDS),
             m.result.cpu_per("pay"))  # fmt: skip

    async def crud(n: int) -> None:
        m = await crud_load(infra, seconds, warmup)
        measured.crud.append(m)
        show(f"CRUD service: place + pay (round {n + 1})", m.result.of(*COMMANDS),
             m.result.cpu_per("pay"))  # fmt: skip

    check = await generator_check(infra, slices, slice_seconds)
    pairs = ", ".join(f"{g:,.0f} vs {p:,.0f}" for g, p in check.slices)
    print(f"    generator vs plain wrk on the bare endpoint, {slices} × {slice_seconds} s: {pairs} "
          f"req/s; httpx {check.httpx:,.0f} req/s", flush=True)  # fmt: skip
    for n in range(rounds):
        order = (bare, ours, crud) if n % 2 == 0 else (crud, ours, bare)
        for contender in order:
            await contender(n)
    best_ours, best_crud, best_bare = (measured.best(n) for n in ("ours", "crud", "bare"))
    LAST_PEAKS.update(
        order=max(m.peak_rss for m in measured.ours),
        bare=max(m.peak_rss for m in measured.bare),
    )
    LAST_RATE["place+pay"] = best_ours.rate(*COMMANDS)
    return [
        *command_figures(best_ours.result.of(*COMMANDS), best_bare.result.of("insert"), best_ours),
        *crud_figures(best_ours, best_crud, best_bare, measured.ratios()),
        *generator_figures(check, slice_seconds),
    ]


def command_figures(ours: Latencies, bare: Latencies, measured: Measured) -> list[Figure]:
    result = measured.result
    connections = concurrency()
    bound = P99_FACTOR * bare.percentile(99)
    rates = ", ".join(f"{kind} {result.of(kind).per_second:,.0f}/s" for kind in COMMANDS)
    rates += f"; load from {GENERATOR_NOTE}"
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


GENERATOR_NOTE = (
    "wrk, one connection per thread (bench/loadgen.lua: the answer's order id read per "
    "connection, a fresh Idempotency-Key per request)"
)


def crud_figures(ours: Measured, crud: Measured, bare: Measured, ratios: str) -> list[Figure]:
    """Ours against the CRUD contender: requests/s, latency, server CPU per place + pay pair."""
    mine, theirs = ours.result.of(*COMMANDS), crud.result.of(*COMMANDS)
    ours_cpu, crud_cpu = ours.result.cpu_per("pay") * 1000, crud.result.cpu_per("pay") * 1000
    bare_cpu = bare.result.cpu_per("insert") * 1000
    rates = ", ".join(f"{kind} {crud.result.of(kind).per_second:,.0f}/s" for kind in COMMANDS)
    failures = f"; CRUD failed: {crud.result.failures}" if crud.result.failures else ""
    limits = f"; CRUD {crud.diagnosis.summary()}" if crud.diagnosis else ""
    limits += f"; CRUD {crud.profile}" if crud.profile else ""
    return [
        Figure(f"place + pay, {concurrency()} connections, vs the CRUD service",
               mine.per_second, "requests/s",
               "CRUD service (FastAPI + SQLAlchemy ORM, bench.crud_app)", theirs.per_second,
               Target(f"≥ {MIN_TIMES_CRUD}× CRUD", minimum_ratio=MIN_TIMES_CRUD),
               note=f"CRUD {rates}; ours/bare {mine.per_second / bare.rate('insert'):.2f}×; "
                    f"best round each, {ratios}{failures}{limits}"),
        Figure("server CPU per place + pay pair", ours_cpu, "ms",
               "CRUD service", crud_cpu,
               Target(f"≤ {MAX_CPU_OF_CRUD}× CRUD", maximum_ratio=MAX_CPU_OF_CRUD),
               note=f"ours {ours_cpu:.2f} ms, CRUD {crud_cpu:.2f} ms: CPU time (user + system) of "
                    f"the server process over the measured window / pairs paid in it; bare "
                    f"endpoint {bare_cpu:.2f} ms per INSERT "
                    f"(ours/bare {ours_cpu / bare_cpu:.1f}× per pair vs one INSERT)"),
        Figure("place + pay p50 latency vs the CRUD service", mine.percentile(50) * 1000, "ms",
               "CRUD p50", theirs.percentile(50) * 1000),
        Figure("place + pay p99 latency vs the CRUD service", mine.percentile(99) * 1000, "ms",
               "CRUD p99", theirs.percentile(99) * 1000,
               Target("p99 ≤ CRUD p99", maximum_ratio=1.0)),
    ]  # fmt: skip


def generator_figures(check: GeneratorCheck, seconds: int) -> list[Figure]:
    """The bench's generator against plain wrk on the same bare process, slices alternating."""
    slices = "; ".join(f"{g:,.0f} vs {p:,.0f}" for g, p in check.slices)
    return [
        Figure("bare endpoint through the bench's generator (wrk + loadgen.lua)",
               check.generator, "requests/s", "plain wrk, one static request", check.plain,
               Target(f"≥ {MIN_GENERATOR_SHARE:.0%} of plain wrk",
                      minimum_ratio=MIN_GENERATOR_SHARE),
               note=f"{GENERATOR_NOTE}; means of {len(check.slices)} slices of {seconds} s "
                    f"taking turns on one bare process (generator vs plain wrk with the same "
                    f"threads and connections, req/s): {slices}; plain wrk p99 up to "
                    f"{check.plain_p99 * 1000:.1f} ms; below 90% the generator, not the "
                    f"server, would limit the bare baseline"),
        Figure("bare endpoint through bench.loadgen (httpx, one process)", check.httpx,
               "requests/s", "plain wrk, one static request", check.plain,
               note="the generator benchmark 2 used before wrk, right after the slices; "
                    "for information"),
    ]  # fmt: skip
