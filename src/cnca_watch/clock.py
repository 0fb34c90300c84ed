"""Time as cnca-watch writes and reads it: UTC, to the second, ISO 8601 with ``Z``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from cnca_watch.errors import UsageError


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


PERIOD_HELP = "7d, 2w, 12h, 3m (months of 30 days) or a date YYYY-MM-DD (00:00 UTC)"
_RELATIVE = re.compile(r"^(\d+)([dwmh])$")


def parse_when(value: str, *, option: str, now: datetime | None = None) -> str:
    """``7d``, ``2w``, ``12h``, ``3m`` (months of 30 days) or ``YYYY-MM-DD`` -> UTC ISO timestamp.

    ``option`` names the flag in the error (``--since``)."""
    now = now or datetime.now(timezone.utc)
    match = _RELATIVE.match(value.strip())
    try:
        if match:
            n, unit = int(match.group(1)), match.group(2)
            delta = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n), "m": timedelta(days=30 * n)}[unit]
            return (now - delta).strftime("%Y-%m-%dT%H:%M:%SZ")
        day = datetime.strptime(value.strip(), "%Y-%m-%d")
    except (ValueError, OverflowError):
        raise UsageError(f"{option} {value!r} is not a period cnca-watch can use; give {PERIOD_HELP}") from None
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}T00:00:00Z"
