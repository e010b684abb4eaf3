"""The aftersales service of the order-lifecycle platform."""
