"""The CloudEvents JSON event format (structured mode): one JSON object per event.

Used for files, HTTP bodies and the golden examples; `data` is the payload object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from contracts.catalog import REGISTRY
from contracts.envelope import Envelope
from contracts.errors import InvalidAttribute, MalformedEvent
from contracts.registry import EventRegistry
from contracts.upcasting import Sealer
from contracts.wire import WireValue, envelope_from_wire


def to_structured_dict(envelope: Envelope) -> dict[str, Any]:
    """The event as a JSON-ready dict: attributes first, then `data`."""
    return {**envelope.attributes(), "data": envelope.data.model_dump(mode="json")}


def to_structured_json(envelope: Envelope, *, indent: int | None = None) -> bytes:
    """The event as CloudEvents JSON (UTF-8, non-ASCII kept readable)."""
    return json.dumps(to_structured_dict(envelope), ensure_ascii=False, indent=indent).encode()


def from_structured_dict(
    event: Mapping[str, Any], registry: EventRegistry = REGISTRY, sealer: Sealer | None = None
) -> Envelope:
    """Decode a parsed CloudEvents JSON object; raises a `ContractError` subclass if malformed
    (`sealer`: lifts an older version with clear personal data, see `contracts.upcasting`)."""
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"a structured event is a JSON object, not {type(event).__name__}")
    if "data_base64" in event:
        raise InvalidAttribute("data_base64", "binary data is not used by these contracts")
    if "data" not in event:
        raise MalformedEvent("structured event has no 'data' member")
    attributes: dict[str, WireValue] = {}
    for name, value in event.items():
        if name == "data" or value is None:
            continue
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidAttribute(
                name, f"expected a string or integer, got {type(value).__name__}"
            )
        attributes[name] = value
    return envelope_from_wire(attributes, json.dumps(event["data"]), registry, sealer)


def from_structured_json(
    document: str | bytes, registry: EventRegistry = REGISTRY, sealer: Sealer | None = None
) -> Envelope:
    """Decode CloudEvents JSON text; raises a `ContractError` subclass if malformed."""
    try:
        event = json.loads(document, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedEvent(f"not a JSON document: {error}") from None
    return from_structured_dict(event, registry, sealer)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
