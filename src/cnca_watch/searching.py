"""What ``search`` and ``attachment get`` do, as library calls (the CLI only parses flags)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from cnca_watch.errors import UsageError
from cnca_watch.operations import check_areas, open_existing_store

if TYPE_CHECKING:
    from cnca_watch.settings import Config
    from cnca_watch.store.attachments import StoredFile
    from cnca_watch.store.search import SearchHit

KINDS = ("new", "changed", "removed")
FIELDS = ("title", "body", "attachments")


@dataclass(frozen=True, slots=True)
class SearchResult:
    """``search``'s payload: the query as given, where it looked, and the ranked hits; ``notes``
    (not part of the output) say why this store searches slower than it could."""

    query: str
    fields: tuple[str, ...]
    hits: tuple["SearchHit", ...]
    notes: tuple[str, ...] = ()


def search_store(
    config: "Config",
    query: str,
    *,
    areas: Sequence[str] = (),
    sources: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    kinds: Sequence[str] = (),
    fields: Sequence[str] = FIELDS,
    limit: int = 20,
) -> SearchResult:
    """Ranked full-text hits over every stored version's title, body and attachment text.

    ``since``/``until`` bound the publication date (``7d``, ``2w`` or ``YYYY-MM-DD``)."""
    from cnca_watch.clock import parse_when
    from cnca_watch.search_index import SearchQueryError, SearchUnavailable
    from cnca_watch.store.search import SearchFilters

    bad_kind = [k for k in kinds if k not in KINDS]
    if bad_kind:
        raise UsageError(f"--kind {bad_kind[0]!r} is not a change kind; use one of {', '.join(KINDS)}")
    bad_field = [f for f in fields if f not in FIELDS]
    if bad_field:
        raise UsageError(f"--in {bad_field[0]!r} is not searchable; use one of {', '.join(FIELDS)}")
    if limit < 1:
        raise UsageError(f"--limit {limit} must be at least 1")
    check_areas(config, list(areas))
    filters = SearchFilters(
        sources=tuple(sources),
        areas=tuple(areas),
        since=parse_when(since, option="--since")[:10] if since else None,
        until=parse_when(until, option="--until")[:10] if until else None,
        kinds=tuple(kinds),
    )
    chosen = tuple(f for f in FIELDS if f in fields) or FIELDS
    with open_existing_store(config) as store:
        try:
            hits = store.search(query, fields=chosen, limit=limit, filters=filters)
        except (SearchQueryError, SearchUnavailable) as exc:
            raise UsageError(str(exc)) from None
        notes = store.search_notes()
    return SearchResult(query=query, fields=chosen, hits=tuple(hits), notes=tuple(notes))


def attachment_file(config: "Config", key: str) -> "StoredFile":
    """A stored attachment file by SHA-256 (or a unique 8+ digit prefix) or by its link."""
    from cnca_watch.urls import canonical_url

    with open_existing_store(config) as store:
        found = store.attachment_file(key) or store.attachment_file(canonical_url(key.strip(), key.strip()) or key)
    if found is None:
        raise UsageError(
            f"no attachment {key!r} in {config.store_label}; give a file's SHA-256 or its link as `show` lists them"
        )
    if found.content is None:
        raise UsageError(
            f"attachment {key!r} ({found.name}) was stored as text only ([store] keep_files = false); "
            "set keep_files = true to keep the files of later runs"
        )
    return found
