"""Response views of the dashboard API (docs: /work contract "Dashboard HTTP contract"):
money is integer minor units per currency, shares are 0..1 or null without a denominator."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from eventing.periods import PeriodKind

Money = dict[str, int]


class ScopeView(BaseModel):
    shop_id: str | None = Field(description="The shop, or null for the whole platform.")
    period: PeriodKind
    from_: datetime | None = Field(
        serialization_alias="from", description="Start of the period (null: all time)."
    )
    to: datetime | None = Field(description="End of the period, exclusive (null: all time).")
    time_zone: str


class LastEventView(BaseModel):
    at: datetime | None = Field(description="Business time of the latest applied event.")
    type: str | None
    applied_at: datetime | None = Field(description="When the dashboard applied it.")


class CountedMoney(BaseModel):
    count: int
    amount: Money


class OrderFigures(BaseModel):
    placed: int = Field(description="order.placed in the period.")
    paid: int = Field(
        description="Orders whose first payment (order.paid, or order.deposit_paid for "
        "presale) was taken in the period."
    )
    gmv: Money = Field(
        description="order.paid + deposit_paid + balance_paid amounts taken in the period "
        "(duplicate payments excluded, refunds not subtracted)."
    )
    payment_conversion: float | None = Field(
        description="Of the orders placed in the period, the share with a first payment so far."
    )
    average_order_value: Money = Field(
        description="Payable of the orders first paid in the period / their count, per currency."
    )
    cancelled: int
    auto_closed_unpaid: int = Field(description="Closed for unpaid_timeout or balance_timeout.")
    presale_deposits: CountedMoney
    presale_balances: CountedMoney
    deposits_forfeited: CountedMoney


class FollowUpFigures(BaseModel):
    needed: int = Field(description="Medium or bad ratings in the window (a follow-up opened).")
    answered: int = Field(description="Of those, answered so far.")
    answered_in_time: int = Field(description="Of those, answered by the follow-up's due time.")
    rate: float | None = Field(description="answered / needed; null when none was needed.")
    rate_in_time: float | None = Field(description="answered_in_time / needed; null when none.")


class RatingFigures(BaseModel):
    window_days: int
    count: int
    description: float | None
    service: float | None
    shipping_speed: float | None
    follow_up: FollowUpFigures = Field(description="The bad-rating follow-up rate.")


class ShippingFigures(BaseModel):
    requested: int
    shipped: int
    within_24h_share: float | None
    within_48h_share: float | None
    target_missed: int
    limit_missed: int
    with_exceptions: int
    exception_rate: float | None
    cancelled: int


class AftersalesFigures(BaseModel):
    paid_orders: int
    cases: int
    refund_rate: float | None
    refunded: Money
    refund_amount_rate: float | None
    timeouts: int = Field(description="Cases the seller let time out: must be 0.")
    disputes: int
    dispute_rate: float | None
    rulings: int
    ruled_against_seller_share: float | None


class ComplaintFigures(BaseModel):
    """Complaints filed in the period (as the order service's figures count them)."""

    filed: int
    rate: float | None = Field(description="Complaint rate: filed / orders first paid.")
    resolved_within_deadline: int = Field(description="Closed without the platform.")
    resolved_within_deadline_share: float | None
    escalated: int = Field(description="Taken over by the platform.")
    escalated_share: float | None
    responsibility: dict[str, int] = Field(
        description="By responsibility found: seller, buyer, carrier, platform."
    )


class FiguresView(BaseModel):
    scope: ScopeView
    last_event: LastEventView
    orders: OrderFigures
    ratings: RatingFigures
    shipping: ShippingFigures
    aftersales: AftersalesFigures
    complaints: ComplaintFigures


class DayView(BaseModel):
    day: date
    placed: int
    paid: int
    gmv: Money
    refunded: Money
    shipped: int


class SeriesView(BaseModel):
    time_zone: str
    buckets: list[DayView]


class ShopView(BaseModel):
    shop_id: str
    last_event_at: datetime | None


class ShopsView(BaseModel):
    shops: list[ShopView]
