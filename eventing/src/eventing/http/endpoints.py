"""What every command endpoint shares: who acts (built once per request), one outcome body.

The request's `X-Correlation-Id` becomes the events' correlation id, bounded here once by what
the event envelope allows (`contracts.values.AttributeText`: 1 to 128 characters, no control
character; here ASCII too): any other is refused with 400, never recorded into an event a
consumer cannot decode. Without the header a command starts a new flow with a fresh id.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, Field

from contracts.events.base import EventPayload
from contracts.values import MAX_ATTRIBUTE_LENGTH, attribute_refusal
from eventing.aggregate import Decision
from eventing.events import EventMetadata
from eventing.handler import Acting
from eventing.http.auth import Caller
from eventing.http.problems import ProblemError

S = TypeVar("S")
E = TypeVar("E", bound=EventPayload)

CORRELATION_HEADER = "X-Correlation-Id"
MAX_CORRELATION_ID = MAX_ATTRIBUTE_LENGTH  # the envelope's `correlationid` limit


def correlation_id(request: Request) -> str:
    """The request's correlation id, or a new one; 400 when the header cannot be recorded."""
    raw = request.headers.get(CORRELATION_HEADER)
    if raw is None or not raw.strip():
        return str(uuid.uuid4())
    value = raw.strip()
    # ASCII as well: a header's other bytes reach us as Latin-1, not as what the client meant.
    if not value.isascii() or attribute_refusal(value) is not None:
        raise ProblemError(
            400,
            "invalid-correlation-id",
            "The X-Correlation-Id header is not valid",
            f"use 1 to {MAX_CORRELATION_ID} printable ASCII characters",
        )
    return value


def request_acting(request: Request, caller: Caller) -> Acting:
    """Who acts for an HTTP command: the caller's actor and id, the request's correlation."""
    metadata = EventMetadata(
        correlation_id=correlation_id(request), actor=caller.actor.value, actor_id=caller.subject
    )
    return Acting(metadata, caller)


class CommandOutcome(BaseModel):
    """What a command did; services add the fields their callers need next."""

    version: int = Field(description="The new version: send it as If-Match or min_version.")
    events: list[str] = Field(description="Types of the events recorded (empty: no change).")


def recorded_types(decision: Decision[S, E]) -> list[str]:
    """The types of the events a decision recorded, for `CommandOutcome.events`."""
    return [event.event_type for event in decision.events]
