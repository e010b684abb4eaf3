"""Who may see and act on what, and who sees personal data in full: one set of rules for all.

A thing (an order, a shipment, a refund case) belongs to `Parties`: its buyer and its shop.
Buyers see their own, sellers their shop's, platform, ops and system callers everything; a
thing a caller may not see answers 404 exactly like one that does not exist, so its existence
does not leak. Receiver name, phone and street are shown in full only to those who ship or
arbitrate (the buyer, the shop's seller, the platform and system callers); ops and everyone
else see them masked (DOMAIN.md, "Data protection").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.values import Receiver
from eventing.http.auth import Caller, Role
from eventing.http.masking import mask_name, mask_receiver
from eventing.http.problems import ProblemError

FULL_VIEW_ROLES = frozenset({Role.PLATFORM, Role.SYSTEM})
PERSONAL_FIELDS = ("receiver", "signed_by")


@dataclass(frozen=True, slots=True)
class Parties:
    """Whose a thing is: its buyer and its shop (None while not known yet)."""

    buyer_id: str | None
    shop_id: str | None


def may_see(caller: Caller, parties: Parties) -> bool:
    """Platform, ops and system see all; a seller their shop's; a buyer their own."""
    return caller.sees_everything or _is_party(caller, parties)


def sees_personal_data(caller: Caller, parties: Parties) -> bool:
    """Whether `caller` sees receiver data in full (see the module docstring)."""
    return caller.role in FULL_VIEW_ROLES or _is_party(caller, parties)


def shop_scope(caller: Caller, shop_id: str | None) -> str | None:
    """The shop a list is limited to: a seller's own (asking for another is refused)."""
    if caller.role is Role.SELLER:
        if shop_id is not None and shop_id != caller.shop_id:
            raise forbidden("a seller sees their own shop only")
        return caller.shop_id
    return shop_id


def require_buyer(caller: Caller, parties: Parties) -> None:
    if parties.buyer_id is None or not caller.is_buyer(parties.buyer_id):
        raise forbidden("only the buyer can do this")


def require_seller(caller: Caller, parties: Parties) -> None:
    if parties.shop_id is None or not caller.is_seller_of(parties.shop_id):
        raise forbidden("only the seller of the shop can do this")


def require_party(caller: Caller, parties: Parties) -> None:
    if not _is_party(caller, parties):
        raise forbidden("only the buyer or the seller can do this")


def require_platform(caller: Caller, _: Parties) -> None:
    if caller.role is not Role.PLATFORM:
        raise forbidden("only the platform's arbitration staff can do this")


def shown_receiver(receiver: Receiver | None, full: bool) -> Receiver | None:
    if receiver is None or full:
        return receiver
    return mask_receiver(receiver)


def shown_signer(signed_by: str | None, full: bool) -> str | None:
    return signed_by if signed_by is None or full else mask_name(signed_by)


def masked(document: Mapping[str, Any], full: bool) -> dict[str, Any]:
    """A JSON document with its personal-data fields (`receiver`, `signed_by`) masked unless
    `full`; other fields as they are."""
    shown = dict(document)
    if full:
        return shown
    receiver = shown.get("receiver")
    if isinstance(receiver, dict) and not receiver.get("erased"):
        shown["receiver"] = mask_receiver(Receiver.model_validate(receiver)).model_dump(mode="json")
    signed_by = shown.get("signed_by")
    if isinstance(signed_by, str):
        shown["signed_by"] = mask_name(signed_by)
    return shown


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Forbidden", detail)


def _is_party(caller: Caller, parties: Parties) -> bool:
    return (parties.buyer_id is not None and caller.is_buyer(parties.buyer_id)) or (
        parties.shop_id is not None and caller.is_seller_of(parties.shop_id)
    )
