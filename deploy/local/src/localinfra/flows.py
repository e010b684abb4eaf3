"""Small steps that drive the three services through their public APIs, as people would.

Each step sends one command (or waits for one fact), asserts the answer and returns its JSON,
so an end-to-end test or `make demo` reads as the story of an order. `Actors` holds the
HTTP clients of one shop's seller, one buyer, the platform and a system caller, built from
the services' base URLs and a `TokenIssuer` (or from a running `localinfra.system.System`).
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from aiokafka import AIOKafkaConsumer

from contracts.envelope import Envelope
from contracts.kafka_binding import from_kafka
from contracts.parties import Service
from eventing.http.auth import Role, TokenIssuer
from eventing.partitions import topic_partitions
from eventing.testing import eventually
from localinfra.system import System, start_service, wait_ready

Json = dict[str, Any]
Condition = Callable[[Json], bool]
RETRYABLE = "order-payment-not-yet-known"


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


def cny(amount: int) -> Json:
    return {"amount": amount, "currency": "CNY"}


def waybill(carrier: str = "SF") -> Json:
    """A fresh waybill in the carrier's own numbering (SF: 12 digits, ZTO: 15)."""
    digits = 12 if carrier == "SF" else 15
    number = str(random.randrange(10 ** (digits - 1), 10**digits))
    return {"carrier": carrier, "tracking_number": f"SF{number}" if carrier == "SF" else number}


def receiver(name: str = "李雷", street: str = "文三路 90 号", city: str = "杭州市") -> Json:
    province = "上海市" if city == "上海市" else "浙江省"
    return {
        "name": name,
        "phone": "13812345678",
        "address": {"province": province, "city": city, "street": street},
    }


@dataclass(frozen=True)
class Line:
    sku: str
    title: str
    unit_price: int
    quantity: int


TEA = Line("TEA-250", "Longjing tea 250 g", 8800, 2)
CUP = Line("CUP-01", "Celadon cup", 3500, 1)
SHIPPING_FEE, DISCOUNT = 1000, 500


def payable(lines: tuple[Line, ...] = (TEA, CUP)) -> int:
    return sum(line.unit_price * line.quantity for line in lines) + SHIPPING_FEE - DISCOUNT


def order_body(shop_id: str, lines: tuple[Line, ...] = (TEA, CUP), **changes: Any) -> Json:
    body: Json = {
        "shop_id": shop_id,
        "items": [
            {
                "sku": x.sku,
                "title": x.title,
                "unit_price": cny(x.unit_price),
                "quantity": x.quantity,
            }
            for x in lines
        ],
        "receiver": receiver(),
        "shipping_fee": SHIPPING_FEE,
        "discount": DISCOUNT,
        "payable": payable(lines),
    }
    return {**body, **changes}


@dataclass
class Actors:
    """HTTP clients per service and role for one shop and one buyer (close with `aclose`)."""

    urls: Urls
    tokens: TokenIssuer
    shop_id: str = field(default_factory=lambda: f"shop-{uuid.uuid4().hex[:10]}")
    buyer_id: str = field(default_factory=lambda: f"buyer-{uuid.uuid4().hex[:10]}")
    _clients: dict[tuple[Service, Role], httpx.AsyncClient] = field(default_factory=dict)

    @classmethod
    def of(cls, system: SystemLike) -> Actors:
        """Actors (a new shop and buyer) on a running `localinfra.system.System`."""
        return cls(system, system.tokens)

    async def __aenter__(self) -> Actors:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def client(self, service: Service, role: Role) -> httpx.AsyncClient:
        if (service, role) not in self._clients:
            subjects = {Role.BUYER: self.buyer_id, Role.SELLER: f"clerk-of-{self.shop_id}"}
            subject = subjects.get(role, f"{role.value}-1")
            shop = self.shop_id if role is Role.SELLER else None
            token = self.tokens.issue(role, subject, shop)
            self._clients[service, role] = httpx.AsyncClient(
                base_url=self.urls.url(service),
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        return self._clients[service, role]

    async def forget(self, service: Service) -> None:
        """Close the clients of a service that was restarted on another port."""
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


# --- order service -------------------------------------------------------------------------


async def set_stock(actors: Actors, sku: str, on_hand: int) -> Json:
    path = f"/v1/shops/{actors.shop_id}/skus/{sku}/stock"
    return await actors.command(
        Service.ORDER, Role.SELLER, path, {"on_hand": on_hand}, method="PUT"
    )


async def stock(actors: Actors, sku: str) -> Json:
    path = f"/v1/shops/{actors.shop_id}/skus/{sku}/stock"
    return answer(await actors.get(Service.ORDER, Role.SELLER, path), 200)


async def place_order(
    actors: Actors, lines: tuple[Line, ...] = (TEA, CUP), *, on_hand: int = 100, **changes: Any
) -> Json:
    """Stock the shop's SKUs (if `on_hand`), then the buyer places the order (201)."""
    if on_hand:
        for line in lines:
            await set_stock(actors, line.sku, on_hand)
    body = order_body(actors.shop_id, lines, **changes)
    placed = await actors.command(Service.ORDER, Role.BUYER, "/v1/orders", body, expect=201)
    assert placed["status"] in ("awaiting_payment", "awaiting_deposit"), placed
    return placed


def payment(amount: int, stage: str = "full", payment_id: str | None = None) -> Json:
    return {
        "payment_id": payment_id or f"pay-{uuid.uuid4().hex[:16]}",
        "stage": stage,
        "method": "alipay",
        "amount": cny(amount),
    }


async def pay(actors: Actors, order_id: str, amount: int, stage: str = "full") -> Json:
    path = f"/v1/orders/{order_id}/payments"
    return await actors.command(Service.ORDER, Role.BUYER, path, payment(amount, stage))


async def cancel(actors: Actors, order_id: str, reason: str = "buyer_changed_mind") -> Json:
    path = f"/v1/orders/{order_id}/cancellation"
    return await actors.command(Service.ORDER, Role.BUYER, path, {"reason": reason})


async def change_address(actors: Actors, order_id: str, new_receiver: Json) -> Json:
    path = f"/v1/orders/{order_id}/address"
    return await actors.command(Service.ORDER, Role.BUYER, path, {"receiver": new_receiver})


async def order(actors: Actors, order_id: str, min_version: int | None = None) -> Json:
    params = {"min_version": str(min_version)} if min_version else None
    return answer(
        await actors.get(Service.ORDER, Role.BUYER, f"/v1/orders/{order_id}", params), 200
    )


async def order_when(
    actors: Actors, order_id: str, condition: Condition, what: str, timeout: float = 30.0
) -> Json:
    """The order's read model once `condition` holds (policies and deadlines are async)."""
    path = f"/v1/orders/{order_id}"
    probe = lambda: actors.get(Service.ORDER, Role.PLATFORM, path)  # noqa: E731
    return await until(probe, condition, what, timeout)


async def confirm_receipt(actors: Actors, order_id: str) -> Json:
    """Waits until the order service has recorded the shipment, then the buyer confirms."""
    await order_when(actors, order_id, lambda o: o["status"] == "shipped", "order shipped")
    path = f"/v1/orders/{order_id}/receipt-confirmation"
    confirmed = await actors.command(Service.ORDER, Role.BUYER, path)
    assert confirmed["status"] == "completed", confirmed
    return confirmed


async def rate(actors: Actors, order_id: str, scores: tuple[int, int, int] = (5, 5, 4)) -> Json:
    body = {
        "description_score": scores[0],
        "service_score": scores[1],
        "shipping_speed_score": scores[2],
        "comment": "fresh and well packed",
    }
    return await actors.command(Service.ORDER, Role.BUYER, f"/v1/orders/{order_id}/rating", body)


# --- logistics service ---------------------------------------------------------------------


async def shipment_when(
    actors: Actors, order_id: str, condition: Condition, what: str, timeout: float = 30.0
) -> Json:
    path = f"/v1/shipments/{order_id}"
    probe = lambda: actors.get(Service.LOGISTICS, Role.SELLER, path)  # noqa: E731
    return await until(probe, condition, what, timeout)


async def shipment_requested(actors: Actors, order_id: str, timeout: float = 30.0) -> Json:
    """The shipment once logistics has requested it from the order's payment."""
    requested: Condition = lambda s: s["status"] != "not_requested"  # noqa: E731
    return await shipment_when(actors, order_id, requested, f"shipment of {order_id}", timeout)


def dispatch_body(shipment: Json, parcel_waybill: Json | None = None) -> Json:
    return {"waybill": parcel_waybill or waybill(), "items": shipment["items"]}


async def dispatch(actors: Actors, order_id: str, parcel_waybill: Json | None = None) -> Json:
    """Waits for the shipment request, then the seller hands the parcel to the carrier."""
    shipment = await shipment_requested(actors, order_id)
    path = f"/v1/shipments/{order_id}/dispatch"
    body = dispatch_body(shipment, parcel_waybill)
    dispatched = await actors.command(Service.LOGISTICS, Role.SELLER, path, body)
    assert dispatched["recorded"] == ["logistics.shipped"], dispatched
    return dispatched


async def deliver(actors: Actors, order_id: str, parcel_waybill: Json | None = None) -> Json:
    body: Json = {"signed_by": "本人"}
    if parcel_waybill is not None:
        body["waybill"] = parcel_waybill
    path = f"/v1/shipments/{order_id}/delivery"
    delivered = await actors.command(Service.LOGISTICS, Role.SYSTEM, path, body)
    assert delivered["status"] == "delivered", delivered
    return delivered


async def open_exception(actors: Actors, order_id: str, kind: str, description: str) -> Json:
    path = f"/v1/shipments/{order_id}/exceptions"
    body = {"kind": kind, "description": description}
    return await actors.command(Service.LOGISTICS, Role.SELLER, path, body, expect=201)


async def reship(actors: Actors, order_id: str, exception_id: str, new_waybill: Json) -> Json:
    path = f"/v1/shipments/{order_id}/exceptions/{exception_id}/resolution"
    body = {"resolution": "reshipped", "new_waybill": new_waybill}
    return await actors.command(Service.LOGISTICS, Role.SELLER, path, body)


# --- aftersales service --------------------------------------------------------------------


def refund_terms(kind: str, reason: str, amount: int, items: list[Json] | None = None) -> Json:
    return {"kind": kind, "reason": reason, "amount": cny(amount), "items": items or []}


async def open_refund(
    actors: Actors, order_id: str, terms: Json, *, awaiting: tuple[str, ...] = (RETRYABLE,)
) -> Json:
    """The buyer asks for a refund; retried (same key) while aftersales answers one of the
    `awaiting` codes, i.e. has not yet seen the payment (or the shipment) it depends on."""
    key = str(uuid.uuid4())
    path = f"/v1/orders/{order_id}/refund-cases"

    async def attempt() -> httpx.Response:
        return await actors.send(Service.AFTERSALES, Role.BUYER, path, terms, key=key)

    def settled(response: httpx.Response) -> bool:
        return response.status_code != 409 or response.json().get("code") not in awaiting

    response = await eventually(attempt, settled, message=f"refund case opened on {order_id}")
    opened = answer(response, 201)
    assert opened["refund_status"] == "WAIT_SELLER_AGREE", opened
    return opened


async def refusal(actors: Actors, order_id: str, terms: Json) -> Json:
    """The problem aftersales answers a refund request it refuses (once it knows the payment)."""
    key = str(uuid.uuid4())
    path = f"/v1/orders/{order_id}/refund-cases"

    async def attempt() -> httpx.Response:
        return await actors.send(Service.AFTERSALES, Role.BUYER, path, terms, key=key)

    def settled(response: httpx.Response) -> bool:
        return response.status_code != 409 or response.json().get("code") != RETRYABLE

    response = await eventually(attempt, settled, message=f"refund refused on {order_id}")
    assert response.status_code >= 400, response.text
    problem: Json = response.json()
    return problem


async def case_command(actors: Actors, role: Role, case_id: str, action: str, body: Json) -> Json:
    path = f"/v1/refund-cases/{case_id}/{action}"
    return await actors.command(Service.AFTERSALES, role, path, body)


async def approve(actors: Actors, case_id: str, return_address: Json | None = None) -> Json:
    body = {"return_address": return_address} if return_address else {}
    return await case_command(actors, Role.SELLER, case_id, "approval", body)


async def ship_return(actors: Actors, case_id: str) -> Json:
    return await case_command(
        actors, Role.BUYER, case_id, "return-shipment", {"waybill": waybill()}
    )


async def confirm_return(actors: Actors, case_id: str) -> Json:
    return await case_command(actors, Role.SELLER, case_id, "return-receipt", {"note": "all back"})


async def case(actors: Actors, case_id: str, min_version: int | None = None) -> Json:
    params = {"min_version": str(min_version)} if min_version else None
    path = f"/v1/refund-cases/{case_id}"
    return answer(await actors.get(Service.AFTERSALES, Role.PLATFORM, path, params), 200)


async def case_when(
    actors: Actors, case_id: str, condition: Callable[[Json], bool], what: str
) -> Json:
    path = f"/v1/refund-cases/{case_id}"
    return await until(lambda: actors.get(Service.AFTERSALES, Role.PLATFORM, path), condition, what)


async def cases_of(actors: Actors, order_id: str) -> list[Json]:
    """Every refund case of the order (platform view)."""
    response = await actors.get(
        Service.AFTERSALES, Role.PLATFORM, "/v1/refund-cases", {"order_id": order_id}
    )
    items: list[Json] = answer(response, 200)["items"]
    return items


# --- whole stories -------------------------------------------------------------------------


async def paid_order(actors: Actors, lines: tuple[Line, ...] = (TEA, CUP)) -> str:
    """An order placed and paid in full; returns its id once logistics requested the parcel."""
    placed = await place_order(actors, lines)
    paid = await pay(actors, placed["order_id"], payable(lines))
    assert paid["status"] == "awaiting_shipment", paid
    await shipment_requested(actors, placed["order_id"])
    return str(placed["order_id"])


async def delivered_order(actors: Actors, lines: tuple[Line, ...] = (TEA, CUP)) -> str:
    """An order paid, dispatched, delivered, and known as shipped by the order service."""
    order_id = await paid_order(actors, lines)
    await dispatch(actors, order_id)
    await deliver(actors, order_id)
    await order_when(actors, order_id, lambda o: o["status"] == "shipped", "order shipped")
    return order_id


# --- the topics, as any outside consumer reads them ----------------------------------------


async def published(bootstrap: str, topic: str) -> list[Envelope]:
    """Every event on `topic` now, in partition order, decoded (so validated) by the contracts.

    Raises the contracts' `ContractError` for any record that does not follow them.
    """
    partitions = await topic_partitions(bootstrap, [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    envelopes: list[Envelope] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                envelopes.extend(from_kafka(r.key, r.value, r.headers) for r in batch)
    finally:
        await consumer.stop()
    return envelopes


async def published_when(
    bootstrap: str, topic: str, condition: Callable[[list[Envelope]], bool], what: str
) -> list[Envelope]:
    """Read the whole topic again until `condition` holds for what it holds."""

    async def read() -> list[Envelope]:
        return await published(bootstrap, topic)

    return await eventually(read, condition, message=what)


def types_of(envelopes: list[Envelope], order_id: str) -> list[str]:
    """The event types of one order, first deliveries only, in the order they were published."""
    return [e.data.event_type for e in first_deliveries(envelopes) if e.subject == order_id]


def has_types(order_id: str, types: list[str]) -> Callable[[list[Envelope]], bool]:
    """Condition: the order's events on a topic are exactly `types` so far."""
    return lambda envelopes: types_of(envelopes, order_id) == types


def first_deliveries(envelopes: list[Envelope]) -> list[Envelope]:
    seen: set[uuid.UUID] = set()
    firsts = []
    for envelope in envelopes:
        if envelope.id not in seen:
            seen.add(envelope.id)
            firsts.append(envelope)
    return firsts


def out_of_order_streams(envelopes: list[Envelope]) -> dict[str, list[int]]:
    """Streams (orders) whose events were not published in stream sequence order.

    A redelivery of an event already seen (same id) is allowed: consumers dedupe by id.
    """
    sequences: dict[str, list[int]] = {}
    for envelope in first_deliveries(envelopes):
        sequences.setdefault(envelope.subject, []).append(envelope.sequence)
    return {
        stream: seen
        for stream, seen in sequences.items()
        if any(later <= earlier for earlier, later in itertools.pairwise(seen))
    }


# --- faults: a service process killed and started again ------------------------------------


def kill(system: System, service: Service) -> None:
    """SIGKILL one service's process: no shutdown, no flush, as a crash would."""
    running = system.services[service]
    running.process.kill()
    running.process.wait()


async def restart(system: System, service: Service) -> None:
    """Start a killed service again on its database, topics and consumer groups (new port)."""
    running = system.services[service]
    await running.engine.dispose()
    again = start_service(
        service, running.database_url, system.topics, system.infra, system.run,
        running.log_file.parent,
    )  # fmt: skip
    system.services[service] = again
    await wait_ready(again)
