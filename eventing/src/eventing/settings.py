"""Settings every service process reads from its environment (pydantic-settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Connection settings of one service process; see README, section Configuration."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        description="PostgreSQL DSN of the service's own database (postgresql://user@host:port/db)."
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated Kafka bootstrap servers."
    )
    log_level: str = Field(default="info", description="Log level of the service process.")
