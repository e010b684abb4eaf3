"""A subscription in its own process, for crash tests.

`python _subscriber_worker.py DSN BOOTSTRAP TOPIC GROUP`: records every applied event in the
table `applied` (created by the test) and dawdles a little per event, so a SIGKILL lands
mid-batch.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.database import create_engine
from eventing.encoding import ConsumedEvent
from eventing.subscriptions import Subscription, SubscriptionOptions


async def record_applied(event: ConsumedEvent, connection: AsyncConnection) -> None:
    await connection.execute(
        text("INSERT INTO applied (event_id, stream_id, sequence) VALUES (:id, :stream, :seq)"),
        {"id": event.event_id, "stream": event.stream_id, "seq": event.sequence},
    )
    await asyncio.sleep(0.002)


async def main(dsn: str, bootstrap: str, topic: str, group: str) -> None:
    engine = create_engine(dsn)
    subscription = Subscription(
        engine,
        bootstrap,
        SubscriptionOptions(group=group, topics=(topic,), max_batch=100, poll_timeout_ms=100),
        record_applied,
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, subscription.stop)
    try:
        await subscription.run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
