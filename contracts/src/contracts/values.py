"""The bounded vocabulary of the contracts (money, codes, text, identifiers, quantities) and the
value types built from it; event payloads, API models and JSON Schemas all use these bounds."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

PII_MARK = "x-pii"

MAX_AMOUNT: Final = 2**53 - 1
"""Largest amount of money in minor units: the largest integer every JSON reader (a JavaScript
dashboard included) holds exactly, and far inside int64 even summed over many lines."""

MAX_QUANTITY: Final = 10**6
"""Most units of one SKU in one line, reservation or return (per-buyer purchase limits too)."""

MAX_STOCK: Final = 10**9
"""Largest stock figure (on hand, available, warning line): sums stay far inside int64."""

MAX_IDENTIFIER_LENGTH: Final = 64
MAX_TEXT_LENGTH: Final = 2000
MAX_URI_LENGTH: Final = 2048
MAX_ATTRIBUTE_LENGTH: Final = 128  # an envelope's correlation, causation and actor ids

# Codes in the ISO 4217 list that are no money a buyer pays with: precious metals, bond-market
# units, the IMF's SDR and the ADB's unit of account, the testing code and "no currency".
_NOT_MONEY = frozenset(
    {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
)
CURRENCY_CODES: Final[tuple[str, ...]] = tuple(
    sorted(c.alpha_3 for c in pycountry.currencies if c.alpha_3 not in _NOT_MONEY)
)
"""ISO 4217 currency codes (pycountry's maintained list, without the non-money codes)."""

COUNTRY_CODES: Final[tuple[str, ...]] = tuple(sorted(c.alpha_2 for c in pycountry.countries))
"""ISO 3166-1 alpha-2 country codes (pycountry's maintained list)."""

_NO_SPACE_OR_CONTROL = (
    r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_PATH_SAFE = rf"{_NO_SPACE_OR_CONTROL}/?#%\\"
# Written so that each character has one way to match (no backtracking in any regex engine).
IDENTIFIER_PATTERN: Final = rf"^\.*[^{_PATH_SAFE}.][^{_PATH_SAFE}]*$"
"""An identifier: printable characters, none of them a control character or a space of any kind
(C0, DEL, C1, U+0020, no-break and the Unicode spaces, zero-width space and BOM), nor one that
has a meaning in a URL path (`/ ? # % \\`), and not dots only (`.` and `..` are a path's dot
segments, which HTTP clients remove, RFC 3986 5.2.4): every identifier can stand in a path
segment."""

URI_PATTERN: Final = rf"^[^{_NO_SPACE_OR_CONTROL}]+$"
"""A URI (an attachment's address): printable, no control characters, no spaces."""

SINGLE_LINE_PATTERN: Final = r"^[^\u0000-\u001f\u007f-\u009f]*$"
"""A name or a label: one line, no control characters (C0, DEL, C1)."""

FREE_TEXT_PATTERN: Final = r"^[^\u0000]*$"
"""Free text: anything but NUL (PostgreSQL text cannot hold it); line breaks are allowed."""


def _to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC (serialised as RFC 3339 with `Z`)."""


def _encodable(value: object) -> object:
    # A lone surrogate reaches us from Python's json module; UTF-8 (and PostgreSQL) cannot hold it.
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode (it holds a lone surrogate)") from None
    return value


def _nfc(value: object) -> object:
    # Normalised before the length and pattern checks, so the stored text is what was bounded.
    value = _encodable(value)
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


Line = Annotated[
    str, Strict(), StringConstraints(pattern=SINGLE_LINE_PATTERN), BeforeValidator(_nfc)
]
"""A name or label written by a person (a title, a city): NFC-normalised, valid Unicode, one line
without control characters. Each field gives its length with `Field(max_length=...)`, counted
after normalisation."""

Identifier = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_IDENTIFIER_LENGTH, pattern=IDENTIFIER_PATTERN),
    BeforeValidator(_encodable),
]
"""An opaque identifier issued by the service that owns the thing (order, shop, buyer, case):
1 to 64 printable characters without spaces or control characters, kept exactly as given."""

Text = Annotated[
    str,
    Strict(),
    StringConstraints(max_length=MAX_TEXT_LENGTH, pattern=FREE_TEXT_PATTERN),
    BeforeValidator(_nfc),
]
"""Free text written by a person (a reason, a note, a comment): NFC-normalised, valid Unicode,
no NUL, line breaks allowed, up to 2000 characters."""

AttributeText = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_ATTRIBUTE_LENGTH, pattern=SINGLE_LINE_PATTERN),
    BeforeValidator(_encodable),
]
"""An envelope's text attribute (`correlationid`, `causationid`, `actorid`): 1 to 128
characters, valid Unicode, none of them a control character (C0, DEL, C1), as CloudEvents'
String type requires."""
_ATTRIBUTE: Final = TypeAdapter(AttributeText)

TRACEPARENT_PATTERN: Final = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
MAX_TRACESTATE_LENGTH: Final = 512  # W3C Trace Context: at most 32 members of 512 in all

Traceparent = Annotated[str, Strict(), StringConstraints(pattern=TRACEPARENT_PATTERN)]
"""The W3C `traceparent` of the CloudEvents distributed-tracing extension:
`<version>-<trace id>-<parent span id>-<flags>` in lower-case hex."""

Tracestate = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_TRACESTATE_LENGTH, pattern=SINGLE_LINE_PATTERN),
]
"""The W3C `tracestate` (vendor key=value list) that goes with a `traceparent`."""


def attribute_refusal(value: str) -> str | None:
    """Why `value` cannot be an envelope's text attribute (`AttributeText`), or None: the one
    check the envelope and the HTTP edge (correlation ids, token subjects) share."""
    try:
        _ATTRIBUTE.validate_python(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if first["type"] == "string_pattern_mismatch":
            return "must not contain a control character (U+0000-U+001F, U+007F-U+009F)"
        return str(first["msg"])
    return None


Uri = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=MAX_URI_LENGTH, pattern=URI_PATTERN),
    BeforeValidator(_encodable),
]
"""A link (an attachment): up to 2048 printable characters without spaces."""


@dataclass(frozen=True, slots=True)
class _JsonEnum:
    """Publishes the allowed values of a code in the JSON Schema as an `enum`."""

    values: tuple[str, ...]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["enum"] = list(self.values)
        return schema


def _one_of(values: tuple[str, ...], what: str) -> AfterValidator:
    allowed = frozenset(values)

    def check(code: str) -> str:
        if code not in allowed:
            raise ValueError(f"{code!r} is not an {what}")
        return code

    return AfterValidator(check)


Currency = Annotated[
    str,
    Strict(),
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    _one_of(CURRENCY_CODES, "ISO 4217 currency code"),
    _JsonEnum(CURRENCY_CODES),
]
"""An ISO 4217 currency code such as CNY (`CURRENCY_CODES`)."""

Country = Annotated[
    str,
    Strict(),
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    _one_of(COUNTRY_CODES, "ISO 3166-1 alpha-2 country code"),
    _JsonEnum(COUNTRY_CODES),
]
"""An ISO 3166-1 alpha-2 country code such as CN (`COUNTRY_CODES`)."""


def exact_int(value: object) -> object:
    """Refuses a bool or a float where an integer is expected (for choices such as
    `Literal[3, 5]`, which pydantic's `Strict` does not cover)."""
    if isinstance(value, bool | float):
        raise ValueError(f"must be an integer, not {type(value).__name__}")
    return value


Amount = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT)]
"""Minor units of money (fen, cents): an integer in [0, 2^53 - 1], never a float or a string."""

Quantity = Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)]
"""Units of one SKU: an integer in [1, 10^6]."""

StockFigure = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]
"""A stock level (available, warning line): an integer in [0, 10^9]."""


def personal_data(
    description: str, *, min_length: int | None = None, max_length: int | None = None
) -> Any:
    """A field holding personal data: marked `x-pii` in the JSON Schema so tools can mask it."""
    return Field(
        description=description,
        json_schema_extra={PII_MARK: True},
        min_length=min_length,
        max_length=max_length,
    )


class ContractModel(BaseModel):
    """Base of every payload and value type: immutable, and strict about unknown fields.

    Producers get an error for a misspelt field; readers decode with `extra="ignore"` so an
    optional field added later does not break them (see docs/schema-evolution.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Money(ContractModel):
    """An amount of money: integer minor units (fen, cents) and its currency, never a float."""

    amount: Amount = Field(description="Amount in minor units of the currency (1 CNY = 100).")
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

    country: Country = Field(default="CN", description="ISO 3166-1 alpha-2 country code.")
    province: Line = Field(min_length=1, max_length=64, description="Province or municipality.")
    city: Line = Field(min_length=1, max_length=64, description="City.")
    district: Line | None = Field(default=None, max_length=64, description="District or county.")
    street: Line = Field(
        min_length=1, max_length=256, description="Street, building, unit: the detailed line."
    )
    postal_code: Line | None = Field(default=None, max_length=16, description="Postal code.")


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

    name: Line = personal_data("Receiver's name.", min_length=1, max_length=64)
    phone: Line = personal_data("Receiver's phone number.", min_length=1, max_length=32)
    address: Address = personal_data("Delivery address.")


class LineItem(ContractModel):
    """One line of an order: a SKU at a unit price, some quantity of it."""

    sku: Identifier = Field(description="Stock-keeping unit code of the shop.")
    title: Line = Field(min_length=1, max_length=256, description="Product title at order time.")
    unit_price: Money = Field(description="Price of one unit at order time.")
    quantity: Quantity = Field(description="Units ordered.")


class SkuQuantity(ContractModel):
    """A quantity of one SKU (reserved, released, shipped or returned)."""

    sku: Identifier = Field(description="Stock-keeping unit code of the shop.")
    quantity: Quantity = Field(description="Units.")


class Waybill(ContractModel):
    """The carrier and tracking number a parcel travels under."""

    carrier: str = Field(
        strict=True,
        max_length=16,
        pattern=r"^[A-Z0-9_]{2,16}$",
        description="Carrier code, e.g. SF, ZTO, YTO, JD, EMS.",
    )
    tracking_number: Identifier = Field(
        min_length=4, description="Tracking number issued by the carrier."
    )
