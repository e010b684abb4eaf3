"""Reading the times and positions operators type, and writing durations and rates back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from orderctl.errors import BadInput

_DURATION = re.compile(r"(\d+)\s*(d|h|m|s)")
_DURATION_WHOLE = re.compile(r"^(\s*\d+\s*[dhms])+\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
TIME_HELP = "an ISO 8601 time (2026-11-25T10:00:00Z; no zone = UTC) or a time ago (15m, 2h, 1d12h)"


def parse_since(text: str, now: datetime) -> datetime:
    """The moment `text` names: an ISO 8601 time (UTC if no zone) or a duration before `now`."""
    cleaned = text.strip().lower()
    if _DURATION_WHOLE.match(cleaned):
        amounts: dict[str, int] = {}
        for number, unit in _DURATION.findall(cleaned):
            amounts[_UNITS[unit]] = amounts.get(_UNITS[unit], 0) + int(number)
        return now - timedelta(**amounts)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadInput(f"bad time {text!r}: use {TIME_HELP}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > now:
        raise BadInput(f"bad time {text!r}: it is in the future")
    return moment.astimezone(UTC)


def check_positions(from_position: int, to_position: int | None) -> None:
    """Positions start at 1 and a range must not be empty."""
    if from_position < 1:
        raise BadInput(f"bad position {from_position}: positions start at 1")
    if to_position is not None and to_position < from_position:
        raise BadInput(
            f"bad range: --to-position {to_position} is before --from-position {from_position}"
        )


def format_time(moment: datetime | None) -> str:
    """UTC, to the millisecond, as operators read it in a table."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def format_age(age: timedelta | None) -> str:
    """A duration as `3d 4h`, `2h 5m`, `4m 10s` or `12s` (two largest units)."""
    if age is None:
        return "-"
    seconds = max(int(age.total_seconds()), 0)
    parts = [
        (seconds // 86400, "d"),
        (seconds % 86400 // 3600, "h"),
        (seconds % 3600 // 60, "m"),
        (seconds % 60, "s"),
    ]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{value}{unit}" for value, unit in parts[:2])


def format_rate(count: int, seconds: float) -> str:
    """Events per second, e.g. `1,234/s`."""
    rate = count / seconds if seconds > 0 else 0.0
    return f"{rate:,.0f}/s" if rate >= 10 else f"{rate:,.1f}/s"
