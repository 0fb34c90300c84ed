"""Time as cnca-watch writes and reads it: UTC, to the second, ISO 8601 with ``Z``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Callable

from cnca_watch.errors import UsageError

Clock = Callable[[], str]  # what ``check(clock=...)`` takes: tests pass a fixed or stepped one


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hours_between(earlier: str, later: str) -> float | None:
    """Hours from one stored timestamp to another; None when either is not ISO 8601."""
    try:
        start, end = datetime.fromisoformat(earlier), datetime.fromisoformat(later)
    except (TypeError, ValueError):
        return None
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return (end - start).total_seconds() / 3600


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
