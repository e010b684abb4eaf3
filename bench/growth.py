"""Benchmark 7, growth: command throughput (benchmark 2's load, shorter) with a small and a
large event store behind the order service.

Before the service starts, its fresh database gets N stored events by COPY straight into
`eventing.events`/`eventing.streams` (an `order.placed` of three lines and a receiver and its
`order.paid` per order, every order its own stream: `bench.payloads.order_lifecycles`), then the
order relay's checkpoint is set to the last of them, as if they had been published long ago, so
the relay does not publish the preload during the measurement. Baseline: the same load on the
smaller store, measured in the same run. Sizes: 1M vs 10M (`BENCH_QUICK=1`: 100k vs 1M;
`BENCH_GROWTH_SIZES=small,large` overrides, and the figure names the sizes used).
"""

from __future__ import annotations

import os
import time

import asyncpg

from bench import payloads
from bench.commands import COMMANDS, Measured, service_load, show
from bench.figures import Figure, Target
from bench.harness import BenchInfra
from bench.loading import load_store
from bench.servers import Preload
from contracts.parties import Service

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
        run = f"g{events}"
        loaded = await load_store(dsn, payloads.order_lifecycles(run, events // 2), "order")
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
    seconds, warmup = infra.size(full=30, quick=10), infra.size(full=5, quick=3)
    print(f"  {small:,} vs {large:,} stored events; {warmup} s + {seconds} s of load", flush=True)
    measured: dict[int, Measured] = {}
    for events in (small, large):
        measured[events] = await service_load(
            infra, f"growth{events}", seconds, warmup, preload(events)
        )
        show(f"place + pay with {events:,} events stored", measured[events].result.of(*COMMANDS))
    ours, base = measured[large].result.of(*COMMANDS), measured[small].result.of(*COMMANDS)
    return [
        Figure(f"place + pay with {large:,} events stored", ours.per_second, "requests/s",
               f"with {small:,} events stored", base.per_second,
               Target(f"drop ≤ {MAX_DROP:.0%}", minimum_ratio=1 - MAX_DROP),
               note=f"p99 {ours.percentile(99) * 1000:.0f} ms vs "
                    f"{base.percentile(99) * 1000:.0f} ms"),
    ]  # fmt: skip
