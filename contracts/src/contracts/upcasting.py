"""Upcasters: functions that lift an event's JSON data from one version to the next.

Declare one next to the event it upgrades and list it in the module's `UPCASTERS`::

    @upcaster("order.placed", from_version=1)
    def _placed_v1_to_v2(data: JsonObject) -> JsonObject:
        return {**data, "goods_kind": "physical"}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]
Lift = Callable[[JsonObject], JsonObject]


@dataclass(frozen=True, slots=True)
class Upcaster:
    """Lifts the data of `event_type` from `from_version` to `from_version + 1`."""

    event_type: str
    from_version: int
    lift: Lift


def upcaster(event_type: str, *, from_version: int) -> Callable[[Lift], Upcaster]:
    """Declare the function below as the upcaster of `event_type` from `from_version`."""

    def declare(lift: Lift) -> Upcaster:
        return Upcaster(event_type=event_type, from_version=from_version, lift=lift)

    return declare
