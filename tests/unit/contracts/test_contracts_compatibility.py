"""The compatibility check catches breaking schema changes and accepts compatible ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from contracts import REGISTRY
from contracts.compatibility import (
    JsonSchema,
    breaking_changes,
    schema_set_problems,
    schema_set_review,
)
from contracts.events.order import OrderPaid, OrderPlaced
from contracts.revisions import CURRENT_REVISION, REVISION_KEY, REVISIONS
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


def _as_revision_1(schema: JsonSchema) -> JsonSchema:
    """`schema` as first published: no revision mark, no amount maximum, no currency list."""

    def loosen(copied: JsonSchema) -> None:
        copied.pop(REVISION_KEY)
        money = copied["$defs"]["Money"]["properties"]
        money["amount"].pop("maximum")
        money["currency"].pop("enum")

    return _changed(schema, loosen)


def test_a_tightening_declared_by_a_newer_revision_is_accepted_and_said_so() -> None:
    baseline = {"order.paid/v1.json": _as_revision_1(PAID)}
    current = {"order.paid/v1.json": PAID}

    findings = schema_set_review(baseline, current)

    assert schema_set_problems(baseline, current) == []
    assert {finding.accepted_as for finding in findings} == {2}
    assert any("maximum tightened from None to 9007199254740991" in str(f) for f in findings)
    assert any("'amount.currency': now restricted to" in str(f) for f in findings)


def test_a_tightening_without_a_new_revision_is_breaking() -> None:
    baseline = {"order.paid/v1.json": _as_revision_1(PAID) | {REVISION_KEY: CURRENT_REVISION}}
    current = {"order.paid/v1.json": PAID}

    problems = schema_set_problems(baseline, current)

    assert len(problems) == 2
    way_out = f"declare it in a new revision (contracts/revisions.py, now {CURRENT_REVISION})"
    assert all(way_out in p for p in problems)


def test_a_tightening_no_revision_declares_is_breaking() -> None:
    baseline = {"order.paid/v1.json": _as_revision_1(PAID)}
    tightened = _changed(PAID, lambda s: s["properties"]["payment_id"].update(maxLength=10))

    (problem,) = schema_set_problems(baseline, {"order.paid/v1.json": tightened})

    assert problem.startswith("order.paid v1: field 'payment_id': maxLength tightened")


def test_a_new_revision_never_excuses_a_structural_change() -> None:
    baseline = {"order.paid/v1.json": _as_revision_1(PAID)}
    current = {"order.paid/v1.json": _changed(PAID, lambda s: _remove_required(s, "paid_at"))}

    problems = schema_set_problems(baseline, current)

    assert any(
        p.startswith("order.paid v1: field 'paid_at': was removed - breaking") for p in problems
    )


def test_revisions_are_numbered_one_by_one_and_every_tightening_says_why() -> None:
    assert [revision.number for revision in REVISIONS] == list(range(1, CURRENT_REVISION + 1))
    assert PAID[REVISION_KEY] == CURRENT_REVISION
    for revision in REVISIONS:
        for tightening in revision.tightenings:
            assert tightening.keyword in {
                "maximum",
                "minimum",
                "maxLength",
                "minLength",
                "pattern",
                "enum",
            }
            assert tightening.fields
            assert len(tightening.why_safe) > 40
