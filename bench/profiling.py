"""Optional py-spy profile of a service process while a benchmark measures it.

With `BENCH_PROFILE=1` and a `py-spy` executable next to the interpreter (pinned in
requirements/dev.in, so `make venv` installs it; it needs ptrace rights over the service
process, which a process's own user has unless `kernel.yama.ptrace_scope` forbids it),
`profiled(pid)` samples the process at
50 Hz without pausing it (`--nonblocking`) and summarises where its CPU went: the share of
samples whose innermost frame is in each library, and the service's own functions that are most
often the innermost frame of our own code (where our code hands over to a library). The summary
goes into the figure's note, and the raw stacks are kept under `$ORDERS_INFRA_HOME/profiles`
for a flame graph; without py-spy (or without BENCH_PROFILE=1) it is empty.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

RATE = 50
LIBRARIES = ("asyncpg", "sqlalchemy", "aiokafka", "pydantic", "starlette", "fastapi", "uvicorn")
OWN = ("eventing/", "order_service/", "logistics_service/", "aftersales_service/", "bench/crud_app")


def _py_spy() -> str | None:
    if os.environ.get("BENCH_PROFILE", "") in ("", "0", "false", "no"):
        return None
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass(slots=True)
class Profile:
    summary: str = ""


def summarise(raw: str, top: int = 5) -> str:
    """'py-spy: asyncpg 42%, sqlalchemy 29%, …; innermost own frame: f 11%, …' from raw stacks."""
    leaves: Counter[str] = Counter()
    deepest: Counter[str] = Counter()  # samples by the innermost frame of our own code
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples, frames = int(count), stack.split(";")
        total += samples
        leaf = frames[-1]
        leaves[next((lib for lib in LIBRARIES if f"{lib}/" in leaf), "other")] += samples
        own = [f.split(" (")[0] for f in frames if any(part in f for part in OWN)]
        if own:
            deepest[own[-1]] += samples
    if not total:
        return ""
    libraries = ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in leaves.most_common(4))
    hottest = ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in deepest.most_common(top))
    return (
        f"py-spy ({total:,} samples): innermost frame in {libraries}; "
        f"innermost own frame: {hottest}"
    )


@asynccontextmanager
async def profiled(pid: int, seconds: float) -> AsyncIterator[Profile]:
    """Profile `pid` for `seconds` (when enabled); the summary is filled in on exit."""
    profile = Profile()
    executable = _py_spy()
    if executable is None:
        yield profile
        return
    with tempfile.TemporaryDirectory(prefix="bench-spy-") as scratch:
        out = Path(scratch, "stacks.txt")
        spy = await asyncio.create_subprocess_exec(
            executable, "record", "--pid", str(pid), "--duration", str(int(seconds)),
            "--rate", str(RATE), "--format", "raw", "--nonblocking", "--output", str(out),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            yield profile
        finally:
            await spy.wait()
            if await asyncio.to_thread(out.exists):
                raw = await asyncio.to_thread(out.read_text)
                profile.summary = summarise(raw)
                kept = await asyncio.to_thread(_keep, raw, pid)
                shown = kept.relative_to(Path.cwd()) if kept.is_relative_to(Path.cwd()) else kept
                profile.summary += f" (stacks: {shown})"


def _keep(raw: str, pid: int) -> Path:
    """Keep the raw stacks (collapsed format: `flamegraph.pl`, speedscope and inferno read it)
    under `$ORDERS_INFRA_HOME/profiles`, or the working directory's `.run/bench/profiles`."""
    home = Path(os.environ.get("ORDERS_INFRA_HOME", ".run/bench"))
    folder = home / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"py-spy-{time.strftime('%Y%m%dT%H%M%S')}-{pid}.txt"
    path.write_text(raw)
    return path
