"""A subscription's lag gauge reads what the group has left on the partitions it owns now: set on
every poll (also one that fetched nothing), and gone for every partition once its run is over
(eventing.subscriptions.Subscription._report_lag, _forget_consumer)."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from eventing.subscriptions import Subscription, SubscriptionOptions

A, B = TopicPartition("t", 0), TopicPartition("t", 1)


class _Consumer:
    """What `_report_lag` asks of aiokafka's consumer: the assignment and high watermarks."""

    def __init__(self, highwaters: dict[TopicPartition, int | None]) -> None:
        self.highwaters = highwaters

    def assignment(self) -> set[TopicPartition]:
        return set(self.highwaters)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters[tp]


def _gauge(group: str, tp: TopicPartition) -> float | None:
    labels = {"group": group, "topic": tp.topic, "partition": str(tp.partition)}
    return REGISTRY.get_sample_value("eventing_subscription_lag_events", labels)


@pytest.fixture
def subscription(request: pytest.FixtureRequest) -> Subscription:
    group = f"test.lag.{request.node.name}"
    return Subscription(None, "", SubscriptionOptions(group, ("t",)), None)  # type: ignore[arg-type]


def test_given_the_last_batch_left_records_when_a_later_poll_sees_them_applied_then_zero(
    subscription: Subscription,
) -> None:
    group = subscription.options.group
    consumer = _Consumer({A: 120})
    subscription._state.positions[A] = 100
    subscription._report_lag(consumer)
    assert _gauge(group, A) == 20

    subscription._state.positions[A] = 120  # the next batch, then an idle poll
    subscription._report_lag(consumer)

    assert _gauge(group, A) == 0


def test_given_new_records_when_an_idle_poll_brings_the_high_watermark_then_the_lag_rises(
    subscription: Subscription,
) -> None:
    consumer = _Consumer({A: 50})
    subscription._state.positions[A] = 50
    subscription._report_lag(consumer)

    consumer.highwaters[A] = 57
    subscription._report_lag(consumer)

    assert _gauge(subscription.options.group, A) == 7


def test_given_a_partition_not_fetched_or_without_position_then_no_reading(
    subscription: Subscription,
) -> None:
    consumer = _Consumer({A: None, B: 9})  # A: no fetch answered yet; B: no stored position
    subscription._state.positions[A] = 3

    subscription._report_lag(consumer)

    assert _gauge(subscription.options.group, A) is None
    assert _gauge(subscription.options.group, B) is None


def test_given_the_run_is_over_then_every_gauge_it_set_is_gone(
    subscription: Subscription,
) -> None:
    group = subscription.options.group
    consumer = _Consumer({A: 10, B: 30})
    subscription._state.positions.update({A: 4, B: 30})
    subscription._report_lag(consumer)
    assert (_gauge(group, A), _gauge(group, B)) == (6, 0)

    subscription._forget_consumer()

    assert (_gauge(group, A), _gauge(group, B)) == (None, None)


def test_given_a_partition_gone_from_the_assignment_without_a_revoke_then_its_gauge_is_gone(
    subscription: Subscription,
) -> None:
    group = subscription.options.group
    consumer = _Consumer({A: 10, B: 30})
    subscription._state.positions.update({A: 5, B: 30})
    subscription._report_lag(consumer)

    del consumer.highwaters[A]  # the member was removed from the group and rejoined
    subscription._report_lag(consumer)

    assert (_gauge(group, A), _gauge(group, B)) == (None, 0)
