"""``fields``: what a text says about itself; ``fields --stored``: the fill summary;
``eval-fields``: precision and recall per field; ``upcoming``: the dates ahead (text, JSON,
RFC 5545 calendar)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnca_watch.render.common import OUTPUT_LANGUAGE, english_line
from cnca_watch.render.safe import one_line

if TYPE_CHECKING:
    from cnca_watch.evaluate_fields import FieldsEvalReport
    from cnca_watch.fields import Fields
    from cnca_watch.store.fields import FieldsFill
    from cnca_watch.upcoming import Upcoming


@dataclass(frozen=True, slots=True)
class TextFields:
    """One text read (the payload of ``fields``)."""

    title: str
    body: str
    published: str | None
    fields: "Fields"


def _shown(value: Any) -> str:
    if value is None or value == () or value == []:
        return "-"
    if isinstance(value, (list, tuple)):
        return " | ".join(one_line(str(v)) for v in value)
    return one_line(str(value))


def fields_text(item: TextFields) -> str:
    from cnca_watch.fields import FIELD_NAMES

    data = item.fields.to_json()
    lines = [f"{name + ':':<18}{_shown(data[name])}" for name in FIELD_NAMES]
    if OUTPUT_LANGUAGE.get() == "en":
        lines.append(f"{'english:':<18}{one_line(english_line(item.title, item.fields, item.published))}")
    return "\n".join(lines) + "\n"


def fields_json_line(item: TextFields) -> str:
    """One line of JSON Lines with the seven keys; schema: ``fields-output.schema.json``."""
    return json.dumps(item.fields.to_json(), ensure_ascii=False) + "\n"


def fill_text(result: "FieldsFill") -> str:
    scope = "every stored version" if result.every else "the stored versions not read before"
    return f"read the fields of {result.filled} of {result.total} versions ({scope})\n"


def fill_json_line(result: "FieldsFill") -> str:
    """Schema: ``fields-stored-output.schema.json``."""
    return json.dumps({"filled": result.filled, "total": result.total, "every": result.every}) + "\n"


def eval_fields_text(report: "FieldsEvalReport") -> str:
    return "\n".join(report.lines()) + "\n"


def eval_fields_json(report: "FieldsEvalReport") -> dict[str, Any]:
    """Schema: ``eval-fields-output.schema.json``."""
    return report.to_json()


def upcoming_text(upcoming: "Upcoming") -> str:
    from cnca_watch.fields import Fields

    last = _plus_days(upcoming.start, upcoming.days)
    out = [f"coming up {upcoming.start} … {last}: {len(upcoming.deadlines)} date(s)"]
    english = OUTPUT_LANGUAGE.get() == "en"
    for deadline in upcoming.deadlines:
        out.append("")
        when = "today" if deadline.days_left == 0 else f"in {deadline.days_left} day(s)"
        moved = f" (moved {deadline.sequence}×)" if deadline.sequence else ""
        out.append(f"{deadline.date}  {deadline.label}{moved}, {when}")
        out.append(f"  {one_line(deadline.title)}")
        if english:
            out.append(f"  {one_line(english_line(deadline.title, Fields.from_json(deadline.fields), deadline.published))}")
        number = deadline.fields.get("doc_number")
        out.append("  " + " · ".join(one_line(str(p)) for p in (number, deadline.source, deadline.published) if p))
        out.append(f"  {one_line(deadline.url)}")
    return "\n".join(out) + "\n"


def upcoming_json(upcoming: "Upcoming") -> dict[str, Any]:
    """Schema: ``upcoming-output.schema.json``."""
    return {
        "start": upcoming.start,
        "days": upcoming.days,
        "deadlines": [d.to_json() for d in upcoming.deadlines],
    }


def upcoming_ics(upcoming: "Upcoming") -> str:
    from cnca_watch.upcoming import to_ics

    return to_ics(upcoming)


def coming_up_lines(upcoming: "Upcoming | None") -> list[str]:
    """The "coming up" section of the daily email and the report (plain text); [] when empty."""
    if upcoming is None or not upcoming.deadlines:
        return []
    out = [f"COMING UP (next {upcoming.days} days)"]
    for deadline in upcoming.deadlines:
        out.append(f"  {deadline.date}  {deadline.label}: {one_line(deadline.title)}")
        out.append(f"    {one_line(deadline.url)}")
    return out


def _plus_days(start: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(start) + timedelta(days=days)).isoformat()
