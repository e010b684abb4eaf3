"""A shop's time policy: every duration the order's rules use comes from here, per shop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from contracts.events.order import GoodsKind
from order_service.domain.errors import InvalidPolicyDuration


@dataclass(frozen=True, slots=True)
class ShopPolicy:
    """How long buyers have to pay, when they are reminded, when receipt confirms itself."""

    payment_window: timedelta
    balance_reminder_lead: timedelta
    receipt_window_physical: timedelta
    receipt_window_virtual: timedelta
    forfeit_deposit_on_missed_balance: bool

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

    def receipt_window(self, goods: GoodsKind) -> timedelta:
        """How long after shipment receipt is confirmed automatically, for these goods."""
        if goods is GoodsKind.VIRTUAL:
            return self.receipt_window_virtual
        return self.receipt_window_physical
