"""`orderctl dlq list|show|retry|discard` on dead letters of a real subscription."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import text

from contracts.parties import Service
from eventing.dead_letters import dead_letter_topic, ensure_dead_letter_topics
from eventing.encoding import cloudevents_encoder
from eventing.migrate import upgrade_service_async
from eventing.subscriptions import Subscription, SubscriptionOptions
from eventing.testing.kafka import publish_records
from eventing.testing.waiting import eventually
from eventing.topics import connect_admin
from orderctl.testing import FixedCatalog, Invoke, Platform, SummaryProjection, lines

pytestmark = pytest.mark.integration


@pytest.fixture
async def model(platform: Platform) -> SummaryProjection:
    projection = SummaryProjection(poisoned_orders={"O-bad"})
    await projection.create_tables(platform.engines[Service.ORDER])
    return projection


@pytest.fixture
async def prefix(platform: Platform) -> AsyncIterator[str]:
    """A consumer-group prefix of this test; its dead-letter topics are deleted afterwards."""
    yield f"t{uuid.uuid4().hex[:8]}."
    admin = await connect_admin(platform.bootstrap)
    try:
        ours = [
            t
            for t in await admin.list_topics()
            if t.startswith(platform.topics[Service.ORDER] + ".dlq.")
        ]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


async def _dead_letter(
    platform: Platform, model: SummaryProjection, group: str, orders: int
) -> None:
    """Run the projection's live subscription until `orders` poisoned orders are dead-lettered."""
    options = SubscriptionOptions(
        group=group,
        topics=(platform.topics[Service.ORDER],),
        poll_timeout_ms=100,
        retry_backoff=0.01,
    )
    subscription = Subscription(
        platform.engines[Service.ORDER],
        platform.bootstrap,
        options,
        model.projection.live_handler(),
    )
    task = asyncio.create_task(subscription.run())
    try:
        await eventually(
            lambda: _count(subscription), lambda n: n >= orders, message="dead-lettered"
        )
    finally:
        subscription.stop()
        await task


async def _count(subscription: Subscription) -> int:
    """Dead letters so far, once the group has consumed everything (-1 before)."""
    lag = await subscription.lag()
    return subscription.dead_lettered if lag and sum(lag.values()) == 0 else -1


def _dlq_row(output: str, topic: str) -> list[str]:
    for line in lines(output):
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells[0] == topic:
            return cells
    raise AssertionError(f"{topic} not listed in:\n{output}")


async def _statuses(platform: Platform) -> dict[str, str]:
    async with platform.engines[Service.ORDER].connect() as connection:
        rows = await connection.execute(text("SELECT order_id, status FROM test_order_summaries"))
        return {row.order_id: row.status for row in rows}


async def test_a_dead_letter_is_listed_shown_and_applied_by_retry_after_the_fix(
    orderctl: Invoke, platform: Platform, model: SummaryProjection, prefix: str
) -> None:
    await platform.record(Service.ORDER, "O-1", "order.placed", "order.paid")
    await platform.record(Service.ORDER, "O-bad", "order.placed")
    await platform.publish_outbox(Service.ORDER)
    group = f"{prefix}order.order-summaries"
    await _dead_letter(platform, model, group, orders=1)
    dlq = dead_letter_topic(platform.topics[Service.ORDER], group)
    env = {"ORDERCTL_GROUP_PREFIX": prefix}
    catalog = FixedCatalog(model.projection)

    listed = await orderctl("dlq", "list")
    shown = await orderctl("dlq", "show", dlq, "--json")
    model.poisoned_orders.clear()  # the fix
    retried = await orderctl("dlq", "retry", dlq, catalog=catalog, env=env)
    after = await orderctl("dlq", "list")
    pending = await orderctl("dlq", "show", dlq)
    everything = await orderctl("dlq", "show", dlq, "--all")

    assert _dlq_row(listed.stdout, dlq)[1:] == [group, "1", "0", "1"]
    letter = json.loads(shown.stdout)
    assert (letter["type"], letter["order_id"], letter["sequence"]) == (
        "order.placed",
        "O-bad",
        "1",
    )
    assert letter["dlq_error_type"].endswith("Poisoned")
    assert "refusing order.placed of O-bad" in letter["dlq_error"]
    assert letter["dlq_origin_topic"] == platform.topics[Service.ORDER]
    assert letter["dlq_attempts"] == "3"
    assert retried.exit_code == 0, retried.output
    assert f"retried 1 dead letters of {dlq}: 1 applied, 0 failed again" in retried.stdout
    assert await _statuses(platform) == {"O-1": "paid", "O-bad": "placed"}
    assert _dlq_row(after.stdout, dlq)[1:] == [group, "1", "1", "0"]
    assert pending.exit_code == 1
    assert f"no pending dead letters in {dlq}" in pending.stderr
    assert "O-bad" in everything.stdout
    assert "(handled)" in everything.stdout


async def test_a_retry_that_fails_again_says_where_the_event_went(
    orderctl: Invoke, platform: Platform, model: SummaryProjection, prefix: str
) -> None:
    await platform.record(Service.ORDER, "O-bad", "order.placed")
    await platform.publish_outbox(Service.ORDER)
    group = f"{prefix}order.order-summaries"
    await _dead_letter(platform, model, group, orders=1)
    dlq = dead_letter_topic(platform.topics[Service.ORDER], group)
    env = {"ORDERCTL_GROUP_PREFIX": prefix}
    catalog = FixedCatalog(model.projection)

    failed = await orderctl("dlq", "retry", dlq, catalog=catalog, env=env)
    model.poisoned_orders.clear()
    again = await orderctl(
        "dlq", "retry", dead_letter_topic(dlq, f"{group}.retry"), catalog=catalog, env=env
    )

    assert failed.exit_code == 2
    assert "1 failed again: see orderctl dlq show" in failed.stderr
    assert again.exit_code == 0, again.output
    assert "1 applied, 0 failed again" in again.stdout
    assert await _statuses(platform) == {"O-bad": "placed"}


async def test_discard_marks_dead_letters_handled_without_applying_them(
    orderctl: Invoke, platform: Platform, model: SummaryProjection, prefix: str
) -> None:
    await platform.record(Service.ORDER, "O-bad", "order.placed", "order.paid")
    await platform.publish_outbox(Service.ORDER)
    group = f"{prefix}order.order-summaries"
    await _dead_letter(platform, model, group, orders=2)
    dlq = dead_letter_topic(platform.topics[Service.ORDER], group)

    declined = await orderctl("dlq", "discard", dlq, "--reason", "test order", input="n\n")
    discarded = await orderctl("dlq", "discard", dlq, "--reason", "test order", "--yes")
    listed = await orderctl("dlq", "list")
    retried = await orderctl(
        "dlq",
        "retry",
        dlq,
        catalog=FixedCatalog(model.projection),
        env={"ORDERCTL_GROUP_PREFIX": prefix},
    )

    assert declined.exit_code == 1
    assert "2 pending dead letters" in declined.stderr
    assert discarded.exit_code == 0, discarded.output
    assert f"discarded 2 dead letters of {dlq}" in discarded.stdout
    assert _dlq_row(listed.stdout, dlq)[1:] == [group, "2", "2", "0"]
    assert retried.exit_code == 1
    assert "no pending dead letters" in retried.stderr
    assert await _statuses(platform) == {}


async def test_an_unknown_group_handler_is_reported_in_one_line(
    orderctl: Invoke, platform: Platform, model: SummaryProjection, prefix: str
) -> None:
    await platform.record(Service.ORDER, "O-bad", "order.placed")
    await platform.publish_outbox(Service.ORDER)
    group = f"{prefix}order.something-else"
    await _dead_letter(platform, model, group, orders=1)

    result = await orderctl(
        "dlq",
        "retry",
        dead_letter_topic(platform.topics[Service.ORDER], group),
        catalog=FixedCatalog(model.projection),
        env={"ORDERCTL_GROUP_PREFIX": prefix},
    )

    assert result.exit_code == 2
    assert f"no handler for group '{group}'" in result.stderr


@pytest.mark.parametrize("failed_again", [False, True], ids=["dead letter", "of a retry"])
async def test_retry_finds_a_service_groups_handler_in_the_services_own_wiring(
    orderctl: Invoke, platform: Platform, prefix: str, failed_again: bool
) -> None:
    await upgrade_service_async(platform.urls[Service.ORDER], "order")
    await platform.record(Service.ORDER, "O-77", "order.placed")
    stored = await platform.store(Service.ORDER).read_all()
    group = f"{prefix}order.read-model"
    dlq = dead_letter_topic(platform.topics[Service.ORDER], group)
    if failed_again:  # the retry group's own dead letters are applied by the read model too
        dlq = dead_letter_topic(dlq, f"{group}.retry")
    await ensure_dead_letter_topics(platform.bootstrap, [dlq])
    record = cloudevents_encoder(Service.ORDER.source)(stored[0])
    await publish_records(platform.bootstrap, [replace(record, topic=dlq)])

    result = await orderctl("dlq", "retry", dlq, env={"ORDERCTL_GROUP_PREFIX": prefix})

    assert result.exit_code == 0, result.output
    assert f"retried 1 dead letters of {dlq}: 1 applied, 0 failed again" in result.stdout
    async with platform.engines[Service.ORDER].connect() as connection:
        found = await connection.scalar(
            text("SELECT count(*) FROM order_view WHERE order_id = 'O-77'")
        )
    assert found == 1
