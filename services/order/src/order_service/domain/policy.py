"""A shop's policy: every duration the order's rules use comes from here, per shop, including
the day counts a buyer may extend automatic receipt confirmation by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import get_args

from contracts.events.order import AutoConfirmExtended, GoodsKind
from order_service.domain.errors import InvalidPolicyDuration

# The day counts `order.auto_confirm_extended` can carry: a shop chooses among them.
EXTENSION_DAYS_RECORDABLE: tuple[int, ...] = get_args(
    AutoConfirmExtended.model_fields["extension_days"].annotation
)


@dataclass(frozen=True, slots=True)
class ShopPolicy:
    """How long buyers have to pay, when they are reminded, when receipt confirms itself and by
    how many days a buyer may put that off (once)."""

    payment_window: timedelta
    balance_reminder_lead: timedelta
    receipt_window_physical: timedelta
    receipt_window_virtual: timedelta
    forfeit_deposit_on_missed_balance: bool
    auto_confirm_extension_days: tuple[int, ...]

    def __post_init__(self) -> None:
        durations = {
            "payment_window": self.payment_window,
            "balance_reminder_lead": self.balance_reminder_lead,
            "receipt_window_physical": self.receipt_window_physical,
            "receipt_window_virtual": self.receipt_window_virtual,
        }
        for name, duration in durations.items():
            if duration <= timedelta(0):
                raise InvalidPolicyDuration(f"{name} must be positive", field=name)
        refused = extension_days_refusal(self.auto_confirm_extension_days)
        if refused is not None:
            raise InvalidPolicyDuration(refused, field="auto_confirm_extension_days")

    def receipt_window(self, goods: GoodsKind) -> timedelta:
        """How long after shipment receipt is confirmed automatically, for these goods."""
        if goods is GoodsKind.VIRTUAL:
            return self.receipt_window_virtual
        return self.receipt_window_physical


def extension_days_refusal(days: Sequence[int]) -> str | None:
    """Why `days` cannot be a shop's auto-confirm extensions (None: they can): at least one,
    none twice, each one the `order.auto_confirm_extended` event can record."""
    if not days:
        return "allow at least one extension"
    if len(set(days)) != len(days):
        return f"each day count once, not {list(days)}"
    unknown = [day for day in days if day not in EXTENSION_DAYS_RECORDABLE]
    if unknown:
        allowed = ", ".join(str(day) for day in EXTENSION_DAYS_RECORDABLE)
        return f"extensions are chosen among {allowed} days, not {unknown}"
    return None
