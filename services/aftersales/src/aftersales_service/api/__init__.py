"""The aftersales HTTP API (`/v1`): refund-case commands, case views, figures, shop policies."""
