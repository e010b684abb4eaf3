"""`orderctl outbox status` and `orderctl lag` on real stores, relays and subscriptions."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.subscriptions import Subscription, SubscriptionOptions
from eventing.testing.waiting import eventually
from orderctl.testing import Invoke, Platform, lines

pytestmark = pytest.mark.integration


def _row(output: str, first: str) -> list[str]:
    for line in lines(output):
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row for {first!r} in:\n{output}")


async def test_outbox_status_counts_unpublished_events_until_the_relay_runs(
    orderctl: Invoke, platform: Platform
) -> None:
    await platform.record(Service.ORDER, "O-1", "order.placed", "order.paid")
    await platform.record(Service.ORDER, "O-2", "order.placed")

    before = await orderctl("outbox", "status")
    await platform.publish_outbox(Service.ORDER)
    await platform.record(Service.ORDER, "O-3", "order.placed")
    after = await orderctl("outbox", "status", "order")

    assert before.exit_code == 0, before.output
    order = _row(before.stdout, "order")
    assert order[1:4] == ["3", "never ran", "3"]
    assert order[4].endswith("s")  # the age of the oldest unpublished event
    assert _row(before.stdout, "logistics")[1:5] == ["0", "never ran", "0", "-"]
    assert _row(after.stdout, "order")[1:4] == ["4", "3", "1"]
    assert "logistics" not in after.stdout


async def _applied(event: ConsumedEvent, connection: AsyncConnection) -> None:
    """A handler with no effect: the subscription's positions are what the test reads."""


async def test_lag_reports_what_each_group_has_not_applied_per_topic(
    orderctl: Invoke, platform: Platform
) -> None:
    for n in range(4):
        await platform.record(Service.ORDER, f"O-{n}", "order.placed")
    await platform.publish_outbox(Service.ORDER)
    group = f"logistics.order-facts-{platform.topics[Service.ORDER][-6:]}"
    options = SubscriptionOptions(
        group=group, topics=(platform.topics[Service.ORDER],), poll_timeout_ms=100
    )
    subscription = Subscription(
        platform.engines[Service.LOGISTICS], platform.bootstrap, options, _applied
    )
    task = asyncio.create_task(subscription.run())
    try:
        await eventually(
            lambda: _total_lag(subscription),
            lambda lag: lag == 0 and subscription.applied == 4,
            message="group caught up",
        )
    finally:
        subscription.stop()
        await task
    for n in range(3):
        await platform.record(Service.ORDER, f"O-late-{n}", "order.placed")
    await platform.publish_outbox(Service.ORDER)

    summed = await orderctl("lag", "logistics")
    detailed = await orderctl("lag", "--partitions")

    assert summed.exit_code == 0, summed.output
    row = _row(summed.stdout, "logistics")
    assert row[1:3] == [group, platform.topics[Service.ORDER]]
    assert row[4] == "3"
    partitions = [
        _cells
        for _cells in (
            [c.strip() for c in line.strip("│ ").split("│")] for line in lines(detailed.stdout)
        )
        if len(_cells) == 7 and _cells[1] == group
    ]
    assert sorted(int(cells[3]) for cells in partitions) == [0, 1, 2]
    assert sum(int(cells[6]) for cells in partitions) == 3


async def _total_lag(subscription: Subscription) -> int:
    return sum((await subscription.lag()).values()) if subscription.applied else -1


async def test_lag_says_so_when_no_subscription_has_run(orderctl: Invoke) -> None:
    result = await orderctl("lag")

    assert result.exit_code == 0, result.output
    assert "no subscription has applied anything yet" in result.stdout
