"""The one phone rule of the shared `Receiver`: what placement accepts, dispatch accepts."""

from __future__ import annotations

import pytest

from contracts.values import diallable_phone


@pytest.mark.parametrize(
    ("raw", "dialled"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("010-12345678", "01012345678"),
        ("(0571) 8888 8888", "057188888888"),
        ("+852 2123 4567", "+85221234567"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_a_number_a_courier_can_call_is_kept_without_separators(raw: str, dialled: str) -> None:
    assert diallable_phone(raw) == dialled


@pytest.mark.parametrize(
    "raw",
    [
        "+123456",  # six digits: was accepted at placement and refused at dispatch
        "12812345678",  # no mainland mobile starts with 12
        "1381234567",  # one digit short
        "0571-888",  # landline without enough digits
        "+1234567890123456",  # longer than E.164 allows
        "call me",
        "",
    ],
)
def test_anything_else_is_not_a_phone(raw: str) -> None:
    assert diallable_phone(raw) is None
