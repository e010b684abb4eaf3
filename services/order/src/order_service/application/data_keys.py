"""The buyers' data keys, kept by the order service as the platform's key custodian.

A buyer's data key is created, in the transaction that records it, when the order service first
seals a receiver for that buyer; it is stored wrapped by the current key-encryption key (KEK),
never in clear, and never leaves this database except wrapped (`GET /internal/v1/data-keys/…`,
for the services that may read personal data). Which orders hold receivers sealed under which
key is recorded beside it, so an erasure finds every order at once. Erasure keeps the key's row
as a tombstone with the wrapped key gone: a lookup then answers "erased", not "unknown".

See docs/architecture.md, "Personal data", for the design and its threat model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    String,
    Table,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.sealing import DataKey, KeyEncryptionKeys, SubjectSealer, WrappedKey
from eventing.data_keys import DataKeySource, KeyCache, KeyErased, UnknownKey
from eventing.database import RawStatement
from eventing.runtime import ServiceRuntime
from eventing.settings import ServiceSettings
from order_service.projections.tables import metadata

data_keys = Table(
    "data_keys",
    metadata,
    Column("key_id", String(35), primary_key=True),
    Column("buyer_id", String(64), nullable=False),
    Column("kek_id", String(32), comment="The KEK that wraps it; null once erased."),
    Column("wrapped", Text, comment="RFC 3394 wrap of the key, base64url; null once erased."),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True)),
    CheckConstraint(
        "(erased_at IS NULL) = (wrapped IS NOT NULL AND kek_id IS NOT NULL)",
        name="data_keys_wrapped_until_erased",
    ),
    Index(
        "data_keys_one_live_key_per_buyer",
        "buyer_id",
        unique=True,
        postgresql_where=text("erased_at IS NULL"),
    ),
    comment="Each buyer's data key (wrapped by the KEK); a tombstone once erased.",
)

sealed_orders = Table(
    "sealed_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("key_id", String(35), primary_key=True),
    Column("buyer_id", String(64), nullable=False),
    Index("sealed_orders_by_buyer", "buyer_id"),
    comment="Which orders hold receivers sealed under which data key (for erasure).",
)

buyer_erasures = Table(
    "buyer_erasures",
    metadata,
    Column("erasure_id", BigInteger, Identity(), primary_key=True),
    Column("buyer_id", String(64), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
    Column("erased_by", String(128), nullable=False, comment="The platform caller's subject."),
    Column("correlation_id", String(128)),
    Column("key_ids", JSONB, nullable=False, comment="The data keys destroyed."),
    Column("order_ids", JSONB, nullable=False, comment="The orders whose receivers they sealed."),
    Index("buyer_erasures_by_buyer", "buyer_id", "erasure_id"),
    comment="Every erasure of a buyer's personal data (append-only, the erasure's own record).",
)


@dataclass(frozen=True)
class BuyerKey:
    """A buyer's live data key, unwrapped for the transaction that seals with it."""

    buyer_id: str
    key: DataKey

    def sealer(self) -> SubjectSealer:
        return SubjectSealer(self.key)


# On the driver connection (`eventing.database.RawStatement`): every placement runs it.
_SEAL_WITH_LIVE_KEY = RawStatement(
    "WITH live AS ("
    " SELECT key_id, kek_id, wrapped FROM data_keys"
    " WHERE buyer_id = $1 AND erased_at IS NULL FOR UPDATE),"
    " sealed AS ("
    " INSERT INTO sealed_orders (order_id, key_id, buyer_id)"
    " SELECT $2, key_id, $1 FROM live ON CONFLICT DO NOTHING)"
    " SELECT key_id, kek_id, wrapped FROM live"
)


class Custodian:
    """The order service's data keys: sealing keys for its commands, opening keys for its views
    (a `eventing.data_keys.DataKeySource`), the wrapped keys for the internal API, erasure and
    re-wrapping after a KEK rotation."""

    def __init__(
        self, engine: AsyncEngine, keks: KeyEncryptionKeys, cache: KeyCache | None = None
    ) -> None:
        self._engine = engine
        self.keks = keks
        self._cache = cache or KeyCache()

    async def buyer_key(
        self, connection: AsyncConnection, buyer_id: str, order_id: str, at: datetime
    ) -> BuyerKey:
        """The buyer's live key (created now if the buyer has none), recorded as sealing
        `order_id`; the key row is locked until the transaction ends, so an erasure running at
        the same time either comes first (and this creates a new key) or waits for it."""
        key = await self._seal_with_live_key(connection, buyer_id, order_id)
        if key is None:
            fresh = DataKey.generate()
            wrapped = self.keks.wrap(fresh)
            await connection.execute(
                insert(data_keys)
                .values(
                    key_id=fresh.key_id,
                    buyer_id=buyer_id,
                    kek_id=wrapped.kek_id,
                    wrapped=wrapped.wrapped,
                    created_at=at,
                )
                .on_conflict_do_nothing()
            )
            key = await self._seal_with_live_key(connection, buyer_id, order_id)
            if key is None:  # pragma: no cover - the unique index makes the insert or the read win
                raise KeyErased(fresh.key_id)
        return BuyerKey(buyer_id, key)

    async def _seal_with_live_key(
        self, connection: AsyncConnection, buyer_id: str, order_id: str
    ) -> DataKey | None:
        """The buyer's live key, locked, with `order_id` recorded as sealed under it, in one
        round trip (the order path's); None, and nothing recorded, when the buyer has none."""
        row = await _SEAL_WITH_LIVE_KEY.fetchrow(connection, buyer_id, order_id)
        if row is None:
            return None
        return self.keks.unwrap(WrappedKey(row["key_id"], row["kek_id"], row["wrapped"]))

    async def wrapped_key(self, key_id: str) -> WrappedKey:
        """The key as stored (wrapped); `KeyErased` or `UnknownKey`."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(data_keys.c.kek_id, data_keys.c.wrapped, data_keys.c.erased_at).where(
                        data_keys.c.key_id == key_id
                    )
                )
            ).first()
        if row is None:
            raise UnknownKey(key_id)
        if row.erased_at is not None:
            raise KeyErased(key_id)
        return WrappedKey(key_id, row.kek_id, row.wrapped)

    async def data_key(self, key_id: str) -> DataKey:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        key = self.keks.unwrap(await self.wrapped_key(key_id))
        self._cache.put(key)
        return key

    def forget(self, key_ids: Iterable[str]) -> None:
        self._cache.forget(key_ids)

    async def erase(
        self, connection: AsyncConnection, buyer_id: str, at: datetime
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Destroy the buyer's live keys: (the key ids erased now, the (order, key) pairs
        sealed under them). The caller's transaction decides; the cache forgets on commit."""
        erased = (
            await connection.execute(
                update(data_keys)
                .where(data_keys.c.buyer_id == buyer_id, data_keys.c.erased_at.is_(None))
                .values(wrapped=None, kek_id=None, erased_at=at)
                .returning(data_keys.c.key_id)
            )
        ).scalars()
        key_ids = sorted(erased)
        if not key_ids:
            return [], []
        orders = (
            await connection.execute(
                select(sealed_orders.c.order_id, sealed_orders.c.key_id)
                .where(sealed_orders.c.key_id.in_(key_ids))
                .order_by(sealed_orders.c.order_id)
            )
        ).all()
        return key_ids, [(row.order_id, row.key_id) for row in orders]

    async def rewrap(self, batch: int = 500) -> int:
        """Wrap every live key with the current KEK (after a rotation): how many changed."""
        changed = 0
        while True:
            async with self._engine.begin() as connection:
                rows = (
                    await connection.execute(
                        select(data_keys.c.key_id, data_keys.c.kek_id, data_keys.c.wrapped)
                        .where(
                            data_keys.c.erased_at.is_(None),
                            data_keys.c.kek_id != self.keks.current,
                        )
                        .limit(batch)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
                for row in rows:
                    wrapped = self.keks.rewrap(WrappedKey(row.key_id, row.kek_id, row.wrapped))
                    await connection.execute(
                        update(data_keys)
                        .where(data_keys.c.key_id == row.key_id)
                        .values(kek_id=wrapped.kek_id, wrapped=wrapped.wrapped)
                    )
            changed += len(rows)
            if len(rows) < batch:
                return changed


def custodian_of(keys: DataKeySource) -> Custodian:
    """The order service's custodian behind its kit's `personal_data.keys`."""
    if not isinstance(keys, Custodian):  # pragma: no cover - the manifest always gives one
        raise TypeError(f"the order service keeps its own keys, not {type(keys).__name__}")
    return keys


def custodian_for(runtime: ServiceRuntime, settings: ServiceSettings) -> Custodian:
    """The manifest's `data_keys`: the custodian on the service's own database."""
    keks = KeyEncryptionKeys.parse(settings.pii_keks.get_secret_value())
    return Custodian(runtime.engine, keks)


async def orders_sealed_for(connection: AsyncConnection, buyer_id: str) -> Sequence[str]:
    """Every order whose receiver was sealed for the buyer, under any key, oldest id first."""
    rows = await connection.execute(
        select(sealed_orders.c.order_id)
        .where(sealed_orders.c.buyer_id == buyer_id)
        .distinct()
        .order_by(sealed_orders.c.order_id)
    )
    return list(rows.scalars())
