"""Clocks, metadata, request fingerprints, DSN forms and advisory keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eventing.clock import ManualClock, SystemClock
from eventing.database import asyncpg_dsn, sqlalchemy_url
from eventing.events import EventMetadata
from eventing.idempotency import request_fingerprint
from eventing.postgres import advisory_key


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))

    assert clock.now() == clock.now()
    assert clock.advance(timedelta(days=1)) == datetime(2030, 1, 2, tzinfo=UTC)


def test_a_manual_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2030, 1, 1))


def test_the_system_clock_tells_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)


def test_metadata_survives_its_json_form() -> None:
    metadata = EventMetadata("corr", "cause", "seller", "s-1", {"ip": "10.0.0.1"})

    assert EventMetadata.from_json(metadata.to_json()) == metadata
    assert EventMetadata().to_json() == {}


def test_fingerprints_differ_by_method_path_and_body_and_resist_concatenation() -> None:
    base = request_fingerprint("POST", "/v1/orders", b"{}")

    assert base == request_fingerprint("post", "/v1/orders", b"{}")
    assert base != request_fingerprint("PUT", "/v1/orders", b"{}")
    assert base != request_fingerprint("POST", "/v1/order", b"s{}")
    assert base != request_fingerprint("POST", "/v1/orders", b"{ }")


def test_dsns_convert_between_asyncpg_and_sqlalchemy_forms() -> None:
    plain = "postgresql://u@h:5432/db"

    assert sqlalchemy_url(plain) == "postgresql+asyncpg://u@h:5432/db"
    assert sqlalchemy_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert asyncpg_dsn(sqlalchemy_url(plain)) == plain
    assert sqlalchemy_url(sqlalchemy_url(plain)) == sqlalchemy_url(plain)


def test_advisory_keys_are_stable_signed_64_bit_numbers() -> None:
    key = advisory_key("eventing.relay.order")

    assert key == advisory_key("eventing.relay.order")
    assert key != advisory_key("eventing.relay.logistics")
    assert -(2**63) <= key < 2**63
