"""``backfill``'s summary: pages, items, detail pages, bytes, time per source and in all (pure)."""

from __future__ import annotations

from typing import Any

from cnca_watch.backfill import BackfillResult, SourceBackfill
from cnca_watch.render.safe import one_line

_WHY = {
    "since": "reached --since",
    "pages": "reached --pages",
    "end": "list read to its end",
    "done-before": "nothing left (an earlier backfill got there)",
    "max-requests": "stopped at --max-requests; run backfill again to continue",
    "no-pager": "no numbered pages found: set the source's page_url (e.g. \"index_{n}.html\")",
    "error": "failed",
}


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} kB"


def source_line(s: SourceBackfill) -> str:
    why = _WHY.get(s.stopped_by, s.stopped_by)
    line = (
        f"{one_line(s.name)}: {s.pages} pages, {s.items} items recorded, {s.known} already known, "
        f"{s.detail_pages} detail pages, {s.requests} requests, {_size(s.bytes)}, {s.seconds:.1f} s — {why}"
    )
    return line + (f": {one_line(s.error)}" if s.error else "")


def backfill_text(result: BackfillResult) -> str:
    lines = [source_line(s) for s in result.sources]
    lines.append(
        f"backfill: {result.pages} list pages, {result.items} items recorded as history, "
        f"{result.detail_pages} detail pages, {result.requests} requests, {_size(result.bytes)}, {result.seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"


def backfill_json(result: BackfillResult) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "seconds": result.seconds,
        "since": result.since,
        "max_pages": result.max_pages,
        "max_requests": result.max_requests,
        "totals": {
            "pages": result.pages, "items": result.items, "detail_pages": result.detail_pages,
            "requests": result.requests, "bytes": result.bytes,
        },
        "sources": [
            {
                "name": s.name, "status": s.status, "stopped_by": s.stopped_by, "pages": s.pages, "items": s.items,
                "known": s.known, "detail_pages": s.detail_pages, "requests": s.requests, "bytes": s.bytes,
                "seconds": s.seconds, "next_page": s.next_page, "oldest_date": s.oldest_date, "error": s.error,
            }
            for s in result.sources
        ],
    }
