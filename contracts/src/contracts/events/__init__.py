"""Event payloads, one module per producing service (`order`, `logistics`, `aftersales`)."""
