"""Plain-text output for cron and pipes: no ANSI, no box drawing, mail-reader friendly."""

from __future__ import annotations

from typing import Iterable, Sequence

from cnca_watch.models import AreaTag, Change, ChangeKind, RunResult, SourceResult, SourceStatus
from cnca_watch.render.common import failed_sources, short_label, summary
from cnca_watch.render.safe import clean_text, one_line

KIND_LABEL = {ChangeKind.NEW: "NEW", ChangeKind.CHANGED: "CHANGED", ChangeKind.REMOVED: "REMOVED"}


def summary_line(result: RunResult) -> str:
    return summary(result.changes, failed_sources(result.sources))


def split_baseline(result: RunResult) -> tuple[list[Change], dict[str, int]]:
    """Changes to list one by one, and per first-run source the count summarised instead."""
    first_run = {s.name for s in result.sources if s.first_run}
    listed: list[Change] = []
    baseline: dict[str, int] = {}
    for change in result.changes:
        if change.source in first_run and change.kind is ChangeKind.NEW:
            baseline[change.source] = baseline.get(change.source, 0) + 1
        else:
            listed.append(change)
    return listed, baseline


def area_labels(areas: Sequence[AreaTag], *, evidence: int = 3) -> str:
    """``Regulation 监管 (双随机, 监督抽查); …``: each area with the first terms that support it."""
    parts = []
    for area in areas:
        terms = list(dict.fromkeys(e.term for e in area.evidence))[:evidence]
        parts.append(short_label(area) + (f" ({', '.join(terms)})" if terms else ""))
    return "; ".join(parts)


def source_note(source: SourceResult) -> str:
    if source.status is not SourceStatus.OK:
        return one_line(source.error or source.status.value)
    if source.first_run:
        return "first run (baseline)"
    if source.backfilled:
        return f"{source.backfilled} older announcements came into view below the known ones (recorded, not news)"
    return ""


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
    listed, baseline = split_baseline(result)
    for name, count in baseline.items():
        yield f"  {one_line(name)}: first run, {count} announcements recorded as the baseline (use --json to list them)"
    for change in listed:
        yield ""
        yield f"{KIND_LABEL[change.kind]}: {one_line(change.title)}"
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
