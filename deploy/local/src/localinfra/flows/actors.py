"""Who acts: HTTP clients per service and role for one shop and one buyer, and waiting on GETs."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import httpx

from contracts.parties import Service
from eventing.http.auth import Role, TokenIssuer
from eventing.testing import eventually
from localinfra.services import KEEP_ALIVE

Json = dict[str, Any]
Condition = Callable[[Json], bool]


class Urls(Protocol):
    """Anything that knows the services' base URLs (e.g. `localinfra.system.System`)."""

    def url(self, service: Service) -> str: ...


class SystemLike(Urls, Protocol):
    """A running system that also issues the bearer tokens its services accept."""

    tokens: TokenIssuer


@dataclass(frozen=True)
class ServiceUrls:
    """Plain base URLs, e.g. those `make run` prints."""

    order: str
    logistics: str
    aftersales: str

    def url(self, service: Service) -> str:
        return {
            Service.ORDER: self.order,
            Service.LOGISTICS: self.logistics,
            Service.AFTERSALES: self.aftersales,
        }[service]


class UnexpectedAnswer(AssertionError):
    """A service answered a step with another status than the story expects."""


@dataclass
class Actors:
    """HTTP clients per service and role for one shop and one buyer (close with `aclose`)."""

    urls: Urls
    tokens: TokenIssuer
    shop_id: str = field(default_factory=lambda: f"shop-{uuid.uuid4().hex[:10]}")
    buyer_id: str = field(default_factory=lambda: f"buyer-{uuid.uuid4().hex[:10]}")
    # By URL too: a service restarted on another port is reached at its new one.
    _clients: dict[tuple[Service, Role, str], httpx.AsyncClient] = field(default_factory=dict)

    @classmethod
    def of(cls, system: SystemLike) -> Self:
        """Actors (a new shop and buyer) on a running `localinfra.system.System`."""
        return cls(system, system.tokens)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def client(self, service: Service, role: Role) -> httpx.AsyncClient:
        url = self.urls.url(service)
        if (service, role, url) not in self._clients:
            subjects = {Role.BUYER: self.buyer_id, Role.SELLER: f"clerk-of-{self.shop_id}"}
            subject = subjects.get(role, f"{role.value}-1")
            shop = self.shop_id if role is Role.SELLER else None
            token = self.tokens.issue(role, subject, shop)
            self._clients[service, role, url] = httpx.AsyncClient(
                base_url=url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
                limits=KEEP_ALIVE,
            )
        return self._clients[service, role, url]

    async def forget(self, service: Service) -> None:
        """Close the clients of a service (e.g. of its port before a restart)."""
        for key in [key for key in self._clients if key[0] is service]:
            await self._clients.pop(key).aclose()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def send(
        self, service: Service, role: Role, path: str, body: Json | None = None, *,
        method: str = "POST", key: str | None = None, headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:  # fmt: skip
        """One command with an Idempotency-Key (fresh unless `key`); the raw answer."""
        sent = {"Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})}
        return await self.client(service, role).request(method, path, json=body, headers=sent)

    async def command(
        self, service: Service, role: Role, path: str, body: Json | None = None, *,
        expect: int = 200, method: str = "POST",
    ) -> Json:  # fmt: skip
        return answer(await self.send(service, role, path, body, method=method), expect)

    async def get(
        self, service: Service, role: Role, path: str, params: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return await self.client(service, role).get(path, params=params)


def answer(response: httpx.Response, expect: int) -> Json:
    if response.status_code != expect:
        raise UnexpectedAnswer(
            f"{response.request.method} {response.request.url.path}: expected {expect}, "
            f"got {response.status_code}: {response.text[:1000]}"
        )
    body: Json = response.json()
    return body


async def until(
    probe: Callable[[], Awaitable[httpx.Response]],
    condition: Callable[[Json], bool],
    what: str,
    timeout: float = 30.0,
) -> Json:
    """Poll a GET until it answers 200 with a body meeting `condition`."""

    async def body() -> Json | None:
        response = await probe()
        return response.json() if response.status_code == 200 else None

    found = await eventually(
        body, lambda b: b is not None and condition(b), message=what, timeout=timeout
    )
    assert found is not None
    return found
