"""One order from placement to refund is one trace across the three services and Kafka.

The three services run in-process on shared topics, so one in-memory span exporter sees every
span; the buyer's, the payment provider's and the seller's requests continue the test's own
root span (`traceparent` request header), as a client that traces would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from aftersales_service.main import MANIFEST as AFTERSALES
from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.http.auth import Role
from eventing.testing import eventually
from eventing.testing.data_keys import FakeCustodian, with_custodian
from eventing.testing.fixtures import SettingsFactory
from eventing.testing.service import running
from eventing.tracing import current_context
from logistics_service.main import MANIFEST as LOGISTICS
from order_service.main import MANIFEST as ORDER
from tests.integration.aftersales.harness import Aftersales
from tests.integration.logistics.harness import Logistics
from tests.integration.order.harness import BUYER, SHOP, Orders, order_body, payable


@pytest.fixture
async def system(
    spans: InMemorySpanExporter,
    service_settings: SettingsFactory,
    topic_factory: Callable[..., Awaitable[str]],
) -> AsyncIterator[tuple[Orders, Logistics, Aftersales]]:
    topics = {f"topic_{service.value}": await topic_factory() for service in Service}
    async with AsyncExitStack() as stack:
        orders = await stack.enter_async_context(
            running(ORDER, await service_settings(ORDER, **topics), Orders)
        )
        logistics_manifest = with_custodian(LOGISTICS, FakeCustodian())
        logistics = await stack.enter_async_context(
            running(logistics_manifest, await service_settings(LOGISTICS, **topics), Logistics)
        )
        aftersales = await stack.enter_async_context(
            running(AFTERSALES, await service_settings(AFTERSALES, **topics), Aftersales)
        )
        yield orders, logistics, aftersales


def _by_id(spans: Sequence[ReadableSpan]) -> dict[int, ReadableSpan]:
    return {span.context.span_id: span for span in spans}


def _chain(span: ReadableSpan, spans: dict[int, ReadableSpan]) -> list[str]:
    """The names from `span` up to the root, following parents."""
    names = [span.name]
    while span.parent is not None and span.parent.span_id in spans:
        span = spans[span.parent.span_id]
        names.append(span.name)
    return names


def _finished(spans: InMemorySpanExporter) -> Callable[[], Awaitable[Sequence[ReadableSpan]]]:
    async def probe() -> Sequence[ReadableSpan]:
        return spans.get_finished_spans()

    return probe


def _chains(spans: Sequence[ReadableSpan], topic: str, order_id: str) -> list[list[str]]:
    """From each append to `order_id` in `topic`'s service, the span names up to the root."""
    by_id = _by_id(spans)
    return [_chain(append, by_id) for append in _appends(spans, topic, order_id)]


def _appends(spans: Sequence[ReadableSpan], topic: str, order_id: str) -> list[ReadableSpan]:
    return [
        s
        for s in spans
        if s.name == "eventing.append"
        and (s.attributes or {}).get("eventing.topic") == topic
        and (s.attributes or {}).get("eventing.stream_id") == order_id
    ]


async def _published_span_ids(spans: InMemorySpanExporter) -> set[str]:
    finished = spans.get_finished_spans()
    return {f"{s.context.span_id:016x}" for s in finished if s.name.startswith("publish")}


def _holding(order_id: str, count: int) -> Callable[[Sequence[ConsumedEvent]], bool]:
    return lambda records: sum(r.stream_id == order_id for r in records) >= count


async def _stored_traceparents(engine: AsyncEngine, order_id: str) -> list[str | None]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT metadata->>'traceparent' AS traceparent FROM eventing.events"
                " WHERE stream_id = :id ORDER BY stream_version"
            ),
            {"id": order_id},
        )
        return [row.traceparent for row in rows]


async def test_one_order_from_placement_to_refund_is_one_trace_across_kafka(
    spans: InMemorySpanExporter, system: tuple[Orders, Logistics, Aftersales]
) -> None:
    orders, logistics, aftersales = system
    await orders.stocked()
    with trace.get_tracer("test").start_as_current_span("buyer journey") as journey:
        traced = current_context()
        placed = await orders.command("/v1/orders", order_body(), orders.buyer, headers=traced)
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]
        paid = await orders.command(
            f"/v1/orders/{order_id}/payments",
            {"payment_id": "pay-trace-1", "stage": "full", "method": "alipay",
             "amount": {"amount": payable(), "currency": "CNY"}},
            orders.payment_provider,
            headers=traced,
        )  # fmt: skip
        assert paid.status_code == 200, paid.text
        await eventually(
            lambda: logistics.stored_types(order_id), bool, message="shipment requested"
        )
        terms = {"kind": "refund_only", "reason": "changed_mind",
                 "amount": {"amount": payable(), "currency": "CNY"}}  # fmt: skip
        buyer = aftersales.auth(Role.BUYER, BUYER)
        opened = await eventually(
            lambda: aftersales.command(
                f"/v1/orders/{order_id}/refund-cases", terms, buyer, headers=traced
            ),
            lambda r: r.status_code != 409,
            message="payment known to aftersales",
        )
        assert opened.status_code == 201, opened.text
        seller = aftersales.auth(Role.SELLER, "clerk-1", SHOP)
        approved = await aftersales.command(
            f"/v1/refund-cases/{opened.json()['case_id']}/approval", {}, seller, headers=traced
        )
        assert approved.status_code == 200, approved.text
        await orders.order_when(
            order_id, lambda o: o["refunded"]["amount"] == payable(), "refund recorded"
        )
    trace_id = journey.get_span_context().trace_id
    trace_hex = f"{trace_id:032x}"

    order_topic = orders.settings.topic(Service.ORDER)
    logistics_topic = orders.settings.topic(Service.LOGISTICS)
    aftersales_topic = orders.settings.topic(Service.AFTERSALES)
    # The shipment, requested by logistics' policy from the order service's payment; the
    # refund, recorded by the order service's policy from aftersales' refund:
    shipment_requested = [
        "eventing.append",  # logistics
        f"process {order_topic}",
        f"publish {order_topic}",
        "eventing.append",  # order
        "POST /v1/orders/{order_id}/payments",
        "buyer journey",
    ]
    refund_recorded = [
        "eventing.append",  # order
        f"process {aftersales_topic}",
        f"publish {aftersales_topic}",
        "eventing.append",  # aftersales
        "POST /v1/refund-cases/{case_id}/approval",
        "buyer journey",
    ]

    def whole(finished: Sequence[ReadableSpan]) -> bool:
        # A span ends after what it caused may be visible (a publish span once Kafka acked).
        return shipment_requested in _chains(finished, logistics_topic, order_id) and (
            refund_recorded in _chains(finished, order_topic, order_id)
        )

    finished = await eventually(_finished(spans), whole, message="both chains traced")
    for topic in (order_topic, logistics_topic, aftersales_topic):
        appended = _appends(finished, topic, order_id)
        assert appended, f"no append to {topic}"
        assert {s.context.trace_id for s in appended} == {trace_id}

    for service in (orders, logistics, aftersales):
        stored = await _stored_traceparents(service.engine, order_id)
        assert stored, service.service
        assert {tp.split("-")[1] if tp else None for tp in stored} == {trace_hex}
        records = await service.own_events(_holding(order_id, len(stored)))
        headers = [r.attributes.get("traceparent") for r in records if r.stream_id == order_id]
        assert {h.split("-")[1] if h else None for h in headers} == {trace_hex}
        # The header names the relay's publish span, a child of the stored context; the span
        # ends once Kafka acknowledged, which may be after a reader saw the record.
        named = {h.split("-")[2] for h in headers if h}
        await eventually(
            lambda: _published_span_ids(spans), named.issubset, message="publish spans ended"
        )
