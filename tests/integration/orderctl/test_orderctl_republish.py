"""`orderctl republish`: stored events back on their topic, encoded as the relay encodes them."""

from __future__ import annotations

import pytest

from contracts.kafka_binding import from_kafka
from contracts.parties import Service
from eventing.testing.kafka import read_topic
from orderctl.testing import Invoke, Platform, assert_one_line_error, lines

pytestmark = pytest.mark.integration


async def test_republish_sends_a_range_of_positions_as_the_relay_would(
    orderctl: Invoke, platform: Platform
) -> None:
    positions = await platform.record(Service.ORDER, "O-1", "order.placed", "order.paid")
    positions += await platform.record(Service.ORDER, "O-2", "order.placed", "order.paid")
    stored = await platform.store(Service.ORDER).read_all()

    result = await orderctl(
        "republish",
        "order",
        "--from-position",
        str(positions[1]),
        "--to-position",
        str(positions[2]),
        "--yes",
    )

    assert result.exit_code == 0, result.output
    topic = platform.topics[Service.ORDER]
    assert f"2 order events at positions {positions[1]}..{positions[2]}" in result.stderr
    assert any(topic in line and line.rstrip("│ ").endswith("2") for line in lines(result.stdout))
    records = await read_topic(platform.bootstrap, topic, until=lambda r: len(r) >= 2)
    assert sorted(r.event_id for r in records) == sorted(e.event_id for e in stored[1:3])
    for record in records:
        envelope = from_kafka(record.key, record.value, record.headers)
        assert envelope.source == "/orderflow/order"
        assert envelope.subject == record.stream_id
    assert {(r.stream_id, r.sequence) for r in records} == {("O-1", 2), ("O-2", 1)}


async def test_republish_asks_first_and_sends_nothing_when_declined(
    orderctl: Invoke, platform: Platform
) -> None:
    await platform.record(Service.LOGISTICS, "O-1", "logistics.shipment_requested")

    result = await orderctl("republish", "logistics", "--from-position", "1", input="n\n")

    assert result.exit_code == 1
    assert "Send them?" in result.stderr
    assert "nothing sent" in result.stderr
    assert "republished" not in result.stdout


async def test_republish_of_an_empty_range_finds_nothing(orderctl: Invoke) -> None:
    result = await orderctl("republish", "aftersales", "--from-position", "5", "--yes")

    assert_one_line_error(result, "no aftersales events at positions 5", code=1)
