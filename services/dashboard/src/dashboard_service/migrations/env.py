"""Alembic environment of the dashboard's figures read model (own version table)."""

from __future__ import annotations

from dashboard_service.projections.tables import metadata
from eventing.migrations_env import run_migrations

run_migrations(metadata, version_table="alembic_version_dashboard")
