"""Every registered event survives the Kafka binary binding and the structured JSON format."""

from __future__ import annotations

import json
import re
import types
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, ValidationError

from contracts import (
    REGISTRY,
    Actor,
    Envelope,
    EventPayload,
    from_kafka,
    from_structured_json,
    to_kafka,
    to_structured_json,
)
from contracts.examples import example_envelope, example_payloads
from contracts.values import FREE_TEXT_PATTERN, IDENTIFIER_PATTERN, SINGLE_LINE_PATTERN

# Characters every text pattern of the contracts accepts: no control, format, surrogate or space,
# nor one that means something in a URL path (identifiers are path segments).
_PRINTABLE = st.characters(
    exclude_categories=("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"), exclude_characters="/?#%\\"
)
_TEXT_PATTERNS = (IDENTIFIER_PATTERN, SINGLE_LINE_PATTERN, FREE_TEXT_PATTERN)

CURRENT_MODELS = list(REGISTRY.current_models())


def _constraint(metadata: tuple[Any, ...], name: str) -> Any:
    # A `Field(...)` nested in an alias (`Quantity | None`) keeps its bounds in its metadata.
    flat = [part for item in metadata for part in (item, *getattr(item, "metadata", ()))]
    for item in flat:
        value = getattr(item, name, None)
        if value is not None:
            return value
    return None


def strategy_for(annotation: Any, metadata: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
    """Valid values for a field, derived from its annotation and pydantic constraints."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return strategy_for(base, (*metadata, *extra))
    if origin in (Union, types.UnionType):
        return st.one_of([strategy_for(arg, metadata) for arg in get_args(annotation)])
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    if origin is tuple:
        low = _constraint(metadata, "min_length") or 0
        high = _constraint(metadata, "max_length") or low + 3
        return st.lists(strategy_for(get_args(annotation)[0]), min_size=low, max_size=high).map(
            tuple
        )
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_strategy(annotation)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(
            min_value=_constraint(metadata, "ge"), max_value=_constraint(metadata, "le") or 10**12
        )
    if annotation in (datetime, AwareDatetime):
        eight_hours_ahead = timezone(timedelta(hours=8))
        return st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2100, 1, 1),
            timezones=st.sampled_from([UTC, eight_hours_ahead]),
        )
    if annotation is str:
        codes = _constraint(metadata, "values")  # an ISO code list published as an enum
        if codes is not None:
            return st.sampled_from(codes)
        pattern = _constraint(metadata, "pattern")
        low = _constraint(metadata, "min_length") or 0
        high = min(_constraint(metadata, "max_length") or 40, 40)
        if pattern is not None and pattern not in _TEXT_PATTERNS:
            return st.from_regex(pattern, fullmatch=True)
        # The models store text NFC-normalised, which may shorten it: bound it afterwards (and
        # check the pattern, which refuses an identifier of dots only).
        texts = st.text(_PRINTABLE, min_size=low, max_size=max(high, low))
        return texts.map(lambda t: unicodedata.normalize("NFC", t)).filter(
            lambda t: low <= len(t) <= high and (pattern is None or re.fullmatch(pattern, t))
        )
    raise NotImplementedError(f"no strategy for {annotation!r}")


def model_strategy(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    fields = {
        name: strategy_for(field.annotation, tuple(field.metadata))
        for name, field in model.model_fields.items()
    }
    return st.fixed_dictionaries(fields).map(lambda values: model(**values))


def envelope_strategy(payload: st.SearchStrategy[Any]) -> st.SearchStrategy[Envelope]:
    # CloudEvents' String: anything but control characters (and lone surrogates).
    short_text = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40)
    return st.builds(
        Envelope,
        data=payload,
        time=strategy_for(datetime),
        sequence=st.integers(min_value=0, max_value=2**53),
        correlationid=short_text,
        actor=st.sampled_from(list(Actor)),
        causationid=st.none() | short_text,
        actorid=st.none() | short_text,
    )


@pytest.mark.parametrize("model", CURRENT_MODELS, ids=lambda model: model.event_type)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_event_round_trips_through_kafka_and_structured_json(
    model: type[EventPayload], data: st.DataObject
) -> None:
    envelope = data.draw(envelope_strategy(model_strategy(model)))

    record = to_kafka(envelope)

    assert from_kafka(record.key, record.value, record.headers) == envelope
    assert from_structured_json(to_structured_json(envelope)) == envelope


@pytest.mark.parametrize("event_type", REGISTRY.event_types())
def test_every_example_round_trips_through_kafka(event_type: str) -> None:
    envelope = example_envelope(example_payloads()[event_type])

    record = to_kafka(envelope)

    assert from_kafka(record.key, record.value, record.headers) == envelope


def test_kafka_record_is_keyed_by_order_id_with_ce_headers_and_json_value() -> None:
    envelope = example_envelope(example_payloads()["order.paid"], position=7)

    record = to_kafka(envelope)
    headers = dict(record.headers)

    assert record.key == b"O-1001"
    assert json.loads(record.value) == envelope.data.model_dump(mode="json")
    assert headers["ce_type"] == b"order.paid"
    assert headers["ce_source"] == b"/orderflow/order"
    assert headers["ce_subject"] == b"O-1001"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["content-type"] == b"application/json"
    assert headers["ce_dataschema"].endswith(b"/order.paid/v1.json")
    assert headers["ce_sequence"] == b"0000000000000000007"  # sorts as a string
    assert headers["ce_time"] == b"2025-06-11T08:37:00Z"


def test_envelope_derives_its_attributes_from_the_payload() -> None:
    envelope = example_envelope(example_payloads()["aftersales.refunded"])

    assert envelope.type == "aftersales.refunded"
    assert envelope.source == "/orderflow/aftersales"
    assert envelope.subject == envelope.data.order_id
    assert envelope.dataversion == 1
    assert envelope.dataschema.endswith("/aftersales.refunded/v1.json")


def test_envelope_time_is_normalised_to_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    envelope = Envelope(
        data=example_payloads()["order.paid"],
        time=datetime(2025, 6, 11, 16, 30, tzinfo=beijing),
        sequence=1,
        correlationid="corr-1",
        actor=Actor.SYSTEM,
    )

    assert envelope.time == datetime(2025, 6, 11, 8, 30, tzinfo=UTC)
    assert envelope.time.tzinfo == UTC
    assert dict(to_kafka(envelope).headers)["ce_time"] == b"2025-06-11T08:30:00Z"


def test_envelope_refuses_a_naive_time() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Envelope(
            data=example_payloads()["order.paid"],
            time=datetime(2025, 6, 11, 16, 30),
            sequence=1,
            correlationid="corr-1",
            actor=Actor.SYSTEM,
        )


def test_decoding_ignores_extension_attributes_it_does_not_know() -> None:
    envelope = example_envelope(example_payloads()["order.paid"])
    record = to_kafka(envelope)
    headers = (*record.headers, ("ce_traceparent", b"00-abc-def-01"), ("x-other", b"\xff"))

    assert from_kafka(record.key, record.value, headers) == envelope


def test_the_trace_context_round_trips_as_the_distributed_tracing_extension() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    envelope = example_envelope(example_payloads()["order.paid"]).model_copy(
        update={"traceparent": traceparent, "tracestate": "vendor=1"}
    )
    record = to_kafka(envelope)

    assert dict(record.headers)["ce_traceparent"] == traceparent.encode()
    assert dict(record.headers)["ce_tracestate"] == b"vendor=1"
    assert from_kafka(record.key, record.value, record.headers) == envelope


def test_a_malformed_traceparent_is_dropped_with_its_state_and_the_event_kept() -> None:
    envelope = example_envelope(example_payloads()["order.paid"])
    record = to_kafka(envelope)
    headers = (*record.headers, ("ce_traceparent", b"01-xyz"), ("ce_tracestate", b"vendor=1"))

    assert from_kafka(record.key, record.value, headers) == envelope


def test_decoding_ignores_payload_fields_added_by_a_newer_producer() -> None:
    envelope = example_envelope(example_payloads()["order.paid"])
    record = to_kafka(envelope)
    newer_value = json.dumps({**json.loads(record.value), "loyalty_points": 30}).encode()

    assert from_kafka(record.key, newer_value, record.headers) == envelope
