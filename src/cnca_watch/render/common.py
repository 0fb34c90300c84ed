"""What the human-readable renderers (Markdown, HTML, email, Atom, report) share.

Grouping and ordering live here so that every output presents changes the same way:
failed sources first, then changes by primary task area (the six 2024 areas in their
official order as areas.toml lists them, unknown ids after them, "No task area" last), then by source.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from cnca_watch.models import AreaTag, Change, ChangeKind, RunResult, SourceResult, SourceStatus
from cnca_watch.render.safe import one_line

if TYPE_CHECKING:
    from cnca_watch.fields import Fields

def area_order() -> tuple[str, ...]:
    """The built-in task areas in their official order (as areas.toml lists them)."""
    return tuple(builtin_area_labels())


def builtin_area_labels() -> dict[str, tuple[str, str]]:
    """Full bilingual labels of the built-in areas (from areas.toml)."""
    from cnca_watch.classify import area_display_labels

    return {area_id: (en, zh) for area_id, (en, zh, _, _) in area_display_labels().items()}


def _short_labels() -> dict[str, tuple[str, str]]:
    from cnca_watch.classify import area_display_labels

    return {area_id: (sen, szh) for area_id, (_, _, sen, szh) in area_display_labels().items()}


NO_AREA = ""  # group key of changes without any task area
NO_AREA_LABEL = ("No task area", "未归类")

KIND_ORDER = {ChangeKind.NEW: 0, ChangeKind.CHANGED: 1, ChangeKind.REMOVED: 2}
KIND_LABEL = {ChangeKind.NEW: "New", ChangeKind.CHANGED: "Changed", ChangeKind.REMOVED: "Removed"}
STATUS_LABEL = {
    SourceStatus.OK: "ok",
    SourceStatus.ERROR: "failed",
    SourceStatus.BLOCKED: "blocked",
    SourceStatus.LAYOUT_CHANGED: "layout changed",
}


def area_label(area_id: str, tag: AreaTag | None = None) -> str:
    """Full bilingual label of an area group (one line, inert)."""
    if area_id == NO_AREA:
        en, zh = NO_AREA_LABEL
    elif area_id in (labels := builtin_area_labels()):
        en, zh = labels[area_id]
    elif tag is not None:
        en, zh = tag.label_en, tag.label_zh
    else:
        en, zh = area_id, ""
    return _bilingual(en, zh) or one_line(area_id)


def short_label(tag: AreaTag) -> str:
    """Short bilingual label of one area tag, e.g. ``Regulation 监管`` (one line, inert)."""
    en, zh = _short_labels().get(tag.id, (tag.label_en, tag.label_zh))
    return _bilingual(en, zh) or one_line(tag.id)


def _bilingual(en: str, zh: str) -> str:
    return " ".join(p for p in (one_line(en), one_line(zh)) if p)


def primary_area(change: Change) -> str:
    return change.areas[0].id if change.areas else NO_AREA


def _area_rank(area_id: str) -> tuple[int, str]:
    if area_id == NO_AREA:
        return (2, "")
    order = area_order()
    if area_id in order:
        return (0, f"{order.index(area_id):02d}")
    return (1, area_id)


@dataclass(frozen=True, slots=True)
class SourceGroup:
    source: str
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class AreaGroup:
    area_id: str  # NO_AREA for untagged changes
    label: str  # full bilingual label, inert
    sources: tuple[SourceGroup, ...]

    @property
    def count(self) -> int:
        return sum(len(s.changes) for s in self.sources)


def group_changes(changes: Iterable[Change], source_order: Sequence[str] = ()) -> tuple[AreaGroup, ...]:
    """Changes grouped by primary area, then source; within a source new, changed, removed.

    Sources follow ``source_order`` (config order) when given, then first appearance.
    Input order is otherwise kept (it is page order: newest first).
    """
    by_area: dict[str, dict[str, list[Change]]] = {}
    first_tag: dict[str, AreaTag] = {}
    for change in changes:
        area = primary_area(change)
        if change.areas:
            first_tag.setdefault(area, change.areas[0])
        by_area.setdefault(area, {}).setdefault(change.source, []).append(change)

    rank = {name: i for i, name in enumerate(source_order)}
    groups = []
    for area in sorted(by_area, key=_area_rank):
        sources = by_area[area]
        appearance = list(sources)
        ordered = sorted(appearance, key=lambda s: (rank.get(s, len(rank)), appearance.index(s)))
        groups.append(
            AreaGroup(
                area_id=area,
                label=area_label(area, first_tag.get(area)),
                sources=tuple(
                    SourceGroup(s, tuple(sorted(sources[s], key=lambda c: KIND_ORDER[c.kind])))
                    for s in ordered
                ),
            )
        )
    return tuple(groups)


def failed_sources(sources: Iterable[SourceResult]) -> tuple[SourceResult, ...]:
    return tuple(s for s in sources if s.status is not SourceStatus.OK)


ATTACHMENT_NOTES_HEADING = "Attachment notes"
ATTACHMENT_NOTES_HINT = "files kept, skipped or not read; their announcements are recorded all the same"
ATTACHMENT_NOTES_SHOWN = 20  # a run that meets many hostile files lists the first ones; --json has all


def attachment_note_lines(sources: Iterable[SourceResult], limit: int = ATTACHMENT_NOTES_SHOWN) -> list[str]:
    """Each attachment note of the run as one cleaned line, ``source: note``; past ``limit``,
    one closing line says how many more (every output shows the same lines)."""
    notes = [f"{one_line(s.name)}: {one_line(note)}" for s in sources for note in s.attachment_notes]
    if len(notes) <= limit:
        return notes
    return [*notes[:limit], f"… and {len(notes) - limit} more attachment notes (--json lists them all)"]


def summary(changes: Sequence[Change], failed: Sequence[SourceResult] = ()) -> str:
    """``3 new, 1 changed, 1 removed, 2 sources failed`` (only the non-zero parts)."""
    counts = {kind: 0 for kind in ChangeKind}
    for change in changes:
        counts[change.kind] += 1
    parts = [f"{counts[k]} {k.value}" for k in (ChangeKind.NEW, ChangeKind.CHANGED, ChangeKind.REMOVED) if counts[k]]
    if failed:
        parts.append(f"{len(failed)} source{'s' if len(failed) != 1 else ''} failed")
    return ", ".join(parts) if parts else "no changes"


def source_problem(source: SourceResult) -> str:
    """One inert line saying what went wrong with a source."""
    cause = one_line(source.error) or "no cause recorded"
    return f"{one_line(source.name)} ({STATUS_LABEL.get(source.status, source.status.value)}): {cause}"


_DIFF_TOKEN = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.DOTALL)


def parse_diff(diff: str) -> list[tuple[str, str]]:
    """Split a word diff (``same [-old-]{+new+} same``) into (op, text) runs.

    op is ``"same"``, ``"del"`` or ``"ins"``.  Text is returned as found: callers clean it.
    """
    runs: list[tuple[str, str]] = []
    position = 0
    for match in _DIFF_TOKEN.finditer(diff):
        if match.start() > position:
            runs.append(("same", diff[position : match.start()]))
        if match.group(1) is not None:
            runs.append(("del", match.group(1)))
        else:
            runs.append(("ins", match.group(2)))
        position = match.end()
    if position < len(diff):
        runs.append(("same", diff[position:]))
    return runs


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def display_date(date: str | None) -> str:
    """A publication date as shown, or '' when missing or not a date."""
    return date if date and _ISO_DATE.fullmatch(date) else ""


# -- what the run renderers (terminal, text) share -----------------------------------


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


# --- announcement fields and the English gloss (issue 11) ---------------------------------

# Set by ``Renderer.__call__`` from ``RenderOptions`` for the time one output is drawn, so
# that every renderer can add the gloss without each signature growing an argument.
OUTPUT_LANGUAGE: ContextVar[str] = ContextVar("OUTPUT_LANGUAGE", default="zh")
GLOSSARY_OVERRIDES: ContextVar[Mapping[str, Any] | None] = ContextVar("GLOSSARY_OVERRIDES", default=None)


def fields_line(fields: "Fields | None") -> str:
    """The fields a version states, on one short line ('' when it states none beyond "news").

    e.g. ``call-for-comments · 市场监管总局 · comments until 2026-10-17``."""
    if fields is None:
        return ""
    parts: list[str] = []
    if fields.doc_type != "news":
        parts.append(fields.doc_type)
    if fields.issuers:
        parts.append("、".join(fields.issuers))
    if fields.doc_number:
        parts.append(fields.doc_number)
    if fields.effective_date:
        parts.append(f"in force {fields.effective_date}")
    if fields.transition_end:
        parts.append(f"transition ends {fields.transition_end}")
    if fields.comment_deadline:
        parts.append(f"comments until {fields.comment_deadline}")
    if not parts or parts == ["、".join(fields.issuers)]:
        return ""  # an issuer alone says nothing the title does not
    return " · ".join(parts)


def gloss_line(change: Change) -> str:
    """The English gloss under the Chinese title when ``--lang en`` asked for it, else ''."""
    if OUTPUT_LANGUAGE.get() != "en" or change.fields is None:
        return ""
    return english_line(change.title, change.fields, change.date)


def english_line(title: str, fields: "Fields", published: str | None) -> str:
    from cnca_watch.gloss import english_gloss

    return english_gloss(title, fields, published, glossary=_glossary(GLOSSARY_OVERRIDES.get()))


_GLOSSARIES: dict[str, Any] = {}


def _glossary(overrides: Mapping[str, Any] | None) -> Any:
    from cnca_watch.gloss import load_glossary, package_glossary

    if not overrides:
        return package_glossary()
    key = repr(sorted(overrides.items()))
    if key not in _GLOSSARIES:
        _GLOSSARIES[key] = load_glossary(overrides)
    return _GLOSSARIES[key]


def under_title(change: Change) -> list[str]:
    """The lines shown under a change's title: its fields, then (``--lang en``) the gloss."""
    return [line for line in (fields_line(change.fields), gloss_line(change)) if line]
