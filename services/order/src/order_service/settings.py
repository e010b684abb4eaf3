"""Settings of the order service process: the shared ones plus the shops' default policies."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from eventing.periods import TimeZoneName
from eventing.settings import ServiceSettings

DEFAULT_AUTO_CONFIRM_EXTENSION_DAYS = (3, 5, 7, 10)
DEFAULT_TIME_ZONE = "Asia/Shanghai"


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
    default_time_zone: TimeZoneName = Field(
        default=DEFAULT_TIME_ZONE,
        description="DEFAULT_TIME_ZONE: the IANA time zone whose days, weeks and months a "
        "shop's figures count in, until the shop sets its own.",
    )
