"""Revisions of the order service schema."""
