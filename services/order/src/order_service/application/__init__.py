"""Command handlers, policies, deadlines, stock and shop policies of the order service."""
