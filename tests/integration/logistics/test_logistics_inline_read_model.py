"""The shipments read model is projected in the appending transaction: a shipment is in the read
model when its command answers, an event never commits without its row, and a projector that
fails fails the command."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from eventing.testing import eventually
from tests.integration.logistics.harness import Logistics, paid, placed

pytestmark = pytest.mark.integration

# One snapshot: the stream's last stored version beside the version its shipment row shows.
_STORE_AND_ROW = text(
    "SELECT (SELECT max(stream_version) FROM eventing.events WHERE stream_id = :id) AS stored,"
    " (SELECT version FROM shipments WHERE order_id = :id) AS shown,"
    " (SELECT status FROM shipments WHERE order_id = :id) AS status"
)


async def _store_and_row(logistics: Logistics, order_id: str) -> Any:
    async with logistics.engine.connect() as connection:
        return (await connection.execute(_STORE_AND_ROW, {"id": order_id})).one()


async def test_a_dispatched_shipment_is_in_the_read_model_when_the_command_answers(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()

    dispatched = await logistics.dispatch(order_id)

    assert dispatched.status_code == 200, dispatched.text
    snapshot = await _store_and_row(logistics, order_id)  # no waiting, no min_version
    assert (snapshot.stored, snapshot.shown, snapshot.status) == (2, 2, "shipped")
    shown = await logistics.shipment(order_id)
    assert shown.json()["status"] == "shipped"
    queue = (await logistics.queue("awaiting-dispatch")).json()["items"]
    assert order_id not in [item["order_id"] for item in queue]


async def test_a_shipment_requested_by_the_order_policy_commits_with_its_row(
    logistics: Logistics,
) -> None:
    order_id = "ord-inline-policy"
    await logistics.publish(placed(order_id), paid(order_id))

    async def stored() -> Any:
        return await _store_and_row(logistics, order_id)

    # Whenever the store shows the event, the same snapshot shows its row.
    snapshot = await eventually(stored, lambda s: s.stored is not None)
    assert (snapshot.stored, snapshot.shown, snapshot.status) == (1, 1, "awaiting_dispatch")


async def test_a_projector_that_fails_fails_the_command_and_stores_nothing(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    async with logistics.engine.begin() as connection:
        # The read model now refuses a shipped row: the projector's update fails.
        await connection.execute(
            text(
                "ALTER TABLE shipments ADD CONSTRAINT refuses_shipped"
                " CHECK (status <> 'shipped') NOT VALID"
            )
        )
    try:
        refused = await logistics.dispatch(order_id)
    finally:
        async with logistics.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE shipments DROP CONSTRAINT refuses_shipped"))

    assert refused.status_code == 500, refused.text
    assert await logistics.stored_types(order_id) == ["logistics.shipment_requested"]
    snapshot = await _store_and_row(logistics, order_id)
    assert (snapshot.stored, snapshot.shown, snapshot.status) == (1, 1, "awaiting_dispatch")
    dispatched = await logistics.dispatch(order_id)  # the same command, once the bug is gone
    assert dispatched.status_code == 200, dispatched.text
