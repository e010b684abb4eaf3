"""The buyers of a benchmark run and their data keys, held as the order service holds them.

One buyer per `ORDERS_PER_BUYER` orders of the run, spread over it (order n belongs to buyer
n mod buyers), as repeat orders are spread over weeks rather than placed back to back. Each
buyer has one data key, kept wrapped by a KEK like a row of the order service's `data_keys`
table, and unwrapped each time an order is sealed, as `Custodian.buyer_key` does in the
placing transaction. `BuyerKeys` is the source a consumer opens receivers with: the production
`KeyCache` (same TTL and size) in front of the wrapped keys, so a cache miss costs an unwrap
but no HTTP round trip to the custodian (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.sealing import DataKey, KeyEncryptionKeys, SubjectSealer, WrappedKey
from eventing.data_keys import KeyCache, UnknownKey

ORDERS_PER_BUYER = 4
KEKS = KeyEncryptionKeys.generate("bench-kek")


class Buyers:
    """The buyers of `orders` orders, each with a data key made on first use."""

    def __init__(self, orders: int, keks: KeyEncryptionKeys = KEKS) -> None:
        self.count = max(1, -(-orders // ORDERS_PER_BUYER))
        self.keks = keks
        self._wrapped: dict[int, WrappedKey] = {}
        self._by_key_id: dict[str, WrappedKey] = {}

    def of(self, n: int) -> int:
        """The buyer (its number) of the run's order `n`."""
        return n % self.count

    def wrapped_key(self, buyer: int) -> WrappedKey:
        """The buyer's key as the custodian stores it (made, and wrapped, on first use)."""
        wrapped = self._wrapped.get(buyer)
        if wrapped is None:
            wrapped = self.keks.wrap(DataKey.generate())
            self._wrapped[buyer] = wrapped
            self._by_key_id[wrapped.key_id] = wrapped
        return wrapped

    def sealer(self, buyer: int) -> SubjectSealer:
        """What placing an order for `buyer` seals with: its key, unwrapped now."""
        return SubjectSealer(self.keks.unwrap(self.wrapped_key(buyer)))

    def stored(self, key_id: str) -> WrappedKey:
        wrapped = self._by_key_id.get(key_id)
        if wrapped is None:
            raise UnknownKey(key_id)
        return wrapped


class BuyerKeys:
    """A consumer's `DataKeySource` for the run's buyers: the production cache, then unwrap."""

    def __init__(self, buyers: Buyers, cache: KeyCache | None = None) -> None:
        self._buyers = buyers
        self._cache = cache or KeyCache()
        self.misses = 0

    async def data_key(self, key_id: str) -> DataKey:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        self.misses += 1
        key = self._buyers.keks.unwrap(self._buyers.stored(key_id))
        self._cache.put(key)
        return key

    def forget(self, key_ids: Iterable[str]) -> None:
        self._cache.forget(key_ids)
