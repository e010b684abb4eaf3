"""`orderctl events show` and `orderctl events tail` on real stores and topics."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts.examples import EXAMPLE_DATA_KEY
from contracts.parties import Service
from orderctl.testing import Invoke, Platform, assert_one_line_error, lines

pytestmark = pytest.mark.integration


async def _lifecycle(platform: Platform, order_id: str) -> None:
    await platform.record(Service.ORDER, order_id, "order.placed", "order.paid")
    await platform.record(
        Service.LOGISTICS,
        order_id,
        "logistics.shipment_requested",
        "logistics.shipped",
        actor="seller",
    )
    await platform.record(Service.AFTERSALES, order_id, "aftersales.refund_requested")


async def test_show_merges_the_three_services_histories_in_time_order(
    orderctl: Invoke, platform: Platform
) -> None:
    await _lifecycle(platform, "O-7")
    await platform.record(Service.ORDER, "O-other", "order.placed")

    result = await orderctl("events", "show", "O-7", "--json")

    assert result.exit_code == 0, result.output
    documents = [json.loads(line) for line in lines(result.stdout)]
    assert [(d["service"], d["type"], d["version"]) for d in documents] == [
        ("order", "order.placed", 1),
        ("order", "order.paid", 2),
        ("logistics", "logistics.shipment_requested", 1),
        ("logistics", "logistics.shipped", 2),
        ("aftersales", "aftersales.refund_requested", 1),
    ]
    times = [d["time"] for d in documents]
    assert times == sorted(times)
    assert documents[2]["actor"] == "seller"


async def test_show_never_has_a_receiver_in_clear(orderctl: Invoke, platform: Platform) -> None:
    await platform.record(Service.ORDER, "O-8", "order.placed")

    masked = await orderctl("events", "show", "O-8")
    unmasked = await orderctl("events", "show", "O-8", "--json", "--unmasked")

    assert masked.exit_code == 0, masked.output
    assert "order.placed" in masked.stdout
    assert f"receiver=sealed({EXAMPLE_DATA_KEY.key_id})" in masked.stdout
    assert "13812345678" not in masked.stdout + unmasked.stdout
    assert "文一西路" not in masked.stdout + unmasked.stdout
    receiver = json.loads(unmasked.stdout)["data"]["receiver"]
    assert receiver["key_id"] == EXAMPLE_DATA_KEY.key_id  # orderctl holds no key


async def test_show_says_when_no_service_knows_the_order(orderctl: Invoke) -> None:
    result = await orderctl("events", "show", "O-nobody")

    assert_one_line_error(result, "no events for order 'O-nobody'", code=1)


async def test_tail_prints_a_topic_from_the_beginning_one_line_per_event(
    orderctl: Invoke, platform: Platform
) -> None:
    await _lifecycle(platform, "O-9")
    await platform.publish_outbox(Service.LOGISTICS)

    result = await orderctl("events", "tail", "logistics", "--from-beginning", "--max", "2")

    assert result.exit_code == 0, result.output
    shown = lines(result.stdout)
    assert len(shown) == 2
    assert "logistics.shipment_requested" in shown[0]
    assert "O-9" in shown[0]
    assert "seq=1" in shown[0]
    assert "logistics.shipped" in shown[1]
    assert "2 events from" in result.stderr


async def test_tail_filters_by_type_and_decodes_to_json(
    orderctl: Invoke, platform: Platform
) -> None:
    for order_id in ("O-10", "O-11"):
        await platform.record(Service.ORDER, order_id, "order.placed", "order.paid")
    await platform.publish_outbox(Service.ORDER)

    result = await orderctl(
        "events",
        "tail",
        platform.topics[Service.ORDER],
        "--from-beginning",
        "--type",
        "order.paid",
        "--max",
        "2",
        "--json",
    )

    assert result.exit_code == 0, result.output
    documents = [json.loads(line) for line in lines(result.stdout)]
    assert {d["order_id"] for d in documents} == {"O-10", "O-11"}
    assert {d["type"] for d in documents} == {"order.paid"}
    assert all(d["problem"] is None and d["sequence"] == "2" for d in documents)


async def test_tail_since_a_time_skips_older_events(orderctl: Invoke, platform: Platform) -> None:
    await platform.record(Service.ORDER, "O-old", "order.placed")
    await platform.publish_outbox(Service.ORDER)
    between = datetime.now(UTC).isoformat()  # record timestamps are the relay's send times
    await platform.record(Service.ORDER, "O-new", "order.placed")
    await platform.publish_outbox(Service.ORDER)

    result = await orderctl("events", "tail", "order", "--since", between, "--max", "1")

    assert result.exit_code == 0, result.output
    assert "O-new" in result.stdout
    assert "O-old" not in result.stdout


async def test_tail_follows_until_ctrl_c_and_then_ends_cleanly(platform: Platform) -> None:
    await platform.record(Service.ORDER, "O-12", "order.placed", "order.paid")
    await platform.publish_outbox(Service.ORDER)
    command = str(Path(sys.executable).parent / "orderctl")
    process = await asyncio.create_subprocess_exec(
        command,
        "events",
        "tail",
        "order",
        "--from-beginning",
        env={**os.environ, **platform.env()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # A shell's background job ignores SIGINT and children inherit that: an operator's
        # terminal does not, so the test gives the CLI the terminal's default.
        preexec_fn=_default_sigint,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    assert b"following" in await process.stderr.readline()
    first, second = await process.stdout.readline(), await process.stdout.readline()

    process.send_signal(signal.SIGINT)
    code = await process.wait()

    assert b"order.placed" in first
    assert b"order.paid" in second
    assert code == 0
    rest = (await process.stderr.read()).decode()
    assert "stopped after 2 events from" in rest
    assert "Traceback" not in rest


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def test_show_lists_an_orders_complaints_with_its_refund_cases(
    orderctl: Invoke, platform: Platform
) -> None:
    """A complaint lives in its order's after-sales stream, so the order's history has it."""
    await platform.record(Service.ORDER, "O-9", "order.placed", "order.paid")
    await platform.record(
        Service.AFTERSALES, "O-9", "aftersales.refund_requested", "aftersales.complaint_filed",
        "aftersales.complaint_accepted",
    )  # fmt: skip

    result = await orderctl("events", "show", "O-9", "--json")

    assert result.exit_code == 0, result.output
    shown = [json.loads(line) for line in lines(result.stdout)]
    assert [d["type"] for d in shown if d["service"] == "aftersales"] == [
        "aftersales.refund_requested", "aftersales.complaint_filed",
        "aftersales.complaint_accepted",
    ]  # fmt: skip
    filed = next(d for d in shown if d["type"] == "aftersales.complaint_filed")
    assert filed["data"]["category"] == "goods"
