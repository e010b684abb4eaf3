"""The CloudEvents 1.0 envelope around every event payload, with our extension attributes.

Attributes that follow from the payload (`type`, `source`, `subject`, `dataschema`) are derived
from it, so an envelope can never disagree with its data.
"""

from __future__ import annotations

import re
from typing import Final
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.events.base import EventPayload
from contracts.parties import Actor
from contracts.values import AttributeText, Traceparent, Tracestate, UtcDatetime

SPECVERSION: Final = "1.0"
DATACONTENTTYPE: Final = "application/json"
SCHEMA_BASE_URI: Final = "https://orderflow.example/contracts/schemas/"
"""Base of every schema's `$id`: its name, the same in every deployment (the checked-in files
never change for a deployment). Where a deployment serves them is `SCHEMAS_PATH` under a
service's public URL, which the services put in `dataschema` (`schema_uri(..., base=...)`)."""
SCHEMAS_PATH: Final = "/contracts/schemas/"
"""Where every service serves the schemas over HTTP, relative to its public URL."""
SEQUENCE_DIGITS: Final = 19
"""`sequence` is zero-padded to this width (a PostgreSQL bigint has at most 19 digits), so the
values sort as strings, as the CloudEvents sequence extension requires (docs/events.md)."""

_SCHEMA_PATH = re.compile(r"/(?P<type>[a-z]+\.[a-z_]+)/v(?P<version>[1-9][0-9]*)\.json$")


def schema_file(event_type: str, version: int) -> str:
    """Path of the JSON Schema of one version of a type, relative to contracts/schemas/."""
    return f"{event_type}/v{version}.json"


def schema_uri(event_type: str, version: int, base: str = SCHEMA_BASE_URI) -> str:
    """The JSON Schema `$id` of one version of a type, or with `base` (ending in `/`) its URL
    under that base (`schemas_base`): the `dataschema` the services publish."""
    return base + schema_file(event_type, version)


def schemas_base(public_url: str) -> str:
    """Where a service reached at `public_url` serves the schemas (ends in `/`)."""
    return public_url.rstrip("/") + SCHEMAS_PATH


def format_sequence(sequence: int) -> str:
    """`sequence` as the wire carries it: decimal, zero-padded to SEQUENCE_DIGITS."""
    return str(sequence).zfill(SEQUENCE_DIGITS)


def parse_schema_uri(uri: str) -> tuple[str, int] | None:
    """The (type, version) a `dataschema` URI names, or None if it names neither."""
    match = _SCHEMA_PATH.search(uri)
    if match is None:
        return None
    return match["type"], int(match["version"])


class Envelope(BaseModel):
    """One event as it travels: CloudEvents attributes, our extensions, and the payload.

    Build one with keyword arguments; `id` defaults to a fresh UUID, `time` must come from the
    caller's clock (the moment the fact happened, UTC).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    data: EventPayload = Field(description="The event payload (its class fixes type/version).")
    time: UtcDatetime = Field(description="When the fact happened.")
    sequence: int = Field(ge=0, description="Position of the event in its aggregate's stream.")
    correlationid: AttributeText = Field(description="Shared by every event of one business flow.")
    actor: Actor = Field(description="Who caused the event.")
    id: UUID = Field(default_factory=uuid4, description="Unique id of this event.")
    causationid: AttributeText | None = Field(
        default=None, description="The command or event that caused it."
    )
    actorid: AttributeText | None = Field(
        default=None, description="Id of the person or job acting."
    )
    traceparent: Traceparent | None = Field(
        default=None,
        description="W3C trace context of the trace the event belongs to (CloudEvents "
        "distributed-tracing extension).",
    )
    tracestate: Tracestate | None = Field(
        default=None, description="W3C vendor trace state that goes with `traceparent`."
    )

    @field_validator("data")
    @classmethod
    def _data_is_a_concrete_event(cls, data: EventPayload) -> EventPayload:
        if not hasattr(type(data), "event_type"):
            raise ValueError(f"{type(data).__name__} is not a concrete event (no event_type)")
        return data

    @property
    def specversion(self) -> str:
        return SPECVERSION

    @property
    def type(self) -> str:
        return self.data.event_type

    @property
    def dataversion(self) -> int:
        return self.data.event_version

    @property
    def source(self) -> str:
        return self.data.producer.source

    @property
    def subject(self) -> str:
        return self.data.order_id

    @property
    def datacontenttype(self) -> str:
        return DATACONTENTTYPE

    @property
    def dataschema(self) -> str:
        return schema_uri(self.type, self.dataversion)

    def attributes(self) -> dict[str, str | int]:
        """Every CloudEvents attribute and extension that has a value, in a stable order."""
        attributes: dict[str, str | int] = {
            "specversion": SPECVERSION,
            "id": str(self.id),
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": format_time(self.time),
            "datacontenttype": DATACONTENTTYPE,
            "dataschema": self.dataschema,
            "sequence": format_sequence(self.sequence),
            "correlationid": self.correlationid,
            "actor": self.actor.value,
        }
        if self.causationid is not None:
            attributes["causationid"] = self.causationid
        if self.actorid is not None:
            attributes["actorid"] = self.actorid
        if self.traceparent is not None:
            attributes["traceparent"] = self.traceparent
        if self.tracestate is not None:
            attributes["tracestate"] = self.tracestate
        return attributes

    def data_json(self) -> bytes:
        """The payload as compact JSON, fields in declaration order."""
        return self.data.model_dump_json().encode()


def format_time(moment: UtcDatetime) -> str:
    """RFC 3339 in UTC with a `Z` suffix, as CloudEvents and the JSON Schemas expect."""
    return moment.isoformat().replace("+00:00", "Z")
