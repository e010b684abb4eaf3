"""One clock for the whole system: when time moves, it moves for every service at once, so no
event is stamped before the event that caused it (ce_time of an effect ≥ ce_time of its cause)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.envelope import Envelope
from contracts.parties import Service
from localinfra import flows
from localinfra.flows import Actors
from localinfra.system import System

pytestmark = pytest.mark.e2e


def effects_before_causes(envelopes: list[Envelope]) -> list[str]:
    by_id = {str(envelope.id): envelope for envelope in envelopes}
    return [
        f"{effect.type} at {effect.time} caused by {cause.type} at {cause.time}"
        for effect in envelopes
        if (cause := by_id.get(effect.causationid or "")) is not None and effect.time < cause.time
    ]


async def test_after_the_clock_moves_every_effect_is_stamped_after_its_cause(
    system: System,
) -> None:
    async with Actors.of(system) as actors:
        order_id = (await flows.place_order(actors))["order_id"]
        placed = await flows.order_when(actors, order_id, lambda _: True, "order visible")
        due = datetime.fromisoformat(placed["timeout_at"])
        await system.advance(due - await system.now() + timedelta(minutes=1))
        await flows.order_when(actors, order_id, lambda o: o["status"] == "closed", "closed")

    def cancelled(envelopes: list[Envelope]) -> bool:
        return "logistics.shipment_cancelled" in flows.types_of(envelopes, order_id)

    logistics = await flows.published_when(
        system.bootstrap, system.topics[Service.LOGISTICS], cancelled, "shipment cancelled"
    )
    order_topic = await flows.published(system.bootstrap, system.topics[Service.ORDER])
    mine = [e for e in (*order_topic, *logistics) if e.subject == order_id]
    cancellation = next(e for e in mine if e.type == "logistics.shipment_cancelled")
    closed = next(e for e in mine if e.type == "order.closed")
    assert cancellation.causationid == str(closed.id)
    assert effects_before_causes(mine) == []
