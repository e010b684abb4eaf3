"""Where orderctl finds the platform: the three service databases, Kafka and the topics.

Defaults point at the infrastructure `make run` starts (`LocalRun`); `ORDERCTL_*` variables and
the global options override them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from contracts.parties import SERVICES, Service
from contracts.topics import topic_for
from dashboard_service import NAME as DASHBOARD


class ReadSide(StrEnum):
    """Deployables that keep read models of the topics but produce no events (no event store,
    outbox or relay): only their projections and consumer groups are operated."""

    DASHBOARD = DASHBOARD


Owner = Service | ReadSide
"""Whose database a command works in: a service's or a read side's."""


class LocalRun(BaseSettings):
    """Where `make run` puts PostgreSQL (one database per service, named after it) and Kafka:
    the defaults and `ORDERS_*` variables of deploy/local's `InfraSettings`, repeated here so an
    operators' tool does not need the development package (a unit test keeps them equal)."""

    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    host: str = "127.0.0.1"
    pg_port: int = 55432
    pg_user: str = "postgres"
    kafka_port: int = 59092

    def database(self, service: Owner) -> str:
        return f"postgresql://{self.pg_user}@{self.host}:{self.pg_port}/{service.value}"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"


def _local_database(service: Owner) -> str:
    return LocalRun().database(service)


class OrderctlSettings(BaseSettings):
    """The effective configuration of one orderctl run (`orderctl config` prints it)."""

    model_config = SettingsConfigDict(env_prefix="ORDERCTL_", extra="ignore")

    order_db: str = Field(
        default_factory=lambda: _local_database(Service.ORDER),
        description="PostgreSQL DSN of the order service's database.",
    )
    logistics_db: str = Field(
        default_factory=lambda: _local_database(Service.LOGISTICS),
        description="PostgreSQL DSN of the logistics service's database.",
    )
    aftersales_db: str = Field(
        default_factory=lambda: _local_database(Service.AFTERSALES),
        description="PostgreSQL DSN of the aftersales service's database.",
    )
    dashboard_db: str = Field(
        default_factory=lambda: _local_database(ReadSide.DASHBOARD),
        description="PostgreSQL DSN of the dashboard's database (its figures read model).",
    )
    bootstrap: str = Field(
        default_factory=lambda: LocalRun().bootstrap,
        description="Kafka bootstrap servers (host:port[,host:port]).",
    )
    order_topic: str = Field(default=topic_for(Service.ORDER).name)
    logistics_topic: str = Field(default=topic_for(Service.LOGISTICS).name)
    aftersales_topic: str = Field(default=topic_for(Service.AFTERSALES).name)
    group_prefix: str = Field(
        default="", description="The services' consumer_group_prefix (isolates environments)."
    )
    connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to wait for a database or the broker to answer."
    )

    def database(self, service: Owner) -> str:
        """The DSN of one service's (or read side's) database."""
        return str(getattr(self, f"{service.value}_db"))

    def topic(self, service: Service) -> str:
        """The topic one service publishes to."""
        return str(getattr(self, f"{service.value}_topic"))

    def shown(self) -> dict[str, str]:
        """The configuration as printed: passwords of the DSNs hidden."""
        values = {name: str(value) for name, value in self.model_dump().items()}
        for service in (*SERVICES, *ReadSide):
            name = f"{service.value}_db"
            values[name] = hide_password(values[name])
        return values


def hide_password(dsn: str) -> str:
    """The DSN with its password (if any) replaced by `***`."""
    try:
        return make_url(dsn).render_as_string(hide_password=True)
    except ArgumentError:
        return dsn


def database_location(dsn: str) -> str:
    """`host:port/database` of a DSN, for error messages (never the password)."""
    try:
        url = make_url(dsn)
    except ArgumentError:
        return hide_password(dsn)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
