"""`python -m bench [name ...]`: run benchmarks, print figures, record and render them.

The infrastructure comes from the ORDERS_* environment (`make bench` sets the bench instance
up). Full runs are recorded in bench/results/full.json and rendered into docs/benchmarks.md;
`BENCH_QUICK=1` (or `--quick`) runs short sizes into bench/results/quick.json only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import time

from bench.harness import BenchInfra, quick_mode
from bench.render import render_doc
from bench.results import BenchmarkRun, machine_facts, now, results_file, save_runs
from bench.suite import BENCHMARKS, Benchmark, named
from localinfra.config import InfraSettings


async def run_all(infra: BenchInfra, benchmarks: list[Benchmark], render: bool) -> None:
    """Run each benchmark and record it at once, so an interrupted suite keeps what it did."""
    machine = await machine_facts(infra)
    command = ("BENCH_QUICK=1 " if infra.quick else "") + shlex.join(
        ["python", "-m", "bench", *sys.argv[1:]]
    )
    path = results_file(infra.quick)
    for benchmark in benchmarks:
        print(f"[{benchmark.number}] {benchmark.title}", flush=True)
        started, load_before = time.perf_counter(), os.getloadavg()[0]
        figures = await benchmark.run(infra)
        seconds = time.perf_counter() - started
        load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
        for figure in figures:
            print(figure.line())
        run = BenchmarkRun(benchmark.name, benchmark.title, now(), seconds, command,
                           infra.quick, machine, figures, load)  # fmt: skip
        save_runs(path, [run], [b.name for b in BENCHMARKS])
        print(f"  recorded in {path}", flush=True)
        if render and not infra.quick:
            print(f"  rendered {render_doc(path)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(b.name for b in BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="short sizes (as BENCH_QUICK=1)")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    arguments = parser.parse_args()
    infra = BenchInfra(InfraSettings(), quick=arguments.quick or quick_mode())
    benchmarks = named(arguments.names)
    asyncio.run(run_all(infra, benchmarks, render=not arguments.no_doc))


if __name__ == "__main__":
    main()
