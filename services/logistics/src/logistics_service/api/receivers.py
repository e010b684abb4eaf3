"""The receiver as a view shows it: kept sealed in the read model, opened only to answer, then
masked or shown in full by the caller's role (`eventing.http.access`), or the erased marker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.sealing import ErasedValue, Sealed
from contracts.values import Receiver
from eventing.http.access import shown_receiver
from logistics_service.api.context import LogisticsKit


async def shown_receiver_of(
    kit: LogisticsKit, stored: Mapping[str, Any] | None, full: bool
) -> Receiver | ErasedValue | None:
    """The stored (sealed) receiver opened through the kit's data keys, masked unless `full`.

    `KeysUnavailable` propagates: the kit answers it with a retryable 503.
    """
    sealed = Sealed.model_validate(stored) if stored else None
    opened = await kit.personal_data.open(sealed, Receiver)
    if isinstance(opened, ErasedValue):
        return opened
    return shown_receiver(opened, full)
