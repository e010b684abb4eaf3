"""The refund-case read model is projected in the appending transaction: a case is in the read
model when its command answers, and a projector that fails fails the command."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.integration.aftersales.harness import REFUND_ONLY, Aftersales

pytestmark = pytest.mark.integration

_STORE_AND_ROW = text(
    "SELECT (SELECT max(stream_version) FROM eventing.events WHERE stream_id = :order) AS stored,"
    " (SELECT stream_version FROM refund_orders WHERE order_id = :order) AS shown,"
    " (SELECT status FROM refund_cases WHERE case_id = :case) AS status"
)


async def _store_and_row(aftersales: Aftersales, order_id: str, case_id: str) -> Any:
    async with aftersales.engine.connect() as connection:
        parameters = {"order": order_id, "case": case_id}
        return (await connection.execute(_STORE_AND_ROW, parameters)).one()


async def test_a_case_is_in_the_read_model_when_its_commands_answer(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    created = await aftersales.open_case(order_id, REFUND_ONLY)

    opened = await _store_and_row(aftersales, order_id, created["case_id"])  # no waiting
    assert (opened.stored, opened.shown, opened.status) == (1, 1, "waiting_seller")
    listed = await aftersales.cases_of(order_id)
    assert [case["case_id"] for case in listed] == [created["case_id"]]

    approved = await aftersales.command(
        f"/v1/refund-cases/{created['case_id']}/approval", {}, aftersales.seller
    )
    assert approved.status_code == 200, approved.text
    refunded = await _store_and_row(aftersales, order_id, created["case_id"])
    assert (refunded.stored, refunded.shown, refunded.status) == (3, 3, "refunded")


async def test_a_projector_that_fails_fails_the_command_and_stores_nothing(
    aftersales: Aftersales,
) -> None:
    order_id = await aftersales.paid_order()
    created = await aftersales.open_case(order_id, REFUND_ONLY)
    async with aftersales.engine.begin() as connection:
        # The read model now refuses a refunded case: the projector's update fails.
        await connection.execute(
            text(
                "ALTER TABLE refund_cases ADD CONSTRAINT refuses_refunded"
                " CHECK (status <> 'refunded') NOT VALID"
            )
        )
    try:
        refused = await aftersales.command(
            f"/v1/refund-cases/{created['case_id']}/approval", {}, aftersales.seller
        )
    finally:
        async with aftersales.engine.begin() as connection:
            statement = "ALTER TABLE refund_cases DROP CONSTRAINT refuses_refunded"
            await connection.execute(text(statement))

    assert refused.status_code == 500, refused.text
    assert [event for event, _ in await aftersales.recorded(order_id)] == [
        "aftersales.refund_requested"
    ]
    kept = await _store_and_row(aftersales, order_id, created["case_id"])
    assert (kept.stored, kept.shown, kept.status) == (1, 1, "waiting_seller")
