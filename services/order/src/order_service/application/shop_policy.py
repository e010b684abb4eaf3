"""The order service's shop policy as stored and served (`GET/PUT /v1/shops/{shop}/policy`),
and its defaults from settings; `domain()` is the value the order's rules take."""

from __future__ import annotations

from datetime import timedelta

from pydantic import ConfigDict, Field, field_validator

from eventing.periods import TimeZoneName
from eventing.shop_policies import REMINDER_LEAD, TIME_TO_ACT, ShopPolicyModel
from order_service.domain.policy import ShopPolicy, extension_days_refusal
from order_service.settings import (
    DEFAULT_AUTO_CONFIRM_EXTENSION_DAYS,
    DEFAULT_TIME_ZONE,
    OrderSettings,
)


class OrderShopPolicy(ShopPolicyModel[ShopPolicy]):
    """A shop's policy for orders (ISO 8601 durations such as `PT15M`, `P3D`, or seconds; each
    within its bounds, `eventing.shop_policies`)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "payment_window": "PT72H",
                    "balance_reminder_lead": "PT24H",
                    "receipt_window_physical": "P10D",
                    "receipt_window_virtual": "P3D",
                    "forfeit_deposit_on_missed_balance": True,
                    "auto_confirm_extension_days": [3, 5, 7, 10],
                    "time_zone": "Asia/Shanghai",
                }
            ]
        },
    )

    payment_window: timedelta = TIME_TO_ACT.field(
        "Unpaid orders close automatically after this.", example="PT72H"
    )
    balance_reminder_lead: timedelta = REMINDER_LEAD.field(
        "Presale: remind the buyer this long before the balance is due.", example="PT24H"
    )
    receipt_window_physical: timedelta = TIME_TO_ACT.field(
        "Receipt confirms itself this long after shipment (parcels).", example="P10D"
    )
    receipt_window_virtual: timedelta = TIME_TO_ACT.field(
        "The same for virtual goods.", example="P3D"
    )
    forfeit_deposit_on_missed_balance: bool = Field(
        description="Presale: the deposit is kept when the balance is not paid in time."
    )
    # A default, so a client that PUTs the policy as it was before this field keeps working.
    auto_confirm_extension_days: tuple[int, ...] = Field(
        default=DEFAULT_AUTO_CONFIRM_EXTENSION_DAYS,
        description="The day counts a buyer may extend automatic receipt confirmation by, once "
        "(each of 3, 5, 7 or 10, none twice).",
    )

    # A default too, for the same reason; only the shop figures read it, no order rule does.
    time_zone: TimeZoneName = Field(
        default=DEFAULT_TIME_ZONE,
        description="IANA time zone whose days, weeks and months the shop's figures count in "
        "(`GET /v1/stats/shops/{shop_id}`).",
        examples=["Asia/Shanghai"],
    )

    @field_validator("auto_confirm_extension_days")
    @classmethod
    def _recordable_extensions(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        refused = extension_days_refusal(days)
        if refused is not None:
            raise ValueError(refused)
        return days

    def domain(self) -> ShopPolicy:
        return ShopPolicy(
            payment_window=self.payment_window,
            balance_reminder_lead=self.balance_reminder_lead,
            receipt_window_physical=self.receipt_window_physical,
            receipt_window_virtual=self.receipt_window_virtual,
            forfeit_deposit_on_missed_balance=self.forfeit_deposit_on_missed_balance,
            auto_confirm_extension_days=self.auto_confirm_extension_days,
        )


def default_policy(settings: OrderSettings) -> OrderShopPolicy:
    """The policy of every shop that never set its own."""
    return OrderShopPolicy(
        payment_window=settings.default_payment_window,
        balance_reminder_lead=settings.default_balance_reminder_lead,
        receipt_window_physical=settings.default_receipt_window_physical,
        receipt_window_virtual=settings.default_receipt_window_virtual,
        forfeit_deposit_on_missed_balance=settings.default_forfeit_deposit,
        auto_confirm_extension_days=settings.default_auto_confirm_extension_days,
        time_zone=settings.default_time_zone,
    )
