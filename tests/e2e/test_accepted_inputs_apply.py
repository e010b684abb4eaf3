"""Every order the API accepts can be applied downstream (issue 14, item 8): orders generated at
the edges of the request models' bounds (largest amounts and quantities, longest texts and
identifiers in any script, the payment's time at the edges of its window) are placed, paid by
the payment provider (`system` role), refunded in full, and seen by every consumer on the way —
the order's read model, logistics' shipment (requested, then called off), aftersales' order facts
(a refund case opened and decided) and the order again (the refund recorded) — with no dead
letter and no traceback.

The bounds are read from the request models' JSON Schemas, what the API promises.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra import flows
from localinfra.flows import Actors, Json
from localinfra.system import System
from order_service.api.models import PlaceOrderBody, StockBody
from tests.fuzz import downstream

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

EXAMPLES = 12
PHONES = ("13812345678", "0571-88888888", "+852 2123 4567", "+123456789012345")
# Near the top of a provider's `paid_at` window (at most 5 minutes after the service's clock);
# the payment is sent within seconds of the order's creation.
FUTURE_SKEW = timedelta(minutes=4)
# Generated lines per order: each one costs a stock request, and 5 already split the largest
# amount into lines of their own edges.
MOST_LINES = 5


def _schema_of(model: type[Any], *path: str) -> dict[str, Any]:
    """The JSON Schema of one field (`[]` steps into an array), refs and nullability resolved."""
    root: dict[str, Any] = model.model_json_schema()

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in schema:
                schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
            elif "anyOf" in schema:
                schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
            elif "allOf" in schema and len(schema["allOf"]) == 1:
                schema = schema["allOf"][0]
            else:
                return schema

    node = root
    for step in path:
        node = resolve(node)
        node = node["items"] if step == "[]" else node["properties"][step]
    return resolve(node)


def _bound(model: type[Any], key: str, *path: str) -> int:
    value = _schema_of(model, *path)[key]
    assert isinstance(value, int), (path, key, value)
    return value


AMOUNT_MAX = _bound(PlaceOrderBody, "maximum", "items", "[]", "unit_price", "amount")
QUANTITY_MAX = min(
    _bound(PlaceOrderBody, "maximum", "items", "[]", "quantity"),
    _bound(StockBody, "maximum", "on_hand"),
)
ITEMS_MAX = min(_bound(PlaceOrderBody, "maxItems", "items"), MOST_LINES)


def _text(model: type[Any], *path: str) -> st.SearchStrategy[str]:
    """Text at its edges: one letter, or as long as the field allows — any script, NFC, every
    character one the field's pattern takes after a letter (so `.` stays in, though an id of
    dots only is refused), starting and ending with a letter (nothing blank once trimmed)."""
    schema = _schema_of(model, *path)
    longest = int(schema["maxLength"])
    pattern = re.compile(schema.get("pattern", ".*"))

    def allowed(character: str) -> bool:
        return bool(pattern.fullmatch(f"a{character}"))

    letters = st.characters(categories=["L"]).filter(allowed)
    inner = st.characters(categories=["L", "M", "N", "P", "S", "Zs"]).filter(allowed)
    middle = st.text(inner, min_size=longest - 2, max_size=longest - 2)
    return st.one_of(
        letters,
        st.tuples(letters, middle, letters).map(lambda p: _nfc_within("".join(p), longest)),
    )


def _nfc_within(text: str, longest: int) -> str:
    while (normal := unicodedata.normalize("NFC", text)) != text or len(text) > longest:
        text = normal[: longest - 1] + normal[-1] if len(normal) > longest else normal
    return text


@dataclass(frozen=True)
class Case:
    """One generated order and how the provider reports its payment."""

    body: Json
    paid_at: str  # "now" (omitted), "placed" (the order's creation) or "ahead" (FUTURE_SKEW)


def _order(shop_id: str, items: list[Json], receiver: Json, fee: int, discount: int) -> Json:
    total = sum(i["unit_price"]["amount"] * i["quantity"] for i in items)
    return {
        "shop_id": shop_id,
        "items": items,
        "receiver": receiver,
        "shipping_fee": fee,
        "discount": discount,
        "payable": total + fee - discount,
    }


@st.composite
def cases(draw: st.DrawFn) -> Case:
    count = draw(st.sampled_from(sorted({1, ITEMS_MAX})))
    quantities = [draw(st.sampled_from(sorted({1, QUANTITY_MAX}))) for _ in range(count)]
    budget = AMOUNT_MAX // count
    items: list[Json] = []
    for quantity in quantities:
        price = draw(st.sampled_from(sorted({1, min(AMOUNT_MAX, budget // quantity)})))
        items.append({
            "sku": draw(_text(PlaceOrderBody, "items", "[]", "sku")),
            "title": draw(_text(PlaceOrderBody, "items", "[]", "title")),
            "unit_price": {"amount": price, "currency": "CNY"},
            "quantity": quantity,
        })  # fmt: skip
    if len({item["sku"] for item in items}) < count:
        items = [{**item, "sku": f"{item['sku'][:-1]}{n}"} for n, item in enumerate(items)]
    total = sum(i["unit_price"]["amount"] * i["quantity"] for i in items)
    fee = draw(st.sampled_from((0, AMOUNT_MAX - total)))
    discount = draw(st.sampled_from(sorted({0, total - 1})))
    receiver = {
        "name": draw(_text(PlaceOrderBody, "receiver", "name")),
        "phone": draw(st.sampled_from(PHONES)),
        "address": {
            "province": draw(_text(PlaceOrderBody, "receiver", "address", "province")),
            "city": draw(_text(PlaceOrderBody, "receiver", "address", "city")),
            "district": draw(_text(PlaceOrderBody, "receiver", "address", "district")),
            "street": draw(_text(PlaceOrderBody, "receiver", "address", "street")),
        },
    }
    body = _order(draw(_text(PlaceOrderBody, "shop_id")), items, receiver, fee, discount)
    body["buyer_note"] = draw(_text(PlaceOrderBody, "buyer_note"))
    return Case(body, draw(st.sampled_from(("now", "placed", "ahead"))))


# Identifiers a path handles with care: sub-delimiters, dots (not dots only), decomposed and
# precomposed accents, a letter outside the BMP, a full-width letter.
_CAREFUL_LINES = [
    {"sku": sku, "title": "t", "unit_price": {"amount": 100, "currency": "CNY"}, "quantity": 1}
    for sku in ("..a", "a;b=c+d&e", "e\u0301", "\u00e9", "𠀀", "Ｋ", "a.")
]
CAREFUL = Case(_order(".shop;v=1+x", _CAREFUL_LINES, flows.receiver(), 0, 0), paid_at="placed")


async def test_every_accepted_order_is_applied_by_every_consumer(system: System) -> None:
    loop = asyncio.get_running_loop()
    refused: list[str] = []
    before = await downstream.snapshot(system)

    # Generation runs off the loop; each order's requests run on it (where the system is). A
    # case that fails is recorded and the others still run, so one run shows every cause.
    @settings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
    )  # fmt: skip
    @given(case=cases())
    @example(case=CAREFUL)
    def accepted_orders_apply(case: Case) -> None:
        applied = _placed_paid_refunded_and_applied(system, case)
        try:
            asyncio.run_coroutine_threadsafe(applied, loop).result()
        except AssertionError as failure:
            refused.append(f"{_summary(case)}\n    {str(failure).splitlines()[0][:600]}")

    await asyncio.to_thread(accepted_orders_apply)
    left = await downstream.aftermath(system, before)
    assert not refused, "\n".join(refused)
    assert not left.lines(), "\n".join(left.lines())


def _summary(case: Case) -> str:
    """The generated order in a line: its figures and identifiers, and its titles' lengths."""
    body = case.body
    items = ", ".join(
        f"{i['quantity']} x {i['unit_price']['amount']} (sku {i['sku']!r}, "
        f"title {len(i['title'])} chars)"
        for i in body["items"]
    )
    return (
        f"shop {body['shop_id']!r}: {items}; fee {body['shipping_fee']}, discount "
        f"{body['discount']}, payable {body['payable']}, paid_at {case.paid_at}"
    )


async def _stock_for(actors: Actors, shop_id: str, item: Json) -> None:
    """Enough stock for the line. Hypothesis draws the same shop and SKU again in later examples
    (it reuses values on purpose) and an earlier order may still hold its units (`reserved`), so
    a stocktake counts those too: `on_hand` = reserved + the line's quantity."""
    path = f"/v1/shops/{quote(shop_id, safe='')}/skus/{quote(item['sku'], safe='')}/stock"
    current = await actors.get(Service.ORDER, Role.SELLER, path)
    reserved = current.json()["reserved"] if current.status_code == 200 else 0
    stock = {"on_hand": reserved + item["quantity"]}
    stocked = await actors.command(Service.ORDER, Role.SELLER, path, stock, method="PUT")
    assert (stocked["shop_id"], stocked["sku"]) == (shop_id, item["sku"]), stocked
    assert stocked["available"] >= item["quantity"], stocked


async def _placed_paid_refunded_and_applied(system: System, case: Case) -> None:
    body = case.body
    async with Actors(system, system.tokens, shop_id=body["shop_id"]) as actors:
        for item in body["items"]:
            await _stock_for(actors, body["shop_id"], item)
        placed = await actors.command(Service.ORDER, Role.BUYER, "/v1/orders", body, expect=201)
        order_id = placed["order_id"]
        seen = await flows.order_when(
            actors, order_id, lambda o: o["version"] >= placed["version"], "placed, read model"
        )
        assert seen["payable"]["amount"] == body["payable"], seen

        payment = flows.payment(body["payable"])
        if case.paid_at != "now":
            created = datetime.fromisoformat(seen["created_at"])
            at = created if case.paid_at == "placed" else created + FUTURE_SKEW
            payment["paid_at"] = at.isoformat()
        path = f"/v1/orders/{order_id}/payments"
        paid = await actors.command(Service.ORDER, Role.SYSTEM, path, payment)
        assert paid["status"] == "awaiting_shipment", paid
        view = await flows.order_when(
            actors, order_id, lambda o: o["version"] >= paid["version"], "paid, in the read model"
        )
        assert view["paid"]["amount"] == body["payable"], view

        shipment = await flows.shipment_requested(actors, order_id)
        ordered = sorted((i["sku"], i["quantity"]) for i in body["items"])
        assert sorted((i["sku"], i["quantity"]) for i in shipment["items"]) == ordered

        terms = flows.refund_terms("refund_only", "changed_mind", body["payable"])
        opened = await flows.open_refund(actors, order_id, terms)
        approved = await flows.approve(actors, opened["case_id"])
        assert approved["refund_status"] == "SUCCESS", approved
        refunded = await flows.order_when(
            actors, order_id, lambda o: o["refunded"]["amount"] == body["payable"],
            "the refund recorded by the order",
        )  # fmt: skip
        assert refunded["status"] == "closed", refunded
        await flows.shipment_when(
            actors, order_id, lambda s: s["status"] == "cancelled", "shipment called off"
        )
