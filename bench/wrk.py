"""The HTTP benchmarks' load generator: Debian's `wrk` with `bench/loadgen.lua`.

`bench.loadgen` (httpx in one Python process) spent more CPU per request than the bare endpoint
it drove: on the 2-core machine it held the bare endpoint to a quarter of what wrk measured for
the same request, so the ceiling the services were compared with was the generator's. wrk is C
with an event loop per thread; the scenarios stay the same closed loops (`bench/loadgen.lua`:
one connection per wrk thread, a per-connection state machine that reads the placed order's id
from the answer and pays it), each request timed and kept when it ends inside the measured
window, like `bench.loadgen` does. `plain` runs wrk with one static request and no Lua per
request, the yardstick benchmark 2 checks the generator against (docs/benchmarks.md).

The window is given in `time.monotonic()` (CLOCK_MONOTONIC, which the Lua script reads too), so
the caller can sample the server's CPU over exactly the window the requests are counted in.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import LoadSpec

INSTALL = "sudo apt-get install -y wrk"
SCRIPT = Path(__file__).with_name("loadgen.lua")
PLAIN_SCRIPT = Path(__file__).with_name("wrk_plain.lua")
GET_SCRIPT = Path(__file__).with_name("wrk_get.lua")
TIMEOUT = "120s"  # a slow answer is a long latency, not a socket error


def executable() -> str:
    """The `wrk` on PATH; a one-line install hint if there is none."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError(f"the HTTP benchmarks drive load with wrk, not installed: {INSTALL}")
    return found


def lua_string(text: str) -> str:
    """`text` as a Lua string literal (UTF-8 bytes; anything but printable ASCII escaped)."""
    return '"' + "".join(
        chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\{b:03d}"
        for b in text.encode()
    ) + '"'  # fmt: skip


def _lua(value: Any) -> str:
    if isinstance(value, str):
        return lua_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua_string(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    raise TypeError(f"no Lua form for {type(value).__name__}")


def _compact(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def lua_spec(spec: LoadSpec, window: tuple[float, float], out: Path) -> str:
    """The Lua chunk `bench/loadgen.lua` reads: scenario, window, output, connections."""
    json_headers = {"Content-Type": "application/json"}
    connections = []
    for c in spec.connections:
        payment = {
            "stage": "full",
            "method": "alipay",
            "amount": {"amount": c.order_body.get("payable", 0), "currency": "CNY"},
        }
        connections.append(
            {
                "headers": {**json_headers, **c.headers},
                "payer_headers": {**json_headers, **c.payer_headers},
                "order_body": _compact(c.order_body),
                "payment_rest": _compact(payment)[1:],  # after `{"payment_id":"…",`
            }
        )
    document = {
        "scenario": spec.scenario,
        "run": uuid.uuid4().hex[:12],
        "window_start": window[0],
        "window_end": window[1],
        "out": str(out),
        "connections": connections,
    }
    return "return " + _lua(document) + "\n"


async def run(spec: LoadSpec, window: tuple[float, float]) -> dict[str, Any]:
    """Run the spec's closed loops until the window ends; the recorded document."""
    binary = executable()
    connections = len(spec.connections)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        spec_file, out = Path(scratch, "spec.lua"), Path(scratch, "out.json")
        await asyncio.to_thread(spec_file.write_text, lua_spec(spec, window, out))
        duration = max(1, math.ceil(window[1] - time.monotonic()) + 1)
        await _wrk(
            binary, spec.base_url, spec_file, SCRIPT, threads=connections,
            connections=connections, seconds=duration,
        )  # fmt: skip
        document: dict[str, Any] = json.loads(await asyncio.to_thread(out.read_text))
    return document


@dataclass(frozen=True, slots=True)
class Plain:
    """Plain wrk on one static request: requests/s and wrk's own p50/p99 (seconds)."""

    per_second: float
    p50: float
    p99: float
    errors: int
    requests: int = 0


async def plain(spec: LoadSpec, seconds: int) -> Plain:
    """wrk with the spec's first bare-insert request, static, on as many connections and with
    the generator's thread layout (one connection per thread: on a busy machine fewer threads
    get a smaller share of the CPU and measure less), so only the Lua per request differs."""
    binary = executable()
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        spec_file, out = Path(scratch, "spec.lua"), Path(scratch, "out.json")
        now = time.monotonic()
        await asyncio.to_thread(spec_file.write_text, lua_spec(spec, (now, now), out))
        await _wrk(
            binary, spec.base_url, spec_file, PLAIN_SCRIPT, threads=len(spec.connections),
            connections=len(spec.connections), seconds=seconds,
        )  # fmt: skip
        measured = json.loads(await asyncio.to_thread(out.read_text))
    return _plain(measured)


@dataclass(frozen=True, slots=True)
class Get:
    """One connection's static GET: a path and its headers."""

    path: str
    headers: dict[str, str]


async def gets(url: str, targets: list[Get], connections: int, seconds: int) -> Plain:
    """wrk sending static GETs (`bench/wrk_get.lua`), connection n the n-th target (cycling),
    one connection per thread as the other loops; non-2xx answers count as errors."""
    binary = executable()
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        spec_file, out = Path(scratch, "spec.lua"), Path(scratch, "out.json")
        document = {
            "out": str(out),
            "targets": [{"path": t.path, "headers": t.headers} for t in targets],
        }
        await asyncio.to_thread(spec_file.write_text, "return " + _lua(document) + "\n")
        await _wrk(
            binary, url, spec_file, GET_SCRIPT, threads=connections, connections=connections,
            seconds=seconds,
        )  # fmt: skip
        measured = json.loads(await asyncio.to_thread(out.read_text))
    return _plain(measured)


def _plain(measured: dict[str, Any]) -> Plain:
    """What a static-request script's `done` wrote (counts, µs), as a `Plain`."""
    duration = measured["duration_us"] / 1e6
    return Plain(
        measured["requests"] / duration if duration else 0.0,
        measured["p50_us"] / 1e6,
        measured["p99_us"] / 1e6,
        measured["errors"],
        measured["requests"],
    )


async def _wrk(
    binary: str,
    url: str,
    spec_file: Path,
    script: Path,
    *,
    threads: int,
    connections: int,
    seconds: int,
) -> None:
    process = await asyncio.create_subprocess_exec(
        binary, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
        "--timeout", TIMEOUT, "-s", str(script), url,
        env={**os.environ, "BENCH_WRK_SPEC": str(spec_file)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}: {output.decode()[-2000:]}")
