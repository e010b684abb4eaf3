"""Revisions of eventing's tables."""
