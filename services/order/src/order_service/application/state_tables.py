"""The order service's side tables (SKU stock, its audit, what each buyer holds) and their
statements; stock rows are locked in SKU order and changed only by `domain.stock`'s rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.aggregate import VersionMismatch
from eventing.database import RawStatement
from order_service.domain import stock
from order_service.domain.errors import SkuNotFound
from order_service.domain.stock import SkuStockLevel
from order_service.projections.tables import metadata

sku_stock = Table(
    "sku_stock",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False, server_default=text("0")),
    Column("warning_line", Integer, nullable=False, server_default=text("0")),
    Column("purchase_limit", Integer, comment="Units one buyer may buy; null: no limit."),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("on_hand >= 0", name="sku_stock_on_hand_not_negative"),
    CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="sku_stock_reserved_fits"),
    CheckConstraint("warning_line >= 0", name="sku_stock_warning_line_not_negative"),
    CheckConstraint("purchase_limit IS NULL OR purchase_limit >= 1", name="sku_stock_limit"),
    comment="Units per SKU of a shop; available = on_hand - reserved.",
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("movement_id", BigInteger, Identity(), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("kind", String(16), nullable=False, comment="set, adjust, reserve, release, ship."),
    Column("on_hand_change", Integer, nullable=False),
    Column("reserved_change", Integer, nullable=False),
    Column("on_hand_after", Integer, nullable=False),
    Column("reserved_after", Integer, nullable=False),
    Column("order_id", String(64)),
    Column("actor", String(16), nullable=False),
    Column("actor_id", String(128)),
    Column("reason", String(256)),
    Column("at", DateTime(timezone=True), nullable=False),
    comment="Audit of every change to sku_stock.",
)
Index("stock_movements_by_sku", stock_movements.c.shop_id, stock_movements.c.sku)

buyer_purchases = Table(
    "buyer_purchases",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("buyer_id", String(64), primary_key=True),
    Column("quantity", Integer, nullable=False),
    CheckConstraint("quantity >= 0", name="buyer_purchases_not_negative"),
    comment="Units of a SKU a buyer holds in orders not cancelled or closed (purchase limits).",
)


@dataclass(frozen=True, slots=True)
class Who:
    """Who changed the stock, for the audit."""

    actor: str
    actor_id: str | None = None
    order_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class StockChange:
    """A stocktake (`on_hand`) or goods in/out (`delta`), with the SKU's limits."""

    on_hand: int | None = None
    delta: int | None = None
    warning_line: int | None = None
    purchase_limit: int | None = None
    clear_limit: bool = False


@dataclass(frozen=True, slots=True)
class StockRow:
    """A SKU's level with the version and time of its row."""

    shop_id: str
    level: SkuStockLevel
    version: int
    updated_at: datetime


async def lock(
    connection: AsyncConnection, shop_id: str, skus: Iterable[str]
) -> dict[str, StockRow]:
    """The rows of `skus`, locked until commit; always in SKU order so two orders sharing SKUs
    lock them in the same order and cannot deadlock."""
    rows = await _LOCK.fetch(connection, shop_id, sorted(set(skus)))
    return {row["sku"]: _row(row) for row in rows}


async def lock_with_holdings(
    connection: AsyncConnection, shop_id: str, buyer_id: str, skus: Iterable[str]
) -> tuple[dict[str, StockRow], dict[str, int]]:
    """`lock`, and in the same round trip the units of each locked SKU the buyer holds
    (`purchased_by`): what placing an order is decided with."""
    rows = await _LOCK_WITH_HOLDINGS.fetch(connection, shop_id, buyer_id, sorted(set(skus)))
    held = {row["sku"]: row["held"] for row in rows if row["held"] is not None}
    return {row["sku"]: _row(row) for row in rows}, held


# On the driver connection (`eventing.database.RawStatement`): the statements of every order.
_STOCK_COLUMNS = (
    "shop_id, sku, on_hand, reserved, warning_line, purchase_limit, updated_at, version"
)
_LOCK = RawStatement(
    f"SELECT {_STOCK_COLUMNS} FROM sku_stock WHERE shop_id = $1 AND sku = ANY($2::text[])"
    " ORDER BY sku FOR UPDATE"
)
_LOCK_WITH_HOLDINGS = RawStatement(
    "SELECT s.shop_id, s.sku, s.on_hand, s.reserved, s.warning_line, s.purchase_limit,"
    " s.updated_at, s.version, p.quantity AS held"
    " FROM sku_stock AS s LEFT JOIN buyer_purchases AS p"
    " ON p.shop_id = s.shop_id AND p.sku = s.sku AND p.buyer_id = $2"
    " WHERE s.shop_id = $1 AND s.sku = ANY($3::text[])"
    " ORDER BY s.sku FOR UPDATE OF s"
)


async def read(connection: AsyncConnection, shop_id: str, sku: str) -> StockRow | None:
    statement = select(sku_stock).where(sku_stock.c.shop_id == shop_id, sku_stock.c.sku == sku)
    row = (await connection.execute(statement)).first()
    return None if row is None else _row(row._mapping)


def _row(row: RowMapping | asyncpg.Record) -> StockRow:
    level = SkuStockLevel(
        sku=row["sku"],
        on_hand=row["on_hand"],
        reserved=row["reserved"],
        warning_line=row["warning_line"],
        purchase_limit=row["purchase_limit"],
    )
    return StockRow(row["shop_id"], level, row["version"], row["updated_at"])


async def move(
    connection: AsyncConnection,
    shop_id: str,
    quantities: Mapping[str, int],
    kind: str,
    who: Who,
    at: datetime,
    buyer_id: str | None = None,
) -> None:
    """Reserve, release, ship or let leave (after release) the units of an order (`kind`), in
    SKU order: the rows are locked, changed by `domain.stock`'s rules, and written with their
    audit rows and the buyer's holdings in one statement (`_MOVE`), whatever the order's size."""
    change: Callable[[SkuStockLevel, int], SkuStockLevel] = {
        "reserve": stock.reserve,
        "release": stock.release,
        "ship": stock.ship,
        "leave": stock.leave,
    }[kind]
    rows = await lock(connection, shop_id, quantities)
    sign = {"reserve": 1, "release": -1}.get(kind, 0) if buyer_id is not None else 0
    changed = [  # a SKU without a stock row was never reserved
        (rows[sku], change(rows[sku].level, quantities[sku]), sign * quantities[sku])
        for sku in sorted(quantities)
        if sku in rows
    ]
    if not changed:
        return
    await _MOVE.execute(
        connection,
        shop_id,
        [after.sku for _, after, _ in changed],
        [after.on_hand for _, after, _ in changed],
        [after.reserved for _, after, _ in changed],
        [a.on_hand - b.level.on_hand for b, a, _ in changed],
        [a.reserved - b.level.reserved for b, a, _ in changed],
        [held for _, _, held in changed],
        kind,
        who.order_id,
        who.actor,
        who.actor_id,
        who.reason,
        at,
        buyer_id,
    )


# One round trip for a whole order's stock movement: the new levels (limits are not touched by
# a movement), one audit row per SKU in SKU order, and what the buyer holds (a release never
# goes below zero; a buyer without a row gets one, at zero for a release).
_MOVE = RawStatement(
    """
    WITH moved AS (
        SELECT * FROM unnest(
            CAST($2 AS text[]), CAST($3 AS integer[]), CAST($4 AS integer[]),
            CAST($5 AS integer[]), CAST($6 AS integer[]),
            CAST($7 AS integer[])
        ) AS m(sku, on_hand, reserved, on_hand_change, reserved_change, held)
    ),
    levels AS (
        UPDATE sku_stock AS s
        SET on_hand = m.on_hand, reserved = m.reserved, updated_at = $13, version = s.version + 1
        FROM moved AS m
        WHERE s.shop_id = $1 AND s.sku = m.sku
    ),
    audit AS (
        INSERT INTO stock_movements (shop_id, sku, kind, on_hand_change, reserved_change,
                                     on_hand_after, reserved_after, order_id, actor, actor_id,
                                     reason, at)
        SELECT $1, m.sku, $8, m.on_hand_change, m.reserved_change, m.on_hand,
               m.reserved, $9, $10, $11, $12, $13
        FROM moved AS m ORDER BY m.sku
    )
    INSERT INTO buyer_purchases AS b (shop_id, sku, buyer_id, quantity)
    SELECT $1, m.sku, CAST($14 AS text), greatest(m.held, 0)
    FROM moved AS m WHERE CAST($14 AS text) IS NOT NULL AND m.held <> 0
    ORDER BY m.sku
    ON CONFLICT (shop_id, sku, buyer_id) DO UPDATE
    SET quantity = greatest(b.quantity + (SELECT m.held FROM moved AS m WHERE m.sku = b.sku), 0)
    """
)


async def set_level(
    connection: AsyncConnection,
    shop_id: str,
    sku: str,
    change: StockChange,
    *,
    expected_version: int | None,
    who: Who,
    at: datetime,
) -> StockRow:
    """Apply `change` to the SKU's row (created by a stocktake); checks If-Match."""
    rows = await lock(connection, shop_id, [sku])
    current = rows.get(sku)
    actual_version = current.version if current else 0
    if expected_version is not None and expected_version != actual_version:
        raise VersionMismatch(f"{shop_id}/{sku}", expected_version, actual_version)
    if current is None:
        if change.on_hand is None:
            raise SkuNotFound(f"shop {shop_id} has no stock of {sku}; set it with PUT first")
        current = StockRow(shop_id, SkuStockLevel(sku=sku, on_hand=0), 0, at)
    level = current.level
    if change.on_hand is not None:
        level = stock.set_on_hand(level, change.on_hand)
    if change.delta is not None:
        level = stock.adjust_on_hand(level, change.delta)
    limit = None if change.clear_limit else (change.purchase_limit or level.purchase_limit)
    warning = level.warning_line if change.warning_line is None else change.warning_line
    level = stock.with_limits(level, warning, limit)
    kind = "set" if change.on_hand is not None else "adjust"
    return await _write(connection, current, level, kind, who, at)


async def _write(
    connection: AsyncConnection,
    before: StockRow,
    after: SkuStockLevel,
    kind: str,
    who: Who,
    at: datetime,
) -> StockRow:
    values = {
        "on_hand": after.on_hand,
        "reserved": after.reserved,
        "warning_line": after.warning_line,
        "purchase_limit": after.purchase_limit,
        "updated_at": at,
    }
    statement = insert(sku_stock).values(shop_id=before.shop_id, sku=after.sku, version=1, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=["shop_id", "sku"], set_={**values, "version": sku_stock.c.version + 1}
    ).returning(sku_stock.c.version)
    version: int = (await connection.execute(upsert)).scalar_one()
    await connection.execute(
        stock_movements.insert().values(
            shop_id=before.shop_id,
            sku=after.sku,
            kind=kind,
            on_hand_change=after.on_hand - before.level.on_hand,
            reserved_change=after.reserved - before.level.reserved,
            on_hand_after=after.on_hand,
            reserved_after=after.reserved,
            order_id=who.order_id,
            actor=who.actor,
            actor_id=who.actor_id,
            reason=who.reason,
            at=at,
        )
    )
    return StockRow(before.shop_id, after, version, at)
