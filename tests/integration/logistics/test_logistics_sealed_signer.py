"""The delivery's signer stays sealed for the buyer in everything logistics stores and
publishes (issue 16); views open it through the key custodian and mask it by role, and once
the buyer is erased it shows as erased while deliveries are still recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from contracts.events.logistics import Signer
from contracts.events.order import PersonalDataErased
from contracts.sealing import Sealed, open_sealed
from eventing.http.auth import Role
from eventing.testing.data_keys import FakeCustodian
from logistics_service.examples import RESHIP_WAYBILL
from tests.integration.logistics.harness import SHOP, Logistics
from tests.integration.logistics.test_logistics_sealed_receivers import paid_order_of, stored_text

pytestmark = pytest.mark.integration

SIGNER = "王小五"
BUYER = "buyer-signer"


async def delivered_order(logistics: Logistics, custodian: FakeCustodian) -> tuple[str, str]:
    """(order id, data key id) of an order of `BUYER` dispatched and then signed for."""
    sealer = custodian.subject()
    order_id = await paid_order_of(logistics, sealer, BUYER)
    dispatched = await logistics.dispatch(order_id)
    assert dispatched.status_code == 200, dispatched.text
    return order_id, sealer.key.key_id


async def deliver(logistics: Logistics, order_id: str) -> int:
    answer = await logistics.command(
        f"/v1/shipments/{order_id}/delivery", {"signed_by": SIGNER}, logistics.carrier()
    )
    assert answer.status_code == 200, answer.text
    version: int = answer.json()["version"]
    await logistics.shipment_when(order_id, lambda s: s["version"] == version)
    return version


async def test_the_signer_is_stored_projected_and_published_sealed_only(
    logistics: Logistics, custodian: FakeCustodian
) -> None:
    order_id, key_id = await delivered_order(logistics, custodian)
    await deliver(logistics, order_id)

    path = f"/v1/shipments/{order_id}"
    for full in (
        logistics.seller(),
        logistics.auth(Role.BUYER, BUYER),
        logistics.auth(Role.PLATFORM),
    ):
        assert (await logistics.client.get(path, headers=full)).json()["signed_by"] == SIGNER
    masked = (await logistics.client.get(path, headers=logistics.auth(Role.OPS))).json()
    assert masked["signed_by"] == "王**"

    stored = await stored_text(logistics, order_id)
    for name, dumped in stored.items():
        assert SIGNER not in dumped, f"a clear signer in {name}"
    delivered = json.loads(stored["events"].split("\n")[-1])
    sealed = Sealed.model_validate(delivered["signed_by"])
    assert sealed.key_id == key_id  # sealed for the buyer, under the receiver's key
    assert open_sealed(sealed, custodian.keys[key_id], Signer) == Signer(name=SIGNER)
    assert json.loads(stored["shipments"])["signed_by"] == delivered["signed_by"]

    records = await logistics.logistics_events(
        lambda rs: any(
            r.stream_id == order_id and r.event_type == "logistics.delivered" for r in rs
        )
    )
    published = [r for r in records if r.stream_id == order_id]
    assert published[-1].event_type == "logistics.delivered"
    for record in published:
        assert SIGNER not in record.value.decode() + repr(record.headers), record.event_type


async def test_after_erasure_the_signer_shows_the_marker_and_deliveries_still_record(
    logistics: Logistics, custodian: FakeCustodian
) -> None:
    signed_order, key_id = await delivered_order(logistics, custodian)
    await deliver(logistics, signed_order)
    sealer = custodian.subject(custodian.keys[key_id])
    unsigned_order = await paid_order_of(logistics, sealer, BUYER)  # same buyer, same key
    second = await logistics.dispatch(unsigned_order, waybill=RESHIP_WAYBILL)
    assert second.status_code == 200, second.text

    custodian.erase(key_id)
    for order_id in (signed_order, unsigned_order):
        erased = PersonalDataErased(
            order_id=order_id,
            shop_id=SHOP,
            buyer_id=BUYER,
            key_ids=(key_id,),
            erased_at=datetime.now(UTC),
        )
        await logistics.publish(erased)
        await logistics.order_applied(order_id)

    marker = {"erased": True, "key_id": key_id}
    path = f"/v1/shipments/{signed_order}"
    for caller in (logistics.seller(), logistics.auth(Role.OPS), logistics.auth(Role.PLATFORM)):
        shown = await logistics.client.get(path, headers=caller)
        assert shown.status_code == 200, shown.text
        assert shown.json()["signed_by"] == marker
        assert shown.json()["status"] == "delivered"

    # A parcel of the erased buyer still on its way is signed for: recorded, without a signer.
    await deliver(logistics, unsigned_order)
    shown = (await logistics.shipment(unsigned_order)).json()
    assert shown["status"] == "delivered"
    assert shown["signed_by"] is None
    stored = await stored_text(logistics, unsigned_order)
    assert json.loads(stored["events"].split("\n")[-1])["signed_by"] is None
    assert SIGNER not in "".join(stored.values())
