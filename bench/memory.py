"""Benchmark 8, memory: peak resident set size of each service process under load, sampled
with psutil every 50 ms (the process and any children).

The order service is sampled during benchmark 2 (it is the one under the closed-loop command
load); logistics and aftersales have nothing to do there, so they are sampled during
benchmark 6, where all three run and consume the order flow. When the suite ran those earlier
in the same process their samples are used; alone (`make bench-memory`) it runs both loads
itself (shorter). Baseline: the bare FastAPI + asyncpg app under benchmark 2's load.
"""

from __future__ import annotations

from bench import commands, freshness
from bench.figures import Figure, Target
from bench.harness import BenchInfra

BUDGET_MB = 200.0
MB = 1024 * 1024


async def run(infra: BenchInfra) -> list[Figure]:
    if not commands.LAST_PEAKS:
        seconds, warmup = infra.size(full=30, quick=10), 3
        print("  benchmark 2's load (shorter), sampling RSS", flush=True)
        commands.LAST_PEAKS["bare"] = (await commands.bare_load(infra, seconds, warmup)).peak_rss
        ours = await commands.service_load(infra, "memory", seconds, warmup)
        commands.LAST_PEAKS["order"] = ours.peak_rss
        commands.LAST_RATE["place+pay"] = ours.result.of(*commands.COMMANDS).per_second
    if not freshness.LAST_PEAKS:
        print("  benchmark 6's load, sampling RSS of the three services", flush=True)
        await freshness.run(infra)
    bare = commands.LAST_PEAKS["bare"] / MB
    peaks = {
        "order service (benchmark 2)": commands.LAST_PEAKS["order"] / MB,
        "logistics service (benchmark 6)": freshness.LAST_PEAKS["logistics"] / MB,
        "aftersales service (benchmark 6)": freshness.LAST_PEAKS["aftersales"] / MB,
        "order service (benchmark 6)": freshness.LAST_PEAKS["order"] / MB,
    }
    for name, peak in peaks.items():
        print(f"    {name:<52} peak RSS {peak:,.0f} MB (bare app {bare:,.0f} MB)", flush=True)
    return [
        Figure(f"{name}: peak RSS within {BUDGET_MB:.0f} MB", _within(peak), "%",
               "bare FastAPI + asyncpg app within it", _within(bare),
               Target(f"peak RSS ≤ {BUDGET_MB:.0f} MB (100% within)", minimum_value=100.0),
               note=f"peak {peak:,.0f} MB, bare app {bare:,.0f} MB")
        for name, peak in peaks.items()
    ]  # fmt: skip


def _within(peak_mb: float) -> float:
    """100 when the peak stays within the budget, else the budget's share of the peak: the
    figure can only meet its target when every sample stayed within the budget."""
    return 100.0 if peak_mb <= BUDGET_MB else 100 * BUDGET_MB / peak_mb
