"""The delivery's signer: sealed for the buyer when the delivery is recorded, kept sealed in
the read model, opened only to answer and then masked or shown in full by the caller's role
(`eventing.http.access`), or the erased marker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.events.logistics import Signer
from contracts.sealing import ErasedValue, Sealed
from eventing.http.access import shown_signer
from logistics_service.api.context import LogisticsKit


async def sealed_signer(
    kit: LogisticsKit, receiver: Sealed | None, signed_by: str | None
) -> Sealed | None:
    """`signed_by` sealed under the key of the shipment's (sealed) receiver, the buyer's;
    None without a signer or once the buyer was erased (the delivery is recorded all the same).

    `KeysUnavailable` propagates: the kit answers it with a retryable 503.
    """
    if signed_by is None or receiver is None:
        return None
    sealer = await kit.personal_data.sealer(receiver.key_id)
    return None if sealer is None else sealer.seal(Signer(name=signed_by))


async def shown_signer_of(
    kit: LogisticsKit, stored: Mapping[str, Any] | None, full: bool
) -> str | ErasedValue | None:
    """The stored (sealed) signer opened through the kit's data keys, masked unless `full`."""
    sealed = Sealed.model_validate(stored) if stored else None
    opened = await kit.personal_data.open(sealed, Signer)
    if isinstance(opened, ErasedValue):
        return opened
    return shown_signer(opened.name if opened else None, full)
