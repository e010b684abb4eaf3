"""What the routers need, built once in `main.create_app`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.clock import Clock
from eventing.events import EventMetadata
from eventing.http.auth import Caller
from eventing.http.commands import CommandRunner
from order_service.application.orders import OrderCommands
from order_service.application.policy_store import PolicyStore

CORRELATION_HEADER = "X-Correlation-Id"


@dataclass(frozen=True, slots=True)
class OrderApiDependencies:
    engine: AsyncEngine
    commands: OrderCommands
    runner: CommandRunner
    policies: PolicyStore
    clock: Clock


def caller_metadata(request: Request, caller: Caller) -> EventMetadata:
    """Events caused by an HTTP caller: its actor, and the request's correlation id."""
    correlation = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
    return EventMetadata(
        correlation_id=correlation[:128], actor=caller.actor.value, actor_id=caller.subject
    )
