"""The dates ahead: effective dates, transition ends and comment deadlines of the stored
announcements, soonest first (``cnca-watch upcoming``), as an RFC 5545 calendar, and the
reminders due 7 and 1 days before a comment deadline or an effective date.

Pure: the store hands over ``DatedVersion``s; nothing here reads or writes it.  Dates are
Beijing calendar days (``YYYY-MM-DD``) like every announcement date.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Sequence

from cnca_watch.errors import UsageError
from cnca_watch.store.fields import DATED_FIELDS, DatedVersion, ReminderKey, areas_of

BEIJING = timezone(timedelta(hours=8))
# what each dated field means, for people
FIELD_LABELS = {
    "effective_date": "takes effect",
    "transition_end": "transition ends",
    "comment_deadline": "comments due",
}
REMINDER_FIELDS = ("comment_deadline", "effective_date")
REMINDER_DAYS = (7, 1)  # a reminder a week before and the day before
COMING_UP_DAYS = 7  # the daily email's and report's "coming up" section


@dataclass(frozen=True, slots=True)
class Deadline:
    """One dated field of one announcement."""

    field: str
    date: str
    days_left: int
    source: str
    url: str
    title: str
    published: str | None
    areas: tuple[str, ...]
    fields: dict[str, Any]  # the version's seven fields (for the gloss and the doc number)
    sequence: int  # how often this date moved: the calendar event's SEQUENCE
    modified: str | None  # when the current date was first seen (UTC ISO): LAST-MODIFIED

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]

    @property
    def uid(self) -> str:
        """Stable across runs and date moves (announcement + field), so a calendar updates
        the event rather than adding another."""
        digest = hashlib.sha256(f"{self.url}\n{self.field}".encode()).hexdigest()[:24]
        return f"{digest}-{self.field}@cnca-watch"

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "date": self.date,
            "days_left": self.days_left,
            "source": self.source,
            "url": self.url,
            "title": self.title,
            "published": self.published,
            "doc_number": self.fields.get("doc_number"),
            "doc_type": self.fields.get("doc_type"),
            "areas": list(self.areas),
            "uid": self.uid,
            "sequence": self.sequence,
        }


@dataclass(frozen=True, slots=True)
class Upcoming:
    """``cnca-watch upcoming``: the window looked at and what falls in it."""

    start: str  # first day (today, Beijing time, unless --from)
    days: int
    deadlines: tuple[Deadline, ...]
    generated_at: str = ""  # UTC ISO; the calendar's DTSTAMP


def beijing_today() -> str:
    return datetime.now(BEIJING).date().isoformat()


def parse_day(value: str, option: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise UsageError(f"{option} {value!r}: give a day as YYYY-MM-DD, e.g. 2024-06-20") from None


def _moves(history: Sequence[tuple[str, str | None]], current: str) -> tuple[int, str | None]:
    """(how often the value changed between read versions, when the current one was first seen)."""
    sequence, since, previous = 0, None, None
    for seen_at, value in history:
        if value is None:
            continue
        if previous is not None and value != previous:
            sequence += 1
            since = seen_at
        elif previous is None:
            since = seen_at
        previous = value
    return sequence, since if previous == current else None


def deadlines_ahead(
    versions: Iterable[DatedVersion], start: str, days: int, *, areas: Sequence[str] = ()
) -> tuple[Deadline, ...]:
    """The dated fields from ``start`` to ``start + days`` (inclusive), soonest first."""
    if days < 0:
        raise UsageError(f"--days {days}: give 0 or more days ahead, e.g. --days 30")
    first = date.fromisoformat(start)
    last = first + timedelta(days=days)
    found: list[Deadline] = []
    for version in versions:
        tags = areas_of(version)
        if areas and not set(areas) & set(tags):
            continue
        for name in DATED_FIELDS:
            value = version.fields.get(name)
            if not isinstance(value, str):
                continue
            try:
                when = date.fromisoformat(value)
            except ValueError:
                continue
            if not first <= when <= last:
                continue
            sequence, modified = _moves(version.history.get(name, ()), value)
            found.append(
                Deadline(
                    field=name, date=value, days_left=(when - first).days, source=version.source,
                    url=version.url, title=version.title, published=version.date, areas=tags,
                    fields=version.fields, sequence=sequence, modified=modified,
                )
            )
    found.sort(key=lambda d: (d.date, DATED_FIELDS.index(d.field), d.source, d.url))
    return tuple(found)


def reminders_due(deadlines: Iterable[Deadline]) -> tuple[ReminderKey, ...]:
    """The reminders due on the first day of the window: 7 days and 1 day before each
    comment deadline and effective date.  The store queues each (url, field, date, offset)
    once, so a day missed is caught up next run while the date is still ahead."""
    due: list[ReminderKey] = []
    for deadline in deadlines:
        if deadline.field not in REMINDER_FIELDS or deadline.days_left < 1:
            continue
        # the nearest reminder not yet in the past: 7 days before while 2..7 days remain,
        # the day-before one when 1 day remains
        offset = next((d for d in sorted(REMINDER_DAYS) if deadline.days_left <= d), None)
        if offset is not None:
            due.append(ReminderKey(deadline.url, deadline.field, deadline.date, offset))
    return tuple(due)


def _utc(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def to_ics(upcoming: Upcoming) -> str:
    """An RFC 5545 calendar: one all-day event per deadline, stable UID, SEQUENCE counting
    the moves of its date (so a re-import moves the event instead of adding one)."""
    from icalendar import Calendar, Event  # only `upcoming --format ics` needs it

    calendar = Calendar()
    calendar.add("prodid", "-//cnca-watch//upcoming//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "cnca-watch: coming up")
    stamp = _utc(upcoming.generated_at) if upcoming.generated_at else datetime.now(timezone.utc).replace(microsecond=0)
    for deadline in upcoming.deadlines:
        event = Event()
        day = date.fromisoformat(deadline.date)
        event.add("uid", deadline.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", f"{deadline.label}: {deadline.title}")
        number = deadline.fields.get("doc_number")
        lines = [f"{deadline.label} {deadline.date}", deadline.title]
        if number:
            lines.append(str(number))
        lines += [f"source: {deadline.source}", deadline.url]
        event.add("description", "\n".join(lines))
        event.add("url", deadline.url)
        event.add("categories", [deadline.field])
        event.add("sequence", deadline.sequence)
        event.add("transp", "TRANSPARENT")
        if deadline.modified:
            event.add("last-modified", _utc(deadline.modified))
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
