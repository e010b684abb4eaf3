"""The dashboard's HTTP API (`/v1`): figures, a day series, shops, the live stream; the page."""
