"""The benchmarks of the suite, in the order `make bench` runs them.

A benchmark is a module with `async def run(infra) -> list[Figure]`; adding one (commands over
HTTP, freshness, growth, memory once the services exist) is a new module and one entry here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench import (
    append,
    ceiling,
    commands,
    freshness,
    growth,
    lifecycle,
    memory,
    reads,
    rebuild,
    relay,
    sealing,
    subscription,
)
from bench.figures import Figure
from bench.harness import BenchInfra

Runner = Callable[[BenchInfra], Awaitable[list[Figure]]]


@dataclass(frozen=True, slots=True)
class Benchmark:
    name: str  # also the make target: `make bench-<name>`
    number: int  # its number in issue 9 (9: issue 16's cost of sealing)
    title: str
    run: Runner


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("append", 1, "Append to the event store", append.run),
    Benchmark("commands", 2, "Commands over HTTP (place + pay)", commands.run),
    Benchmark("reads", 10, "Reads over HTTP (GET of an order, /ready)", reads.run),
    Benchmark("relay", 3, "Outbox relay to Kafka (backlog)", relay.run),
    Benchmark("subscription", 4, "Subscription catch-up into a read model", subscription.run),
    Benchmark("rebuild", 5, "Read-model rebuild from the store", rebuild.run),
    Benchmark("freshness", 6, "Freshness: payment to shipment read model", freshness.run),
    Benchmark("growth", 7, "Command throughput as the store grows", growth.run),
    Benchmark("memory", 8, "Peak RSS of the service processes", memory.run),
    Benchmark("sealing", 9, "Sealing and opening a receiver (CPU)", sealing.run),
    Benchmark("ceiling", 11, "Append ceiling: position lock vs partition locks", ceiling.run),
    Benchmark("lifecycle", 12, "CPU per command and reaction, three services", lifecycle.run),
)


def named(names: list[str]) -> list[Benchmark]:
    """The benchmarks called `names` (all when empty), in suite order."""
    known = {benchmark.name: benchmark for benchmark in BENCHMARKS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [b for b in BENCHMARKS if not names or b.name in names]
