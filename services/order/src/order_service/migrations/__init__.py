"""Alembic migrations of the order service (read models, stock, shop policies)."""
