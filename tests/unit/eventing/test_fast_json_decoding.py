"""`decode_json` (orjson) reads every document exactly as `json.loads` does, errors included."""

from __future__ import annotations

import json
import uuid

import pytest

from eventing.encoding import decode_record
from eventing.events import JsonText, decode_json

DOCUMENTS = [
    '{"order_id": "O-1", "amount": {"amount": 37490, "currency": "CNY"}}',
    '{"title": "明前龙井 特级 250g", "note": "请用顺丰", "emoji": "\\ud83c\\udf75"}',
    '{"items": [1, 2.5, -0.0, 1e-7, true, false, null, [], {}], "nested": {"a": [{"b": 1}]}}',
    '{"max": 9223372036854775807, "min": -9223372036854775808, "u64": 18446744073709551615}',
    # Integers beyond 64 bits: orjson would read them as floats.
    '{"big": 123456789012345678901234567890, "below": -9223372036854775809}',
    '{"long_digits": "00000000000000000000000", "x": 1}',
    # What only the stdlib reads (beyond RFC 8259) or reads its own way.
    '{"nan": NaN, "inf": Infinity}',
    '{"huge": 1e400}',
    '{"lone": "\\ud800"}',
    '{"twice": 1, "twice": 2}',
    '  {"padded": true}  ',
    '[1, "a"]',
    '"text"',
    "",
    "{",
    '{"a": 1} trailing',
    "\ufeff{}",
]


def _outcome(decode: object, document: str | bytes) -> str:
    try:
        return repr(("ok", decode(document)))  # type: ignore[operator]
    except ValueError as error:
        return repr(("error", type(error)))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_document_decodes_as_the_stdlib_decodes_it(document: str) -> None:
    assert _outcome(decode_json, document) == _outcome(json.loads, document)
    encoded = document.encode("utf-8", "surrogatepass")
    assert _outcome(decode_json, encoded) == _outcome(json.loads, encoded)


def test_an_integer_beyond_64_bits_stays_an_exact_integer() -> None:
    decoded = decode_json('{"big": 123456789012345678901234567890}')
    assert decoded["big"] == 123456789012345678901234567890
    assert isinstance(decoded["big"], int)


def test_json_text_decoded_ahead_reads_the_same_and_a_bad_one_still_fails_where_read() -> None:
    ahead = JsonText('{"a": {"b": [1, 2]}}')
    ahead.decode()
    assert ahead["a"] == {"b": [1, 2]}
    assert dict(ahead) == {"a": {"b": [1, 2]}}
    broken = JsonText("[1, 2]")
    broken.decode()  # not an object: nothing raised ahead of use
    with pytest.raises(ValueError, match="not a JSON object"):
        broken["a"]


@pytest.mark.parametrize(
    "event_id",
    [
        "12345678-1234-5678-1234-567812345678",
        "{12345678-1234-5678-1234-567812345678}",
        "urn:uuid:12345678-1234-5678-1234-567812345678",
        "12345678123456781234567812345678",
    ],
)
def test_a_record_id_is_read_as_uuid_reads_it(event_id: str) -> None:
    headers = [
        ("ce_id", event_id.encode()),
        ("ce_type", b"order.paid"),
        ("ce_subject", b"O-1"),
        ("ce_sequence", b"2"),
        ("ce_extra", None),
    ]
    record = decode_record("t", 0, 5, b"O-1", b"{}", headers)
    assert record.event_id == uuid.UUID(event_id)
    assert record.headers == tuple(h for h in headers if h[1] is not None)
    assert record.attributes == {
        "id": event_id,
        "type": "order.paid",
        "subject": "O-1",
        "sequence": "2",
    }
