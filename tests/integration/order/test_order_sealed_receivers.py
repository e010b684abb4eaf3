"""The order service seals receivers for the buyer, keeps the keys, hands them out wrapped,
erases a buyer by destroying their keys, and survives a rotation of the key-encryption key."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner, Result

from contracts.parties import Service
from contracts.sealing import KeyEncryptionKeys, Sealed, WrappedKey, open_sealed
from contracts.values import Receiver
from eventing.http.auth import Role
from eventing.rebuild import rebuild_from_store
from eventing.store import EventStore
from eventing.testing.service import assert_problem
from order_service.application.data_keys import Custodian, data_keys
from order_service.projections import PROJECTIONS
from order_service.projections.tables import order_view
from orderctl.cli import build_app
from tests.integration.order.harness import BUYER, Orders, payable, shipped

pytestmark = pytest.mark.integration


def paid(order: dict[str, Any]) -> bool:
    return bool(order["status"] == "awaiting_shipment")


CLEAR = ("李雷", "13812345678", "文三路")
"""The harness receiver's name, phone and street: never in clear in a store or a row."""


async def stored_json(service: Orders) -> str:
    """Every stored event's data and every order row, as one JSON text."""
    async with service.engine.connect() as connection:
        events = (await connection.execute(text("SELECT data FROM eventing.events"))).scalars()
        rows = (await connection.execute(select(order_view.c.detail))).scalars()
        return json.dumps([*events, *rows], ensure_ascii=False)


async def shipped_order(service: Orders) -> str:
    order_id = await service.paid_order()
    await service.publish(shipped(order_id))
    await service.order_when(order_id, lambda o: o["status"] == "shipped", "shipped")
    return order_id


def wrapped_of(response: Any) -> WrappedKey:
    body = response.json()
    return WrappedKey(body["key_id"], body["kek_id"], body["wrapped"])


async def test_the_receiver_is_stored_sealed_and_shown_to_those_who_may_see_it(
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    mine = await service.order_when(order_id, paid, "paid")

    stored = await stored_json(service)
    assert '"alg": "A256GCM"' in stored
    assert not [clear for clear in CLEAR if clear in stored]
    assert mine["detail"]["receiver"]["name"] == "李雷"  # the platform sees it in full
    buyer = (await service.order(order_id, service.buyer)).json()
    assert buyer["detail"]["receiver"]["phone"] == "13812345678"
    placed = next(e for e in buyer["timeline"] if e["type"] == "order.placed")
    assert placed["data"]["receiver"]["address"]["street"] == "文三路 90 号"
    ops = (await service.order(order_id, service.ops)).json()
    assert ops["detail"]["receiver"]["name"] == "李*"
    assert ops["detail"]["receiver"]["phone"] == "138****5678"


async def test_the_wrapped_key_is_for_services_only_and_opens_the_stored_receiver(
    service: Orders,
) -> None:
    order_id = await service.paid_order()
    detail = await service.order_when(
        order_id, lambda o: o["status"] == "awaiting_shipment", "paid"
    )
    async with service.engine.connect() as connection:
        data = await connection.scalar(
            text(
                "SELECT data FROM eventing.events WHERE stream_id = :id "
                "AND event_type = 'order.placed'"
            ),
            {"id": order_id},
        )
    sealed = Sealed.model_validate(data["receiver"])
    path = f"/internal/v1/data-keys/{sealed.key_id}"

    answer = await service.client.get(path, headers=service.auth(Role.SYSTEM, "logistics"))
    assert answer.status_code == 200, answer.text
    keks = KeyEncryptionKeys.parse(service.settings.pii_keks.get_secret_value())
    receiver = open_sealed(sealed, keks.unwrap(wrapped_of(answer)), Receiver)
    assert receiver.name == detail["detail"]["receiver"]["name"] == "李雷"

    for caller in (service.buyer, service.seller, service.platform, service.ops):
        assert (await service.client.get(path, headers=caller)).status_code == 403
    system = service.auth(Role.SYSTEM, "logistics")
    unknown = await service.client.get("/internal/v1/data-keys/dk-" + "0" * 32, headers=system)
    assert_problem(unknown, 404, "data-key-not-found")
    malformed = await service.client.get("/internal/v1/data-keys/dk-xyz", headers=system)
    assert malformed.status_code == 422


async def test_erasure_waits_for_the_parcel_then_destroys_the_buyers_keys(
    service: Orders,
) -> None:
    first = await shipped_order(service)
    open_order = await service.place()
    erase = f"/v1/buyers/{BUYER}/erasure"

    blocked = await service.command(erase, None, service.platform)
    assert_problem(blocked, 409, "erasure-blocked")
    assert (await service.command(erase, None, service.ops)).status_code == 403
    assert (await service.command(erase, None, service.buyer)).status_code == 403
    cancel = f"/v1/orders/{open_order['order_id']}/cancellation"
    cancelled = await service.command(cancel, {"reason": "buyer_changed_mind"}, service.buyer)
    assert cancelled.status_code == 200, cancelled.text

    erased = await service.command(erase, None, service.platform)
    assert erased.status_code == 200, erased.text
    erasure = erased.json()
    assert sorted(erasure["order_ids"]) == sorted([first, open_order["order_id"]])
    (key_id,) = erasure["key_ids"]
    again = await service.command(erase, None, service.platform)
    assert again.status_code == 200
    assert again.json() == erasure
    read = await service.client.get(erase, headers=service.ops)
    assert read.status_code == 200
    assert read.json() == erasure

    marker = {"erased": True, "key_id": key_id}
    for caller in (service.buyer, service.platform, service.ops):
        seen = await service.read_when(
            f"/v1/orders/{first}",
            caller,
            lambda o: any(e["type"] == "order.personal_data_erased" for e in o["timeline"]),
            "erasure in the timeline",
        )
        assert seen["detail"]["receiver"] == marker
        assert all(
            e["data"]["receiver"] == marker for e in seen["timeline"] if "receiver" in e["data"]
        )
        assert seen["status"] == "shipped"
        assert seen["paid"]["amount"] == payable()
    system = service.auth(Role.SYSTEM, "logistics")
    gone = await service.client.get(f"/internal/v1/data-keys/{key_id}", headers=system)
    assert_problem(gone, 410, "data-key-erased")

    store = EventStore(service.engine, topic=service.settings.topic(Service.ORDER))
    async with service.engine.connect() as connection:
        live = [dict(r._mapping) for r in await connection.execute(select(order_view))]
    (projection,) = PROJECTIONS
    await rebuild_from_store(store, projection.from_store())
    async with service.engine.connect() as connection:
        rebuilt = [dict(r._mapping) for r in await connection.execute(select(order_view))]
    assert sorted(rebuilt, key=str) == sorted(live, key=str)

    later = await service.place()
    fresh = await service.order(later["order_id"], service.buyer, later["version"])
    assert fresh.json()["detail"]["receiver"]["name"] == "李雷"
    async with service.engine.connect() as connection:
        live_keys = (
            await connection.execute(
                select(data_keys.c.key_id).where(
                    data_keys.c.buyer_id == BUYER, data_keys.c.erased_at.is_(None)
                )
            )
        ).scalars()
        assert [k for k in live_keys] != [key_id]


async def test_after_a_kek_rotation_old_and_new_receivers_both_open(service: Orders) -> None:
    old_order = await service.paid_order()
    await service.order_when(old_order, paid, "paid")
    old = KeyEncryptionKeys.parse(service.settings.pii_keks.get_secret_value())
    rotated = old.rotated("kek-2026-12")

    changed = await Custodian(service.engine, rotated).rewrap()
    assert changed >= 1
    async with service.engine.connect() as connection:
        kek_ids = set((await connection.execute(select(data_keys.c.kek_id))).scalars())
    assert kek_ids == {"kek-2026-12"}
    assert await Custodian(service.engine, rotated).rewrap() == 0  # idempotent

    # After the re-wrap the old KEK can be retired: a ring holding only the new one opens
    # the receivers sealed before the rotation and keys created after it.
    retired = KeyEncryptionKeys(
        current="kek-2026-12", keys={"kek-2026-12": rotated.keys["kek-2026-12"]}
    )
    custodian = Custodian(service.engine, retired)
    async with service.engine.begin() as connection:
        fresh = await custodian.buyer_key(connection, "buyer-new", "o-new", await service.now())
    async with service.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT data FROM eventing.events WHERE event_type = 'order.placed'")
        )
        placed = [Sealed.model_validate(row.data["receiver"]) for row in rows]
    assert placed
    for sealed in placed:
        receiver = open_sealed(sealed, await custodian.data_key(sealed.key_id), Receiver)
        assert receiver.name == "李雷"
    assert (await custodian.data_key(fresh.key.key_id)) == fresh.key


def _orderctl(database_url: str, keks: str) -> Result:
    return CliRunner().invoke(
        build_app(), ["--order-db", database_url, "keys", "rewrap"], env={"PII_KEKS": keks}
    )


async def test_the_runbooks_rotation_recipe(service: Orders) -> None:
    """docs/operations.md, "Rotating the key-encryption key", as an operator pastes it."""
    order_id = await service.paid_order()
    await service.order_when(order_id, paid, "paid")
    generate = "import base64, os; print('kek-1:' + base64.b64encode(os.urandom(32)).decode())"
    made = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", generate],
        capture_output=True,
        text=True,
        check=True,
    )
    new = made.stdout.strip().replace("kek-1:", "kek-2:")
    old = service.settings.pii_keks.get_secret_value()
    ring = f"{new},{old}"
    assert KeyEncryptionKeys.parse(ring).current == "kek-2"

    first = await asyncio.to_thread(_orderctl, service.settings.database_url, ring)
    assert first.exit_code == 0, first.output
    assert "re-wrapped with KEK kek-2" in first.output
    assert not first.output.startswith("0 ")
    again = await asyncio.to_thread(_orderctl, service.settings.database_url, ring)
    assert again.output.startswith("0 data key(s)")
    bad = await asyncio.to_thread(_orderctl, service.settings.database_url, "kek-2:short")
    assert bad.exit_code == 2
    assert bad.output.startswith("orderctl: PII_KEKS:")

    only_new = Custodian(service.engine, KeyEncryptionKeys.parse(new))
    detail = await service.order(order_id, service.buyer)
    key_id = (await stored_placed(service, order_id)).key_id
    assert (await only_new.data_key(key_id)).key_id == key_id
    assert detail.json()["detail"]["receiver"]["name"] == "李雷"


async def stored_placed(service: Orders, order_id: str) -> Sealed:
    async with service.engine.connect() as connection:
        data = await connection.scalar(
            text(
                "SELECT data FROM eventing.events WHERE stream_id = :id "
                "AND event_type = 'order.placed'"
            ),
            {"id": order_id},
        )
    return Sealed.model_validate(data["receiver"])
