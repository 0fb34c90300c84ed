"""The typed values that flow between the stages.

config -> fetch (Page) -> extract (ListedItem, Detail) -> classify (AreaTag)
-> diff (Change) -> store -> render/notify (RunResult).

Every value is frozen: a stage never mutates what an earlier stage produced.
Dates are ``YYYY-MM-DD`` strings (publication day, Beijing time); timestamps are
ISO 8601 strings in UTC with a ``Z`` suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class Page:
    """One HTTP answer, decoded.  Produced by ``fetch``."""

    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str]  # lower-cased names
    content: bytes
    text: str  # decoded text ('' for a 304)
    encoding: str  # the codec used for ``text``
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Validators:
    """Conditional-GET validators remembered for one URL."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class ListedItem:
    """One row of a list page, in page order (position 0 = newest/top)."""

    url: str  # canonical absolute URL: the announcement's identity
    title: str  # whole title (``a[title]`` preferred over a text truncated with …)
    date: str | None  # YYYY-MM-DD or None when the row shows none
    position: int


@dataclass(frozen=True, slots=True)
class Attachment:
    url: str  # absolute
    name: str  # file name as the page shows it (link text, title, or fileName=)


@dataclass(frozen=True, slots=True)
class Detail:
    """What a detail page says about an announcement.  Produced by ``extract.detail``."""

    title: str | None
    date: str | None  # displayed 发布时间, else PubDate meta, as YYYY-MM-DD
    body: str  # plain text, paragraphs separated by "\n"
    attachments: tuple[Attachment, ...] = ()
    issuer: str | None = None  # 信息来源 / ContentSource


@dataclass(frozen=True, slots=True)
class Evidence:
    term: str  # the vocabulary term that matched
    where: str  # "title" | "body"


@dataclass(frozen=True, slots=True)
class AreaTag:
    id: str  # e.g. "unified-management"
    label_en: str
    label_zh: str
    score: float
    evidence: tuple[Evidence, ...] = ()


def area_tag_to_dict(tag: AreaTag) -> dict[str, Any]:
    """The one JSON shape of a tag: what the store keeps and what every output shows."""
    return {
        "id": tag.id,
        "label_en": tag.label_en,
        "label_zh": tag.label_zh,
        "score": tag.score,
        "evidence": [{"term": e.term, "where": e.where} for e in tag.evidence],
    }


def attachment_to_dict(attachment: Attachment) -> dict[str, str]:
    return {"url": attachment.url, "name": attachment.name}


@dataclass(frozen=True, slots=True)
class Announcement:
    """An announcement as observed in this run: list row + detail + tags."""

    url: str
    title: str
    date: str | None
    body: str = ""
    attachments: tuple[Attachment, ...] = ()
    areas: tuple[AreaTag, ...] = ()
    list_title: str = ""  # the list row as seen, to decide when to refetch the detail
    list_date: str | None = None
    position: int = 0
    area_reason: str | None = None  # why these areas (or none): the classifier's reason


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The latest stored version of an announcement, as ``diff`` needs it."""

    url: str
    title: str
    date: str | None
    body: str
    attachments: tuple[Attachment, ...]
    areas: tuple[AreaTag, ...]
    list_title: str
    list_date: str | None
    listed: bool  # inside the list window at the last successful run
    position: int | None  # position in that window
    removed: bool = False  # a `removed` change was already recorded
    area_reason: str | None = None


class ChangeKind(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    source: str  # source name
    url: str
    title: str
    date: str | None
    fields_changed: tuple[str, ...] = ()  # subset of ("title", "date", "body", "attachments")
    diff: str = ""  # inline word diff: "[-old-]{+new+}" (CJK by character)
    attachments: tuple[Attachment, ...] = ()
    areas: tuple[AreaTag, ...] = ()
    detected_at: str = ""  # when cnca-watch saw it (UTC ISO)
    id: int | None = None  # store id, once stored
    area_reason: str | None = None  # why these areas, or why none ("in the domain, no task-area signal")


class SourceStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    BLOCKED = "blocked"
    LAYOUT_CHANGED = "layout_changed"


@dataclass(frozen=True, slots=True)
class SourceResult:
    name: str
    url: str
    status: SourceStatus
    error: str | None = None
    items_seen: int = 0
    first_run: bool = False
    new: int = 0
    changed: int = 0
    removed: int = 0
    requests: int = 0
    backfilled: int = 0  # older announcements that came into view below the known ones
    final_url: str | None = None  # where the list page answered from, after redirects


@dataclass(frozen=True, slots=True)
class RunResult:
    id: int
    started_at: str
    finished_at: str
    sources: tuple[SourceResult, ...]
    changes: tuple[Change, ...]  # this run's changes plus any not yet reported (backlog)

    @property
    def failed(self) -> bool:
        return any(s.status is not SourceStatus.OK for s in self.sources)


@dataclass(frozen=True, slots=True)
class SourceDiff:
    """``diff.diff_source`` output: the changes and the new window bookkeeping."""

    changes: tuple[Change, ...]
    unlisted: frozenset[str] = field(default_factory=frozenset)  # scrolled out of the window
    # older announcements that came into view below the known ones (recorded, not news)
    backfilled: frozenset[str] = field(default_factory=frozenset)
