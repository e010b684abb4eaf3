"""An outside consumer needs nothing but the record: its `ce_dataschema` is a URL the producing
service answers with the JSON Schema that validates the record's value (no repository, no
library of ours), and every service serves the AsyncAPI document naming its own broker."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]  # no stubs; the lock has no types-jsonschema
import pytest
from aiokafka import AIOKafkaConsumer

from contracts.envelope import SEQUENCE_DIGITS
from contracts.parties import SERVICES, Service
from eventing.partitions import topic_partitions
from eventing.testing import eventually
from localinfra.flows import Actors
from localinfra.flows.orders import pay, payable, place_order
from localinfra.system import System

pytestmark = pytest.mark.e2e

Record = tuple[dict[str, str], bytes]


async def _records_of(system: System, topic: str, order_id: str) -> list[Record]:
    """Every record of `order_id` on `topic` now, raw: headers as text and the value bytes."""
    partitions = await topic_partitions(system.bootstrap, [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=system.bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    found: list[Record] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                found += [
                    ({name: value.decode() for name, value in r.headers}, r.value or b"")
                    for r in batch
                    if r.key == order_id.encode()
                ]
    finally:
        await consumer.stop()
    return found


async def test_a_consumer_validates_a_record_with_only_its_dataschema(system: System) -> None:
    async with Actors.of(system) as actors:
        placed = await place_order(actors)
        await pay(actors, placed["order_id"], payable())
    order_id = placed["order_id"]

    async def read() -> list[Record]:
        return await _records_of(system, system.topics[Service.ORDER], order_id)

    records = await eventually(
        read, lambda found: len(found) >= 2, message="the order's placed and paid events"
    )

    async with httpx.AsyncClient(timeout=10) as http:  # a plain client: no token, no base URL
        for headers, value in records:
            url = headers["ce_dataschema"]
            response = await http.get(url)
            assert response.status_code == 200, (url, response.text)
            assert response.headers["content-type"] == "application/schema+json"
            schema: dict[str, Any] = response.json()
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker()
            )
            validator.validate(json.loads(value))
            assert url.startswith(f"{system.url(Service.ORDER)}/contracts/schemas/")
            assert schema["x-event-type"] == headers["ce_type"]
    sequences = [headers["ce_sequence"] for headers, _ in records]
    assert all(len(sequence) == SEQUENCE_DIGITS for sequence in sequences)
    assert sorted(sequences) == sorted(sequences, key=int)


async def test_every_service_serves_the_asyncapi_document_of_its_environment(
    system: System,
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for service in SERVICES:
            document = (await http.get(f"{system.url(service)}/contracts/asyncapi.json")).json()
            assert [server["host"] for server in document["servers"].values()] == [system.bootstrap]
            payload = document["components"]["messages"]["order.paid"]["payload"]["$ref"]
            resolved = httpx.URL(f"{system.url(service)}/contracts/asyncapi.json").join(payload)
            assert (await http.get(resolved)).status_code == 200
