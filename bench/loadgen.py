"""The HTTP load generator: a separate process holding a fixed number of connections busy.

`python -m bench.loadgen SPEC OUT` reads a JSON spec, runs one closed loop per connection (each
its own `httpx.AsyncClient` limited to one connection, so the concurrency is exactly the number
of connections) for a warm-up and then a measured window, and writes every request of the window
with its latency to OUT. It runs apart from the benchmark process so the server is measured from
outside, as a client would see it. The benchmarks drive load with wrk (`bench.wrk`, same
scenarios, same output): this generator spends more CPU per request than the bare endpoint it
drives, so it caps that ceiling on a small machine. It is kept as `BENCH_LOADGEN=httpx` and as
the figure benchmark 2 shows beside wrk (docs/benchmarks.md).

Scenarios: `place_and_pay` (a buyer places an order in its shop, then pays it: two commands per
loop) and `bare_insert` (one POST per loop, the baseline's endpoint).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class Connection:
    """One closed loop: the caller's headers and the order body it sends (shop filled in)."""

    headers: dict[str, str]
    order_body: dict[str, Any]
    # Who records the payment: the payment provider's integration (role system), not the buyer.
    payer_headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadSpec:
    base_url: str
    scenario: str  # place_and_pay | bare_insert
    warmup_seconds: float
    seconds: float
    connections: list[Connection]
    # When the warm-up starts, in time.monotonic() (the same clock in every process); None: now.
    starts_at: float | None = None

    def window(self) -> tuple[float, float]:
        """The measured window in time.monotonic(): after the warm-up, for `seconds`."""
        start = time.monotonic() if self.starts_at is None else self.starts_at
        start += self.warmup_seconds
        return start, start + self.seconds

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> LoadSpec:
        return cls(
            base_url=document["base_url"],
            scenario=document["scenario"],
            warmup_seconds=document["warmup_seconds"],
            seconds=document["seconds"],
            connections=[Connection(**c) for c in document["connections"]],
            starts_at=document.get("starts_at"),
        )


@dataclass(slots=True)
class Recorder:
    """Requests finished inside the measured window, by kind; failures by kind and status."""

    window_start: float
    window_end: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def record(self, kind: str, started: float, response: httpx.Response, expect: int) -> None:
        finished = time.monotonic()
        if response.status_code != expect:
            name = f"{kind} {response.status_code}"
            self.failures[name] = self.failures.get(name, 0) + 1
            return
        if self.window_start <= finished <= self.window_end:
            self.latencies.setdefault(kind, []).append(finished - started)

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.window_end - self.window_start,
            "latencies": self.latencies,
            "failures": self.failures,
        }


async def _post(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    sent = {"Idempotency-Key": str(uuid.uuid4()), **(headers or {})}
    response = await client.post(path, json=body, headers=sent)
    return started, response


async def place_and_pay(client: httpx.AsyncClient, connection: Connection, out: Recorder) -> None:
    body = connection.order_body
    started, placed = await _post(client, "/v1/orders", body)
    out.record("place", started, placed, 201)
    if placed.status_code != 201:
        return
    order_id = placed.json()["order_id"]
    payment = {
        "payment_id": f"pay-{uuid.uuid4().hex[:16]}",
        "stage": "full",
        "method": "alipay",
        "amount": {"amount": body["payable"], "currency": "CNY"},
    }
    path = f"/v1/orders/{order_id}/payments"
    started, paid = await _post(client, path, payment, connection.payer_headers)
    out.record("pay", started, paid, 200)


async def bare_insert(client: httpx.AsyncClient, connection: Connection, out: Recorder) -> None:
    started, response = await _post(client, "/orders", connection.order_body)
    out.record("insert", started, response, 201)


SCENARIOS = {"place_and_pay": place_and_pay, "bare_insert": bare_insert}


async def _loop(spec: LoadSpec, connection: Connection, out: Recorder) -> None:
    step = SCENARIOS[spec.scenario]
    async with httpx.AsyncClient(
        base_url=spec.base_url,
        headers=connection.headers,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        timeout=120,
    ) as client:
        while time.monotonic() < out.window_end:
            await step(client, connection, out)


async def generate(spec: LoadSpec) -> Recorder:
    """All connections' loops until the end of the window; what they recorded."""
    start, end = spec.window()
    out = Recorder(window_start=start, window_end=end)
    await asyncio.gather(*(_loop(spec, c, out) for c in spec.connections))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec", type=Path)
    parser.add_argument("out", type=Path)
    arguments = parser.parse_args()
    spec = LoadSpec.from_json(json.loads(arguments.spec.read_text()))
    recorded = asyncio.run(generate(spec))
    arguments.out.write_text(json.dumps(recorded.to_json()))


if __name__ == "__main__":
    main()
