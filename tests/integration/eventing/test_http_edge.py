"""The shared edge on a real service (logistics): unstorable text, tampered cursors, unknown
routes and a database outage all answer problem+json, and nothing changes behind them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from contracts.examples import EXAMPLE_DATA_KEY
from eventing.http.auth import Role
from eventing.testing.data_keys import FakeCustodian, with_custodian
from eventing.testing.fixtures import SettingsFactory
from eventing.testing.service import running
from localinfra.testing import FaultInjector
from logistics_service.main import MANIFEST
from tests.integration.logistics.harness import Logistics

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
# The crafted cursor: {"created_at": 5, "order_id": [1]} as unsigned base64url JSON.
CRAFTED_CURSOR = "eyJjcmVhdGVkX2F0IjogNSwgIm9yZGVyX2lkIjogWzFdfQ"


@pytest.fixture
async def logistics(service_settings: SettingsFactory) -> AsyncIterator[Logistics]:
    settings = await service_settings(MANIFEST)
    manifest = with_custodian(MANIFEST, FakeCustodian(EXAMPLE_DATA_KEY))  # the harness's buyer
    async with running(manifest, settings, Logistics) as service:
        yield service


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, object] = response.json()
    assert problem["code"] == code
    assert problem["type"] == f"https://orderflow.dev/problems/{code}"
    return problem


async def test_nul_in_the_path_query_or_body_is_a_422_naming_where(logistics: Logistics) -> None:
    order_id = await logistics.paid_order()
    staff = logistics.auth(Role.PLATFORM)
    in_path = await logistics.client.get("/v1/shipments/%00", headers=staff)
    assert _problem(in_path, 422, "validation-error")["errors"] == [
        {
            "location": "path",
            "message": "must not contain the NUL character (U+0000)",
            "error": "unstorable_text",
        }
    ]
    in_query = await logistics.queue("awaiting-dispatch", staff, shop_id="shop\x00")
    assert _problem(in_query, 422, "validation-error")["detail"] == (
        "query.shop_id: must not contain the NUL character (U+0000)"
    )
    waybill = {"carrier": "SF\u0000", "tracking_number": "SF1234567890"}
    body = {"waybill": waybill, "items": [{"sku": "TEA-01", "quantity": 1}]}
    in_body = await logistics.command(
        f"/v1/shipments/{order_id}/dispatch", body, logistics.seller()
    )
    assert "body.waybill.carrier" in str(_problem(in_body, 422, "validation-error")["detail"])
    surrogate = await logistics.client.post(
        f"/v1/shipments/{order_id}/dispatch",
        content=b'{"waybill": {"carrier": "\\udbe4", "tracking_number": "x"}, "items": []}',
        headers={**logistics.seller(), "Idempotency-Key": str(uuid.uuid4())},
    )
    _problem(surrogate, 422, "validation-error")

    shipment = (await logistics.shipment(order_id)).json()
    assert shipment["status"] == "awaiting_dispatch"
    assert await logistics.stored_types(order_id) == ["logistics.shipment_requested"]


async def test_a_tampered_or_foreign_cursor_is_a_400(logistics: Logistics) -> None:
    for _ in range(3):
        await logistics.paid_order()
    staff = logistics.auth(Role.PLATFORM)
    first = await logistics.queue("awaiting-dispatch", staff, limit=1)
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    second = await logistics.queue("awaiting-dispatch", staff, limit=1, cursor=cursor)
    assert second.status_code == 200, second.text
    assert second.json()["items"] != first.json()["items"]

    payload, _, tag = cursor.partition(".")
    forged = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{tag}"
    for bad in (CRAFTED_CURSOR, forged, f"{payload}.", "%%%"):
        refused = await logistics.queue("awaiting-dispatch", staff, cursor=bad)
        _problem(refused, 400, "invalid-cursor")
    # A cursor of one list is not a position in another (they sort differently).
    elsewhere = await logistics.queue("overdue", staff, cursor=cursor)
    _problem(elsewhere, 400, "invalid-cursor")


async def test_unknown_routes_and_methods_are_problems(logistics: Logistics) -> None:
    staff = logistics.auth(Role.PLATFORM)
    _problem(await logistics.client.get("/v1/no-such-thing", headers=staff), 404, "not-found")
    wrong_method = await logistics.client.delete("/v1/shipments/o-1", headers=staff)
    _problem(wrong_method, 405, "method-not-allowed")
    broken_json = await logistics.client.post(
        "/v1/shipments/o-1/dispatch",
        content=b'{"waybill": ',
        headers={
            **logistics.seller(),
            "Idempotency-Key": "k-1",
            "content-type": "application/json",
        },
    )
    _problem(broken_json, 422, "validation-error")


async def test_a_command_during_a_database_outage_is_a_503_and_its_retry_has_one_effect(
    logistics: Logistics, fault_injector: FaultInjector
) -> None:
    order_id = await logistics.paid_order()
    key = str(uuid.uuid4())
    await fault_injector.stop_postgres()
    try:
        during = await logistics.dispatch(order_id, key=key)
    finally:
        await fault_injector.start_postgres()
    problem = _problem(during, 503, "database-unavailable")
    assert problem["retryable"] is True
    assert int(during.headers["Retry-After"]) >= 1
    assert "postgres" not in str(problem["detail"]).lower()

    # The pool may still hold a connection from before the restart; a client retries on 503.
    retried = await logistics.dispatch(order_id, key=key)
    for _ in range(5):
        if retried.status_code != 503:
            break
        retried = await logistics.dispatch(order_id, key=key)
    assert retried.status_code in (200, 201), retried.text
    again = await logistics.dispatch(order_id, key=key)
    assert again.status_code == retried.status_code
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await logistics.stored_types(order_id) == [
        "logistics.shipment_requested",
        "logistics.shipped",
    ]
