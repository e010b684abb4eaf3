"""Alembic environment of eventing's own tables (schema `eventing`, own version table)."""

from __future__ import annotations

from eventing.migrations_env import run_migrations
from eventing.schema import SCHEMA, metadata

run_migrations(metadata, version_table="alembic_version", version_table_schema=SCHEMA)
