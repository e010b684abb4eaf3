"""Rebuilding an envelope from wire attributes and JSON data, shared by every binding.

Each check raises its own `ContractError` subclass naming the attribute at fault, so a consumer
can dead-letter the message with a reason a person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from contracts.envelope import DATACONTENTTYPE, SPECVERSION, Envelope, parse_schema_uri
from contracts.errors import (
    InvalidAttribute,
    MissingAttribute,
    UnsupportedContentType,
    UnsupportedSpecVersion,
)
from contracts.parties import Actor
from contracts.registry import EventRegistry, describe_validation_error
from contracts.upcasting import Sealer
from contracts.values import MAX_TRACESTATE_LENGTH, SINGLE_LINE_PATTERN, TRACEPARENT_PATTERN

WireValue = str | int


def envelope_from_wire(
    attributes: Mapping[str, WireValue],
    data: str | bytes,
    registry: EventRegistry,
    sealer: Sealer | None = None,
) -> Envelope:
    """The envelope the attributes and data describe, with its payload upcast to the current
    version of its type (`sealer`: for an older version with clear personal data). Unknown
    extension attributes are ignored, as CloudEvents requires."""
    specversion = _text(attributes, "specversion")
    if specversion != SPECVERSION:
        raise UnsupportedSpecVersion(specversion)
    content_type = _optional_text(attributes, "datacontenttype") or DATACONTENTTYPE
    if content_type.split(";")[0].strip().lower() != DATACONTENTTYPE:
        raise UnsupportedContentType(content_type)
    event_type = _text(attributes, "type")
    registry.current_version(event_type)  # an unknown type is reported before anything else
    version = _version(event_type, _text(attributes, "dataschema"))
    model = registry.model(event_type, version)
    source = _text(attributes, "source")
    if source != model.producer.source:
        raise InvalidAttribute("source", f"{event_type} comes from {model.producer.source}")
    subject = _text(attributes, "subject")
    envelope_fields = {
        "id": _uuid(_text(attributes, "id")),
        "time": _time(_text(attributes, "time")),
        "sequence": _integer(attributes, "sequence"),
        "correlationid": _text(attributes, "correlationid"),
        "causationid": _optional_text(attributes, "causationid"),
        "actor": _actor(_text(attributes, "actor")),
        "actorid": _optional_text(attributes, "actorid"),
        **_trace_context(attributes),
    }
    payload = registry.load(event_type, version, data, sealer)
    if payload.order_id != subject:
        raise InvalidAttribute("subject", f"{subject!r} differs from the data's order_id")
    try:
        return Envelope(data=payload, **envelope_fields)
    except ValidationError as error:
        loc = error.errors()[0]["loc"]
        raise InvalidAttribute(
            str(loc[0]) if loc else "?", describe_validation_error(error)
        ) from None


_TRACEPARENT = re.compile(TRACEPARENT_PATTERN)
_TRACESTATE = re.compile(SINGLE_LINE_PATTERN)


def _trace_context(attributes: Mapping[str, WireValue]) -> dict[str, str]:
    """`traceparent` and `tracestate` when the parent is well-formed; a malformed one is
    dropped with its state, as W3C Trace Context asks (the trace restarts, the event stands)."""
    traceparent = attributes.get("traceparent")
    if not isinstance(traceparent, str) or _TRACEPARENT.fullmatch(traceparent) is None:
        return {}
    context = {"traceparent": traceparent}
    tracestate = attributes.get("tracestate")
    if (
        isinstance(tracestate, str)
        and 0 < len(tracestate) <= MAX_TRACESTATE_LENGTH
        and _TRACESTATE.fullmatch(tracestate)
    ):
        context["tracestate"] = tracestate
    return context


def _text(attributes: Mapping[str, WireValue], name: str) -> str:
    value = _optional_text(attributes, name)
    if value is None:
        raise MissingAttribute(name)
    return value


def _optional_text(attributes: Mapping[str, WireValue], name: str) -> str | None:
    value = attributes.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidAttribute(name, f"expected a string, got {type(value).__name__}")
    if not value:
        raise InvalidAttribute(name, "must not be empty")
    return value


def _integer(attributes: Mapping[str, WireValue], name: str) -> int:
    value = attributes.get(name)
    if value is None:
        raise MissingAttribute(name)
    # Integers travel as decimal strings in headers and as JSON numbers in structured mode.
    if isinstance(value, bool):
        raise InvalidAttribute(name, "expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if not value.isascii() or not value.isdigit():
        raise InvalidAttribute(name, f"{value!r} is not a non-negative decimal integer")
    return int(value)


def _version(event_type: str, dataschema: str) -> int:
    named = parse_schema_uri(dataschema)
    if named is None:
        raise InvalidAttribute("dataschema", f"{dataschema!r} names no event schema version")
    if named[0] != event_type:
        raise InvalidAttribute("dataschema", f"{dataschema!r} is not a schema of {event_type}")
    return named[1]


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidAttribute("id", f"{value!r} is not a UUID") from None


def _time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidAttribute("time", f"{value!r} is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise InvalidAttribute("time", f"{value!r} has no UTC offset")
    return moment


def _actor(value: str) -> Actor:
    try:
        return Actor(value)
    except ValueError:
        allowed = ", ".join(actor.value for actor in Actor)
        raise InvalidAttribute("actor", f"{value!r} is not one of {allowed}") from None
