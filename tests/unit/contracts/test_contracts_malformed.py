"""Decoding rejects malformed or unknown input with a precise error, never another exception."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from contracts import (
    ContractError,
    InvalidAttribute,
    InvalidPayload,
    KafkaRecord,
    MalformedEvent,
    MissingAttribute,
    UnknownEventType,
    UnknownEventVersion,
    UnsupportedContentType,
    UnsupportedSpecVersion,
    from_kafka,
    from_structured_json,
    to_kafka,
    to_structured_dict,
)
from contracts.examples import example_envelope, example_payloads

Headers = tuple[tuple[str, bytes], ...]


def _record() -> KafkaRecord:
    return to_kafka(example_envelope(example_payloads()["order.paid"]))


def _without(name: str) -> Headers:
    return tuple(header for header in _record().headers if header[0] != name)


def _replaced(name: str, value: bytes) -> Headers:
    return tuple((key, value if key == name else raw) for key, raw in _record().headers)


def _payload_with(**changes: object) -> bytes:
    return json.dumps({**json.loads(_record().value), **changes}).encode()


def _decode(
    headers: Headers | None = None, value: bytes | None = None, key: bytes | None = None
) -> None:
    record = _record()
    from_kafka(
        record.key if key is None else key,
        record.value if value is None else value,
        record.headers if headers is None else headers,
    )


CASES: dict[str, tuple[Callable[[], object], type[ContractError]]] = {
    "missing ce_type": (lambda: _decode(_without("ce_type")), MissingAttribute),
    "missing ce_specversion": (lambda: _decode(_without("ce_specversion")), MissingAttribute),
    "missing ce_id": (lambda: _decode(_without("ce_id")), MissingAttribute),
    "missing ce_dataschema": (lambda: _decode(_without("ce_dataschema")), MissingAttribute),
    "missing ce_sequence": (lambda: _decode(_without("ce_sequence")), MissingAttribute),
    "missing ce_actor": (lambda: _decode(_without("ce_actor")), MissingAttribute),
    "no headers at all": (lambda: _decode(()), MissingAttribute),
    "specversion 0.3": (
        lambda: _decode(_replaced("ce_specversion", b"0.3")),
        UnsupportedSpecVersion,
    ),
    "content type xml": (
        lambda: _decode(_replaced("content-type", b"application/xml")),
        UnsupportedContentType,
    ),
    "unknown type": (lambda: _decode(_replaced("ce_type", b"order.teleported")), UnknownEventType),
    "unknown version": (
        lambda: _decode(_replaced("ce_dataschema", b"https://x.example/order.paid/v9.json")),
        UnknownEventVersion,
    ),
    "dataschema of another type": (
        lambda: _decode(_replaced("ce_dataschema", b"https://x.example/order.placed/v1.json")),
        InvalidAttribute,
    ),
    "wrong source": (
        lambda: _decode(_replaced("ce_source", b"/orderflow/logistics")),
        InvalidAttribute,
    ),
    "id not a uuid": (lambda: _decode(_replaced("ce_id", b"42")), InvalidAttribute),
    "time without offset": (
        lambda: _decode(_replaced("ce_time", b"2025-06-11T08:30:00")),
        InvalidAttribute,
    ),
    "time not a time": (lambda: _decode(_replaced("ce_time", b"yesterday")), InvalidAttribute),
    "sequence not an integer": (
        lambda: _decode(_replaced("ce_sequence", b"seven")),
        InvalidAttribute,
    ),
    "negative sequence": (lambda: _decode(_replaced("ce_sequence", b"-1")), InvalidAttribute),
    "unknown actor": (lambda: _decode(_replaced("ce_actor", b"robot")), InvalidAttribute),
    "control character in the correlation id": (
        lambda: _decode(_replaced("ce_correlationid", b"corr\x07")),
        InvalidAttribute,
    ),
    "C1 control character in the causation id": (
        lambda: _decode(_replaced("ce_causationid", "cmd-\x85".encode())),
        InvalidAttribute,
    ),
    "line break in the actor id": (
        lambda: _decode((*_record().headers, ("ce_actorid", b"B-88\nroot"))),
        InvalidAttribute,
    ),
    "129-character correlation id": (
        lambda: _decode(_replaced("ce_correlationid", b"c" * 129)),
        InvalidAttribute,
    ),
    "non-UTF-8 header": (lambda: _decode(_replaced("ce_type", b"\xff\xfe")), InvalidAttribute),
    "duplicate header": (
        lambda: _decode((*_record().headers, ("ce_type", b"order.paid"))),
        InvalidAttribute,
    ),
    "subject differs from the data": (
        lambda: _decode(_replaced("ce_subject", b"O-9999")),
        InvalidAttribute,
    ),
    "key differs from the subject": (lambda: _decode(key=b"O-9999"), InvalidAttribute),
    "bad JSON": (lambda: _decode(value=b'{"order_id": '), InvalidPayload),
    "non-UTF-8 value": (lambda: _decode(value=b"\xff\xfe\x00"), InvalidPayload),
    "JSON array instead of object": (lambda: _decode(value=b"[1, 2]"), InvalidPayload),
    "amount as a string": (
        lambda: _decode(value=_payload_with(amount={"amount": "29590", "currency": "CNY"})),
        InvalidPayload,
    ),
    "amount as a float": (
        lambda: _decode(value=_payload_with(amount={"amount": 295.9, "currency": "CNY"})),
        InvalidPayload,
    ),
    "lowercase currency": (
        lambda: _decode(value=_payload_with(amount={"amount": 1, "currency": "cny"})),
        InvalidPayload,
    ),
    "unknown payment method": (lambda: _decode(value=_payload_with(method="cash")), InvalidPayload),
    "missing required field": (
        lambda: _decode(value=json.dumps({"order_id": "O-1001", "shop_id": "S-42"}).encode()),
        InvalidPayload,
    ),
    "naive timestamp in the data": (
        lambda: _decode(value=_payload_with(paid_at="2025-06-11T08:42:00")),
        InvalidPayload,
    ),
    "structured: not JSON": (lambda: from_structured_json(b"{not json"), MalformedEvent),
    "structured: a list": (lambda: from_structured_json(b"[]"), MalformedEvent),
    "structured: no data": (
        lambda: from_structured_json(json.dumps(_structured_without("data"))),
        MalformedEvent,
    ),
    "structured: missing type": (
        lambda: from_structured_json(json.dumps(_structured_without("type"))),
        MissingAttribute,
    ),
    "structured: attribute of the wrong JSON type": (
        lambda: from_structured_json(json.dumps({**_structured_without(), "subject": ["O"]})),
        InvalidAttribute,
    ),
}


def _structured_without(name: str | None = None) -> dict[str, object]:
    event = to_structured_dict(example_envelope(example_payloads()["order.paid"]))
    event.pop(name or "", None)
    return event


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_decoding_rejects_malformed_input_with_the_specific_error(case: str) -> None:
    decode, expected = CASES[case]

    with pytest.raises(expected) as raised:
        decode()

    assert isinstance(raised.value, ContractError)
    assert str(raised.value)


def test_decoding_rejects_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType, match=r"order\.teleported"):
        _decode(_replaced("ce_type", b"order.teleported"))


def test_decoding_rejects_a_tombstone() -> None:
    record = _record()

    with pytest.raises(MalformedEvent, match="tombstone"):
        from_kafka(record.key, None, record.headers)


def test_payload_errors_name_the_event_and_the_offending_field() -> None:
    with pytest.raises(InvalidPayload, match=r"order\.paid v1: amount\.currency"):
        _decode(value=_payload_with(amount={"amount": 1, "currency": "cny"}))


def test_structured_mode_accepts_the_sequence_as_a_decimal_string() -> None:
    envelope = example_envelope(example_payloads()["order.paid"], position=7)
    event = {**to_structured_dict(envelope), "sequence": "7"}

    assert from_structured_json(json.dumps(event)) == envelope
