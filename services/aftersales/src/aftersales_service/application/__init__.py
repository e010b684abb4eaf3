"""Command handlers, policies reacting to the order and logistics topics, deadline handlers."""
