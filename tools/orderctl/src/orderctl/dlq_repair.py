"""Retrying and discarding dead letters.

Retry runs `eventing.subscriptions.dead_letter_retry`: the failed group's own handler applied
from the dead-letter topic, as its own group `<group>.retry` whose positions live in the
service's database. Re-publishing to the source topic would not work: the group recorded the
failed event's stream sequence as applied (so a poison event cannot block its order), and its
stream-sequence dedupe would skip the copy; and every other group would see it once more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.parties import Service
from eventing.dead_letters import dead_letter_topic
from eventing.subscription_state import PartitionState
from eventing.subscriptions import Subscription, dead_letter_retry
from orderctl.catalog import Catalog
from orderctl.connections import service_engine
from orderctl.dlq import mark_handled, parse_dlq_topic, pending_range, service_of_group
from orderctl.errors import BadInput, NothingFound, OrderctlError
from orderctl.settings import OrderctlSettings


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    pending: int
    applied: int
    failed_again: int
    failed_topic: str  # where what failed again went


def retry_service(group: str, service: Service | None) -> Service:
    found = service or service_of_group(group)
    if found is None:
        raise BadInput(f"cannot tell the service of group {group!r}: pass --service")
    return found


def _pending(marks: dict[TopicPartition, int], ends: dict[TopicPartition, int]) -> int:
    return sum(max(ends[tp] - marks[tp], 0) for tp in ends)


async def _skip_handled(engine: AsyncEngine, group: str, marks: dict[TopicPartition, int]) -> None:
    """Start the retry group at the handled mark, so discarded dead letters stay discarded."""
    state = PartitionState(engine, group)
    async with engine.begin() as connection:
        for tp, mark in marks.items():
            if await state.lock_position(connection, tp) < mark:
                await state.save(connection, tp, mark, {})


async def _run_until(
    subscription: Subscription,
    state: PartitionState,
    ends: dict[TopicPartition, int],
    wait_seconds: float,
) -> None:
    task = asyncio.create_task(subscription.run())
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            positions = await state.read_positions(list(ends))
            if all(positions.get(tp, 0) >= end for tp, end in ends.items()):
                return
            if task.done():
                task.result()
                raise OrderctlError("the retry subscription stopped before finishing")
            if time.monotonic() > deadline:
                raise OrderctlError(
                    f"retry did not finish within {wait_seconds:g}s"
                    f" ({subscription.applied} applied so far); run it again"
                )
            await asyncio.sleep(0.2)
    finally:
        subscription.stop()
        await task


async def retry_dead_letters(
    settings: OrderctlSettings,
    catalog: Catalog,
    topic: str,
    *,
    service: Service | None = None,
    wait_seconds: float = 120.0,
) -> RetryOutcome:
    """Apply the pending dead letters with the group's handler; mark them handled."""
    source, group = parse_dlq_topic(topic)
    owner = retry_service(group, service)
    marks, ends = await pending_range(settings, topic)
    pending = _pending(marks, ends)
    if pending == 0:
        raise NothingFound(f"no pending dead letters in {topic}")
    async with (
        service_engine(settings, owner) as engine,
        catalog.handler(settings, owner, group) as handler,
    ):
        retry = dead_letter_retry(engine, settings.bootstrap, source, group, handler)
        await _skip_handled(engine, retry.options.group, marks)
        state = PartitionState(engine, retry.options.group)
        await _run_until(retry, state, ends, wait_seconds)
    await mark_handled(settings, topic, ends, f"retried by orderctl ({retry.applied} applied)")
    return RetryOutcome(
        pending, retry.applied, retry.dead_lettered, dead_letter_topic(topic, retry.options.group)
    )


async def discard_dead_letters(
    settings: OrderctlSettings, topic: str, reason: str, confirm: Callable[[int], bool]
) -> int | None:
    """Mark the pending dead letters of `topic` handled without applying them; how many
    (None: the operator declined). Letters arriving after the confirmation stay pending."""
    parse_dlq_topic(topic)
    marks, ends = await pending_range(settings, topic)
    pending = _pending(marks, ends)
    if pending == 0:
        raise NothingFound(f"no pending dead letters in {topic}")
    if not confirm(pending):
        return None
    await mark_handled(settings, topic, ends, f"discarded by orderctl: {reason}")
    return pending
