"""parse_date: every date form the list and detail pages use."""

from __future__ import annotations

import pytest

from cnca_watch.extract.dates import has_month_day, parse_date, year_heading


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-12", "2024-01-12"),
        ("[2024-01-12]", "2024-01-12"),
        ("【2024-01-12】", "2024-01-12"),
        ("2024年1月12日", "2024-01-12"),
        ("2024 年 1 月 2 日", "2024-01-02"),
        ("2024/01/12", "2024-01-12"),
        ("2024.01.12", "2024-01-12"),
        ("2024-1-2", "2024-01-02"),
        ("发布时间：2026-04-17", "2026-04-17"),
        ("2026-09-17 14:00", "2026-09-17"),
        ("2026-09-17至2026-10-17", "2026-09-17"),
        ("信息来源：国家认监委 发布时间：2023-09-05", "2023-09-05"),
        ("2024-02-29", "2024-02-29"),
        ("2023-02-30 then 2023-03-01", "2023-03-01"),  # first *valid* date
    ],
)
def test_parse_date_forms(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-01-32",
        "1800-01-01",
        "12024-01-12",
        "第2024-01号",
        "01-12",
        "无日期",
        "2024年",
        "14:00",
    ],
)
def test_parse_date_rejects_impossible_or_missing_dates(text: str | None) -> None:
    assert parse_date(text) is None


def test_month_day_needs_a_year_context() -> None:
    assert parse_date("01-12") is None
    assert parse_date("01-12", 2024) == "2024-01-12"
    assert parse_date("[03-05]", 2024) == "2024-03-05"
    assert parse_date("1月5日", 2023) == "2023-01-05"
    assert parse_date("02-29", 2023) is None
    assert parse_date("2022-12-31", 2024) == "2022-12-31"  # a full date wins over the context
    assert has_month_day(" 01-12 ") and not has_month_day("标题")


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2024年", 2024),
        ("2023", 2023),
        (" 【2022年度】 ", 2022),
        ("2024年公告", None),
        ("共2024条", None),
        ("", None),
    ],
)
def test_year_heading(text: str, year: int | None) -> None:
    assert year_heading(text) == year
