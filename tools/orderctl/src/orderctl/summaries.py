"""One-line summaries of event data for operators, with personal data masked.

Which fields are personal data comes from the contracts' schemas (`x-pii` marks); for types the
registry does not know, the usual receiver field names are masked as well, so an unknown or
newer event never prints a phone number in full. A sealed value (the receiver since v2 of its
events) is shown as `sealed(<key id>)`: orderctl holds no keys and never opens one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from contracts.catalog import REGISTRY
from contracts.errors import ContractError
from contracts.schemas import event_schema, pii_fields
from eventing.data_keys import is_sealed

_KEPT_ADDRESS_PARTS = frozenset({"country", "province", "city"})
_PERSONAL_NAMES = frozenset({"receiver", "phone", "address", "street", "receiver_name"})
_MONEY_KEYS = frozenset({"amount", "currency"})
MASK = "***"


def mask_name(name: str) -> str:
    """`张三` → `张*`, `Alice` → `A****`: the first character stays."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`: the first three and last four digits stay."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def _mask_value(key: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: v if k in _KEPT_ADDRESS_PARTS else _mask_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(key, item) for item in value]
    if not isinstance(value, str):
        return value
    if "phone" in key:
        return mask_phone(value)
    if "name" in key:
        return mask_name(value)
    return MASK


@cache
def field_order(event_type: str, schema_version: int) -> tuple[str, ...]:
    """The payload's fields in the order the contracts declare them (stored JSON is not)."""
    try:
        return tuple(REGISTRY.model(event_type, schema_version).model_fields)
    except (ContractError, KeyError, LookupError):
        return ()


def in_declared_order(data: Mapping[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    rank = {name: index for index, name in enumerate(order)}
    return dict(sorted(data.items(), key=lambda item: rank.get(item[0], len(rank))))


@cache
def personal_paths(event_type: str, schema_version: int) -> frozenset[str]:
    """Dotted paths of the fields the contracts mark as personal data (empty if unknown)."""
    try:
        model = REGISTRY.model(event_type, schema_version)
    except (ContractError, KeyError, LookupError):
        return frozenset()
    return frozenset(pii_fields(event_schema(model)))


def mask_personal_data(data: Mapping[str, Any], paths: frozenset[str]) -> dict[str, Any]:
    """A copy of `data` with every field at `paths` (or named like a receiver field) masked."""

    def walk(node: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        masked: dict[str, Any] = {}
        for key, value in node.items():
            path = prefix + key
            if is_sealed(value):
                masked[key] = value  # ciphertext: nothing to mask, and it names its key
            elif path in paths or key in _PERSONAL_NAMES:
                masked[key] = _mask_value(key, value)
            elif isinstance(value, Mapping):
                masked[key] = walk(value, path + ".")
            else:
                masked[key] = value
        return masked

    return walk(data, "")


def _flatten(node: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in node.items():
        name = prefix + key
        if is_sealed(value):
            pairs.append((name, f"sealed({value['key_id']})"))
        elif isinstance(value, Mapping) and set(value) == _MONEY_KEYS:
            pairs.append((name, format_money(value["amount"], value["currency"])))
        elif isinstance(value, Mapping) and "street" in value:
            pairs.append((name, format_address(value)))
        elif isinstance(value, Mapping):
            pairs.extend(_flatten(value, name + "."))
        elif isinstance(value, list):
            pairs.append((name, f"[{len(value)}]"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


def format_address(address: Mapping[str, Any]) -> str:
    """An address on one line in label order; masked parts collapse into one `***`."""
    parts: list[str] = []
    for part in ("province", "city", "district", "street", "postal_code"):
        value = address.get(part)
        if value and not (value == MASK and parts and parts[-1] == MASK):
            parts.append(str(value))
    return "".join(parts[:2]) + ("" if len(parts) <= 2 else " " + " ".join(parts[2:]))


def format_money(amount: Any, currency: Any) -> str:
    """Minor units as `129.00 CNY` (two decimals: every catalog currency has them)."""
    if not isinstance(amount, int):
        return f"{amount} {currency}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d} {currency}"


def summarize(
    data: Mapping[str, Any],
    *,
    event_type: str,
    schema_version: int = 1,
    unmasked: bool = False,
    width: int = 200,
) -> str:
    """`key=value` pairs of the event data in one line (the order id left out: it is the row's)."""
    shown = masked_data(
        data, event_type=event_type, schema_version=schema_version, unmasked=unmasked
    )
    shown.pop("order_id", None)
    line = " ".join(f"{key}={value}" for key, value in _flatten(shown))
    return line if len(line) <= width else line[: width - 1] + "…"


def masked_data(
    data: Mapping[str, Any], *, event_type: str, schema_version: int = 1, unmasked: bool = False
) -> dict[str, Any]:
    """The event data as JSON output shows it (masked unless asked otherwise)."""
    ordered = in_declared_order(data, field_order(event_type, schema_version))
    if unmasked:
        return ordered
    return mask_personal_data(ordered, personal_paths(event_type, schema_version))


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return repr(value) if isinstance(value, str) else str(value)


def describe_row(row: Mapping[str, Any], *, unmasked: bool = False) -> str:
    """A read-model row as `column=value` pairs, receiver-like columns masked."""
    shown = dict(row) if unmasked else mask_personal_data(row, frozenset())
    return " ".join(f"{column}={_cell(value)}" for column, value in shown.items())


def describe_value(column: str, value: Any, *, unmasked: bool = False) -> str:
    """One cell as `describe_row` shows it."""
    shown = value if unmasked else mask_personal_data({column: value}, frozenset())[column]
    return _cell(shown)
