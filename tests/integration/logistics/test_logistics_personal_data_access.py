"""Full views of a shipment's receiver and signer are recorded (issue 16, item 4), masked ones and
views without personal data are not; the logistics service serves the records too."""

from __future__ import annotations

from typing import Any

import pytest

from eventing.http.auth import Role
from tests.integration.logistics.harness import BUYER, SHOP, Logistics

pytestmark = pytest.mark.integration

ACCESS = "/v1/personal-data-access"
RECEIVER_FIELDS = ["receiver.name", "receiver.phone", "receiver.address"]


async def records(logistics: Logistics, **query: Any) -> list[Any]:
    answer = await logistics.client.get(ACCESS, params=query, headers=logistics.auth(Role.OPS))
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


async def test_a_shipment_shown_in_full_is_recorded_with_the_fields_it_held(
    logistics: Logistics,
) -> None:
    order_id = await logistics.paid_order()
    path = f"/v1/shipments/{order_id}"
    for caller in (logistics.carrier(), logistics.seller(), logistics.auth(Role.OPS, "oncall")):
        assert (await logistics.client.get(path, headers=caller)).status_code == 200
    tracking = await logistics.client.get(f"{path}/tracking", headers=logistics.seller())
    assert tracking.status_code == 200

    carrier = await records(logistics, caller="carrier-feed-sf")
    seller = await records(logistics, caller="warehouse-1")
    assert [(r["caller_role"], r["fields"]) for r in carrier] == [("system", RECEIVER_FIELDS)]
    assert [(r["caller_shop_id"], r["data_subject"]) for r in seller] == [(SHOP, BUYER)]
    assert seller[0]["endpoint"] == "GET /v1/shipments/{order_id}"  # not the tracking view
    assert seller[0]["service"] == "logistics"
    assert await records(logistics, caller="oncall") == []

    assert (await logistics.dispatch(order_id)).status_code == 200
    delivered = await logistics.command(
        f"{path}/delivery", {"signed_by": "本人"}, logistics.carrier()
    )
    assert delivered.status_code == 200, delivered.text
    as_buyer = logistics.auth(Role.BUYER, BUYER)
    version = delivered.json()["version"]
    shown = await logistics.client.get(path, params={"min_version": version}, headers=as_buyer)
    assert shown.json()["signed_by"] == "本人"
    [buyer] = await records(logistics, caller=BUYER)
    assert buyer["fields"] == [*RECEIVER_FIELDS, "signed_by"]
    assert buyer["order_id"] == order_id
    assert {r["order_id"] for r in await records(logistics, buyer_id=BUYER)} == {order_id}
