"""Benchmark 9, sealing: the CPU cost of sealing a receiver per order and opening it per event.

Sealing as the placing transaction does it: the buyer's data key unwrapped from its stored form
(RFC 3394), the receiver's JSON sealed (two HKDF derivations, AES-256-GCM, HMAC-SHA256) into a
`Sealed`. Opening as a view does it: on a key-cache miss the key unwrapped, then decrypted and
validated as a `Receiver`; with the key cached, without the unwrap; and through
`PersonalData.reveal` on a whole `order.placed` document (what views call).

Baselines: what the v1 shape cost for the same step with the receiver in clear, serialising the
receiver's JSON (sealing's counterpart) and validating it from JSON (opening's counterpart).
Single-threaded, in the benchmark process; best of three timed loops after a warm-up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.buyers import BuyerKeys, Buyers
from bench.figures import Figure
from bench.harness import BenchInfra
from bench.payloads import RECEIVER, Placements
from contracts.sealing import open_sealed, seal
from contracts.values import Receiver
from eventing.data_keys import PersonalData

ROUNDS = 3


async def run(infra: BenchInfra) -> list[Figure]:
    count = infra.size(full=50_000, quick=10_000)
    print(f"  {count:,} operations per loop, best of {ROUNDS}, one thread", flush=True)
    buyers = Buyers(count)
    stored = buyers.wrapped_key(0)
    key = buyers.keks.unwrap(stored)
    sealed = seal(RECEIVER, key)
    receiver_json = RECEIVER.model_dump_json()
    document = Placements(buyers).placed("O-sealing-0", 0)

    def dump_clear() -> None:
        RECEIVER.model_dump_json()

    def seal_as_placing() -> None:
        seal(RECEIVER, buyers.keks.unwrap(stored)).model_dump(mode="json")

    def seal_with_key() -> None:
        seal(RECEIVER, key)

    def validate_clear() -> None:
        Receiver.model_validate_json(receiver_json)

    def open_uncached() -> None:
        open_sealed(sealed, buyers.keks.unwrap(stored), Receiver)

    def open_cached() -> None:
        open_sealed(sealed, key, Receiver)

    clear_out = _best("receiver in clear: model_dump_json (v1)", count, dump_clear)
    placing = _best("seal as placing: unwrap + seal + dump", count, seal_as_placing)
    keyed = _best("seal with the key at hand", count, seal_with_key)
    clear_in = _best("receiver in clear: model_validate_json (v1)", count, validate_clear)
    uncached = _best("open, key-cache miss: unwrap + open", count, open_uncached)
    cached = _best("open, key cached", count, open_cached)
    revealed = await _reveal(PersonalData(BuyerKeys(buyers)), document, count)
    return [
        _per_op("seal a receiver as the placing transaction does", placing, clear_out,
                "clear receiver to JSON (v1)"),
        _per_op("seal a receiver, data key already unwrapped", keyed, clear_out,
                "clear receiver to JSON (v1)"),
        _per_op("open a receiver, key-cache miss (unwrap + open)", uncached, clear_in,
                "clear receiver from JSON (v1)"),
        _per_op("open a receiver, key cached", cached, clear_in, "clear receiver from JSON (v1)"),
        _per_op("PersonalData.reveal of an order.placed, key cached", revealed, clear_in,
                "clear receiver from JSON (v1)"),
    ]  # fmt: skip


def _best(label: str, count: int, operation: Callable[[], None]) -> float:
    """Operations per second of `operation`, the best of `ROUNDS` loops after a warm-up."""
    for _ in range(min(count, 1_000)):
        operation()
    rates = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(count):
            operation()
        rates.append(count / (time.perf_counter() - started))
    rate = max(rates)
    print(f"    {label:<52} {rate:,.0f}/s = {1e6 / rate:,.1f} µs each", flush=True)
    return rate


async def _reveal(personal_data: PersonalData, document: dict[str, object], count: int) -> float:
    await personal_data.reveal(document)  # the key into the cache, as a hot view has it
    rates = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(count):
            await personal_data.reveal(document)
        rates.append(count / (time.perf_counter() - started))
    rate = max(rates)
    label = "PersonalData.reveal(order.placed), key cached"
    print(f"    {label:<52} {rate:,.0f}/s = {1e6 / rate:,.1f} µs each", flush=True)
    return rate


def _per_op(label: str, value: float, baseline: float, baseline_label: str) -> Figure:
    note = f"{1e6 / value:,.1f} µs each, {1e6 / value - 1e6 / baseline:+,.1f} µs vs clear"
    return Figure(label, value, "ops/s", baseline_label, baseline, note=note)
