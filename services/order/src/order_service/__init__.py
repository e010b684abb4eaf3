"""The order service of the order-lifecycle platform."""
