"""Response bodies of the shop and platform figures (`GET /v1/stats/...`): the `orders` and
`ratings` blocks of the dashboard contract, with the same definitions, so the dashboard's
numbers (folded from the topics) and these (from the order read model) can be compared."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from eventing.periods import PeriodKind
from order_service.api.complaint_figure_models import ComplaintFigures

PerCurrency = dict[str, int]
AMOUNTS = 'Integer minor units per ISO 4217 currency, e.g. {"CNY": 12345}; {} when none.'


class FiguresScope(BaseModel):
    """What the figures cover."""

    model_config = ConfigDict(populate_by_name=True)

    shop_id: str | None = Field(description="The shop; null for the whole platform.")
    period: PeriodKind = Field(description="day, week (from Monday), month, range or all.")
    from_: datetime | None = Field(
        alias="from", description="First instant counted (with the zone's offset); null for all."
    )
    to: datetime | None = Field(
        description="First instant no longer counted (the next day's start); null for all."
    )
    time_zone: str = Field(description="IANA time zone of the days, weeks and months.")


class MoneyTally(BaseModel):
    """A count of facts and their money."""

    count: int = Field(ge=0, description="How many.")
    amount: PerCurrency = Field(description=AMOUNTS)


class OrderFigures(BaseModel):
    """Orders and money; each fact counted by its own business time (a payment by its
    `paid_at`, anything else by when it occurred), never by when it was recorded."""

    placed: int = Field(ge=0, description="order.placed in the period.")
    paid: int = Field(
        ge=0,
        description="Orders whose first payment (order.paid, or order.deposit_paid for "
        "presale) was taken in the period.",
    )
    gmv: PerCurrency = Field(
        description="Money taken in the period: order.paid, order.deposit_paid and "
        "order.balance_paid amounts by paid_at; duplicate payments excluded, refunds not "
        "subtracted. " + AMOUNTS
    )
    payment_conversion: float | None = Field(
        ge=0,
        le=1,
        description="Of the orders placed in the period, the share with a first payment (at "
        "any time so far); null when none was placed. Not rounded.",
    )
    average_order_value: PerCurrency = Field(
        description="Per currency: the payable of the orders first paid in the period, summed, "
        "over their count, rounded half up to a minor unit. " + AMOUNTS
    )
    cancelled: int = Field(ge=0, description="order.cancelled in the period.")
    auto_closed_unpaid: int = Field(
        ge=0,
        description="order.closed for an unpaid deposit or order (unpaid_timeout) or a "
        "missed presale balance (balance_timeout) in the period.",
    )
    presale_deposits: MoneyTally = Field(description="order.deposit_paid by paid_at.")
    presale_balances: MoneyTally = Field(description="order.balance_paid by paid_at.")
    deposits_forfeited: MoneyTally = Field(
        description="order.closed keeping the deposit (deposit_forfeited) in the period."
    )


class FollowUpFigures(BaseModel):
    """How the shop followed up its medium and bad ratings (a score at or under its policy's
    threshold: `order.rating_follow_up_opened`) given in the ratings window."""

    needed: int = Field(ge=0, description="Medium or bad ratings in the window.")
    answered: int = Field(ge=0, description="Of those, answered (order.rating_answered) so far.")
    answered_in_time: int = Field(
        ge=0, description="Of those, answered by the follow-up's due time."
    )
    rate: float | None = Field(
        ge=0, le=1, description="answered / needed, not rounded; null when none was needed."
    )
    rate_in_time: float | None = Field(
        ge=0, le=1, description="answered_in_time / needed, not rounded; null when none."
    )


class RatingFigures(BaseModel):
    """Average ratings over the `window_days` days ending at the period's end, or now if that
    comes first (for period=all: now)."""

    window_days: int = Field(ge=1, description="Length of the window, in days (180).")
    count: int = Field(ge=0, description="order.rated in the window.")
    description: float | None = Field(
        ge=1,
        le=5,
        description="Average item-as-described score, 2 decimals half up; null when none.",
    )
    service: float | None = Field(
        ge=1, le=5, description="Average service score, 2 decimals half up; null when none."
    )
    shipping_speed: float | None = Field(
        ge=1, le=5, description="Average shipping-speed score, 2 decimals half up; null when none."
    )
    follow_up: FollowUpFigures = Field(
        description="The bad-rating follow-up rate: medium and bad ratings answered."
    )


class Figures(BaseModel):
    """A shop's (or the platform's) order figures over a period."""

    scope: FiguresScope = Field(description="The shop, period and time zone covered.")
    orders: OrderFigures = Field(description="Orders, payments, GMV, cancels and closes.")
    ratings: RatingFigures = Field(description="Average ratings over the ratings window.")
    complaints: ComplaintFigures = Field(
        description="Complaint rate, share resolved within deadline, share escalated, "
        "responsibility split."
    )
