"""Each service's `/metrics` after a scripted mix: the request counters (by route template,
problem type, replays and conflicts apart) and the business counters equal what the mix did and
what the services recorded (their topics), each fact once, with no id as a label."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts.envelope import Envelope
from contracts.parties import SERVICES, Service
from eventing.http.auth import Role
from eventing.testing import eventually
from localinfra import flows
from localinfra.flows import Actors
from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
ORDERS = "/v1/orders"
CANCELLATION = "/v1/orders/{order_id}/cancellation"
CASE = "/v1/refund-cases/{case_id}"
Moved = Callable[..., float]


@dataclass
class Page:
    """One scrape of a service's `/metrics`."""

    samples: Samples

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels`."""
        wanted = set(labels.items())
        return sum(value for (sample, have), value in self.samples.items()
                   if sample == name and wanted <= have)  # fmt: skip


@pytest.fixture(scope="module")
async def metered(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """A system of its own, so its counters move with this mix only."""
    logs = run_logs(infra, "e2e-metrics") or tmp_path_factory.mktemp("e2e-metrics-logs")
    running = await start_system(infra, logs, dashboard=True)
    try:
        yield running
    finally:
        await stop_system(running)


def urls(system: System) -> dict[str, str]:
    assert system.dashboard is not None
    return {**{s.value: system.url(s) for s in SERVICES}, "dashboard": system.dashboard.url}


async def scrape(url: str) -> tuple[Page, str]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(f"{url}/metrics")  # no redirect to `/metrics/`
    assert response.status_code == 200
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    return Page(samples), response.text


async def scrape_all(system: System) -> dict[str, Page]:
    return {name: (await scrape(url))[0] for name, url in urls(system).items()}


def delta(before: dict[str, Page], after: dict[str, Page], service: str) -> Moved:
    def moved(name: str, **labels: str) -> float:
        return after[service].total(name, **labels) - before[service].total(name, **labels)

    return moved


async def recorded_on_topics(system: System) -> dict[str, list[Envelope]]:
    return {
        service.value: flows.first_deliveries(
            await flows.published(system.bootstrap, system.topics[service])
        )
        for service in SERVICES
    }


def counted_types(before: dict[str, Page], after: dict[str, Page]) -> dict[str, Counter[str]]:
    """Per service, `orderflow_events_recorded_total` moved by type."""
    counted: dict[str, Counter[str]] = {}
    for service in SERVICES:
        moved = Counter[str]()
        for (name, labels), value in after[service.value].samples.items():
            if name == "orderflow_events_recorded_total":
                was = before[service.value].samples.get((name, labels), 0.0)
                if value - was:
                    moved[dict(labels)["type"]] += int(value - was)
        counted[service.value] = moved
    return counted


async def _the_mix(actors: Actors) -> dict[str, str]:
    """One order paid and refunded in full before shipment; one placed twice with one key
    (a replay), cancelled against a stale version (412), cancelled, cancelled again (409); a
    422 and a 404. Returns the ids the mix used."""
    refunded = await flows.paid_order(actors)
    opened = await flows.open_refund(
        actors, refunded, flows.refund_terms("refund_only", "changed_mind", flows.payable())
    )
    assert (await flows.approve(actors, opened["case_id"]))["refund_status"] == "SUCCESS"
    await flows.order_when(
        actors, refunded, lambda o: o["status"] == "closed", "order closed by the refund"
    )
    await flows.shipment_when(
        actors, refunded, lambda s: s["status"] == "cancelled", "shipment called off"
    )

    body, key = flows.order_body(actors.shop_id), f"place-{actors.shop_id}"
    first = await actors.send(Service.ORDER, Role.BUYER, ORDERS, body, key=key)
    again = await actors.send(Service.ORDER, Role.BUYER, ORDERS, body, key=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    cancelled = first.json()["order_id"]
    path = f"/v1/orders/{cancelled}/cancellation"
    reason = {"reason": "buyer_changed_mind"}
    stale = await actors.send(Service.ORDER, Role.BUYER, path, reason, headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    await flows.cancel(actors, cancelled)
    assert (await actors.send(Service.ORDER, Role.BUYER, path, reason)).status_code == 409

    invalid = await actors.send(Service.ORDER, Role.BUYER, ORDERS, {"shop_id": actors.shop_id})
    assert invalid.status_code == 422
    missing = await actors.get(Service.AFTERSALES, Role.BUYER, "/v1/refund-cases/case-missing-1")
    assert missing.status_code == 404
    return {"refunded": refunded, "cancelled": cancelled, "case": opened["case_id"],
            "missing_type": missing.json()["code"]}  # fmt: skip


async def test_the_counters_of_every_service_equal_what_a_scripted_mix_did(
    metered: System,
) -> None:
    before = await scrape_all(metered)
    async with Actors.of(metered) as actors:
        used = await _the_mix(actors)
    assert metered.dashboard is not None
    async with httpx.AsyncClient(base_url=metered.dashboard.url, timeout=30) as http:
        assert (await http.get("/ready")).status_code == 200

    # Reactions and relays run after the answers: wait until each service's counters equal,
    # type for type, the events it recorded and published for the mix (each fact once).
    async def snapshot() -> tuple[dict[str, Page], dict[str, list[Envelope]]]:
        return await scrape_all(metered), await recorded_on_topics(metered)

    def agree(seen: tuple[dict[str, Page], dict[str, list[Envelope]]]) -> bool:
        pages, topics = seen
        counted = counted_types(before, pages)
        return all(
            counted[service] == Counter(e.data.event_type for e in topics[service])
            for service in counted
        )

    after, topics = await eventually(snapshot, agree, message="counters equal the topics")

    order = delta(before, after, "order")
    assert order("orderflow_events_recorded_total", type="order.placed") == 2  # not the replay
    assert order("orderflow_events_recorded_total", type="order.paid") == 1
    assert order("orderflow_gmv_minor_units_total", currency="CNY", shop="other") == (
        flows.payable()
    )
    assert order("orderflow_orders_cancelled_total", reason="buyer_changed_mind") == 1
    closed = Counter(
        str(getattr(e.data, "reason", "")) for e in topics["order"]
        if e.data.event_type == "order.closed"
    )  # fmt: skip
    assert closed["fully_refunded"] == 1
    for reason, times in closed.items():
        assert order("orderflow_orders_closed_total", reason=reason) == times

    placed = {"service": "order", "method": "POST", "route": ORDERS}
    assert order("orderflow_http_requests_total", **placed, status="201") == 3
    assert order("orderflow_http_idempotent_replays_total", **placed) == 1
    assert order("orderflow_http_problems_total", **placed, status="422",
                 type="validation-error") == 1  # fmt: skip
    cancel = {"method": "POST", "route": CANCELLATION}
    assert order("orderflow_http_conflicts_total", **cancel, status="412",
                 type="version-mismatch") == 1  # fmt: skip
    assert order("orderflow_http_conflicts_total", **cancel, status="409") == 1
    assert order("orderflow_http_requests_total", **cancel, status="200") == 1
    assert order("orderflow_http_request_duration_seconds_count", **cancel) == 3

    aftersales = delta(before, after, "aftersales")
    paid_out = {"trigger": "seller_approved", "kind": "refund_only"}
    assert aftersales("orderflow_refunds_total", **paid_out) == 1
    assert aftersales("orderflow_refunded_minor_units_total", currency="CNY") == flows.payable()
    assert aftersales("orderflow_http_problems_total", method="GET", route=CASE, status="404",
                      type=used["missing_type"]) == 1  # fmt: skip
    assert aftersales("orderflow_http_requests_total", method="POST",
                      route="/v1/refund-cases/{case_id}/approval", status="200") == 1  # fmt: skip

    logistics = delta(before, after, "logistics")
    assert logistics("orderflow_events_recorded_total", type="logistics.shipment_requested") == 1
    called_off = [
        e for e in topics["logistics"] if e.data.event_type == "logistics.shipment_cancelled"
    ]
    assert used["refunded"] in {e.data.order_id for e in called_off}
    assert logistics("orderflow_events_recorded_total", type="logistics.shipment_cancelled") == (
        len(called_off)
    )
    shipment = {"method": "GET", "route": "/v1/shipments/{order_id}", "status": "200"}
    assert logistics("orderflow_http_requests_total", **shipment) >= 1

    dashboard = delta(before, after, "dashboard")
    assert dashboard("orderflow_http_requests_total", route="/ready", status="200") == 1

    for url in urls(metered).values():
        _, page = await scrape(url)
        for private in (*used.values(), actors.shop_id, actors.buyer_id):
            if private != used["missing_type"]:
                assert private not in page
