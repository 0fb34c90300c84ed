"""upcoming.py's pure rules: the window, the order, the moves of a date, the reminders due."""

from __future__ import annotations

from cnca_watch.store.fields import DatedVersion, ReminderKey
from cnca_watch.upcoming import Upcoming, deadlines_ahead, reminders_due, to_ics


def version(url: str, fields: dict[str, str | None], history: dict[str, list[tuple[str, str | None]]] | None = None) -> DatedVersion:
    return DatedVersion("src", url, "标题", "2024-05-01", "[]", {"doc_type": "notice", **fields}, history or {})


def test_window_is_inclusive_and_soonest_first() -> None:
    versions = [
        version("u1", {"comment_deadline": "2024-06-30"}),
        version("u2", {"effective_date": "2024-06-10", "transition_end": "2024-06-10"}),
        version("u3", {"effective_date": "2024-07-01"}),  # one day past the window
        version("u4", {"effective_date": "2024-05-31"}),  # before it
    ]
    found = deadlines_ahead(versions, "2024-06-01", 29)
    assert [(d.url, d.field, d.days_left) for d in found] == [
        ("u2", "effective_date", 9), ("u2", "transition_end", 9), ("u1", "comment_deadline", 29)]


def test_a_moved_date_keeps_its_uid_and_counts_its_moves() -> None:
    history = {"effective_date": [("2024-05-20T00:00:00Z", "2024-06-01"), ("2024-06-18T00:00:00Z", "2024-07-01")]}
    moved = deadlines_ahead([version("u", {"effective_date": "2024-07-01"}, history)], "2024-06-18", 30)[0]
    first = deadlines_ahead([version("u", {"effective_date": "2024-06-01"})], "2024-05-20", 30)[0]
    assert moved.uid == first.uid and (first.sequence, moved.sequence) == (0, 1)
    assert moved.modified == "2024-06-18T00:00:00Z"
    ics = to_ics(Upcoming("2024-06-18", 30, (moved,), generated_at="2024-06-18T01:00:00Z"))
    assert "SEQUENCE:1" in ics and "DTSTART;VALUE=DATE:20240701" in ics and f"UID:{moved.uid}" in ics


def test_reminders_a_week_before_and_the_day_before_only_for_deadlines_and_effective_dates() -> None:
    versions = [
        version("a", {"comment_deadline": "2024-06-08"}),  # 7 days ahead
        version("b", {"effective_date": "2024-06-03"}),  # 2 days ahead: still the week-before one
        version("c", {"effective_date": "2024-06-02"}),  # tomorrow
        version("d", {"transition_end": "2024-06-02"}),  # transition ends: no reminder
        version("e", {"effective_date": "2024-06-01"}),  # today: too late to remind
    ]
    due = reminders_due(deadlines_ahead(versions, "2024-06-01", 7))
    assert set(due) == {
        ReminderKey("a", "comment_deadline", "2024-06-08", 7),
        ReminderKey("b", "effective_date", "2024-06-03", 7),
        ReminderKey("c", "effective_date", "2024-06-02", 1),
    }
