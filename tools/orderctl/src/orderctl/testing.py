"""Test kit for orderctl's tests: a platform of fresh service databases and topics, events
appended through the event store and published by the relay, and the CLI run as operators run
it (in a thread: each command runs its own event loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from contracts.events.base import EventPayload
from contracts.examples import example_payloads
from contracts.parties import Service
from eventing.codec import ContractsCodec
from eventing.encoding import cloudevents_encoder
from eventing.events import EventMetadata, StreamState
from eventing.relay import OutboxRelay, RelayOptions
from eventing.store import EventStore
from eventing.testing.waiting import eventually
from orderctl.catalog import Catalog
from orderctl.cli import build_app

SERVICES = (Service.ORDER, Service.LOGISTICS, Service.AFTERSALES)
_CODEC = ContractsCodec()


@dataclass
class Platform:
    """Three service databases and topics of one test, and what orderctl needs to find them."""

    bootstrap: str
    urls: dict[Service, str]
    topics: dict[Service, str]
    engines: dict[Service, AsyncEngine] = field(default_factory=dict)

    def store(self, service: Service) -> EventStore:
        return EventStore(self.engines[service], topic=self.topics[service])

    def env(self) -> dict[str, str]:
        values = {f"ORDERCTL_{s.value.upper()}_DB": self.urls[s] for s in SERVICES}
        values.update({f"ORDERCTL_{s.value.upper()}_TOPIC": self.topics[s] for s in SERVICES})
        return {**values, "ORDERCTL_BOOTSTRAP": self.bootstrap, "COLUMNS": "220"}

    async def record(
        self, service: Service, order_id: str, *event_types: str, actor: str = "buyer"
    ) -> list[int]:
        """Append the contracts' example events of these types to the order's stream."""
        examples = example_payloads()
        payloads: list[EventPayload] = [
            examples[t].model_copy(update={"order_id": order_id}) for t in event_types
        ]
        events = [_CODEC.encode(p, EventMetadata(actor=actor, actor_id="u-1")) for p in payloads]
        result = await self.store(service).append(order_id, events, StreamState.ANY)
        return list(result.positions)

    async def publish_outbox(self, service: Service) -> None:
        """Run the service's relay until everything stored is on its topic."""
        head = await self.store(service).head_position()
        relay = OutboxRelay(self.urls[service], self.bootstrap,
                            cloudevents_encoder(service.source),
                            RelayOptions(name=service.value, poll_interval=0.05))  # fmt: skip
        task = asyncio.create_task(relay.run())
        try:
            await eventually(lambda: _checkpoint(self.engines[service]), lambda p: p >= head,
                             message=f"{service.value} outbox published")  # fmt: skip
        finally:
            relay.stop()
            await task


async def _checkpoint(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        value = await connection.scalar(
            text("SELECT coalesce(min(position), 0) FROM eventing.relay_checkpoints")
        )
    return int(value or 0)


async def run_cli(
    platform: Platform,
    *args: str,
    catalog: Catalog | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """`orderctl ARGS` with the platform's configuration in the environment."""
    runner = CliRunner()
    environment = {**platform.env(), **(env or {})}

    def invoke() -> Result:
        # An unexpected exception propagates to the test instead of becoming an exit code.
        return runner.invoke(
            build_app(catalog), list(args), env=environment, input=input, catch_exceptions=False
        )

    return await asyncio.to_thread(invoke)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_one_line_error(result: Result, *fragments: str, code: int = 2) -> None:
    """The command failed with `code` and one line on stderr containing every fragment."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert len(lines(result.stderr)) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


Invoke = Callable[..., Awaitable[Result]]
