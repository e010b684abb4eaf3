"""Benchmark 7, growth: command throughput (benchmark 2's load, shorter) with a small and a
large event store behind the order service.

Before the service starts, its fresh database gets N stored events by COPY straight into
`eventing.events`/`eventing.streams` (an `order.placed` of three lines and a receiver and its
`order.paid` per order, every order its own stream: `bench.preload`), then the
order relay's checkpoint is set to the last of them, as if they had been published long ago, so
the relay does not publish the preload during the measurement. Baseline: the same load on the
smaller store, measured in the same run: both services run side by side and the rounds
alternate (small, large, small, large, …), the best round of each counting, so a change in the
machine's load over the minutes of the run falls on both alike. Sizes: 1M vs 10M
(`BENCH_QUICK=1`: 100k vs 1M; `BENCH_GROWTH_SIZES=small,large` overrides, and the figure names
the sizes used).
"""

from __future__ import annotations

import os
import time

import asyncpg

from bench.commands import COMMANDS, Measured, show
from bench.diagnosis import diagnosing
from bench.figures import Figure, Target
from bench.harness import BenchInfra
from bench.loadgen import LoadSpec
from bench.preload import preload_store
from bench.servers import Preload, concurrency, drive, order_service, stocked_connections
from contracts.parties import Service
from localinfra.system import RunningService

MAX_DROP = 0.2
# The relay of a service is named after it (eventing.runtime: RelayOptions(name=service.value)).
ORDER_RELAY = Service.ORDER.value
_MARK_PUBLISHED = (
    "INSERT INTO eventing.relay_checkpoints (relay, position)"
    " SELECT $1, coalesce(max(position), 0) FROM eventing.events"
    " ON CONFLICT (relay) DO UPDATE SET position = excluded.position, updated_at = now()"
)


def sizes(infra: BenchInfra) -> tuple[int, int]:
    override = os.environ.get("BENCH_GROWTH_SIZES")
    if override:
        small, large = (int(part) for part in override.split(","))
        return small, large
    return infra.size(full=1_000_000, quick=100_000), infra.size(full=10_000_000, quick=1_000_000)


def preload(events: int) -> Preload:
    async def load(dsn: str) -> None:
        started = time.perf_counter()
        loaded = await preload_store(dsn, events, "order", run=f"g{events}")
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(_MARK_PUBLISHED, ORDER_RELAY)
            size = await connection.fetchval(
                "SELECT pg_size_pretty(pg_total_relation_size('eventing.events'))"
            )
        finally:
            await connection.close()
        seconds = time.perf_counter() - started
        rate = loaded / seconds
        print(f"    preloaded {loaded:,} events in {seconds:.0f} s ({rate:,.0f}/s, "
              f"events table {size}), marked published", flush=True)  # fmt: skip

    return load


async def run(infra: BenchInfra) -> list[Figure]:
    small, large = sizes(infra)
    rounds, seconds, warmup = infra.size(full=3, quick=2), infra.size(full=20, quick=8), 3
    print(f"  {small:,} vs {large:,} stored events; {rounds} alternating rounds of "
          f"{warmup} s + {seconds} s, the best round of each counts", flush=True)  # fmt: skip
    async with (
        order_service(infra, f"growth{small}", preload(small)) as smaller,
        order_service(infra, f"growth{large}", preload(large)) as larger,
    ):
        services = {small: smaller, large: larger}
        specs = {
            events: LoadSpec(running.url, "place_and_pay", warmup, seconds,
                             await stocked_connections(running.url, concurrency()))
            for events, running in services.items()
        }  # fmt: skip
        best: dict[int, Measured] = {}
        for round_number in range(1, rounds + 1):
            for events, running in services.items():
                label = f"place + pay with {events:,} events stored, round {round_number}"
                measured = await _round(infra, running, specs[events], label)
                if events not in best or _rate(measured) > _rate(best[events]):
                    best[events] = measured
    ours, base = best[large].result.of(*COMMANDS), best[small].result.of(*COMMANDS)
    return [
        Figure(f"place + pay with {large:,} events stored", ours.per_second, "requests/s",
               f"with {small:,} events stored", base.per_second,
               Target(f"drop ≤ {MAX_DROP:.0%}", minimum_ratio=1 - MAX_DROP),
               note=f"best of {rounds} alternating rounds each; p99 "
                    f"{ours.percentile(99) * 1000:.0f} ms vs {base.percentile(99) * 1000:.0f} ms;"
                    f" {_diagnosis(best[large])}"),
    ]  # fmt: skip


async def _round(
    infra: BenchInfra, running: RunningService, spec: LoadSpec, label: str
) -> Measured:
    database = running.database_url.rsplit("/", 1)[1]
    async with diagnosing(running.process.pid, infra.dsn(), database) as diagnosis:
        result = await drive(spec, label)
    show(label, result.of(*COMMANDS))
    return Measured(result, 0, diagnosis)


def _rate(measured: Measured) -> float:
    return measured.result.of(*COMMANDS).per_second


def _diagnosis(measured: Measured) -> str:
    return measured.diagnosis.summary() if measured.diagnosis else ""
