"""Attachment capture inside a check run: download, identify by SHA-256, read, diff.

Which links are fetched (``links_to_fetch``): those of new and changed announcements always,
and those of announcements published in the last ``recheck_attachments_days`` when their last
revalidation (``attachment_urls.checked_at``) is at least ``recheck_attachments_every_hours``
old — a conditional GET, so an unchanged file costs one 304.  Every other link keeps the file
the store already has.  Every failure is a per-file note: a hostile or missing file never fails
its source nor loses its announcement's change.

Revalidation follows the source's page fetches rather than starting beside them: the fetcher's
per-host queue has no priority, so a head start could only use a slot the list requests leave
idle (none, when several sources share a host) and would put old files ahead of the detail
pages that carry news (docs/PERFORMANCE.md §5 has the measurement).

The readers (pypdf, python-docx, openpyxl, xlrd) run in ``attachments.AttachmentReader``'s
child process, started only when a run has a file to read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol, Sequence

from cnca_watch.clock import hours_between
from cnca_watch.errors import FetchError
from cnca_watch.models import Announcement, Attachment, AttachmentFile, Page, Validators

if TYPE_CHECKING:
    from cnca_watch.attachments.read import AttachmentReader
    from cnca_watch.settings import FetchSettings
    from cnca_watch.store.attachments import KnownAttachment

_TEXT_DIFF_CHARS = 4_000  # a replaced file's text diff is cut here (show has the full texts)


class _Getter(Protocol):
    async def get(self, url: str, **kwargs: Any) -> Page: ...


class RunCapture:
    """What a whole run shares: the byte budget, the one reader child, files read so far."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.budget_left = settings.attachment_budget_bytes
        self.downloads = 0
        self._reader: AttachmentReader | None = None
        self._lock = asyncio.Lock()
        self._read: dict[str, AttachmentFile] = {}  # by SHA-256: a file linked twice is read once

    async def file(self, url: str, name: str, data: bytes, content_type: str | None) -> AttachmentFile:
        sha = hashlib.sha256(data).hexdigest()
        async with self._lock:  # one child reads one file at a time
            done = self._read.get(sha)
            if done is None:
                if self._reader is None:
                    from cnca_watch.attachments.read import AttachmentReader

                    self._reader = AttachmentReader(time_limit_s=self.settings.attachment_time_limit)
                result = await asyncio.to_thread(self._reader.read, data, name, content_type)
                sheets = [{"name": s.name, "rows": [list(r) for r in s.with_header()]} for s in result.sheets]
                done = AttachmentFile(
                    url=url, name=name, sha256=sha, size=len(data), kind=result.kind.value, text=result.text,
                    note=result.note, sheets_json=json.dumps(sheets, ensure_ascii=False, separators=(",", ":")),
                )
                self._read[sha] = done
        return AttachmentFile(
            url=url, name=name, sha256=sha, size=done.size, kind=done.kind, text=done.text, note=done.note,
            sheets_json=done.sheets_json,
        )

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


@dataclass
class SourceFiles:
    """One source's capture: the file now under each link, and what to store."""

    by_url: dict[str, AttachmentFile] = field(default_factory=dict)
    new_files: list[AttachmentFile] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)
    remembered: list[tuple[AttachmentFile, Validators]] = field(default_factory=list)
    replaced: dict[str, tuple[AttachmentFile, AttachmentFile]] = field(default_factory=dict)  # url -> old, new
    first_seen: set[str] = field(default_factory=set)  # links captured for the first time
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, name) asked for, no file
    notes: list[str] = field(default_factory=list)


def recent_cutoff(today: str, days: int) -> str:
    """The first publication day (YYYY-MM-DD) still revalidated ``days`` after ``today``."""
    return (date.fromisoformat(today[:10]) - timedelta(days=days)).isoformat()


def revalidation_due(
    known: KnownAttachment | None, now: str, every_hours: int, failed_at: str | None = None
) -> bool:
    """Whether a link of a recent, unchanged announcement is revalidated in the run at ``now``:
    throttle off (0), or last revalidated — or, never captured, last failed — at least
    ``every_hours`` ago; a link never asked for is due."""
    if every_hours <= 0:
        return True
    last = known.checked_at if known is not None else failed_at
    if last is None:
        return True
    age = hours_between(last, now)
    # a last check "in the future" (the clock was set back since) proves nothing: ask again
    return age is None or age < 0 or age >= every_hours


def links_to_fetch(
    candidates: Iterable[Announcement],
    always: set[str],
    known: Mapping[str, KnownAttachment],
    *,
    now: str,
    settings: FetchSettings,
    failed: Mapping[str, str] | None = None,
) -> set[str]:
    """The attachment links to ask for in this run: every link of the announcements in
    ``always`` (new, changed, a first run), and the due links of the recent others
    (``failed``: when each never-captured link last failed)."""
    cutoff = recent_cutoff(now, settings.recheck_attachments_days)
    every = settings.recheck_attachments_every_hours
    wanted: set[str] = set()
    for item in candidates:
        fetch_all = item.url in always
        recent = item.date is not None and item.date >= cutoff
        for attachment in item.attachments:
            failed_at = (failed or {}).get(attachment.url)
            if fetch_all or (recent and revalidation_due(known.get(attachment.url), now, every, failed_at)):
                wanted.add(attachment.url)
    return wanted


async def capture_source(
    announcements: Sequence[Announcement],
    to_fetch: set[str],
    known: Mapping[str, KnownAttachment],
    fetcher: _Getter,
    run: RunCapture,
) -> SourceFiles:
    """Fetch the links named in ``to_fetch``; carry every other known file."""
    out = SourceFiles()
    jobs: dict[str, tuple[Attachment, Announcement]] = {}
    for item in announcements:
        for attachment in item.attachments:
            url = attachment.url
            if url in out.by_url or url in jobs:
                continue
            if url in to_fetch and run.settings.attachments:
                jobs[url] = (attachment, item)
            elif url in known:
                out.by_url[url] = known[url].file
    await asyncio.gather(
        *(_fetch_one(link, item.url, known.get(url), fetcher, run, out) for url, (link, item) in jobs.items())
    )
    return out


async def _fetch_one(
    link: Attachment, referer: str, known: KnownAttachment | None, fetcher: _Getter, run: RunCapture, out: SourceFiles
) -> None:
    url = link.url

    def keep_known(note: str, *, link_failed: bool = False) -> None:
        out.notes.append(note)
        if known is not None:
            out.by_url[url] = known.file
        elif link_failed:
            out.failed.append((url, _link_name(link)))

    if run.budget_left <= 0:
        keep_known(
            f"{url}: not downloaded, this run's attachment budget "
            f"([fetch] attachment_budget_bytes = {run.settings.attachment_budget_bytes}) is spent"
        )
        return
    limit = min(run.settings.max_attachment_bytes, max(run.budget_left, 1))
    try:
        page = await fetcher.get(
            url, referer=referer, validators=known.validators if known else None, max_bytes=limit, binary=True
        )
    except FetchError as exc:  # BlockedError and GoneError included
        if limit < run.settings.max_attachment_bytes and "exceeds" in str(exc):
            keep_known(f"{url}: not downloaded, larger than what is left of this run's attachment budget")
        elif "exceeds" in str(exc):
            keep_known(
                f"{url}: skipped: over max_attachment_bytes ({run.settings.max_attachment_bytes} bytes)", link_failed=True
            )
        else:
            keep_known(f"attachment not downloaded: {exc}", link_failed=True)
        return
    if page.not_modified:
        if known is not None:
            out.by_url[url] = known.file
            out.remembered.append((known.file, known.validators))  # checked now: the throttle counts from here
        return
    run.budget_left -= len(page.content)
    run.downloads += 1
    validators = Validators(page.etag, page.last_modified)
    sha = hashlib.sha256(page.content).hexdigest()
    if known is not None and known.file.sha256 == sha:
        out.by_url[url] = known.file
        out.remembered.append((known.file, validators))
        return
    from cnca_watch.attachments.sniff import attachment_name

    disposition = page.headers.get("content-disposition")
    name = attachment_name(url, disposition) if disposition or "?" in url else _link_name(link)
    captured = await run.file(url, name, page.content, page.headers.get("content-type"))
    if known is not None and captured.kind == "html" and known.file.kind != "html":
        # a 200 with an error page where the file was: the site's failure, not a new version
        keep_known(f"{url}: served an HTML page instead of the file; the previous file is kept")
        return
    out.by_url[url] = captured
    out.new_files.append(captured)
    out.contents[captured.sha256] = page.content
    out.remembered.append((captured, validators))
    if captured.note:
        out.notes.append(f"{url}: {captured.note}")
    if known is None:
        out.first_seen.add(url)
    else:
        out.replaced[url] = (known.file, captured)


def _link_name(link: Attachment) -> str:
    from cnca_watch.attachments.sniff import attachment_name

    return link.name.strip() or attachment_name(link.url)


def with_files(item: Announcement, by_url: dict[str, AttachmentFile]) -> Announcement:
    """``item`` with the captured file of each of its links (links without one are left out)."""
    from dataclasses import replace

    files = tuple(by_url[a.url] for a in dict((a.url, a) for a in item.attachments).values() if a.url in by_url)
    return replace(item, files=files) if files != item.files else item


def replaced_file_diff(old: AttachmentFile, new: AttachmentFile, sheet_key: Sequence[str] = ()) -> str:
    """What changed in a file replaced under the same link: rows for sheets (keyed by the first
    ``sheet_key`` column a sheet has, else a detected one), text otherwise."""
    head = (
        f"attachment {new.name}: file replaced under the same link "
        f"({old.sha256[:12]} {old.size} B → {new.sha256[:12]} {new.size} B)"
    )
    sheet_lines = _sheet_diff(old, new, sheet_key)
    if sheet_lines is not None:
        return "\n".join([head, *sheet_lines])
    if old.text == new.text:
        return head + "; its text is the same"
    from cnca_watch.diff import word_diff

    text = word_diff(old.text, new.text)
    if len(text) > _TEXT_DIFF_CHARS:
        text = text[:_TEXT_DIFF_CHARS] + " …"
    return f"{head}\n{text}"


def _sheet_diff(old: AttachmentFile, new: AttachmentFile, sheet_key: Sequence[str] = ()) -> list[str] | None:
    old_sheets, new_sheets = json.loads(old.sheets_json or "[]"), json.loads(new.sheets_json or "[]")
    if not old_sheets or not new_sheets or new.kind not in ("xlsx", "xls"):
        return None
    from cnca_watch.attachments.rowdiff import diff_sheets_keyed, render_sheet_diff

    old_by_name = {s["name"]: s["rows"] for s in old_sheets}
    lines: list[str] = []
    for sheet in new_sheets:
        before = old_by_name.get(sheet["name"], [])
        sheet_diff, key_note = diff_sheets_keyed(before, sheet["rows"], sheet_key)
        if not sheet_diff.is_empty:
            lines.append(f"sheet {sheet['name']}: " + (f"({key_note}) " if key_note else "") + render_sheet_diff(sheet_diff))
    removed = [name for name in old_by_name if name not in {s["name"] for s in new_sheets}]
    lines += [f"sheet {name} removed" for name in removed]
    return lines or ["no row changed"]


def attachment_links(items: Iterable[Announcement]) -> list[str]:
    return list(dict.fromkeys(a.url for item in items for a in item.attachments))
