"""The order service's shop policy as stored and served (`GET/PUT /v1/shops/{shop}/policy`),
and its defaults from settings; `domain()` is the value the order's rules take."""

from __future__ import annotations

from datetime import timedelta

from pydantic import ConfigDict, Field, field_validator, model_validator

from eventing.periods import TimeZoneName
from eventing.shop_policies import REMINDER_LEAD, TIME_TO_ACT, ShopPolicyModel
from order_service.domain.policy import (
    RatingPolicy,
    ShopPolicy,
    extension_days_refusal,
    rating_policy_refusal,
)
from order_service.settings import (
    DEFAULT_AUTO_CONFIRM_EXTENSION_DAYS,
    DEFAULT_PAYMENT_REMINDER_LEAD,
    DEFAULT_RATING_ANSWER_WINDOW,
    DEFAULT_RATING_APPEND_WINDOW,
    DEFAULT_RATING_FOLLOW_UP_DUE,
    DEFAULT_RATING_FOLLOW_UP_MAX_SCORE,
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
                    "payment_reminder_lead": "PT24H",
                    "rating_answer_window": "P30D",
                    "rating_follow_up_due": "PT24H",
                    "rating_follow_up_max_score": 2,
                    "rating_append_window": "P90D",
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

    # Customer care (issue 21): defaults too, so a policy PUT as before keeps working.
    payment_reminder_lead: timedelta = REMINDER_LEAD.field(
        "Remind the buyer of an unpaid order this long before it closes, or half-way through "
        "a payment window shorter than twice this (`order.payment_reminder_due`).",
        example="PT24H",
        default=DEFAULT_PAYMENT_REMINDER_LEAD,
    )
    rating_answer_window: timedelta = TIME_TO_ACT.field(
        "The seller may answer a rating this long after it was given.",
        example="P30D",
        default=DEFAULT_RATING_ANSWER_WINDOW,
    )
    rating_follow_up_due: timedelta = TIME_TO_ACT.field(
        "A medium or bad rating's follow-up task is overdue this long after the rating unless "
        "answered (at most the answer window).",
        example="PT24H",
        default=DEFAULT_RATING_FOLLOW_UP_DUE,
    )
    rating_follow_up_max_score: int = Field(
        default=DEFAULT_RATING_FOLLOW_UP_MAX_SCORE,
        ge=1,
        le=4,
        strict=True,
        description="A rating with any score at or under this (1 to 4) is medium or bad and "
        "opens a follow-up task in the shop's queue.",
        examples=[2],
    )
    rating_append_window: timedelta = TIME_TO_ACT.field(
        "The buyer may add one follow-up comment to their rating this long after it.",
        example="P90D",
        default=DEFAULT_RATING_APPEND_WINDOW,
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

    @model_validator(mode="after")
    def _answerable_follow_ups(self) -> OrderShopPolicy:
        refused = rating_policy_refusal(self._rating())
        if refused is not None:
            raise ValueError(f"{refused[0]}: {refused[1]}")
        return self

    def _rating(self) -> RatingPolicy:
        return RatingPolicy(
            answer_window=self.rating_answer_window,
            follow_up_due=self.rating_follow_up_due,
            follow_up_max_score=self.rating_follow_up_max_score,
            append_window=self.rating_append_window,
        )

    def domain(self) -> ShopPolicy:
        return ShopPolicy(
            payment_window=self.payment_window,
            balance_reminder_lead=self.balance_reminder_lead,
            receipt_window_physical=self.receipt_window_physical,
            receipt_window_virtual=self.receipt_window_virtual,
            forfeit_deposit_on_missed_balance=self.forfeit_deposit_on_missed_balance,
            auto_confirm_extension_days=self.auto_confirm_extension_days,
            payment_reminder_lead=self.payment_reminder_lead,
            rating=self._rating(),
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
        payment_reminder_lead=settings.default_payment_reminder_lead,
        rating_answer_window=settings.default_rating_answer_window,
        rating_follow_up_due=settings.default_rating_follow_up_due,
        rating_follow_up_max_score=settings.default_rating_follow_up_max_score,
        rating_append_window=settings.default_rating_append_window,
        time_zone=settings.default_time_zone,
    )
