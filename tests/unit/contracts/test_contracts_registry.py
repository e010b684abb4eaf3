"""The registry resolves (type, version) to a model and upcasts old versions on read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import Field

from contracts import (
    REGISTRY,
    EventRegistry,
    InvalidPayload,
    JsonObject,
    RegistryError,
    UnknownEventType,
    UnknownEventVersion,
    upcaster,
)
from contracts.events.base import OrderEvent
from contracts.values import Money


class ParcelWeighedV1(OrderEvent):
    """v1: weight in grams as a float, no currency on the fee."""

    event_type = "order.parcel_weighed"
    event_version = 1

    grams: float
    fee_fen: int


class ParcelWeighedV2(OrderEvent):
    """v2: weight as integer grams."""

    event_type = "order.parcel_weighed"
    event_version = 2

    grams: int
    fee_fen: int


class ParcelWeighed(OrderEvent):
    """v3 (current): the fee becomes Money and a carrier is named."""

    event_type = "order.parcel_weighed"
    event_version = 3

    grams: int = Field(ge=0)
    fee: Money
    carrier: str


@upcaster("order.parcel_weighed", from_version=1)
def _grams_become_integers(data: JsonObject) -> JsonObject:
    return {**data, "grams": round(data["grams"])}


@upcaster("order.parcel_weighed", from_version=2)
def _fee_becomes_money(data: JsonObject) -> JsonObject:
    fee = {"amount": data.pop("fee_fen"), "currency": "CNY"}
    return {**data, "fee": fee, "carrier": "unknown"}


def _registry() -> EventRegistry:
    return EventRegistry(
        events=(ParcelWeighedV1, ParcelWeighedV2, ParcelWeighed),
        upcasters=(_fee_becomes_money, _grams_become_integers),
    )


def _json(**fields: Any) -> str:
    return json.dumps({"order_id": "O-1", "shop_id": "S-1", **fields})


def test_reading_v1_runs_the_upcaster_chain_to_v3() -> None:
    payload = _registry().load("order.parcel_weighed", 1, _json(grams=1249.6, fee_fen=1200))

    assert payload == ParcelWeighed(
        order_id="O-1",
        shop_id="S-1",
        grams=1250,
        fee=Money(amount=1200, currency="CNY"),
        carrier="unknown",
    )


def test_reading_v2_runs_only_the_last_upcaster() -> None:
    payload = _registry().load("order.parcel_weighed", 2, _json(grams=800, fee_fen=900))

    assert isinstance(payload, ParcelWeighed)
    assert payload.fee == Money(amount=900, currency="CNY")


def test_reading_the_current_version_needs_no_upcasting() -> None:
    data = _json(grams=5, fee={"amount": 1, "currency": "CNY"}, carrier="SF")

    assert _registry().load("order.parcel_weighed", 3, data).carrier == "SF"  # type: ignore[attr-defined]


def test_old_data_is_validated_against_its_own_version_first() -> None:
    with pytest.raises(InvalidPayload, match=r"order\.parcel_weighed v1: fee_fen"):
        _registry().load("order.parcel_weighed", 1, _json(grams=1.5))


def test_registry_knows_current_version_and_all_versions() -> None:
    registry = _registry()

    assert registry.current_version("order.parcel_weighed") == 3
    assert registry.versions("order.parcel_weighed") == (1, 2, 3)
    assert registry.model("order.parcel_weighed", 1) is ParcelWeighedV1
    assert registry.model("order.parcel_weighed") is ParcelWeighed


def test_a_test_registry_does_not_leak_into_the_default_one() -> None:
    _registry()

    with pytest.raises(UnknownEventType):
        REGISTRY.model("order.parcel_weighed")


def test_registry_refuses_a_version_chain_without_its_upcaster() -> None:
    with pytest.raises(RegistryError, match="no upcaster from v1"):
        EventRegistry(
            events=(ParcelWeighedV1, ParcelWeighedV2, ParcelWeighed),
            upcasters=(_fee_becomes_money,),
        )


def test_registry_refuses_a_gap_in_the_versions() -> None:
    with pytest.raises(RegistryError, match="v2 is missing"):
        EventRegistry(events=(ParcelWeighedV1, ParcelWeighed), upcasters=())


def test_registry_refuses_the_same_version_twice() -> None:
    with pytest.raises(RegistryError, match="registered twice"):
        EventRegistry(events=(ParcelWeighedV1, ParcelWeighedV1))


def test_registry_refuses_an_upcaster_to_an_unregistered_version() -> None:
    with pytest.raises(RegistryError, match="unregistered version"):
        EventRegistry(events=(ParcelWeighedV1,), upcasters=(_grams_become_integers,))


def test_registry_refuses_a_type_that_does_not_name_its_producer() -> None:
    class Misnamed(OrderEvent):
        event_type = "logistics.parcel_lost"

    with pytest.raises(RegistryError, match=r"must read 'order\.<fact_in_snake_case>'"):
        EventRegistry(events=(Misnamed,))


def test_an_upcaster_that_fails_on_bad_old_data_raises_invalid_payload() -> None:
    def broken(data: JsonObject) -> JsonObject:
        return {**data, "grams": data["missing"]}

    registry = EventRegistry(
        events=(ParcelWeighedV1, ParcelWeighedV2, ParcelWeighed),
        upcasters=(upcaster("order.parcel_weighed", from_version=1)(broken), _fee_becomes_money),
    )

    with pytest.raises(InvalidPayload, match="upcast from v1"):
        registry.load("order.parcel_weighed", 1, _json(grams=1.0, fee_fen=1))


def test_unknown_version_of_a_known_type_is_reported_as_such() -> None:
    with pytest.raises(UnknownEventVersion, match="unknown version 4"):
        _registry().load("order.parcel_weighed", 4, _json())
