"""A relay in its own process, for crash tests: `python _relay_worker.py DSN BOOTSTRAP BATCH`."""

from __future__ import annotations

import asyncio
import signal
import sys

from eventing.encoding import cloudevents_encoder
from eventing.relay import OutboxRelay, RelayOptions


async def main(dsn: str, bootstrap: str, batch_size: int) -> None:
    relay = OutboxRelay(
        dsn,
        bootstrap,
        cloudevents_encoder("/orderflow/test"),
        RelayOptions(batch_size=batch_size, poll_interval=0.2, standby_interval=0.2),
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, relay.stop)
    await relay.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
