"""The public language of the order-lifecycle platform: event envelope, event schemas and topics."""
