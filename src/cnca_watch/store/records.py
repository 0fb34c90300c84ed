"""The frozen values the store hands out (besides the shared ones in ``cnca_watch.models``)."""

from __future__ import annotations

from dataclasses import dataclass

from cnca_watch.models import AreaTag, Attachment, AttachmentFile, Change, Snapshot


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store knows about a source before this run's diff."""

    known: bool  # the source was observed before (else this is its first run)
    items_seen: int | None  # window size at its last ok run
    snapshots: dict[str, Snapshot]
    url: str | None = None  # the page it was watched at until now


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    sources_ok: int
    sources_failed: int
    new: int
    changed: int
    removed: int


@dataclass(frozen=True, slots=True)
class Retagging:
    """Tags a version had before a re-tagging replaced them."""

    retag_id: int
    at: str
    vocabulary_hash: str
    areas: tuple[AreaTag, ...]


@dataclass(frozen=True, slots=True)
class VersionRecord:
    id: int
    run_id: int
    seen_at: str
    title: str
    date: str | None
    body: str
    attachments: tuple[Attachment, ...]
    areas: tuple[AreaTag, ...]
    list_title: str
    list_date: str | None
    previous_tags: tuple[Retagging, ...] = ()  # oldest first
    # the captured file of each attachment link, with its text (what the fields work reads)
    files: tuple[AttachmentFile, ...] = ()


@dataclass(frozen=True, slots=True)
class AnnouncementHistory:
    id: int
    source: str
    url: str
    first_seen_run: int
    listed: bool
    removed: bool
    versions: list[VersionRecord]  # oldest first
    changes: list[Change]  # oldest first


@dataclass(frozen=True, slots=True)
class RetagResult:
    id: int
    at: str
    vocabulary_hash: str
    total: int
    changed: int
