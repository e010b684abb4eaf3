"""A subscription's consumer is closed for good even when aiokafka's stop lets out the
CancelledError of a fetch task it cancelled (after a broker died), and a real cancellation of
the stopping task still goes through (eventing.subscriptions.stop_consumer)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from eventing import metrics
from eventing.subscription_state import PartitionState, PositionRebalanceListener
from eventing.subscriptions import stop_consumer


class _Client:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


class _Consumer:
    """Stops as aiokafka 0.14 does when `Fetcher.close` awaits a task it cancelled."""

    def __init__(self, stop: Any) -> None:
        self._client = _Client()
        self._stop = stop

    async def stop(self) -> None:
        await self._stop()


async def _fetch_task_cancelled() -> None:
    inner = asyncio.ensure_future(asyncio.sleep(3600))
    await asyncio.sleep(0)
    inner.cancel()
    await inner  # raises CancelledError, as `for x in self._pending_tasks: x.cancel(); await x`


async def test_given_a_fetch_task_cancelled_inside_stop_then_the_client_is_closed() -> None:
    consumer = _Consumer(_fetch_task_cancelled)

    await stop_consumer(consumer)

    assert consumer._client.closed


async def test_given_the_stopping_task_is_cancelled_then_the_cancellation_goes_on() -> None:
    started = asyncio.Event()

    async def slow_stop() -> None:
        started.set()
        await asyncio.sleep(3600)

    consumer = _Consumer(slow_stop)
    stopping = asyncio.create_task(stop_consumer(consumer))
    await started.wait()
    stopping.cancel()

    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert not consumer._client.closed


async def test_given_a_partition_revoked_then_its_lag_gauge_is_gone() -> None:
    group = "test.revoked-lag"
    metrics.SUBSCRIPTION_LAG.labels(group, "t", 4).set(17)
    listener = PositionRebalanceListener(None, PartitionState(None, group))  # type: ignore[arg-type]
    labels = {"group": group, "topic": "t", "partition": "4"}
    assert REGISTRY.get_sample_value("eventing_subscription_lag_events", labels) == 17

    await listener.on_partitions_revoked([TopicPartition("t", 4)])

    assert REGISTRY.get_sample_value("eventing_subscription_lag_events", labels) is None
