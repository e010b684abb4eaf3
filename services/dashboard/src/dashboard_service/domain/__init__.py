"""What the dashboard decides without I/O: the days of a series, shares and averages (the
periods figures count in are `eventing.periods`, shared with the order service)."""
