"""Upcasters: functions that lift an event's JSON data from one version to the next.

Declare one next to the event it upgrades and list it in the module's `UPCASTERS`::

    @upcaster("order.placed", from_version=1)
    def _placed_v1_to_v2(data: JsonObject) -> JsonObject:
        return {**data, "goods_kind": "physical"}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

JsonObject = dict[str, Any]
Lift = Callable[[JsonObject], JsonObject]


class Sealer(Protocol):
    """Seals a clear personal value of an older event for its data subject.

    Given the old event's data (to find its order and buyer) and the clear value, validated as
    the value type the current version seals (a `Receiver`, a `Signer`), returns the
    `contracts.sealing.Sealed` JSON. Only a reader holding the data keys can give one.
    """

    def __call__(self, data: JsonObject, value: BaseModel, /) -> JsonObject: ...


SealingLift = Callable[[JsonObject, Sealer], JsonObject]


class SealerRequired(Exception):
    """An older event holds clear personal data and the reader gave no sealer to lift it."""


@dataclass(frozen=True, slots=True)
class Upcaster:
    """Lifts the data of `event_type` from `from_version` to `from_version + 1`.

    A sealing upcaster (`sealing=True`) replaces clear personal data by sealed data and needs
    the reader's `Sealer`.
    """

    event_type: str
    from_version: int
    lift: Lift | SealingLift
    sealing: bool = False

    def apply(self, data: JsonObject, sealer: Sealer | None) -> JsonObject:
        if not self.sealing:
            return self.lift(data)  # type: ignore[call-arg]
        if sealer is None:
            raise SealerRequired(
                f"{self.event_type} v{self.from_version} holds clear personal data; "
                "reading it needs the data keys"
            )
        return self.lift(data, sealer)  # type: ignore[call-arg]


def upcaster(event_type: str, *, from_version: int) -> Callable[[Lift], Upcaster]:
    """Declare the function below as the upcaster of `event_type` from `from_version`."""

    def declare(lift: Lift) -> Upcaster:
        return Upcaster(event_type=event_type, from_version=from_version, lift=lift)

    return declare


def sealing_upcaster(event_type: str, *, from_version: int) -> Callable[[SealingLift], Upcaster]:
    """Declare the function below as an upcaster that seals clear personal data."""

    def declare(lift: SealingLift) -> Upcaster:
        return Upcaster(event_type=event_type, from_version=from_version, lift=lift, sealing=True)

    return declare


def seal_fields(**fields: type[BaseModel]) -> SealingLift:
    """A sealing lift that seals the named top-level fields, each validated as its value type
    (`seal_fields(receiver=Receiver)`); absent or null ones stay."""

    def lift(data: JsonObject, sealer: Sealer) -> JsonObject:
        sealed = {
            name: sealer(data, model.model_validate(data[name]))
            for name, model in fields.items()
            if data.get(name) is not None
        }
        return {**data, **sealed}

    return lift
