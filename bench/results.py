"""The machine-readable results: one JSON file per mode, one entry per benchmark.

A run of some benchmarks replaces their entries and keeps the others, so `make bench-relay`
refreshes one row group of docs/benchmarks.md without rerunning everything.
"""

from __future__ import annotations

import json
import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.figures import Figure
from bench.harness import BenchInfra
from localinfra.config import kafka_version

RESULTS_DIR = Path(__file__).parent / "results"


def results_file(quick: bool) -> Path:
    return RESULTS_DIR / ("quick.json" if quick else "full.json")


@dataclass(frozen=True, slots=True)
class BenchmarkRun:
    """The figures of one benchmark with when, how and where they were measured."""

    name: str
    title: str
    finished_at: str
    seconds: float
    command: str
    quick: bool
    machine: dict[str, str]
    figures: list[Figure]
    load: str = ""  # 1-minute load average before and after: how busy the machine was

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "finished_at": self.finished_at,
            "seconds": round(self.seconds, 1),
            "command": self.command,
            "quick": self.quick,
            "machine": self.machine,
            "load": self.load,
            "figures": [figure.to_json() for figure in self.figures],
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> BenchmarkRun:
        return cls(
            name=document["name"],
            title=document["title"],
            finished_at=document["finished_at"],
            seconds=document["seconds"],
            command=document["command"],
            quick=document["quick"],
            machine=document["machine"],
            figures=[Figure.from_json(figure) for figure in document["figures"]],
            load=document.get("load", ""),
        )


def load_runs(path: Path) -> list[BenchmarkRun]:
    if not path.is_file():
        return []
    document = json.loads(path.read_text())
    return [BenchmarkRun.from_json(run) for run in document["benchmarks"]]


def save_runs(path: Path, runs: list[BenchmarkRun], order: list[str]) -> None:
    """Merge `runs` into the file (by benchmark name), in the suite's order."""
    merged = {run.name: run for run in load_runs(path)}
    merged.update({run.name: run for run in runs})
    ranked = sorted(merged.values(), key=lambda r: order.index(r.name) if r.name in order else 99)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmarks": [run.to_json() for run in ranked]}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def machine_facts(infra: BenchInfra) -> dict[str, str]:
    """Cores, memory, CPU model and the server versions the figures were measured on."""
    connection = await asyncpg.connect(infra.dsn())
    try:
        postgres = str(await connection.fetchval("SHOW server_version"))
        settings = await connection.fetch(
            "SELECT name, current_setting(name) AS value FROM pg_settings"
            " WHERE name = ANY($1::text[]) ORDER BY name",
            ["shared_buffers", "synchronous_commit", "fsync", "max_connections"],
        )
    finally:
        await connection.close()
    tuned = ", ".join(f"{s['name']}={s['value']}" for s in settings)
    return {
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": f"{postgres} ({tuned})",
        "kafka": f"{kafka_version()} (KRaft, 1 broker, same machine)",
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        match = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        if match:
            return f"{int(match.group(1)) / 1024**2:.1f} GiB"
    return "unknown"
