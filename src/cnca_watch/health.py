"""How each source is doing: last success, failures in a row, rhythm, and what to fix.

Pure: the store hands over each source's run outcomes (newest last) and the publication
dates of what it listed; this module judges them.  The alert rule sends one alert when a
source reaches ``failing_runs`` failures in a row and one "recovered" when it next
succeeds — never an alert a day.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import date
from typing import Sequence


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run_id: int
    started_at: str  # UTC ISO
    status: str  # "ok" | "error" | "blocked" | "layout_changed"
    items_seen: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    url: str
    status: str  # "ok" | "failing" | "never-ok" | "unchecked"
    last_success: str | None
    last_run: str | None
    consecutive_failures: int
    last_error: str | None
    items_seen: tuple[int, ...]  # per run, oldest first (the recent ones)
    newest_item: str | None  # publication date of the newest item ever listed
    usual_gap_days: float | None  # median days between consecutive publications
    flags: tuple[str, ...]  # problems with the fix, one line each

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "url": self.url,
            "status": self.status,
            "last_success": self.last_success,
            "last_run": self.last_run,
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "items_seen": list(self.items_seen),
            "newest_item": self.newest_item,
            "usual_gap_days": self.usual_gap_days,
            "flags": list(self.flags),
        }


_YEAR_IN_PATH = re.compile(r"/(20\d\d)(?=/|$|[._-])")
# A column that usually publishes every few days has gone quiet when it has been silent
# for this many usual gaps (and at least MIN_QUIET_DAYS: a weekly column is not stale in 10).
QUIET_FACTOR = 6
MIN_QUIET_DAYS = 45


def judge(
    name: str,
    url: str,
    outcomes: Sequence[RunOutcome],
    published: Sequence[str],
    *,
    today: date,
    final_url: str | None = None,
    window: int = 30,
) -> SourceHealth:
    """The health of one source from its run outcomes (oldest first) and item dates."""
    last_success = next((o.started_at for o in reversed(outcomes) if o.status == "ok"), None)
    failures = 0
    for outcome in reversed(outcomes):
        if outcome.status == "ok":
            break
        failures += 1
    last_error = next((o.error for o in reversed(outcomes) if o.status != "ok" and o.error), None)
    if not outcomes:
        status = "unchecked"
    elif last_success is None:
        status = "never-ok"
    else:
        status = "failing" if failures else "ok"

    dates = sorted({d for d in published if d})
    gaps = [(date.fromisoformat(b) - date.fromisoformat(a)).days for a, b in zip(dates, dates[1:])]
    usual_gap = float(statistics.median(gaps)) if len(gaps) >= 3 else None
    newest = dates[-1] if dates else None

    flags: list[str] = []
    if failures:
        flags.append(f"failed the last {failures} run(s): {last_error or 'see cnca-watch history'}")
    year = _YEAR_IN_PATH.search(url)
    if year and int(year.group(1)) < today.year:
        flags.append(
            f"the URL names the year {year.group(1)}: it is {today.year} now, so this column may no longer be updated — "
            f"point the source at the column's current (or undated) list page"
        )
    if newest and usual_gap is not None:
        quiet = (today - date.fromisoformat(newest)).days
        if quiet > max(QUIET_FACTOR * usual_gap, MIN_QUIET_DAYS):
            flags.append(
                f"no new item for {quiet} days although it usually publishes every {usual_gap:g} day(s): "
                "check in a browser that the list page still shows the newest items (the site may have moved the column)"
            )
    if final_url and final_url.rstrip("/") != url.rstrip("/"):
        flags.append(f"the page now redirects to {final_url}: set the source's url to it")
    return SourceHealth(
        name=name,
        url=url,
        status=status,
        last_success=last_success,
        last_run=outcomes[-1].started_at if outcomes else None,
        consecutive_failures=failures,
        last_error=last_error,
        items_seen=tuple(o.items_seen for o in outcomes[-window:]),
        newest_item=newest,
        usual_gap_days=usual_gap,
        flags=tuple(flags),
    )


def alert_due(consecutive_failures: int, alerted: bool, failing_runs: int) -> str | None:
    """``"failing"`` when an alert is due, ``"recovered"`` when a recovery note is, else None.

    ``alerted`` is whether a failing alert went out and no recovery since.
    """
    if failing_runs <= 0:
        return None
    if consecutive_failures >= failing_runs and not alerted:
        return "failing"
    if consecutive_failures == 0 and alerted:
        return "recovered"
    return None
