"""HTTP API of the order service (`/v1`)."""
