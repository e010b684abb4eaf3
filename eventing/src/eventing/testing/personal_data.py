"""A receiver whose name, phone and street a test can grep for in logs, headers and dumps, and
the logging a service process runs with (`eventing.logs`), for tests that capture its output."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventing.logs import configure_logging

NAME = "欧阳娜娜"
PHONE = "13812345678"
STREET = "西湖区文三路 90 号 7 幢 1203 室"
RECEIVER: dict[str, Any] = {
    "name": NAME,
    "phone": PHONE,
    "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区", "street": STREET},
}


def leaked(text: str) -> list[str]:
    """Which of the receiver's name, phone and street `text` shows in clear."""
    return [secret for secret in (NAME, PHONE, STREET) if secret in text]


@contextmanager
def service_logging() -> Iterator[None]:
    """`configure_logging` for the block; the root logger's handlers are put back after it
    (structlog's configuration is put back by tests/conftest.py after every test)."""
    root = logging.getLogger()
    saved = root.handlers[:]
    configure_logging()
    try:
        yield
    finally:
        root.handlers[:] = saved
