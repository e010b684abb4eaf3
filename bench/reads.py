"""Benchmark 10, reads over HTTP: `GET /v1/orders/{order_id}` and `GET /ready` of the order
service against a bare FastAPI endpoint reading one row (issue 19, item 4).

The order service runs as in benchmark 2 (a real uvicorn process, one worker, on a fresh
database); one order is placed per connection, by that connection's buyer, and each connection
then reads its order over and over as that buyer (wrk with `bench/wrk_get.lua`: one static
request per connection, no Lua per request). The read is the whole read a buyer gets: the JWT
check, the order and its timeline from the read model, the receiver opened (it is sealed with
the buyer's data key), and the personal-data access record the read must write before it
answers (`eventing.http.access_audit`). The bare endpoint (`bench.bare_app`) reads one row by id
with asyncpg and returns its JSON: what any read of one stored row costs over HTTP. `/ready` is
measured beside the bare app's `/ready` (a constant answer), since a readiness probe must not
cost a core.

The contenders take turns (ours, bare, then the other way round); each keeps its best round.
The server CPU per request is the server process's CPU time over the wrk run divided by the
requests wrk counted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import httpx
import psutil

from bench import wrk
from bench.figures import Figure, Target
from bench.harness import BenchInfra
from bench.profiling import profiled
from bench.servers import bare_app, concurrency, order_service, stocked_connections

MIN_SHARE_OF_BARE = 0.5
MAX_CPU_MS = 0.5
READ_MODEL_WAIT_S = 30.0


@dataclass(frozen=True, slots=True)
class Read:
    """One wrk run on one endpoint: requests/s, latencies and the server's CPU per request."""

    per_second: float
    p50: float
    p99: float
    cpu_ms: float
    errors: int

    def show(self, label: str) -> str:
        return (
            f"    {label:<44} {self.per_second:,.0f} req/s, p50 {self.p50 * 1e3:.1f} ms, "
            f"p99 {self.p99 * 1e3:.1f} ms, server CPU {self.cpu_ms:.2f} ms each"
            + (f", {self.errors} errors" if self.errors else "")
        )


async def measure(url: str, targets: list[wrk.Get], pid: int, seconds: int) -> Read:
    """wrk on `targets` for `seconds`, with the CPU `pid` spent meanwhile."""
    process = psutil.Process(pid)
    before = process.cpu_times()
    plain = await wrk.gets(url, targets, len(targets), seconds)
    after = process.cpu_times()
    cpu = (after.user + after.system) - (before.user + before.system)
    per_request_ms = cpu / plain.requests * 1e3 if plain.requests else float("nan")
    return Read(plain.per_second, plain.p50, plain.p99, per_request_ms, plain.errors)


async def placed_orders(url: str, connections: int) -> list[wrk.Get]:
    """One order per connection, placed by its buyer and visible in the read model; the GET of
    each as its buyer."""
    stocked = await stocked_connections(url, connections)
    targets = []
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        for connection in stocked:
            answer = await client.post(
                "/v1/orders",
                json=connection.order_body,
                headers={**connection.headers, "Idempotency-Key": str(uuid.uuid4())},
            )
            answer.raise_for_status()
            path = f"/v1/orders/{answer.json()['order_id']}"
            await _visible(client, path, connection.headers)
            targets.append(wrk.Get(path, dict(connection.headers)))
    return targets


async def _visible(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + READ_MODEL_WAIT_S
    while (answer := await client.get(path, headers=headers)).status_code == 404:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} not in the read model after {READ_MODEL_WAIT_S:.0f} s")
        await asyncio.sleep(0.05)
    answer.raise_for_status()


async def bare_rows(url: str, connections: int) -> list[wrk.Get]:
    """One stored row per connection in the bare app (the same order body), read by id."""
    targets = []
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        for n in range(connections):
            answer = await client.post("/orders", json={"shop_id": f"shop-{n}", "lines": []})
            answer.raise_for_status()
            targets.append(wrk.Get(f"/orders/{answer.json()['id']}", {}))
    return targets


async def run(infra: BenchInfra) -> list[Figure]:
    connections = concurrency()
    seconds = infra.size(10, 5)
    rounds = infra.size(2, 1)
    print(
        f"  {connections} connections, {seconds} s per run, {rounds} round(s) of ours / bare "
        "(alternating order)",
        flush=True,
    )
    best: dict[str, Read] = {}

    def keep(name: str, read: Read) -> None:
        print(read.show(name), flush=True)
        if name not in best or read.per_second > best[name].per_second:
            best[name] = read

    profile_summary = ""
    async with order_service(infra, "reads") as ours, bare_app(infra) as bare:
        order_gets = await placed_orders(ours.url, connections)
        row_gets = await bare_rows(bare.url, connections)
        ready = [wrk.Get("/ready", {})] * connections
        for n in range(rounds):
            turns = [("ours", ours), ("bare", bare)]
            for who, running in turns if n % 2 == 0 else reversed(turns):
                pid = running.process.pid
                if who == "ours":
                    async with profiled(pid, seconds) as profile:
                        keep("GET /v1/orders/{order_id}", await measure(
                            ours.url, order_gets, pid, seconds))  # fmt: skip
                    profile_summary = profile.summary or profile_summary
                    keep("ours GET /ready", await measure(ours.url, ready, pid, seconds))
                else:
                    keep("bare GET /orders/{id}", await measure(bare.url, row_gets, pid, seconds))
                    keep("bare GET /ready", await measure(bare.url, ready, pid, seconds))
    return read_figures(best, profile_summary)


def read_figures(best: dict[str, Read], profile_summary: str) -> list[Figure]:
    order, row = best["GET /v1/orders/{order_id}"], best["bare GET /orders/{id}"]
    ready, bare_ready = best["ours GET /ready"], best["bare GET /ready"]
    where = f"; {profile_summary}" if profile_summary else ""
    return [
        Figure(
            "GET of an order, 16 connections",
            order.per_second,
            "requests/s",
            "bare FastAPI + asyncpg SELECT of one row",
            row.per_second,
            Target(f"≥ {MIN_SHARE_OF_BARE:.0%} of bare", minimum_ratio=MIN_SHARE_OF_BARE),
            note=f"p50 {order.p50 * 1e3:.1f} ms, p99 {order.p99 * 1e3:.1f} ms (bare p50 "
            f"{row.p50 * 1e3:.1f} ms, p99 {row.p99 * 1e3:.1f} ms); the buyer's own order, "
            f"receiver opened, the access record written{where}",
        ),
        Figure(
            "server CPU per GET of an order",
            order.cpu_ms * 1e3,
            "µs",
            "bare GET of one row",
            row.cpu_ms * 1e3,
            Target(f"≤ {MAX_CPU_MS * 1e3:.0f} µs", maximum_value=MAX_CPU_MS * 1e3),
        ),
        Figure(
            "GET /ready, 16 connections",
            ready.per_second,
            "requests/s",
            "bare FastAPI constant /ready",
            bare_ready.per_second,
            note=f"server CPU {ready.cpu_ms:.2f} ms per probe (bare {bare_ready.cpu_ms:.2f} ms); "
            "the dependency checks are kept for a second and shared by concurrent probes",
        ),
    ]
