"""Source health judged from run outcomes and publication dates (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from cnca_watch.health import RunOutcome, alert_due, judge

URL = "https://www.cnca.gov.cn/zwxx/tz/index.html"


def runs(*statuses: str) -> list[RunOutcome]:
    return [
        RunOutcome(run_id=i, started_at=f"2026-11-{i + 1:02d}T23:00:00Z", status=s, items_seen=20 if s == "ok" else 0,
                   error=None if s == "ok" else f"HTTP 503 on run {i}")
        for i, s in enumerate(statuses)
    ]


def every(days: int, count: int, last: date) -> list[str]:
    return [(last - timedelta(days=days * i)).isoformat() for i in range(count)]


def test_failures_in_a_row_and_last_success():
    health = judge("cnca-notices", URL, runs("ok", "ok", "error", "blocked"), [], today=date(2026, 12, 2))
    assert health.status == "failing"
    assert health.consecutive_failures == 2
    assert health.last_success == "2026-11-02T23:00:00Z"
    assert health.last_error == "HTTP 503 on run 3"
    assert health.items_seen == (20, 20, 0, 0)
    assert any("failed the last 2 run(s)" in f for f in health.flags)


def test_never_ok_and_unchecked():
    assert judge("a", URL, runs("error"), [], today=date(2026, 12, 2)).status == "never-ok"
    assert judge("a", URL, [], [], today=date(2026, 12, 2)).status == "unchecked"


def test_a_year_in_the_url_is_flagged_once_the_year_is_over():
    url = "https://www.cnca.gov.cn/zwxx/tz/2024/index.html"
    assert any("names the year 2024" in f for f in judge("a", url, runs("ok"), [], today=date(2025, 1, 3)).flags)
    assert judge("a", url, runs("ok"), [], today=date(2024, 12, 30)).flags == ()


def test_a_column_quiet_for_far_longer_than_its_rhythm_is_flagged():
    dates = every(3, 20, date(2026, 9, 1))  # every 3 days until 1 September
    health = judge("a", URL, runs("ok"), dates, today=date(2026, 12, 2))
    assert health.usual_gap_days == 3
    assert any("no new item for 92 days" in f for f in health.flags)
    # the same column seen on 20 September is not stale yet (19 days < 45)
    assert judge("a", URL, runs("ok"), dates, today=date(2026, 9, 20)).flags == ()


def test_a_redirect_somewhere_new_is_flagged_with_the_fix():
    health = judge("a", URL, runs("ok"), [], today=date(2026, 12, 2), final_url="https://www.cnca.gov.cn/new/tz/")
    assert health.flags == ("the page now redirects to https://www.cnca.gov.cn/new/tz/: set the source's url to it",)


def test_one_alert_when_failing_then_one_recovery():
    sent = []
    alerted = False
    for failures in (1, 2, 3, 4, 5, 0, 0, 1):
        due = alert_due(failures, alerted, failing_runs=3)
        if due:
            sent.append((failures, due))
            alerted = due == "failing"
    assert sent == [(3, "failing"), (0, "recovered")]


def test_json_shape():
    document = judge("a", URL, runs("ok"), ["2026-11-30"], today=date(2026, 12, 2)).to_json()
    assert set(document) == {
        "name", "url", "status", "last_success", "last_run", "consecutive_failures", "last_error",
        "items_seen", "newest_item", "usual_gap_days", "flags",
    }
    assert document["newest_item"] == "2026-11-30"
