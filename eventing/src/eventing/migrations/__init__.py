"""Alembic script directory for eventing's own tables (schema `eventing`)."""
