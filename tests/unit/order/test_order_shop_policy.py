"""The shop policy as stored and served: its defaults, and the auto-confirm extensions a shop
may allow (only day counts the extension event can record)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from pydantic import ValidationError

from order_service.application.shop_policy import OrderShopPolicy, default_policy
from order_service.domain import errors
from order_service.settings import OrderSettings

SETTINGS = OrderSettings(database_url="postgresql://unused@localhost/unused")
BEFORE_EXTENSIONS = {  # a policy stored before shops chose their extensions
    "payment_window": "PT15M",
    "balance_reminder_lead": "PT24H",
    "receipt_window_physical": "P10D",
    "receipt_window_virtual": "P3D",
    "forfeit_deposit_on_missed_balance": True,
}


def test_every_shop_allows_three_five_seven_or_ten_days_by_default() -> None:
    policy = default_policy(SETTINGS).domain()
    assert policy.auto_confirm_extension_days == (3, 5, 7, 10)
    assert policy.payment_window == timedelta(hours=72)


def test_a_policy_stored_before_the_extensions_existed_gets_the_default_ones() -> None:
    policy = OrderShopPolicy.model_validate(BEFORE_EXTENSIONS)
    assert policy.domain().auto_confirm_extension_days == (3, 5, 7, 10)
    assert policy.model_dump(mode="json")["auto_confirm_extension_days"] == [3, 5, 7, 10]


def test_a_shop_may_allow_some_of_the_day_counts() -> None:
    policy = OrderShopPolicy.model_validate(
        {**BEFORE_EXTENSIONS, "auto_confirm_extension_days": [7]}
    )
    assert policy.domain().auto_confirm_extension_days == (7,)


@pytest.mark.parametrize("days", [[], [3, 3], [4], [0], [-3], [31]])
def test_a_shop_cannot_allow_day_counts_the_event_cannot_record(days: list[int]) -> None:
    with pytest.raises(ValidationError, match="auto_confirm_extension_days"):
        OrderShopPolicy.model_validate({**BEFORE_EXTENSIONS, "auto_confirm_extension_days": days})


def test_the_domain_policy_refuses_them_too() -> None:
    valid = default_policy(SETTINGS).domain()
    with pytest.raises(errors.InvalidPolicyDuration):
        replace(valid, auto_confirm_extension_days=(3, 3))
