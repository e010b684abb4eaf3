"""Alembic environment of the aftersales tables: read models and working tables (own version
table)."""

from __future__ import annotations

import aftersales_service.application.state_tables  # noqa: F401  (its tables join `metadata`)
from aftersales_service.projections.tables import metadata
from eventing.migrations_env import run_migrations

run_migrations(metadata, version_table="alembic_version_aftersales")
