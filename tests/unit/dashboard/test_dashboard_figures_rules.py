"""How counts become figures: shares, per-currency averages and money rates, notices."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.examples import example_envelope
from contracts.kafka_binding import to_kafka
from dashboard_service.api.stream import applied_event
from dashboard_service.domain.figures import (
    average_per_currency,
    money_share,
    score_average,
    share,
)
from dashboard_service.live import Applied, applied
from eventing.encoding import decode_record
from eventing.testing.service import example_event


def test_a_share_without_a_denominator_is_null() -> None:
    assert share(3, 4) == 0.75
    assert share(0, 0) is None


def test_the_average_order_value_is_rounded_half_up_per_currency() -> None:
    assert average_per_currency({"CNY": 25, "USD": 10}, {"CNY": 2, "USD": 4}) == {
        "CNY": 13, "USD": 3,
    }  # fmt: skip
    assert average_per_currency({}, {}) == {}


def test_a_money_rate_needs_one_currency_and_something_to_divide_by() -> None:
    assert money_share({"CNY": 50}, {"CNY": 200}) == 0.25
    assert money_share({}, {"CNY": 200}) == 0.0
    assert money_share({"CNY": 50}, {"CNY": 100, "USD": 100}) is None
    assert money_share({}, {}) is None


def test_rating_averages_have_two_decimals() -> None:
    assert score_average(14, 3) == 4.67
    assert score_average(0, 0) is None


def _consumed(event_type: str, shop_id: str) -> object:
    record = to_kafka(example_envelope(example_event(event_type, shop_id=shop_id)))
    return decode_record("t", 0, 0, record.key, record.value, record.headers)


def test_a_batch_notice_names_each_shop_once_and_its_latest_time() -> None:
    events = [_consumed("order.placed", "shop-b"), _consumed("order.paid", "shop-a"),
              _consumed("order.paid", "shop-b")]  # fmt: skip
    notice = applied(events, datetime(2026, 12, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert notice.shop_ids == ("shop-a", "shop-b")
    assert notice.last_event_at is not None


def test_a_seller_hears_only_of_its_own_shop() -> None:
    notice = Applied(("shop-a", "shop-b"), None, datetime(2026, 12, 1, tzinfo=UTC))
    everyone = applied_event(notice, None)
    assert everyone is not None
    assert b'"shop_ids": ["shop-a", "shop-b"]' in everyone
    assert everyone.startswith(b"event: applied\ndata: ")
    own = applied_event(notice, "shop-b")
    assert own is not None
    assert b'"shop_ids": ["shop-b"]' in own
    assert applied_event(notice, "shop-c") is None
