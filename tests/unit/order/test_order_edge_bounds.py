"""The bounds of the edge, without I/O: every service's policy durations share one set of bounds,
a reported time lies in the window around the clock, and request bodies coerce nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from aftersales_service.application.shop_policy import ShopRefundPolicy
from aftersales_service.application.shop_policy import default_policy as refund_defaults
from aftersales_service.settings import AftersalesSettings
from eventing.reported_time import MAX_CLOCK_SKEW, ImplausibleTime, plausible
from eventing.shop_policies import TIME_TO_ACT
from logistics_service.application.shop_policy import ShippingPolicy
from logistics_service.application.shop_policy import default_policy as shipping_defaults
from logistics_service.settings import LogisticsSettings
from order_service.api.models import PaymentBody, PlaceOrderBody
from order_service.application.shop_policy import OrderShopPolicy
from order_service.application.shop_policy import default_policy as order_defaults
from order_service.settings import OrderSettings

DATABASE = "postgresql://unused@localhost/unused"
NOW = datetime(2026, 11, 11, 10, tzinfo=UTC)


def _policies() -> list[tuple[type[BaseModel], dict[str, Any], str]]:
    return [
        (OrderShopPolicy, order_defaults(OrderSettings(database_url=DATABASE)).model_dump(),
         "payment_window"),
        (ShippingPolicy, shipping_defaults(LogisticsSettings(database_url=DATABASE)).model_dump(),
         "ship_by_limit"),
        (ShopRefundPolicy, refund_defaults(AftersalesSettings(database_url=DATABASE)).model_dump(),
         "answer_before_shipment"),
    ]  # fmt: skip


@pytest.mark.parametrize("duration", ["P99999999D", "P91D", "PT59S", "PT0S", "-PT1H"])
def test_every_service_refuses_the_same_out_of_bounds_duration(duration: str) -> None:
    for model, defaults, field in _policies():
        with pytest.raises(ValidationError) as refused:
            model.model_validate({**defaults, field: duration})
        assert refused.value.errors()[0]["loc"] == (field,)


def test_the_bounds_themselves_are_accepted_everywhere() -> None:
    for model, defaults, field in _policies():
        for bound in (TIME_TO_ACT.maximum, TIME_TO_ACT.minimum):
            # a ship-by limit may not come before the target: keep the target at its bound too
            both = {"ship_by_target": bound} if model is ShippingPolicy else {}
            model.model_validate({**defaults, **both, field: bound})


@pytest.mark.parametrize(
    ("reported", "not_before"),
    [
        (NOW + MAX_CLOCK_SKEW + timedelta(seconds=1), None),
        (NOW - timedelta(hours=1), NOW - timedelta(minutes=30)),
    ],
)
def test_a_reported_time_outside_the_window_is_implausible(
    reported: datetime, not_before: datetime | None
) -> None:
    with pytest.raises(ImplausibleTime):
        plausible(reported, now=NOW, not_before=not_before, what="paid_at")


def test_a_reported_time_within_the_skew_is_accepted() -> None:
    late_clock = NOW + MAX_CLOCK_SKEW
    assert plausible(late_clock, now=NOW, not_before=NOW, what="paid_at") == late_clock
    early = NOW - MAX_CLOCK_SKEW
    assert plausible(early, now=NOW, not_before=NOW, what="paid_at") == early


PAYMENT = {"payment_id": "p-1", "method": "alipay", "amount": {"amount": 100, "currency": "CNY"}}


@pytest.mark.parametrize(
    "change",
    [
        {"paid_at": 1700000000},
        {"paid_at": "9999-12-31T23:59:59Z"},
        {"paid_at": "0001-01-01T00:00:00Z"},
        {"paid_at": "2026-11-11T10:00:00"},  # no offset
        {"payment_id": 12},
        {"amount": {"amount": "100", "currency": "CNY"}},
        {"amount": {"amount": True, "currency": "CNY"}},
        {"method": 1},
    ],
)
def test_a_payment_body_coerces_nothing(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PaymentBody.model_validate({**PAYMENT, **change})


def test_a_payment_body_takes_its_time_and_enums_from_json_strings() -> None:
    body = PaymentBody.model_validate({**PAYMENT, "paid_at": "2026-11-11T18:00:00+08:00"})
    assert body.paid_at == NOW
    assert body.method.value == "alipay"


def test_an_order_body_refuses_a_boolean_quantity_and_a_string_fee() -> None:
    item = {"sku": "T", "title": "tea", "unit_price": {"amount": 1, "currency": "CNY"}}
    receiver = {"name": "n", "phone": "13812345678",
                "address": {"province": "p", "city": "c", "street": "s"}}  # fmt: skip
    body = {"shop_id": "s", "items": [{**item, "quantity": 1}], "receiver": receiver}
    PlaceOrderBody.model_validate(body)
    for wrong in ({"items": [{**item, "quantity": True}]}, {"shipping_fee": "0"}):
        with pytest.raises(ValidationError):
            PlaceOrderBody.model_validate({**body, **wrong})
