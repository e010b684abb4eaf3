"""Value types shared by the events (money, receiver, items, waybill) and their model base."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

PII_MARK = "x-pii"


def _to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC (serialised as RFC 3339 with `Z`)."""

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64)]
"""An opaque identifier issued by the service that owns the thing (order, shop, buyer, case)."""

Text = Annotated[str, StringConstraints(max_length=2000)]
"""Free text written by a person (a reason, a note, a comment)."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 currency code such as CNY."""


def personal_data(description: str) -> Any:
    """A field holding personal data: marked `x-pii` in the JSON Schema so tools can mask it."""
    return Field(description=description, json_schema_extra={PII_MARK: True})


class ContractModel(BaseModel):
    """Base of every payload and value type: immutable, and strict about unknown fields.

    Producers get an error for a misspelt field; readers decode with `extra="ignore"` so an
    optional field added later does not break them (see docs/schema-evolution.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Money(ContractModel):
    """An amount of money: integer minor units (fen, cents) and its currency, never a float."""

    amount: int = Field(ge=0, description="Amount in minor units of the currency (1 CNY = 100).")
    currency: Currency = Field(description="ISO 4217 currency code, e.g. CNY.")

    def __add__(self, other: Money) -> Money:
        return Money(amount=self.amount + self._same_currency(other).amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(amount=self.amount - self._same_currency(other).amount, currency=self.currency)

    def _same_currency(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
        return other


class Address(ContractModel):
    """A postal address in the order of a Chinese shipping label."""

    country: str = Field(
        default="CN", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code."
    )
    province: str = Field(min_length=1, max_length=64, description="Province or municipality.")
    city: str = Field(min_length=1, max_length=64, description="City.")
    district: str | None = Field(default=None, max_length=64, description="District or county.")
    street: str = Field(
        min_length=1, max_length=256, description="Street, building, unit: the detailed line."
    )
    postal_code: str | None = Field(default=None, max_length=16, description="Postal code.")


_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_DIALLABLE_PHONE = re.compile(
    r"1[3-9]\d{9}"  # mainland mobile: 13812345678
    r"|0\d{9,11}"  # mainland landline with its area code: 010-12345678, 0571-8888888
    r"|\+\d{7,15}"  # international, E.164: + and at most 15 digits (+852 2123 4567)
)
PHONE_RULE = (
    "a mainland mobile (1[3-9] and 9 digits), a landline with its area code (0 and 9 to 11 "
    "digits) or an international number (+ and 7 to 15 digits); spaces, dashes and brackets "
    "are ignored"
)


def diallable_phone(raw: str) -> str | None:
    """The receiver's phone as a courier dials it (separators dropped), or None when it is not
    a number a courier can call (`PHONE_RULE`): the one rule placement and dispatch share."""
    phone = _PHONE_SEPARATORS.sub("", raw)
    return phone if _DIALLABLE_PHONE.fullmatch(phone) else None


class Receiver(ContractModel):
    """Who the parcel goes to. All three fields are personal data: mask them where not needed."""

    name: str = personal_data("Receiver's name.")
    phone: str = personal_data("Receiver's phone number.")
    address: Address = personal_data("Delivery address.")


class LineItem(ContractModel):
    """One line of an order: a SKU at a unit price, some quantity of it."""

    sku: Identifier = Field(description="Stock-keeping unit code of the shop.")
    title: str = Field(min_length=1, max_length=256, description="Product title at order time.")
    unit_price: Money = Field(description="Price of one unit at order time.")
    quantity: int = Field(ge=1, description="Units ordered.")


class SkuQuantity(ContractModel):
    """A quantity of one SKU (reserved, released, shipped or returned)."""

    sku: Identifier = Field(description="Stock-keeping unit code of the shop.")
    quantity: int = Field(ge=1, description="Units.")


class Waybill(ContractModel):
    """The carrier and tracking number a parcel travels under."""

    carrier: str = Field(
        pattern=r"^[A-Z0-9_]{2,16}$", description="Carrier code, e.g. SF, ZTO, YTO, JD, EMS."
    )
    tracking_number: str = Field(
        min_length=4, max_length=64, description="Tracking number issued by the carrier."
    )
