"""The cancel-vs-ship race on the running system: whatever each side knows when it acts,
nothing is lost and the buyer is refunded exactly once (DOMAIN.md, races; agreement 5).

The dispatch (logistics) and the cancellation (order service) are sent at the same moment,
several times, so both usually succeed before either service learns of the other; two more
runs order them so each refusal branch is exercised for certain.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from contracts.parties import Service
from eventing.http.auth import Role
from eventing.testing import eventually
from localinfra import flows
from localinfra.flows import Actors, Json
from localinfra.system import System

pytestmark = pytest.mark.e2e

Send = Callable[[], Awaitable[httpx.Response]]
BOTH = "both accepted: one intercept case recovers the parcel"
CANCEL_REFUSED = "cancellation refused: the order had shipped"
DISPATCH_REFUSED = "dispatch refused: the order was cancelled"


@pytest.mark.parametrize(
    "timing",
    ["together-1", "together-2", "together-3", "together-4", "cancel-first", "dispatch-first"],
)
async def test_cancel_and_dispatch_at_once_never_lose_goods_or_refund_twice(
    system: System, timing: str, record_property: Callable[[str, object], None]
) -> None:
    async with Actors.of(system) as actors:
        order_id = await flows.paid_order(actors)
        shipment = await flows.shipment_requested(actors, order_id)

        lost_races: list[str] = []
        dispatch = _until_decided(
            actors, Service.LOGISTICS, f"/v1/shipments/{order_id}/dispatch",
            flows.dispatch_body(shipment), lost_races,
        )  # fmt: skip
        cancel = _until_decided(
            actors, Service.ORDER, f"/v1/orders/{order_id}/cancellation",
            {"reason": "buyer_changed_mind"}, lost_races,
        )  # fmt: skip

        dispatched, cancelled = await _race(actors, order_id, timing, dispatch, cancel)
        branch = await _settled(system, actors, order_id, dispatched, cancelled)
        if lost_races:
            branch += f" (after a lost version race: {', '.join(lost_races)}, retried)"
        record_property("branch", branch)
        print(f"\n[{timing}] {order_id}: {branch}")
        expected = {"cancel-first": DISPATCH_REFUSED, "dispatch-first": CANCEL_REFUSED}
        assert branch.startswith(expected.get(timing, branch))


def _until_decided(
    actors: Actors, service: Service, path: str, body: Json, lost_races: list[str]
) -> Send:
    """The command as a client sends it: a 409 `concurrency-conflict` (another writer, e.g. a
    policy recording the other side's fact, appended first) is retried with the same key."""
    role = Role.SELLER if service is Service.LOGISTICS else Role.BUYER
    key = str(uuid.uuid4())

    async def send() -> httpx.Response:
        for _ in range(5):  # one other writer per side: a second attempt decides
            response = await actors.send(service, role, path, body, key=key)
            if response.status_code != 409 or response.json()["code"] != "concurrency-conflict":
                break
            lost_races.append(service.value)
        return response

    return send


async def _race(
    actors: Actors, order_id: str, timing: str, dispatch: Send, cancel: Send
) -> tuple[httpx.Response, httpx.Response]:
    if timing.startswith("together"):
        dispatched, cancelled = await asyncio.gather(dispatch(), cancel())
        return dispatched, cancelled
    if timing == "cancel-first":
        cancelled = await cancel()
        await flows.shipment_when(actors, order_id, lambda s: s["status"] == "cancelled", "off")
        return await dispatch(), cancelled
    dispatched = await dispatch()
    await flows.order_when(actors, order_id, lambda o: o["status"] == "shipped", "shipped")
    return dispatched, await cancel()


async def _settled(
    system: System,
    actors: Actors,
    order_id: str,
    dispatched: httpx.Response,
    cancelled: httpx.Response,
) -> str:
    """Check the invariant for whichever branch happened; returns the branch."""
    assert dispatched.status_code in (200, 409), dispatched.text
    assert cancelled.status_code in (200, 409), cancelled.text
    if cancelled.status_code == 409:
        assert dispatched.status_code == 200, "one side must have gone through"
        assert cancelled.json()["code"] == "order-already-shipped", cancelled.text
        shipped = await flows.order_when(actors, order_id, lambda o: o["status"] == "shipped", "")
        assert shipped["detail"]["amounts"]["cancellation_refund_due"]["amount"] == 0
        assert await flows.cases_of(actors, order_id) == []
        return CANCEL_REFUSED
    owed = cancelled.json()["detail"]["refund_due"]["amount"]
    assert owed == flows.payable()
    if dispatched.status_code == 409:
        assert dispatched.json()["code"] == "order-cancelled", dispatched.text
        off = await flows.shipment_when(actors, order_id, lambda s: s["status"] == "cancelled", "")
        assert off["cancel_reason"] == "order_cancelled"
        assert await flows.cases_of(actors, order_id) == []
        return DISPATCH_REFUSED
    await _one_intercept_case_recovers_the_parcel(system, actors, order_id)
    return BOTH


async def _one_intercept_case_recovers_the_parcel(
    system: System, actors: Actors, order_id: str
) -> None:
    async def intercepts() -> list[Json]:
        return await flows.cases_of(actors, order_id)

    cases = await eventually(intercepts, lambda found: len(found) > 0, message="intercept")
    assert len(cases) == 1
    (case,) = cases
    assert case["intercept"]
    assert case["automatic_approval"]
    assert (case["kind"], case["reason"]) == ("return_and_refund", "cancelled_after_shipment")
    assert case["amount"] == flows.cny(0)
    assert case["refund_status"] == "WAIT_BUYER_RETURN_GOODS"

    await flows.ship_return(actors, case["case_id"])
    recovered = await flows.confirm_return(actors, case["case_id"])
    assert recovered["status"] == "refunded"
    final = await flows.case(actors, case["case_id"], recovered["version"])
    assert final["refunded"] in (None, flows.cny(0))

    # The order knows the parcel left (timeline) but stays cancelled, refunded once: by the
    # cancellation's refund_due, never by a refund record.
    view = await flows.order_when(
        actors, order_id,
        lambda o: "logistics.shipped" in [e["type"] for e in o["timeline"]]
        and case["case_id"] in o["detail"]["refund_cases"],
        "the parcel and the case in the order's timeline",
    )  # fmt: skip
    assert view["status"] == "cancelled"
    assert view["refunded"]["amount"] == 0
    assert view["detail"]["amounts"]["cancellation_refund_due"]["amount"] == flows.payable()
    types = [entry["type"] for entry in view["timeline"]]
    assert "order.shipped" not in types
    assert "order.refund_recorded" not in types
    envelopes = await flows.published(system.bootstrap, system.topics[Service.AFTERSALES])
    assert flows.types_of(envelopes, order_id).count("aftersales.refund_requested") == 1
