"""A shop's policy: every duration the order's rules use comes from here, per shop, including
the day counts a buyer may extend automatic receipt confirmation by, when buyers are reminded to
pay and how ratings are answered and followed up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import get_args

from contracts.events.order import AutoConfirmExtended, GoodsKind
from order_service.domain.errors import InvalidPolicyDuration

# The day counts `order.auto_confirm_extended` can carry: a shop chooses among them.
EXTENSION_DAYS_RECORDABLE: tuple[int, ...] = get_args(
    AutoConfirmExtended.model_fields["extension_days"].annotation
)


LOWEST_SCORE, HIGHEST_SCORE = 1, 5


@dataclass(frozen=True, slots=True)
class RatingPolicy:
    """How a shop answers ratings: the seller answers within `answer_window` of the rating; a
    rating with a score at or under `follow_up_max_score` opens a follow-up task due within
    `follow_up_due`; the buyer may add one comment within `append_window` of the rating."""

    answer_window: timedelta
    follow_up_due: timedelta
    follow_up_max_score: int
    append_window: timedelta

    def needs_follow_up(self, scores: Sequence[int]) -> bool:
        """A medium or bad rating: one of its scores at or under the threshold."""
        return min(scores) <= self.follow_up_max_score


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
    payment_reminder_lead: timedelta
    rating: RatingPolicy

    def __post_init__(self) -> None:
        durations = {
            "payment_window": self.payment_window,
            "balance_reminder_lead": self.balance_reminder_lead,
            "payment_reminder_lead": self.payment_reminder_lead,
            "receipt_window_physical": self.receipt_window_physical,
            "receipt_window_virtual": self.receipt_window_virtual,
            "rating_answer_window": self.rating.answer_window,
            "rating_follow_up_due": self.rating.follow_up_due,
            "rating_append_window": self.rating.append_window,
        }
        for name, duration in durations.items():
            if duration <= timedelta(0):
                raise InvalidPolicyDuration(f"{name} must be positive", field=name)
        refused = extension_days_refusal(self.auto_confirm_extension_days)
        if refused is not None:
            raise InvalidPolicyDuration(refused, field="auto_confirm_extension_days")
        rating_refused = rating_policy_refusal(self.rating)
        if rating_refused is not None:
            field, reason = rating_refused
            raise InvalidPolicyDuration(reason, field=field)

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


def rating_policy_refusal(rating: RatingPolicy) -> tuple[str, str] | None:
    """The field and reason why `rating` cannot be a shop's rating policy (None: it can): the
    threshold leaves the best score out, and a follow-up falls due while it can be answered."""
    if not LOWEST_SCORE <= rating.follow_up_max_score < HIGHEST_SCORE:
        return (
            "rating_follow_up_max_score",
            f"the follow-up threshold is a score from {LOWEST_SCORE} to {HIGHEST_SCORE - 1}, "
            f"not {rating.follow_up_max_score}",
        )
    if rating.follow_up_due > rating.answer_window:
        return (
            "rating_follow_up_due",
            "a rating's follow-up must fall due within its answer window",
        )
    return None


def reminder_time(opens_at: datetime, due_by: datetime, lead: timedelta) -> datetime:
    """When to remind a buyer of a payment due by `due_by` that could be made from `opens_at`:
    `lead` before the deadline, or half-way through a window shorter than two leads (a 30-minute
    promotional window reminds after 15 minutes, a 72-hour one 24 hours before it ends). The one
    rule of every reminder to pay: the full payment, a presale deposit and its balance."""
    return max(due_by - lead, opens_at + (due_by - opens_at) / 2)
