"""Plain-text output for cron and pipes: no ANSI, no box drawing, mail-reader friendly."""

from __future__ import annotations

from typing import Iterable

from cnca_watch.models import ChangeKind, RunResult
from cnca_watch.render.common import (
    ATTACHMENT_NOTES_HINT,
    area_labels,
    attachment_note_lines,
    source_note,
    split_baseline,
    summary_line,
    under_title,
)
from cnca_watch.render.safe import clean_text, one_line

KIND_LABEL = {ChangeKind.NEW: "NEW", ChangeKind.CHANGED: "CHANGED", ChangeKind.REMOVED: "REMOVED"}


def render_text(result: RunResult) -> str:
    return "\n".join(_lines(result)) + "\n"


def _lines(result: RunResult) -> Iterable[str]:
    yield f"cnca-watch run {result.id} at {result.finished_at}: {summary_line(result)}"
    yield ""
    for s in result.sources:
        note = source_note(s)
        yield (
            f"  {s.status.value:<15} {one_line(s.name)}: {s.items_seen} items, "
            f"{s.new} new, {s.changed} changed, {s.removed} removed" + (f" - {note}" if note else "")
        )
    notes = attachment_note_lines(result.sources)
    if notes:
        yield ""
        yield f"  attachment notes ({ATTACHMENT_NOTES_HINT}):"
        yield from (f"    {line}" for line in notes)
    listed, baseline = split_baseline(result)
    for name, count in baseline.items():
        yield f"  {one_line(name)}: first run, {count} announcements recorded as the baseline (use --json to list them)"
    for change in listed:
        yield ""
        yield f"{KIND_LABEL[change.kind]}: {one_line(change.title)}"
        for line in under_title(change):
            yield f"  {one_line(line)}"
        yield f"  date:    {change.date or 'unknown'}"
        yield f"  source:  {one_line(change.source)}"
        yield f"  link:    {one_line(change.url)}"
        if change.areas:
            yield f"  areas:   {one_line(area_labels(change.areas))}"
        for attachment in change.attachments:
            yield f"  file:    {one_line(attachment.name)} <{one_line(attachment.url)}>"
        if change.kind is ChangeKind.CHANGED:
            yield f"  changed: {', '.join(change.fields_changed)}"
            for line in clean_text(change.diff).splitlines():
                yield f"    {line}"
