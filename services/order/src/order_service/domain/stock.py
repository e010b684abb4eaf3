"""The stock rule: given a shop's SKU levels and an order's lines, reserve or refuse.

Stock is state of the order service but not an event stream: the application keeps the levels
in a table, locks the rows of an order's SKUs and applies what these pure functions decide.
Available = on hand - reserved; a reservation becomes a sale when the order ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from contracts.events.order import StockShortage, StockShortageReason
from contracts.values import SkuQuantity
from order_service.domain.errors import InvalidStockLevel, StockBelowReserved


@dataclass(frozen=True, slots=True)
class SkuStockLevel:
    """One SKU of a shop: units on hand, units held by unpaid/unshipped orders, its limits."""

    sku: str
    on_hand: int
    reserved: int = 0
    warning_line: int = 0
    purchase_limit: int | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class LowStockSignal:
    """A reservation took the SKU under its warning line."""

    sku: str
    available: int
    warning_line: int
    purchase_limit: int | None


@dataclass(frozen=True, slots=True)
class ReservationOutcome:
    """Either every line is reserved (with low-stock signals) or the shortages that refuse it."""

    reservations: tuple[SkuQuantity, ...] = ()
    shortages: tuple[StockShortage, ...] = ()
    low_stock: tuple[LowStockSignal, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.shortages


def check_reservation(
    levels: Mapping[str, SkuStockLevel],
    requested: Mapping[str, int],
    purchased_by_buyer: Mapping[str, int],
) -> ReservationOutcome:
    """Reserve every requested SKU or none: a single shortage refuses the whole order."""
    shortages: list[StockShortage] = []
    low_stock: list[LowStockSignal] = []
    for sku in sorted(requested):
        quantity = requested[sku]
        level = levels.get(sku, SkuStockLevel(sku=sku, on_hand=0))
        shortage = _shortage(level, quantity, purchased_by_buyer.get(sku, 0))
        if shortage is not None:
            shortages.append(shortage)
            continue
        after = level.available - quantity
        if after < level.warning_line <= level.available:
            low_stock.append(LowStockSignal(sku, after, level.warning_line, level.purchase_limit))
    if shortages:
        return ReservationOutcome(shortages=tuple(shortages))
    reservations = tuple(SkuQuantity(sku=sku, quantity=requested[sku]) for sku in sorted(requested))
    return ReservationOutcome(reservations=reservations, low_stock=tuple(low_stock))


def _shortage(level: SkuStockLevel, quantity: int, purchased: int) -> StockShortage | None:
    if level.purchase_limit is not None and purchased + quantity > level.purchase_limit:
        allowed = max(0, min(level.purchase_limit - purchased, level.available))
        return StockShortage(
            sku=level.sku,
            requested=quantity,
            available=allowed,
            reason=StockShortageReason.PURCHASE_LIMIT_EXCEEDED,
        )
    if quantity > level.available:
        return StockShortage(
            sku=level.sku,
            requested=quantity,
            available=max(0, level.available),
            reason=StockShortageReason.OUT_OF_STOCK,
        )
    return None


def reserve(level: SkuStockLevel, quantity: int) -> SkuStockLevel:
    """Hold `quantity` units for an order that was just accepted."""
    if quantity > level.available:
        raise StockBelowReserved(f"{level.sku}: cannot reserve {quantity}, {level.available} left")
    return replace(level, reserved=level.reserved + quantity)


def release(level: SkuStockLevel, quantity: int) -> SkuStockLevel:
    """Give back units of an order that was cancelled or closed before shipment."""
    return replace(level, reserved=max(0, level.reserved - quantity))


def ship(level: SkuStockLevel, quantity: int) -> SkuStockLevel:
    """The reserved units left the warehouse: they are neither on hand nor reserved any more."""
    shipped = min(quantity, level.reserved)
    return replace(
        level, on_hand=max(0, level.on_hand - quantity), reserved=level.reserved - shipped
    )


def leave(level: SkuStockLevel, quantity: int) -> SkuStockLevel:
    """Units left the warehouse after their reservation was given back (the order ended before
    it heard of the shipment): they are no longer on hand. Never below what other orders hold;
    the shortfall, if any, is the shop's next stocktake to settle."""
    return replace(level, on_hand=max(level.reserved, level.on_hand - quantity))


def set_on_hand(level: SkuStockLevel, on_hand: int) -> SkuStockLevel:
    """A stocktake: the shop counts `on_hand` units; open reservations must still fit."""
    if on_hand < 0:
        raise InvalidStockLevel(f"{level.sku}: on hand cannot be negative ({on_hand})")
    if on_hand < level.reserved:
        raise StockBelowReserved(
            f"{level.sku}: {level.reserved} units are reserved by open orders, "
            f"on hand cannot be {on_hand}",
            sku=level.sku,
            reserved=level.reserved,
        )
    return replace(level, on_hand=on_hand)


def adjust_on_hand(level: SkuStockLevel, delta: int) -> SkuStockLevel:
    """Goods received (+) or written off (-)."""
    return set_on_hand(level, level.on_hand + delta)


def with_limits(
    level: SkuStockLevel, warning_line: int, purchase_limit: int | None
) -> SkuStockLevel:
    """Change the warning line and the per-buyer purchase limit of a SKU."""
    if warning_line < 0:
        raise InvalidStockLevel(f"{level.sku}: the warning line cannot be negative")
    if purchase_limit is not None and purchase_limit < 1:
        raise InvalidStockLevel(f"{level.sku}: a purchase limit must be at least 1")
    return replace(level, warning_line=warning_line, purchase_limit=purchase_limit)
