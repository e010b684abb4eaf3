"""The bounded vocabulary: each bound accepts its edge and refuses one past it, in the models and
in the generated JSON Schemas alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs; the lock has no types-jsonschema
import pytest
from pydantic import TypeAdapter, ValidationError

from contracts import REGISTRY
from contracts.envelope import Envelope
from contracts.events.aftersales import DisputeEvidenceAdded
from contracts.events.order import AutoConfirmExtended, OrderRated, StockLow
from contracts.examples import example_envelope, example_payloads
from contracts.schemas import event_schema
from contracts.values import (
    MAX_AMOUNT,
    MAX_ATTRIBUTE_LENGTH,
    MAX_QUANTITY,
    MAX_STOCK,
    Address,
    Identifier,
    LineItem,
    Money,
    Receiver,
    SkuQuantity,
    Text,
    attribute_refusal,
)

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = sorted((ROOT / "contracts/schemas").glob("*/v*.json"))
MONEY_SCHEMA = event_schema(REGISTRY.model("order.paid"))


def _money(**change: Any) -> dict[str, Any]:
    return {"amount": 100, "currency": "CNY", **change}


def _address(**change: Any) -> dict[str, Any]:
    return {"country": "CN", "province": "浙江省", "city": "杭州市", "street": "文一西路", **change}


def _line(**change: Any) -> dict[str, Any]:
    return {"sku": "TEA-1", "title": "龙井", "unit_price": _money(), "quantity": 1, **change}


def _receiver(**change: Any) -> dict[str, Any]:
    return {"name": "张三", "phone": "13812345678", "address": _address(), **change}


_ORDER = {"order_id": "O-1", "shop_id": "S-1"}


def _stock_low(**change: Any) -> dict[str, Any]:
    return {**_ORDER, "sku": "k", "available": 0, "warning_line": 0, **change}


def _rated(**change: Any) -> dict[str, Any]:
    scores = {"description_score": 5, "service_score": 5, "shipping_speed_score": 5}
    return {**_ORDER, **scores, **change}


def _extended(**change: Any) -> dict[str, Any]:
    deadlines = {
        "previous_auto_confirm_at": "2025-01-01T00:00:00Z",
        "auto_confirm_at": "2025-01-04T00:00:00Z",
    }
    return {**_ORDER, "extension_days": 3, **deadlines, **change}


def _evidence(**change: Any) -> dict[str, Any]:
    parties = {"case_id": "C-1", "evidence_id": "E-1", "submitted_by": "buyer"}
    return {**_ORDER, **parties, "description": "photo", "attachments": ["https://x/1"], **change}


# (what, model, data): every row is a value a producer may write.
ACCEPTED = [
    ("the largest safe amount", Money, _money(amount=MAX_AMOUNT)),
    ("a zero amount", Money, _money(amount=0)),
    ("CNY", Money, _money(currency="CNY")),
    ("USD", Money, _money(currency="USD")),
    ("the CFA franc (an X code that is money)", Money, _money(currency="XOF")),
    ("a country", Address, _address(country="HK")),
    ("the largest quantity", LineItem, _line(quantity=MAX_QUANTITY)),
    ("a 256-character title", LineItem, _line(title="茶" * 256)),
    ("a 64-character SKU", LineItem, _line(sku="S" * 64)),
    ("a Chinese SKU", LineItem, _line(sku="龙井-250")),
    ("a SKU with dots and more", LineItem, _line(sku="..tea.")),
    ("a SKU with sub-delimiters", LineItem, _line(sku="a;b=c+d&e")),
    ("a 64-character city", Address, _address(city="市" * 64)),
    ("a receiver", Receiver, _receiver()),
    ("a stock figure at the maximum", StockLow, _stock_low(available=MAX_STOCK)),
    ("a score", OrderRated, _rated()),
    ("an extension", AutoConfirmExtended, _extended()),
    ("evidence with a link", DisputeEvidenceAdded, _evidence()),
]

# (what, model, data, field): every row is refused, and the error names the field.
REFUSED = [
    ("an amount of 2^53", Money, _money(amount=MAX_AMOUNT + 1), "amount"),
    ("an amount of 2^63", Money, _money(amount=2**63), "amount"),
    ("a negative amount", Money, _money(amount=-1), "amount"),
    ("an amount given as true", Money, _money(amount=True), "amount"),
    ("an amount given as a string", Money, _money(amount="1000"), "amount"),
    ("an amount given as a float", Money, _money(amount=1000.0), "amount"),
    ("currency ZZZ", Money, _money(currency="ZZZ"), "currency"),
    ("currency BTC", Money, _money(currency="BTC"), "currency"),
    ("currency XXX (no currency)", Money, _money(currency="XXX"), "currency"),
    ("a lower-case currency", Money, _money(currency="cny"), "currency"),
    ("country ZZ", Address, _address(country="ZZ"), "country"),
    ("a quantity above the maximum", LineItem, _line(quantity=MAX_QUANTITY + 1), "quantity"),
    ("a zero quantity", LineItem, _line(quantity=0), "quantity"),
    ("a quantity given as true", LineItem, _line(quantity=True), "quantity"),
    ("a quantity given as a string", LineItem, _line(quantity="2"), "quantity"),
    ("a 257-character title", LineItem, _line(title="茶" * 257), "title"),
    ("a title with NUL", LineItem, _line(title="tea\x00"), "title"),
    ("a title with a lone surrogate", LineItem, _line(title="tea\udbe4"), "title"),
    ("a title with a line break", LineItem, _line(title="tea\nleaf"), "title"),
    ("an empty title", LineItem, _line(title=""), "title"),
    ("a 65-character SKU", LineItem, _line(sku="S" * 65), "sku"),
    ("an empty SKU", LineItem, _line(sku=""), "sku"),
    ("a SKU with a space", LineItem, _line(sku="TEA 1"), "sku"),
    ("a SKU with an ideographic space", LineItem, _line(sku="TEA\u30001"), "sku"),
    ("a SKU with NUL", LineItem, _line(sku="TEA\x00"), "sku"),
    ("a SKU with a slash (it could never be a path segment)", LineItem, _line(sku="TEA/1"), "sku"),
    ("a SKU with a percent sign", LineItem, _line(sku="TEA%2F1"), "sku"),
    ("a SKU of one dot (a dot segment, dropped from a path)", LineItem, _line(sku="."), "sku"),
    ("a SKU of two dots", LineItem, _line(sku=".."), "sku"),
    ("a SKU of dots only", LineItem, _line(sku="...."), "sku"),
    ("a SKU with a lone surrogate", LineItem, _line(sku="TEA\udbe4"), "sku"),
    ("a SKU given as a number", LineItem, _line(sku=1), "sku"),
    ("a 65-character city", Address, _address(city="市" * 65), "city"),
    ("a street with NUL", Address, _address(street="a\x00b"), "street"),
    ("a receiver without a name", Receiver, _receiver(name=""), "name"),
    ("a 33-character phone", Receiver, _receiver(phone="1" * 33), "phone"),
    (
        "a stock figure above the maximum",
        StockLow,
        _stock_low(available=MAX_STOCK + 1),
        "available",
    ),
    (
        "a purchase limit above the largest quantity",
        StockLow,
        _stock_low(purchase_limit=MAX_QUANTITY + 1),
        "purchase_limit",
    ),
    ("a score given as true", OrderRated, _rated(description_score=True), "description_score"),
    (
        "extension days given as a float",
        AutoConfirmExtended,
        _extended(extension_days=3.0),
        "extension_days",
    ),
    (
        "an attachment with a space",
        DisputeEvidenceAdded,
        _evidence(attachments=["a b"]),
        "attachments",
    ),
]


@pytest.mark.parametrize(("what", "model", "data"), ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_a_value_at_its_bound_is_accepted(
    what: str, model: type[Any], data: dict[str, Any]
) -> None:
    assert model.model_validate(data) == model.model_validate_json(json.dumps(data), strict=True)


@pytest.mark.parametrize(
    ("what", "model", "data", "field"), REFUSED, ids=[row[0] for row in REFUSED]
)
def test_a_value_past_its_bound_is_refused_naming_the_field(
    what: str, model: type[Any], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)

    assert {str(error["loc"][0]) for error in refused.value.errors()} == {field}


# JSON text cannot carry a lone surrogate, and JSON Schema counts 3.0 as an integer (pydantic's
# strict JSON decoding, which every reader uses, refuses it).
SCHEMA_REFUSED = [row for row in REFUSED if "surrogate" not in row[0] and "float" not in row[0]]


@pytest.mark.parametrize(
    ("what", "model", "data", "field"), SCHEMA_REFUSED, ids=[row[0] for row in SCHEMA_REFUSED]
)
def test_the_json_schema_refuses_what_the_model_refuses(
    what: str, model: type[Any], data: dict[str, Any], field: str
) -> None:
    schema = model.model_json_schema()

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())


def test_text_is_stored_nfc_normalised_and_bounded_after_normalising() -> None:
    decomposed = "e\u0301" * 256  # 512 code points, 256 once composed
    item = LineItem.model_validate(_line(title=decomposed))

    assert item.title == "\u00e9" * 256
    assert TypeAdapter(Text).validate_python("Cafe\u0301\nbar") == "Caf\u00e9\nbar"


def test_free_text_keeps_line_breaks_but_refuses_nul_and_its_length_bound() -> None:
    text = TypeAdapter(Text)

    assert text.validate_python("a\nb\tc") == "a\nb\tc"
    assert text.validate_python("字" * 2000) == "字" * 2000
    for refused in ("a\x00b", "字" * 2001, "\udbe4"):
        with pytest.raises(ValidationError):
            text.validate_python(refused)


def test_identifiers_are_kept_exactly_as_issued() -> None:
    decomposed = "e\u0301-1"

    assert TypeAdapter(Identifier).validate_python(decomposed) == decomposed


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("corr-O-1001", False),
        ("张三 · reaction:order.paid", False),
        ("c" * MAX_ATTRIBUTE_LENGTH, False),
        ("c" * (MAX_ATTRIBUTE_LENGTH + 1), True),
        ("", True),
        ("a\tb", True),
        ("a\x7fb", True),
        ("a\x85b", True),
        ("a\udbe4", True),
    ],
)
def test_an_envelope_attribute_is_one_line_of_128_characters_at_most(
    value: str, refused: bool
) -> None:
    assert (attribute_refusal(value) is not None) is refused
    envelope = example_envelope(example_payloads()["order.paid"])
    fields = envelope.model_dump() | {"data": envelope.data}
    for attribute in ("correlationid", "causationid", "actorid"):
        if refused:
            with pytest.raises(ValidationError) as error:
                Envelope(**{**fields, attribute: value})
            assert {str(e["loc"][0]) for e in error.value.errors()} == {attribute}
        else:
            assert getattr(Envelope(**{**fields, attribute: value}), attribute) == value


def test_money_arithmetic_cannot_leave_the_bounds() -> None:
    largest = Money(amount=MAX_AMOUNT, currency="CNY")

    with pytest.raises(ValidationError):
        largest + Money(amount=1, currency="CNY")
    with pytest.raises(ValidationError):
        Money(amount=0, currency="CNY") - Money(amount=1, currency="CNY")


def test_the_schema_publishes_the_iso_code_lists() -> None:
    currency = MONEY_SCHEMA["$defs"]["Money"]["properties"]["currency"]
    address = event_schema(REGISTRY.model("order.placed", 1))["$defs"]["Address"]

    assert {"CNY", "USD", "EUR"} <= set(currency["enum"])
    assert not {"BTC", "ZZZ", "XXX"} & set(currency["enum"])
    assert "CN" in address["properties"]["country"]["enum"]
    assert "ZZ" not in address["properties"]["country"]["enum"]
    assert MONEY_SCHEMA["$defs"]["Money"]["properties"]["amount"]["maximum"] == 2**53 - 1


def _leaves(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node that describes a scalar, with a readable path."""
    if isinstance(node, dict):
        if node.get("type") in ("string", "integer", "number"):
            yield path, node
        for key, value in node.items():
            if key not in ("enum", "default", "examples", "const"):
                yield from _leaves(value, f"{path}/{key}")
    elif isinstance(node, list):
        for position, item in enumerate(node):
            yield from _leaves(item, f"{path}/{position}")


@pytest.mark.parametrize("path", SCHEMAS, ids=[str(p.relative_to(ROOT)) for p in SCHEMAS])
def test_every_string_and_integer_of_every_schema_is_bounded(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    unbounded = []
    for where, leaf in _leaves(schema, ""):
        kind = leaf["type"]
        if kind == "string" and not (
            "maxLength" in leaf
            or "enum" in leaf
            or "const" in leaf
            or leaf.get("format") == "date-time"
        ):
            unbounded.append(where)
        if (
            kind == "string"
            and "enum" not in leaf
            and "const" not in leaf
            and "format" not in leaf
            and "pattern" not in leaf
        ):
            unbounded.append(f"{where} (no pattern: NUL would pass)")
        if kind in ("integer", "number") and "maximum" not in leaf and "enum" not in leaf:
            unbounded.append(where)

    assert unbounded == []


def test_the_schema_walk_reaches_nested_and_nullable_fields() -> None:
    schema = json.loads((ROOT / "contracts/schemas/order.placed/v1.json").read_text())
    found = {where for where, _ in _leaves(schema, "")}

    assert {
        "/$defs/Money/properties/amount",
        "/$defs/LineItem/properties/quantity",
        "/properties/order_id",
        "/properties/buyer_note/anyOf/0",
        "/$defs/Address/properties/postal_code/anyOf/0",
    } <= found


def test_every_example_payload_is_inside_the_bounds() -> None:
    for payload in example_payloads().values():
        data = payload.model_dump_json()
        assert type(payload).model_validate_json(data, strict=True) == payload
        jsonschema.validate(json.loads(data), event_schema(type(payload)))


def test_sku_quantity_shares_the_quantity_bound() -> None:
    assert SkuQuantity(sku="k", quantity=MAX_QUANTITY).quantity == MAX_QUANTITY
    with pytest.raises(ValidationError):
        SkuQuantity(sku="k", quantity=MAX_QUANTITY + 1)
