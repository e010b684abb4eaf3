"""Alembic environment of the order service's read models and state tables."""

from __future__ import annotations

import order_service.application.data_keys
import order_service.application.state_tables  # noqa: F401  (registers the state tables)
from eventing.migrations_env import run_migrations
from order_service.projections.tables import metadata

run_migrations(metadata, version_table="alembic_version_order")
