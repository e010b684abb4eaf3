"""The compatibility check catches breaking schema changes and accepts compatible ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from contracts import REGISTRY
from contracts.compatibility import JsonSchema, breaking_changes, schema_set_problems
from contracts.events.order import OrderPaid, OrderPlaced
from contracts.schemas import event_schema, schema_files

PAID = event_schema(OrderPaid)
PLACED = event_schema(OrderPlaced)


def _changed(schema: JsonSchema, change: Callable[[JsonSchema], Any]) -> JsonSchema:
    copied = copy.deepcopy(schema)
    change(copied)
    return copied


def _remove_required(schema: JsonSchema, name: str) -> None:
    del schema["properties"][name]
    schema["required"].remove(name)


BREAKING: dict[str, tuple[JsonSchema, JsonSchema, str]] = {
    "removing a required field": (
        PAID,
        _changed(PAID, lambda s: _remove_required(s, "paid_at")),
        "field 'paid_at': was removed",
    ),
    "removing an optional field": (
        PLACED,
        _changed(PLACED, lambda s: s["properties"].pop("buyer_note")),
        "field 'buyer_note': was removed",
    ),
    "changing a type": (
        PAID,
        _changed(PAID, lambda s: s["properties"]["paid_at"].update(type="integer")),
        "field 'paid_at': type changed from string to integer",
    ),
    "changing a nested type": (
        PAID,
        _changed(PAID, lambda s: s["$defs"]["Money"]["properties"]["amount"].update(type="string")),
        "field 'amount.amount': type changed from integer to string",
    ),
    "adding a required field": (
        PAID,
        _changed(
            PAID,
            lambda s: (
                s["properties"].update(channel={"type": "string"}),
                s["required"].append("channel"),
            ),
        ),
        "field 'channel': was added as a required field",
    ),
    "making an optional field required": (
        PLACED,
        _changed(PLACED, lambda s: s["required"].append("buyer_note")),
        "field 'buyer_note': became required",
    ),
    "making a required field optional": (
        PAID,
        _changed(PAID, lambda s: s["required"].remove("paid_at")),
        "field 'paid_at': is no longer required",
    ),
    "narrowing an enum": (
        PAID,
        _changed(PAID, lambda s: s["$defs"]["PaymentMethod"]["enum"].remove("card")),
        "field 'method': no longer accepts ['card'] (enum narrowed)",
    ),
    "making a nullable field non-nullable": (
        PLACED,
        _changed(
            PLACED, lambda s: s["properties"]["buyer_note"].update(anyOf=[{"type": "string"}])
        ),
        "field 'buyer_note': no longer accepts null",
    ),
    "tightening a maximum length": (
        PAID,
        _changed(PAID, lambda s: s["properties"]["payment_id"].update(maxLength=10)),
        "field 'payment_id': maxLength tightened from 64 to 10",
    ),
    "changing a pattern": (
        PAID,
        _changed(
            PAID, lambda s: s["$defs"]["Money"]["properties"]["currency"].update(pattern="^CNY$")
        ),
        "field 'amount.currency': pattern changed",
    ),
    "changing the items of a list": (
        PLACED,
        _changed(
            PLACED, lambda s: s["$defs"]["LineItem"]["properties"]["quantity"].update(type="string")
        ),
        "field 'items[].quantity': type changed from integer to string",
    ),
}

COMPATIBLE: dict[str, tuple[JsonSchema, JsonSchema]] = {
    "no change": (PAID, PAID),
    "adding an optional field": (
        PAID,
        _changed(PAID, lambda s: s["properties"].update(note={"type": "string", "default": None})),
    ),
    "widening an enum": (
        PAID,
        _changed(PAID, lambda s: s["$defs"]["PaymentMethod"]["enum"].append("unionpay")),
    ),
    "rewording a description": (
        PAID,
        _changed(PAID, lambda s: s["properties"]["paid_at"].update(description="Paid then.")),
    ),
    "loosening a maximum length": (
        PAID,
        _changed(PAID, lambda s: s["properties"]["payment_id"].update(maxLength=128)),
    ),
    "making a field nullable": (
        PAID,
        _changed(
            PAID,
            lambda s: s["properties"].update(
                paid_at={"anyOf": [s["properties"]["paid_at"], {"type": "null"}]}
            ),
        ),
    ),
}


@pytest.mark.parametrize("change", BREAKING, ids=list(BREAKING))
def test_compatibility_check_rejects_a_breaking_change(change: str) -> None:
    old, new, expected = BREAKING[change]

    problems = [str(breach) for breach in breaking_changes(old, new)]

    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize("change", COMPATIBLE, ids=list(COMPATIBLE))
def test_compatibility_check_accepts_a_compatible_change(change: str) -> None:
    old, new = COMPATIBLE[change]

    assert breaking_changes(old, new) == []


def test_every_current_schema_is_compatible_with_itself() -> None:
    for model in REGISTRY.all_models():
        schema = event_schema(model)
        assert breaking_changes(schema, schema) == [], model.event_type


def test_schema_set_check_names_the_event_version_and_the_way_out() -> None:
    baseline = {"order.paid/v1.json": PAID}
    current = {"order.paid/v1.json": _changed(PAID, lambda s: _remove_required(s, "amount"))}

    (problem,) = schema_set_problems(baseline, current)

    assert problem.startswith("order.paid v1: field 'amount': was removed")
    assert "new version of order.paid with an upcaster" in problem


def test_schema_set_check_rejects_dropping_a_published_version() -> None:
    (problem,) = schema_set_problems({"order.paid/v1.json": PAID}, {})

    assert "order.paid v1: schema was published but the version is no longer registered" in problem


def test_schema_set_check_accepts_a_breaking_change_made_as_a_new_version() -> None:
    v2 = _changed(PAID, lambda s: _remove_required(s, "amount"))
    baseline = {"order.paid/v1.json": PAID}
    current = {"order.paid/v1.json": PAID, "order.paid/v2.json": v2}

    assert schema_set_problems(baseline, current) == []


def test_generated_schema_files_are_deterministic() -> None:
    assert schema_files(REGISTRY) == schema_files(REGISTRY)
