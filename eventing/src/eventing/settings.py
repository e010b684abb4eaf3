"""Settings every service process reads from its environment (pydantic-settings).

A service subclasses `ServiceSettings` for its own settings (per-shop policy defaults). Every
field is documented in the README, section Configuration.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.envelope import schemas_base
from contracts.environments import (
    LOCAL_DEPLOYABLES,
    LOCAL_HOST,
    LOCAL_KAFKA_PORT,
    local_service_url,
)
from contracts.parties import Service
from contracts.topics import topic_for

DEVELOPMENT_AUTH_SECRET = "orderflow-development-secret-not-for-production"
DEVELOPMENT_PII_KEKS = "dev-1:b3JkZXJmbG93LWRldi1rZWstbm90LXByb2R1Y3Rpb24="
"""The development key-encryption key (32 bytes of ASCII): set PII_KEKS in production."""


class ServiceSettings(BaseSettings):
    """Connection, security and runtime settings of one service process."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        description="PostgreSQL DSN of the service's own database (postgresql://user@host:port/db)."
    )
    kafka_bootstrap_servers: str = Field(
        default=f"{LOCAL_HOST}:{LOCAL_KAFKA_PORT}",
        description="Comma-separated Kafka bootstrap servers (default: the broker `make run` "
        "starts).",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="The URL clients reach this service at, e.g. `https://orders.shop.example`; "
        "the `ce_dataschema` of every event it publishes points under it "
        "(`<public_url>/contracts/schemas/<type>/v<version>.json`, served by the service), "
        "and its OpenAPI document names it in `servers`. Default: where `make run` serves "
        "the service (`http://127.0.0.1:8100` for order, 8101 logistics, 8102 aftersales, 8103 "
        "the dashboard).",
    )
    log_level: str = Field(default="info", description="Log level of the service process.")
    auth_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_AUTH_SECRET),
        min_length=32,
        description="HS256 key that signs and checks bearer tokens (set it in production).",
    )
    pii_keks: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_PII_KEKS),
        description="Key-encryption keys that wrap the buyers' data keys, `id:base64` of 32 "
        "bytes each, comma-separated, the current one first (older ones still unwrap; see "
        'docs/runbook.md, "Rotating the key-encryption key"). Set it in production.',
    )
    key_custodian_url: str | None = Field(
        default=None,
        description="Base URL of the order service, which keeps the buyers' data keys "
        "(logistics fetches them from there to open receivers; unset in the order service).",
    )
    clock: Literal["system", "database"] = Field(
        default="system",
        description="`system`: wall time. `database`: wall time plus an offset stored in the "
        "service database, so tests, demos and operators can move time (`localinfra clock`, "
        "docs/operations.md).",
    )
    clock_database_url: str | None = Field(
        default=None,
        description="With CLOCK=database: the database whose `eventing.clock_offset` is the "
        "movable time of the whole system (one for every service, so time moves for all at "
        "once); default: the service's own database.",
    )
    consumer_group_prefix: str = Field(
        default="", description="Prefix of every Kafka consumer group (isolates environments)."
    )
    topic_order: str = Field(
        default=topic_for(Service.ORDER).name, description="Topic of the order service."
    )
    topic_logistics: str = Field(
        default=topic_for(Service.LOGISTICS).name, description="Topic of the logistics service."
    )
    topic_aftersales: str = Field(
        default=topic_for(Service.AFTERSALES).name, description="Topic of the aftersales service."
    )
    deadline_poll_interval: float = Field(
        default=1.0, gt=0, description="Seconds between the deadline worker's scans."
    )
    metrics_shops: str = Field(
        default="",
        description="Comma-separated shop ids whose business counters carry their own `shop` "
        "label on /metrics; every other shop is counted as `shop=other` (the label's "
        "values are bounded by this list; empty: no shop has its own series).",
    )
    run_workers: bool = Field(
        default=True,
        description="Run the relay, subscriptions and deadline workers in this process "
        "(false: serve HTTP only, e.g. for extra API replicas).",
    )

    def metrics_shop_ids(self) -> tuple[str, ...]:
        """The shops of `metrics_shops`, in order."""
        return tuple(shop.strip() for shop in self.metrics_shops.split(",") if shop.strip())

    def service_url(self, service: Service | str) -> str:
        """`public_url` (no trailing slash), or where `make run` serves `service` (an app
        `make run` does not start, e.g. a test's, answers relative to itself: empty)."""
        if self.public_url is not None:
            return self.public_url.rstrip("/")
        if str(service) not in LOCAL_DEPLOYABLES:
            return ""
        return local_service_url(service)

    def schemas_base(self, service: Service) -> str:
        """Where `service` serves the event schemas: the base of its `ce_dataschema`."""
        return schemas_base(self.service_url(service))

    def topic(self, service: Service) -> str:
        """The topic `service` publishes to, in this environment."""
        return {
            Service.ORDER: self.topic_order,
            Service.LOGISTICS: self.topic_logistics,
            Service.AFTERSALES: self.topic_aftersales,
        }[service]

    def consumer_group(self, service: Service, purpose: str) -> str:
        """`<prefix><service>.<purpose>`, e.g. `logistics.order-policy`."""
        return f"{self.consumer_group_prefix}{service.value}.{purpose}"
