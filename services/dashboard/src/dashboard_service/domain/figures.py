"""How counts become the figures the business reads: shares, per-currency averages, money."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

Money = dict[str, int]
"""Integer minor units per ISO currency, e.g. `{"CNY": 12345}` (empty when nothing)."""


def share(part: int, whole: int) -> float | None:
    """`part / whole`, or None when there is nothing to divide by."""
    return part / whole if whole else None


def money_share(part: Mapping[str, int], whole: Mapping[str, int]) -> float | None:
    """`part / whole` for amounts of one currency; None when the currencies are mixed (no
    exchange rate is a fact here) or the whole is zero."""
    currencies = {c for c, amount in whole.items() if amount} | {
        c for c, amount in part.items() if amount
    }
    if len(currencies) != 1:
        return None
    (currency,) = currencies
    return share(part.get(currency, 0), whole.get(currency, 0))


def average_per_currency(totals: Mapping[str, int], counts: Mapping[str, int]) -> Money:
    """Total / count per currency, rounded half up to whole minor units."""
    return {
        currency: int((Decimal(total) / counts[currency]).quantize(Decimal(1), ROUND_HALF_UP))
        for currency, total in sorted(totals.items())
        if counts.get(currency)
    }


def score_average(total: int, count: int) -> float | None:
    """A rating average to two decimals (None without ratings)."""
    if not count:
        return None
    return float((Decimal(total) / count).quantize(Decimal("0.01"), ROUND_HALF_UP))
