"""Receivers stay sealed in everything logistics stores and publishes (issue 16); views and the
dispatch check open them through the key custodian, and an erased buyer's receiver shows as
erased and can no longer be shipped to."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from contracts.events.order import AddressChanged, PersonalDataErased
from contracts.sealing import Sealed, SubjectSealer
from contracts.values import Receiver
from eventing.http.auth import Role
from eventing.testing import personal_data
from eventing.testing.data_keys import FakeCustodian
from eventing.testing.service import assert_problem
from tests.integration.logistics.harness import SHOP, Logistics, paid, placed

pytestmark = pytest.mark.integration

RECEIVER = Receiver.model_validate(personal_data.RECEIVER)
MOVED_PHONE = "13900001111"
MOVED = RECEIVER.model_copy(update={"phone": MOVED_PHONE})


def clear_in(text_: str) -> list[str]:
    """The receivers' name, phones and street `text_` shows in clear."""
    return [*personal_data.leaked(text_), *([MOVED_PHONE] if MOVED_PHONE in text_ else [])]


async def paid_order_of(logistics: Logistics, sealer: SubjectSealer, buyer_id: str) -> str:
    """An order of `buyer_id` placed and paid, its receiver sealed by `sealer`; waits for the
    shipment without opening the receiver (the tracking view shows none)."""
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    await logistics.publish(
        placed(order_id, buyer_id=buyer_id, receiver=sealer.seal(RECEIVER)), paid(order_id)
    )
    seller = logistics.seller()
    await logistics.read_when(f"/v1/shipments/{order_id}/tracking", seller, lambda _: True)
    return order_id


async def stored_text(logistics: Logistics, order_id: str) -> dict[str, str]:
    """The order's rows in the event store, the order facts and the read model, as JSON."""
    queries = {
        "events": (
            "SELECT data::text FROM eventing.events WHERE stream_id = :id ORDER BY stream_version"
        ),
        "order_facts": "SELECT row_to_json(f)::text FROM order_facts f WHERE order_id = :id",
        "shipments": "SELECT row_to_json(s)::text FROM shipments s WHERE order_id = :id",
    }
    found = {}
    async with logistics.engine.connect() as connection:
        for name, query in queries.items():
            rows = (await connection.execute(text(query), {"id": order_id})).scalars().all()
            assert rows, f"nothing in {name} for {order_id}"
            found[name] = "\n".join(rows)
    return found


async def test_logistics_stores_publishes_and_projects_the_receiver_sealed_only(
    logistics: Logistics, custodian: FakeCustodian
) -> None:
    sealer = custodian.subject()
    buyer = "buyer-sealed"
    order_id = await paid_order_of(logistics, sealer, buyer)
    moved = sealer.seal(MOVED)
    await logistics.publish(AddressChanged(order_id=order_id, shop_id=SHOP, receiver=moved))
    path = f"/v1/shipments/{order_id}"
    shown = await logistics.read_when(
        path, logistics.seller(), lambda s: s["version"] == 2, "receiver changed"
    )
    assert shown["receiver"] == MOVED.model_dump(mode="json")  # the seller ships: in full
    masked = (await logistics.client.get(path, headers=logistics.auth(Role.OPS))).json()
    assert masked["receiver"]["name"] == "欧***"
    assert masked["receiver"]["phone"] == "139****1111"
    assert masked["receiver"]["address"]["street"] == "****"
    as_buyer = await logistics.client.get(path, headers=logistics.auth(Role.BUYER, buyer))
    assert as_buyer.json()["receiver"] == MOVED.model_dump(mode="json")
    dispatched = await logistics.dispatch(order_id)
    assert dispatched.status_code == 200, dispatched.text

    stored = await stored_text(logistics, order_id)
    for name, dumped in stored.items():
        assert clear_in(dumped) == [], f"clear personal data in {name}"
    requested, changed, _shipped = (json.loads(row) for row in stored["events"].split("\n"))
    assert Sealed.model_validate(changed["receiver"]) == moved  # the order service's own seal
    assert Sealed.model_validate(requested["receiver"]).key_id == sealer.key.key_id

    records = await logistics.logistics_events(
        lambda rs: any(r.stream_id == order_id and r.event_type == "logistics.shipped" for r in rs)
    )
    ours = [r for r in records if r.stream_id == order_id]
    assert [r.event_type for r in ours] == [
        "logistics.shipment_requested",
        "logistics.shipment_receiver_changed",
        "logistics.shipped",
    ]
    for record in ours:
        published = record.value.decode() + repr(record.headers)
        assert clear_in(published) == [], f"clear personal data in {record.event_type}"
    # Three views and a dispatch, one key: the custodian was asked once.
    assert custodian.requests.count(sealer.key.key_id) == 1


async def test_after_erasure_the_view_shows_the_marker_and_dispatch_is_refused(
    logistics: Logistics, custodian: FakeCustodian
) -> None:
    sealer = custodian.subject()
    key_id = sealer.key.key_id
    erased_buyer = "buyer-erased"
    order_id = await paid_order_of(logistics, sealer, erased_buyer)
    other_order = await logistics.paid_order()  # another buyer, under the examples' key
    path = f"/v1/shipments/{order_id}"
    before = await logistics.client.get(path, headers=logistics.seller())
    assert before.json()["receiver"] == RECEIVER.model_dump(mode="json")

    custodian.erase(key_id)
    await logistics.publish(
        PersonalDataErased(
            order_id=order_id,
            shop_id=SHOP,
            buyer_id=erased_buyer,
            key_ids=(key_id,),
            erased_at=datetime.now(UTC),
        )
    )
    await logistics.order_applied(order_id)

    marker = {"erased": True, "key_id": key_id}
    for caller in (logistics.seller(), logistics.auth(Role.OPS), logistics.auth(Role.PLATFORM)):
        shown = await logistics.client.get(path, headers=caller)
        assert shown.status_code == 200, shown.text
        assert shown.json()["receiver"] == marker
        assert shown.json()["status"] == "awaiting_dispatch"  # the lifecycle is untouched
    assert_problem(await logistics.dispatch(order_id), 409, "receiver-erased")
    assert await logistics.stored_types(order_id) == ["logistics.shipment_requested"]

    assert (await logistics.dispatch(other_order)).status_code == 200
    other = await logistics.client.get(f"/v1/shipments/{other_order}", headers=logistics.seller())
    assert other.json()["receiver"]["name"] == "张三"


async def test_a_key_custodian_out_of_reach_is_a_retryable_503_never_a_500(
    logistics: Logistics, custodian: FakeCustodian
) -> None:
    order_id = await paid_order_of(logistics, custodian.subject(), "buyer-waiting")
    custodian.reachable = False
    dispatch_key = f"dispatch-{order_id}"
    refused = await logistics.dispatch(order_id, key=dispatch_key)
    assert_problem(refused, 503, "personal-data-unavailable")
    assert refused.json()["retryable"] is True
    assert refused.headers["Retry-After"]
    view = await logistics.client.get(f"/v1/shipments/{order_id}", headers=logistics.seller())
    assert_problem(view, 503, "personal-data-unavailable")
    assert personal_data.leaked(view.text + refused.text) == []

    custodian.reachable = True
    retried = await logistics.dispatch(order_id, key=dispatch_key)
    assert retried.status_code == 200, retried.text
    assert await logistics.stored_types(order_id) == [
        "logistics.shipment_requested",
        "logistics.shipped",
    ]
