"""The three checks before a parcel leaves: receiver, contents, waybill."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.sealing import ErasedValue
from contracts.values import Receiver, SkuQuantity, Waybill, diallable_phone
from logistics_service.domain.carriers import carrier_for
from logistics_service.domain.errors import (
    ContentsMismatch,
    InvalidTrackingNumber,
    ReceiverErased,
    ReceiverIncomplete,
    UnknownCarrier,
)


def merge_quantities(items: Iterable[SkuQuantity]) -> tuple[SkuQuantity, ...]:
    """One line per SKU, quantities added, in order of first appearance."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item.sku] = totals.get(item.sku, 0) + item.quantity
    return tuple(SkuQuantity(sku=sku, quantity=quantity) for sku, quantity in totals.items())


def missing_receiver_fields(receiver: Receiver | None) -> list[str]:
    """Which parts of the receiver a courier could not deliver without (empty when complete)."""
    if receiver is None:
        return ["name", "phone", "address"]
    missing = [] if receiver.name.strip() else ["name"]
    if diallable_phone(receiver.phone) is None:  # the rule placement applies too
        missing.append("phone")
    address = receiver.address
    missing.extend(
        f"address.{part}"
        for part, value in (
            ("province", address.province),
            ("city", address.city),
            ("street", address.street),
        )
        if not value.strip()
    )
    return missing


def check_receiver(receiver: Receiver | ErasedValue | None) -> None:
    """Check 1: name, a plausible phone number and a full address (and a buyer not erased)."""
    if isinstance(receiver, ErasedValue):
        raise ReceiverErased(
            "the buyer's personal data was erased; the parcel has no receiver to ship to",
            key_id=receiver.key_id,
        )
    missing = missing_receiver_fields(receiver)
    if missing:
        raise ReceiverIncomplete(
            "the receiver is incomplete; the buyer must correct the address before dispatch",
            missing=missing,
        )


def check_contents(ordered: Iterable[SkuQuantity], packed: Iterable[SkuQuantity]) -> None:
    """Check 2: exactly the ordered SKUs in exactly the ordered quantities."""
    expected = {item.sku: item.quantity for item in merge_quantities(ordered)}
    actual = {item.sku: item.quantity for item in merge_quantities(packed)}
    if expected == actual:
        return
    short = {sku: n - actual.get(sku, 0) for sku, n in expected.items() if actual.get(sku, 0) < n}
    extra = {sku: n - expected.get(sku, 0) for sku, n in actual.items() if expected.get(sku, 0) < n}
    raise ContentsMismatch(
        "the packed contents do not match the order's items and quantities",
        missing=short,
        unexpected=extra,
    )


def check_waybill(waybill: Waybill) -> None:
    """Check 3: a carrier of the catalogue and a tracking number that carrier issues."""
    carrier = carrier_for(waybill.carrier)
    if carrier is None:
        raise UnknownCarrier(
            f"carrier {waybill.carrier!r} is not in the carrier catalogue",
            carrier=waybill.carrier,
        )
    if not carrier.accepts(waybill.tracking_number):
        raise InvalidTrackingNumber(
            f"{waybill.tracking_number!r} is not a {carrier.name} tracking number"
            f" (e.g. {carrier.example})",
            carrier=carrier.code,
            tracking_number=waybill.tracking_number,
            pattern=carrier.tracking_number_pattern,
        )
