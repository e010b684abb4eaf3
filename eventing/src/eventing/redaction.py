"""Redaction of personal data from what operators read: log lines and dead-letter error headers.

Which fields are personal is the contracts' word (`x-pii`), so a field marked there is redacted
here without a second list. Free text cannot be searched for names or streets, so text is
cleaned of the places values leak into: SQL parameters, pydantic's `input_value=`, and phone
numbers (by the contracts' own phone rule).
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from contracts import REGISTRY
from contracts.schemas import event_schema, pii_fields
from contracts.values import diallable_phone
from eventing.http.masking import mask_phone

REDACTED = "[redacted]"

# SQLAlchemy appends `[parameters: ...]` to a statement error (hidden by every engine we create,
# `hide_parameters=True`; cleaned here too for an engine made elsewhere).
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*\]")
# pydantic: `[type=string_too_long, input_value='...', input_type=str]`.
_INPUT_VALUE = re.compile(r"input_value=[^\n]*?, input_type=")
# A run of at least 7 digits, possibly with a leading + and separators a person would type;
# or, tried first at each place, an identifier whose digits are no phone: a UUID (an order id,
# an event id, a correlation id) or a hex token of 16 or more characters with a letter in it
# (a trace or span id, a digest). 2.6 % of random UUIDs hold a digit run that passes for a
# phone (`9569-0248-4065-9828`), and a line that masked it could not be found by its order id.
_IDENTIFIER_OR_DIGIT_RUN = re.compile(
    r"(?P<identifier>(?<![0-9A-Za-z])(?:"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[0-9]*[a-fA-F])[0-9a-fA-F]{16,}"
    r")(?![0-9A-Za-z]))"
    r"|\+?\d(?:[ \-()]{0,3}\d){6,}"
)
_SEPARATORS = re.compile(r"[ \-()]")
_PHONE_LENGTHS = range(8, 17)  # a diallable phone has 8 (+ and 7) to 16 (+ and 15) characters
_PLAIN = (str, int, float, bool, type(None))
# Exactly these (a NamedTuple such as a TopicPartition is logged as its repr instead).
_COLLECTIONS = (list, tuple, set, frozenset)


@cache
def personal_keys() -> frozenset[str]:
    """Names of the fields any contract marks as personal data (`receiver`, `phone`, ...)."""
    return frozenset(
        path.rsplit(".", 1)[-1]
        for model in REGISTRY.all_models()
        for path in pii_fields(event_schema(model))
    )


def redact(value: Any) -> Any:
    """`value` with personal fields replaced by `REDACTED` at any depth and text scrubbed
    (`scrub_text`); objects other than plain values become their scrubbed `repr`."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, BaseModel):
        return redact(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        keys = personal_keys()
        return {
            name: REDACTED if name in keys else redact(member) for name, member in value.items()
        }
    if type(value) in _COLLECTIONS:
        return type(value)(redact(item) for item in value)
    return scrub_text(repr(value))


def scrub_text(text: str) -> str:
    """`text` without SQL parameters, pydantic input values and phone numbers (masked); the
    digits of a UUID or a hex identifier are kept."""
    text = _SQL_PARAMETERS.sub("[parameters redacted]", text)
    text = _INPUT_VALUE.sub(f"input_value={REDACTED}, input_type=", text)
    return _IDENTIFIER_OR_DIGIT_RUN.sub(_mask_if_phone, text)


def describe_error(error: BaseException) -> str:
    """The exception's type and message as `traceback` writes its last line, scrubbed; a
    pydantic error lists its errors without the input values."""
    if isinstance(error, ValidationError):
        errors = error.errors(include_input=False, include_url=False, include_context=False)
        return scrub_text(
            f"{type(error).__qualname__}: {error.error_count()} validation error(s) for "
            f"{error.title}: {json.dumps(errors, ensure_ascii=False, default=str)}"
        )
    return scrub_text("".join(traceback.format_exception_only(type(error), error)).strip())


def _mask_if_phone(run: re.Match[str]) -> str:
    if run.group("identifier") is not None:
        return run.group()
    digits = _SEPARATORS.sub("", run.group())
    if _holds_phone(digits):
        return mask_phone(digits)
    return run.group()


def _holds_phone(digits: str) -> bool:
    """Whether any part of a digit run is a diallable phone (`contracts.values` rule): a phone
    glued to other digits in a message (`attempt 1 13812345678`) is still a phone."""
    return any(
        diallable_phone(digits[start : start + length]) is not None
        for start in range(len(digits))
        for length in _PHONE_LENGTHS
        if start + length <= len(digits)
    )
