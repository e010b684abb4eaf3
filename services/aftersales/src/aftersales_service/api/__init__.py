"""The aftersales HTTP API (`/v1`): refund-case commands and reads (the shop policy routes
come with the kit)."""
