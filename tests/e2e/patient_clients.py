"""Clients that ride out faults as a real client does, and the ledger of what was acknowledged.

A command that met a connection error, a timeout, a 503 or a problem marked `retryable` is sent
again with the same Idempotency-Key, with a growing pause, for a bounded time; the service's
URL is looked up on each attempt, so a service restarted on another port is found again.
Every 2xx command answer is written down: the store must hold its events afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from contracts.parties import Service
from eventing.http.auth import Role
from localinfra.flows import Actors, Json

FIRST_PAUSE, LONGEST_PAUSE = 0.2, 2.0


class GaveUp(AssertionError):
    """A request still failed in a retryable way when the client's patience ran out."""


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """A command a service answered 2xx: its stream must hold `events` ending at `version`."""

    service: Service
    request: str
    stream_id: str
    version: int
    events: tuple[str, ...]


@dataclass
class PatientActors(Actors):
    """`Actors` whose requests are retried through faults (see the module docstring)."""

    patience: float = 180.0  # seconds one request may keep failing before the client gives up
    acknowledged: list[Acknowledged] = field(default_factory=list)
    retried: Counter[str] = field(default_factory=Counter)  # why requests were sent again

    async def send(
        self, service: Service, role: Role, path: str, body: Json | None = None, *,
        method: str = "POST", key: str | None = None, headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:  # fmt: skip
        same_key = key or str(uuid.uuid4())

        async def attempt() -> httpx.Response:
            return await super(PatientActors, self).send(
                service, role, path, body, method=method, key=same_key, headers=headers
            )

        response = await self._patiently(f"{method} {path}", attempt)
        self._write_down(service, f"{method} {path}", response)
        return response

    async def get(
        self, service: Service, role: Role, path: str, params: Mapping[str, str] | None = None
    ) -> httpx.Response:
        async def attempt() -> httpx.Response:
            return await super(PatientActors, self).get(service, role, path, params)

        return await self._patiently(f"GET {path}", attempt)

    async def _patiently(
        self, request: str, attempt: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        deadline = time.monotonic() + self.patience
        pause = FIRST_PAUSE
        while True:
            try:
                response = await attempt()
            except httpx.TransportError as error:  # refused, reset, timed out, cut mid-answer
                reason = type(error).__name__
                if time.monotonic() > deadline:
                    raise GaveUp(f"{request}: still {reason} after {self.patience:.0f}s") from error
            else:
                refused = retry_reason(response)
                if refused is None:
                    return response
                reason = refused
                if time.monotonic() > deadline:
                    raise GaveUp(f"{request}: still {reason} after {self.patience:.0f}s")
            self.retried[reason] += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    def _write_down(self, service: Service, request: str, response: httpx.Response) -> None:
        if not response.is_success:
            return
        body = response.json()
        if isinstance(body, dict) and {"order_id", "version", "events"} <= body.keys():
            self.acknowledged.append(
                Acknowledged(
                    service, request, body["order_id"], body["version"], tuple(body["events"])
                )
            )


def retry_reason(response: httpx.Response) -> str | None:
    """Why a real client would send this request again (None: it would not)."""
    if response.status_code == 503:
        return "503"
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        problem = response.json()
        if problem.get("retryable") is True:
            return f"{response.status_code} {problem.get('code')}"
    return None
