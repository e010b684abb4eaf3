"""How the service is declared: its consumer groups, the deadlines' correlation, the policy."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.deadlines import keep_deadlines
from aftersales_service.application.shop_policy import default_policy
from aftersales_service.domain.policy import ComplaintPolicy, RefundPolicy
from aftersales_service.main import MANIFEST
from aftersales_service.settings import AftersalesSettings
from eventing.deadlines import Deadline, DeadlineScheduler
from eventing.events import EventMetadata
from eventing.handler import Acting
from eventing.subscriptions import Subscription
from tests.unit.aftersales.aftersales_scenarios import (
    CASE_ID,
    ORDER_ID,
    RETURN_ADDRESS,
    T0,
    requested,
)

DATABASE = "postgresql+asyncpg://aftersales@localhost/aftersales"  # never connected to


class RecordingScheduler(DeadlineScheduler):
    """Keeps what it is asked to schedule instead of writing it."""

    def __init__(self) -> None:
        self.scheduled: list[Deadline] = []

    async def schedule(
        self, deadline: Deadline, *, connection: AsyncConnection | None = None
    ) -> None:
        self.scheduled.append(deadline)

    async def cancel(
        self, kind: str, key: str, *, connection: AsyncConnection | None = None
    ) -> None:
        pass


def test_the_read_models_are_projected_inline_and_only_the_upstream_reaction_subscribes() -> None:
    settings = AftersalesSettings(database_url=DATABASE, consumer_group_prefix="")
    wiring = MANIFEST.wire(settings)
    groups = {
        worker.options.group: worker.options.topics
        for worker in wiring.runtime.workers
        if isinstance(worker, Subscription)
    }
    assert groups == {"aftersales.order-facts": (settings.topic_order, settings.topic_logistics)}
    assert set(wiring.handlers) == {"aftersales.order-facts"}
    assert [projection.inline for projection in MANIFEST.projections] == [True, True]


async def test_a_deadline_fires_in_the_flow_that_started_it() -> None:
    scheduler = RecordingScheduler()
    acting = Acting(EventMetadata(correlation_id="flow-7", actor="buyer", actor_id="b-1"))
    connection = cast(AsyncConnection, None)  # the recording scheduler writes nothing
    await keep_deadlines(scheduler, connection, ORDER_ID, [requested()], acting)
    (deadline,) = scheduler.scheduled
    assert deadline == Deadline(
        "aftersales.answer", CASE_ID, T0 + timedelta(hours=24),
        {"order_id": ORDER_ID, "correlation_id": "flow-7"},
    )  # fmt: skip
    fired = Acting.deadline(deadline).metadata
    assert (fired.correlation_id, fired.actor, fired.actor_id) == (
        "flow-7", "system", "deadline:aftersales.answer",
    )  # fmt: skip


def test_the_shop_policy_gives_the_rules_its_time_limits_and_returns_address() -> None:
    stored = default_policy(
        AftersalesSettings(database_url=DATABASE, refund_appeal_window=timedelta(days=2))
    )
    policy = stored.model_copy(update={"return_address": RETURN_ADDRESS}).domain()
    assert policy == RefundPolicy(
        answer_before_shipment=timedelta(hours=24), answer_not_received=timedelta(hours=36),
        answer_after_receipt=timedelta(days=5), return_ship_window=timedelta(days=7),
        return_confirm_window=timedelta(days=10), appeal_window=timedelta(days=2),
        evidence_window=timedelta(days=3),
        complaints=ComplaintPolicy(timedelta(hours=24), timedelta(days=3), timedelta(days=7)),
        return_address=RETURN_ADDRESS,
    )  # fmt: skip
