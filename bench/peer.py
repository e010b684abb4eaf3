"""The peer of benchmark 1: the `eventsourcing` library saving new aggregates to PostgreSQL.

Its recorder is synchronous (psycopg 3 with a connection pool), so concurrent writers are
threads, as an application using the library would run them.
"""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench import payloads


class PlacedOrder(Aggregate):
    """An order aggregate whose creation event carries the whole `order.placed` payload."""

    def __init__(self, placed: dict[str, Any]) -> None:
        self.placed = placed


class PeerOrders(Application[uuid.UUID]):
    """The library's application, persisting with its PostgreSQL application recorder."""


def peer_application(dsn: str, writers: int) -> PeerOrders:
    """An application on the database of `dsn`, with a pool big enough for `writers`."""
    parts = urlsplit(dsn)
    return PeerOrders(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/"),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": parts.username or "postgres",
            "POSTGRES_PASSWORD": parts.password or "",
            "POSTGRES_POOL_SIZE": str(writers),
            "POSTGRES_MAX_OVERFLOW": "0",
        }
    )


def save_new_orders(
    application: PeerOrders, writers: int, count: int, placements: payloads.Placements
) -> None:
    """`count` new aggregates saved one per transaction by `writers` threads."""
    run = uuid.uuid4().hex[:6]
    numbers = itertools.count()  # shared by the threads; next() is atomic under the GIL

    def writer(share: int) -> None:
        for n in itertools.islice(numbers, share):
            application.save(PlacedOrder(placements.placed(payloads.order_id(run, n), n)))

    with ThreadPoolExecutor(writers) as pool:
        for outcome in [pool.submit(writer, count // writers) for _ in range(writers)]:
            outcome.result()
