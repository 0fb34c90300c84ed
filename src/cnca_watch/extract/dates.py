"""Dates as the pages write them, turned into ``YYYY-MM-DD``.

Accepted: ``2024-01-12``, ``[2024-01-12]``, ``2024年1月12日``, ``2024/01/12``, ``2024.01.12``,
``发布时间：2026-04-17``, ``2026-09-17 14:00`` and, when the caller knows the year (a year
heading above the list), ``01-12`` / ``1月12日``.  Impossible dates (2024-02-30) are rejected.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

MIN_YEAR = 1949
MAX_YEAR = 2100

_FULL_DATE = re.compile(
    r"(?<!\d)((?:19|20|21)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)"
)
_MONTH_DAY = re.compile(r"(?<![\d./-])(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?![\d./-])")
_YEAR_ONLY = re.compile(r"^\s*[\[【(（]?\s*((?:19|20|21)\d{2})\s*年?度?\s*[\]】)）]?\s*$")


def valid_date(year: int, month: int, day: int) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None, year: int | None = None) -> str | None:
    """The first plausible date in ``text`` as ``YYYY-MM-DD``, else None.

    ``year`` is the context for month-day dates (``01-12`` under a ``2024年`` heading);
    without it such dates are not guessed.
    """
    if not text:
        return None
    if len(text) > 200:  # a cell, not a paragraph: keep the cache small and useful
        return _parse_date(text, year)
    return _parse_date_cached(text, year)


def _parse_date(text: str, year: int | None) -> str | None:
    stripped = text.strip(" \t\r\n[]【】()（）\xa0\u3000")
    if len(stripped) == 10 and stripped[4] == "-" and stripped[7] == "-":
        # the common "2024-01-12" cell, without the regex
        head, month, day = stripped[:4], stripped[5:7], stripped[8:]
        if head.isdigit() and month.isdigit() and day.isdigit() and head.isascii():
            return (
                valid_date(int(head), int(month), int(day))
                if month.isascii() and day.isascii()
                else None
            )
    for match in _FULL_DATE.finditer(text):
        found = valid_date(int(match[1]), int(match[2]), int(match[3]))
        if found:
            return found
    if year is None:
        return None
    for match in _MONTH_DAY.finditer(text):
        found = valid_date(year, int(match[1]), int(match[2]))
        if found:
            return found
    return None


_parse_date_cached = lru_cache(maxsize=4096)(_parse_date)


def has_month_day(text: str) -> bool:
    """True when ``text`` holds a month-day date that needs a year context."""
    return _MONTH_DAY.search(text) is not None


def year_heading(text: str) -> int | None:
    """The year of a heading such as ``2024``, ``2024年`` or ``【2024年度】``."""
    if not text or len(text) > 24:
        return None
    match = _YEAR_ONLY.match(text)
    if not match:
        return None
    year = int(match[1])
    return year if MIN_YEAR <= year <= MAX_YEAR else None
