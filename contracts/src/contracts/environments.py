"""Where the local system answers: the ports `make run` gives the broker and the services.

`localinfra` takes its defaults from here, the services derive their default public URL (the
base of every `ce_dataschema`) from here, and the AsyncAPI document names these servers, so
the three cannot drift apart.
"""

from __future__ import annotations

from typing import Final

from contracts.parties import SERVICES, Service

LOCAL_HOST: Final = "127.0.0.1"
LOCAL_KAFKA_PORT: Final = 59092
"""The broker `make run` / `make infra-up` starts (ORDERS_KAFKA_PORT)."""
TEST_KAFKA_PORT: Final = 29192
"""The broker `make test` starts (ORDERS_TEST_KAFKA_PORT)."""
LOCAL_SERVICE_BASE_PORT: Final = 8100
"""`make run` serves order, logistics, aftersales (then the dashboard) from this port on."""


LOCAL_DEPLOYABLES: Final = (*(service.value for service in SERVICES), "dashboard")
"""What `make run` starts, in port order: the three services, then the dashboard."""


def local_service_url(deployable: Service | str, base_port: int = LOCAL_SERVICE_BASE_PORT) -> str:
    """The URL `make run` serves `deployable` at (no trailing slash)."""
    return f"http://{LOCAL_HOST}:{base_port + LOCAL_DEPLOYABLES.index(str(deployable))}"
