"""The logistics service of the order-lifecycle platform."""
