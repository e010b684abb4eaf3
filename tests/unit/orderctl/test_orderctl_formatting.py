"""Pure parts of orderctl: times and positions, masking and summaries, names of things."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.examples import EXAMPLE_DATA_KEY, RECEIVER, example_payloads
from contracts.parties import Service
from eventing.rebuild import RebuildProgress
from orderctl.catalog import base_group, parse_service
from orderctl.dlq import parse_dlq_topic, service_of_group
from orderctl.errors import BadInput
from orderctl.progress import describe
from orderctl.settings import OrderctlSettings, database_location, hide_password
from orderctl.summaries import format_money, mask_name, mask_phone, masked_data, summarize
from orderctl.tail import resolve_topic
from orderctl.times import check_positions, format_age, format_rate, format_time, parse_since

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", NOW - timedelta(minutes=15)),
        ("2h", NOW - timedelta(hours=2)),
        ("1d12h", NOW - timedelta(days=1, hours=12)),
        (" 90s ", NOW - timedelta(seconds=90)),
        ("2026-11-24T08:30:00Z", datetime(2026, 11, 24, 8, 30, tzinfo=UTC)),
        ("2026-11-24T16:30:00+08:00", datetime(2026, 11, 24, 8, 30, tzinfo=UTC)),
        ("2026-11-24 08:30", datetime(2026, 11, 24, 8, 30, tzinfo=UTC)),
        ("2026-11-24", datetime(2026, 11, 24, tzinfo=UTC)),
    ],
)
def test_since_reads_durations_ago_and_iso_times_as_utc(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("yesterday", "bad time 'yesterday'"),
        ("2026-13-01", "bad time"),
        ("2026-11-26T00:00:00Z", "in the future"),
        ("5 weeks", "bad time"),
    ],
)
def test_since_refuses_what_it_cannot_read(text: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        parse_since(text, NOW)


def test_positions_start_at_one_and_ranges_are_not_empty() -> None:
    check_positions(1, None)
    check_positions(5, 5)
    with pytest.raises(BadInput, match="positions start at 1"):
        check_positions(0, None)
    with pytest.raises(BadInput, match="before --from-position 9"):
        check_positions(9, 3)


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (timedelta(seconds=12), "12s"),
        (timedelta(minutes=4, seconds=10), "4m 10s"),
        (timedelta(hours=2, minutes=5, seconds=3), "2h 5m"),
        (timedelta(days=3, hours=4), "3d 4h"),
        (timedelta(seconds=-3), "0s"),
        (None, "-"),
    ],
)
def test_ages_show_their_two_largest_units(age: timedelta | None, shown: str) -> None:
    assert format_age(age) == shown


def test_rates_and_times_read_well() -> None:
    assert format_rate(12_345, 2.0) == "6,172/s"
    assert format_rate(3, 2.0) == "1.5/s"
    assert format_rate(5, 0.0) == "0.0/s"
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)) == (
        "2026-01-02 03:04:05.678Z"
    )
    assert describe(RebuildProgress(1200, 5000, 850.4, 4.5)) == (
        "1,200/5,000 events  850/s  ETA 4s"
    )


def test_names_and_phones_keep_only_what_identifies_nobody() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("Alice") == "A****"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("12345") == "*****"


@given(st.text(alphabet="0123456789", min_size=8, max_size=20))
def test_a_masked_phone_keeps_its_length_and_last_four_digits(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked.endswith(phone[-4:])
    assert masked[3:-4] == "*" * (len(phone) - 7)


def test_a_sealed_receiver_is_shown_by_its_key_only_even_unmasked() -> None:
    data = example_payloads()["order.placed"].model_dump(mode="json")

    for unmasked in (False, True):
        summary = summarize(data, event_type="order.placed", schema_version=2, unmasked=unmasked)
        assert f"receiver=sealed({EXAMPLE_DATA_KEY.key_id})" in summary
        assert "张" not in summary
    shown = masked_data(data, event_type="order.placed", schema_version=2)
    assert shown["receiver"] == data["receiver"]


def test_the_receiver_of_a_v1_placed_order_is_masked_in_summaries() -> None:
    data = example_payloads()["order.placed"].model_dump(mode="json")
    data["receiver"] = RECEIVER.model_dump(mode="json")

    summary = summarize(data, event_type="order.placed")
    full = summarize(data, event_type="order.placed", unmasked=True, width=1000)

    assert "receiver.name=张*" in summary
    assert "receiver.phone=138****5678" in summary
    assert "receiver.address=浙江省杭州市 ***" in summary
    assert "13812345678" not in summary
    assert "receiver.address=浙江省杭州市 余杭区 文一西路 969 号" in full
    assert "order_id" not in summary
    assert "payable=295.90 CNY" in full


def test_unknown_event_types_still_mask_receiver_fields() -> None:
    receiver = {"name": "李四", "phone": "13900001111"}
    data = {"order_id": "O-1", "receiver": receiver, "note": "x"}

    shown = masked_data(data, event_type="order.from_the_future", schema_version=9)

    assert shown == {
        "order_id": "O-1",
        "receiver": {"name": "李*", "phone": "139****1111"},
        "note": "x",
    }
    assert receiver["phone"] == "13900001111"  # the input is left alone


def test_long_summaries_are_cut_with_an_ellipsis() -> None:
    summary = summarize({"note": "x" * 500}, event_type="order.rated", width=40)

    assert len(summary) == 40
    assert summary.endswith("…")


def test_money_is_shown_in_major_units() -> None:
    assert format_money(29590, "CNY") == "295.90 CNY"
    assert format_money(5, "CNY") == "0.05 CNY"
    assert format_money(-150, "CNY") == "-1.50 CNY"


def test_dead_letter_topics_name_their_source_topic_and_group() -> None:
    assert parse_dlq_topic("orders.order.v1.dlq.logistics.order-policy") == (
        "orders.order.v1",
        "logistics.order-policy",
    )
    nested = "orders.order.v1.dlq.order.read-model.dlq.order.read-model.retry"
    assert parse_dlq_topic(nested) == (
        "orders.order.v1.dlq.order.read-model",
        "order.read-model.retry",
    )
    assert base_group("order.read-model.retry.retry") == "order.read-model"
    with pytest.raises(BadInput, match=re.escape("<topic>.dlq.<group>")):
        parse_dlq_topic("orders.order.v1")


@pytest.mark.parametrize(
    ("group", "service"),
    [
        ("logistics.order-policy", Service.LOGISTICS),
        ("staging.order.read-model", Service.ORDER),
        ("test-1a2b-aftersales.order-facts", Service.AFTERSALES),
        ("projector", None),
    ],
)
def test_the_service_of_a_group_comes_from_its_name(group: str, service: Service | None) -> None:
    assert service_of_group(group) == service


def test_services_and_topics_are_named_as_operators_type_them() -> None:
    settings = OrderctlSettings(order_topic="test.orders")
    assert parse_service(" Logistics ") is Service.LOGISTICS
    with pytest.raises(BadInput, match="use one of order, logistics, aftersales"):
        parse_service("billing")
    assert resolve_topic(settings, "order") == "test.orders"
    assert resolve_topic(settings, "orders.aftersales.v1") == "orders.aftersales.v1"
    assert resolve_topic(settings, "orders.order.v1.dlq.x.y") == "orders.order.v1.dlq.x.y"
    with pytest.raises(BadInput, match="unknown topic 'billing'"):
        resolve_topic(settings, "billing")


def test_dsns_are_shown_without_passwords() -> None:
    assert hide_password("postgresql://ops:s3cret@db:5432/order") == (
        "postgresql://ops:***@db:5432/order"
    )
    assert database_location("postgresql://ops:s3cret@db:6543/order") == "db:6543/order"
    assert database_location("postgresql://ops@db/order") == "db:5432/order"
