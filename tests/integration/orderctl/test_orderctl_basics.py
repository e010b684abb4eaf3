"""orderctl's configuration and its one-line errors, against the real infrastructure."""

from __future__ import annotations

import pytest

from contracts.parties import Service
from orderctl.testing import Invoke, Platform, assert_one_line_error

pytestmark = pytest.mark.integration


async def test_config_shows_the_effective_settings_with_passwords_hidden(
    orderctl: Invoke, platform: Platform
) -> None:
    result = await orderctl(
        "--order-db", "postgresql://ops:s3cret@db.internal:5432/order", "config"
    )

    assert result.exit_code == 0, result.output
    assert "postgresql://ops:***@db.internal:5432/order" in result.stdout
    assert "s3cret" not in result.stdout
    assert platform.topics[Service.LOGISTICS] in result.stdout
    assert "ORDERCTL_BOOTSTRAP" in result.stdout


async def test_an_unknown_service_is_named_in_one_line(orderctl: Invoke) -> None:
    result = await orderctl("outbox", "status", "billing")

    assert_one_line_error(result, "unknown service 'billing'", "order, logistics, aftersales")


async def test_an_unreachable_database_is_named_with_its_address(orderctl: Invoke) -> None:
    result = await orderctl(
        "--logistics-db", "postgresql://postgres@127.0.0.1:1/logistics", "events", "show", "O-1"
    )

    assert_one_line_error(result, "cannot reach the logistics database at 127.0.0.1:1/logistics")


async def test_an_unreachable_broker_is_named_with_its_address(orderctl: Invoke) -> None:
    result = await orderctl("--bootstrap", "127.0.0.1:1", "events", "tail", "order", "--max", "1")

    assert_one_line_error(result, "cannot reach Kafka at 127.0.0.1:1")


async def test_a_database_without_eventing_tables_is_reported_as_not_migrated(
    orderctl: Invoke, database_factory: object
) -> None:
    bare = await database_factory()  # type: ignore[operator]

    result = await orderctl("--order-db", bare, "outbox", "status", "order")

    assert_one_line_error(result, "the order database at", "not migrated")


async def test_bad_times_and_positions_are_refused_in_one_line(orderctl: Invoke) -> None:
    assert_one_line_error(
        await orderctl("events", "tail", "order", "--since", "yesterday-ish"),
        "bad time 'yesterday-ish'",
    )
    assert_one_line_error(
        await orderctl("republish", "order", "--from-position", "0", "--yes"),
        "bad position 0",
    )
    assert_one_line_error(
        await orderctl("republish", "order", "--from-position", "9", "--to-position", "3"),
        "bad range",
    )


async def test_an_unknown_topic_is_refused_in_one_line(orderctl: Invoke) -> None:
    result = await orderctl("events", "tail", "billing", "--max", "1")

    assert_one_line_error(result, "unknown topic 'billing'")


async def test_an_unknown_projection_is_refused_in_one_line(orderctl: Invoke) -> None:
    result = await orderctl("rebuild", "order", "no-such-model", "--from-position", "1")

    assert_one_line_error(result, "unknown projection 'no-such-model' of the order service")
