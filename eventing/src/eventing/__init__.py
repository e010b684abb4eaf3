"""Shared runtime of the order-lifecycle services: event store, relay, subscriptions, deadlines."""
