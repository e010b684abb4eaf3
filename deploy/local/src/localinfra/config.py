"""Where the local infrastructure lives and which ports it uses; all overridable by environment."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.environments import LOCAL_HOST, LOCAL_KAFKA_PORT, LOCAL_SERVICE_BASE_PORT
from contracts.parties import SERVICES, Service


def _repo_root() -> Path:
    """The checkout this package is installed (editable) from: it holds deploy/local/kafka."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "deploy" / "local" / "kafka" / "pom.xml").is_file():
            return parent
    return Path.cwd()


class ReadSide(StrEnum):
    """Deployables that keep read models of the topics but produce no events (so they are not
    a `contracts.parties.Service`): their own database, process and port after the services'."""

    DASHBOARD = "dashboard"


Deployable = Service | ReadSide
"""A process `make run` starts: one of the three services or a read side."""

REPO_ROOT = _repo_root()
REPLICA_PORT_STEP = 10  # replica r of a service listens on its port + 10 r (`service_port`)
CLOCK_DATABASE = "clock"  # holds the movable time of the whole local system (CLOCK=database)
KAFKA_DIR = REPO_ROOT / "deploy" / "local" / "kafka"


class InfraSettings(BaseSettings):
    """Settings of one local infrastructure instance (`make run` and `make test` use two)."""

    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    infra_home: Path = Field(
        default=REPO_ROOT / ".run" / "local",
        description="Data, logs and pid files of this instance.",
    )
    cache_dir: Path = Field(
        default=REPO_ROOT / ".cache",
        description="Downloaded Kafka jars (shared by every instance).",
    )
    pg_port: int = 55432
    pg_user: str = "postgres"
    kafka_port: int = LOCAL_KAFKA_PORT
    kafka_controller_port: int = 59093
    kafka_brokers: int | None = Field(
        default=None,
        ge=1,
        le=9,
        description="KRaft nodes (broker and controller each) to run; 3 makes a replicated "
        "cluster. Unset: as many as the infra home was formatted with, 1 for a new home. "
        "Node i (from 1) listens on kafka_port + 2(i-1), its controller on "
        "kafka_controller_port + 2(i-1): node 1 keeps the single broker's ports.",
    )
    kafka_heap: str = "768m"
    service_base_port: int = LOCAL_SERVICE_BASE_PORT
    replicas: int = Field(
        default=1,
        ge=1,
        le=9,
        description="Processes per service (`localinfra run --replicas`), each with HTTP and "
        "workers, on one database and one consumer group. Replica 0 keeps the service's port; "
        f"replica r listens {REPLICA_PORT_STEP} × r ports above it. The dashboard runs once.",
    )
    host: str = LOCAL_HOST

    @property
    def logs_dir(self) -> Path:
        return self.infra_home / "logs"

    @property
    def pg_data(self) -> Path:
        return self.infra_home / "postgres" / "data"

    @property
    def kafka_home(self) -> Path:
        return self.infra_home / "kafka"

    @property
    def kafka_broker_count(self) -> int:
        return self.kafka_brokers or 1

    def kafka_node_ports(self, node_id: int) -> tuple[int, int]:
        """Broker and controller port of KRaft node `node_id` (1-based); see `kafka_brokers`."""
        step = 2 * (node_id - 1)
        return self.kafka_port + step, self.kafka_controller_port + step

    @property
    def kafka_bootstrap(self) -> str:
        """Every broker: a client that starts while one is down still finds the cluster."""
        nodes = range(1, self.kafka_broker_count + 1)
        return ",".join(f"{self.host}:{self.kafka_node_ports(node)[0]}" for node in nodes)

    def postgres_dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.pg_user}@{self.host}:{self.pg_port}/{database}"

    def clock_dsn(self) -> str:
        """The database whose clock offset every local service reads (`localinfra clock`)."""
        return self.postgres_dsn(CLOCK_DATABASE)

    def service_port(self, service: str, replica: int = 0) -> int:
        """Where replica `replica` (0: the one every single-replica setup runs) listens."""
        if service == ReadSide.DASHBOARD:
            return self.service_base_port + len(SERVICES) + REPLICA_PORT_STEP * replica
        return (
            self.service_base_port + SERVICES.index(Service(service)) + REPLICA_PORT_STEP * replica
        )


def kafka_version() -> str:
    """The Kafka version pinned in deploy/local/kafka/pom.xml (the one place it is named)."""
    pom = (KAFKA_DIR / "pom.xml").read_text()
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    if match is None:
        raise RuntimeError(f"no <kafka.version> in {KAFKA_DIR / 'pom.xml'}")
    return match.group(1)
