"""The logistics HTTP API (`/v1`): commands, queues, tracking, figures and shop policies."""
