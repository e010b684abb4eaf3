"""Alembic environment of the aftersales read models (own version table)."""

from __future__ import annotations

from aftersales_service.projections.tables import metadata
from eventing.migrations_env import run_migrations

run_migrations(metadata, version_table="alembic_version_aftersales")
