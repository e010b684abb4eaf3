"""Settings of the order service process: the shared ones plus the shops' default policies."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from eventing.periods import TimeZoneName
from eventing.settings import ServiceSettings

DEFAULT_AUTO_CONFIRM_EXTENSION_DAYS = (3, 5, 7, 10)
DEFAULT_TIME_ZONE = "Asia/Shanghai"
# Customer care (issue 21). Remind a day before an unpaid order closes (half-way through a
# window shorter than two days); answer a rating within 30 days; a medium or bad rating (a score
# of 2 or less) is followed up within a day, as the handbooks check yesterday's ratings every
# morning; the buyer may add a follow-up comment within 90 days (the longest a shop may set).
DEFAULT_PAYMENT_REMINDER_LEAD = timedelta(hours=24)
DEFAULT_RATING_ANSWER_WINDOW = timedelta(days=30)
DEFAULT_RATING_FOLLOW_UP_DUE = timedelta(hours=24)
DEFAULT_RATING_FOLLOW_UP_MAX_SCORE = 2
DEFAULT_RATING_APPEND_WINDOW = timedelta(days=90)


class OrderSettings(ServiceSettings):
    """Environment of the order service. Durations accept seconds or ISO 8601 (`PT72H`)."""

    default_payment_window: timedelta = Field(
        default=timedelta(hours=72),
        description="DEFAULT_PAYMENT_WINDOW: an unpaid order (or presale deposit) closes after it.",
    )
    default_balance_reminder_lead: timedelta = Field(
        default=timedelta(hours=24),
        description="DEFAULT_BALANCE_REMINDER_LEAD: remind the buyer this long before the "
        "presale balance deadline.",
    )
    default_receipt_window_physical: timedelta = Field(
        default=timedelta(days=10),
        description="DEFAULT_RECEIPT_WINDOW_PHYSICAL: receipt is confirmed automatically this "
        "long after a parcel ships.",
    )
    default_receipt_window_virtual: timedelta = Field(
        default=timedelta(days=3),
        description="DEFAULT_RECEIPT_WINDOW_VIRTUAL: the same for virtual goods.",
    )
    default_forfeit_deposit: bool = Field(
        default=True,
        description="DEFAULT_FORFEIT_DEPOSIT: a presale order that misses its balance keeps "
        "the deposit (true) or owes it back (false).",
    )
    default_auto_confirm_extension_days: tuple[int, ...] = Field(
        default=DEFAULT_AUTO_CONFIRM_EXTENSION_DAYS,
        description="DEFAULT_AUTO_CONFIRM_EXTENSION_DAYS: the day counts a buyer may extend "
        "automatic receipt confirmation by, once (a JSON list, e.g. `[3, 5, 7, 10]`).",
    )
    default_payment_reminder_lead: timedelta = Field(
        default=DEFAULT_PAYMENT_REMINDER_LEAD,
        description="DEFAULT_PAYMENT_REMINDER_LEAD: remind the buyer of an unpaid order this "
        "long before it closes, or half-way through a payment window shorter than twice this.",
    )
    default_rating_answer_window: timedelta = Field(
        default=DEFAULT_RATING_ANSWER_WINDOW,
        description="DEFAULT_RATING_ANSWER_WINDOW: the seller may answer a rating this long "
        "after it was given.",
    )
    default_rating_follow_up_due: timedelta = Field(
        default=DEFAULT_RATING_FOLLOW_UP_DUE,
        description="DEFAULT_RATING_FOLLOW_UP_DUE: a medium or bad rating's follow-up task is "
        "overdue this long after the rating unless answered.",
    )
    default_rating_follow_up_max_score: int = Field(
        default=DEFAULT_RATING_FOLLOW_UP_MAX_SCORE,
        ge=1,
        le=4,
        description="DEFAULT_RATING_FOLLOW_UP_MAX_SCORE: a rating with a score at or under "
        "this (1 to 4) opens a follow-up task.",
    )
    default_rating_append_window: timedelta = Field(
        default=DEFAULT_RATING_APPEND_WINDOW,
        description="DEFAULT_RATING_APPEND_WINDOW: the buyer may add one follow-up comment to "
        "their rating this long after it.",
    )
    default_time_zone: TimeZoneName = Field(
        default=DEFAULT_TIME_ZONE,
        description="DEFAULT_TIME_ZONE: the IANA time zone whose days, weeks and months a "
        "shop's figures count in, until the shop sets its own.",
    )
