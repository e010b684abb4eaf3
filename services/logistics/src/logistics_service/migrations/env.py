"""Alembic environment of the logistics read models and facts (own version table)."""

from __future__ import annotations

from eventing.migrations_env import run_migrations
from logistics_service.application import state_tables  # noqa: F401  (its tables join metadata)
from logistics_service.projections.tables import metadata

run_migrations(metadata, version_table="alembic_version_logistics")
