"""Settings of the dashboard process: the shared service settings (database, broker, topics,
consumer group prefix, tokens, clock) and the time zone its figures count days in."""

from __future__ import annotations

from pydantic import Field

from dashboard_service import NAME
from eventing.periods import TimeZoneName
from eventing.settings import ServiceSettings

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class DashboardSettings(ServiceSettings):
    """Environment of one dashboard process (see docs/services/dashboard.md).

    Of the shared settings the dashboard uses the database (its own, `dashboard`), the broker,
    the three topic names, the consumer group prefix, the token key and the clock (CLOCK=
    database: the test system's movable time decides what "today" is); it has no event store,
    relay, deadlines or personal data.
    """

    dashboard_time_zone: TimeZoneName = Field(
        default=DEFAULT_TIME_ZONE,
        description="DASHBOARD_TIME_ZONE: the IANA time zone whose days, weeks and months the "
        "figures count in when a request names none (`tz`).",
    )

    def dashboard_group(self, purpose: str) -> str:
        """`<prefix>dashboard.<purpose>`, e.g. `dashboard.figures`."""
        return f"{self.consumer_group_prefix}{NAME}.{purpose}"
