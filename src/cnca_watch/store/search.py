"""The store's side of search: every stored version is one document (doc id = version id) of
``search_doc``, indexed in the transaction that stores the version, and searched by
``search_index`` (SQLite's FTS5) or ``search_pg`` (PostgreSQL, pg_trgm) — one query grammar,
scoring and snippet code for both (``search_query``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence, cast

from cnca_watch import search_index
from cnca_watch.models import AreaTag
from cnca_watch.store.backend import Db
from cnca_watch.store.codec import areas_from_json

if TYPE_CHECKING:
    from cnca_watch.store.backend import PostgresDb

# a version's hits are folded into its announcement's best one: ask for more than shown
_OVERFETCH = 4


@dataclass(frozen=True, slots=True)
class SearchFilters:
    sources: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    since: str | None = None  # publication date (YYYY-MM-DD), inclusive
    until: str | None = None  # exclusive
    kinds: tuple[str, ...] = ()  # versions recorded with a change of these kinds


@dataclass(frozen=True, slots=True)
class SearchHit:
    rank: int
    score: float
    announcement_id: int
    version_id: int
    url: str
    source: str
    title: str
    date: str | None
    areas: tuple[AreaTag, ...]
    field: str  # title | body | attachments
    snippet: str
    spans: tuple[tuple[int, int], ...]


def index_version(conn: Db, version_id: int, title: str, body: str, attachments_text: str) -> None:
    if conn.dialect == "sqlite":  # FTS5's external content is told about every change
        search_index.index_document(conn.conn, version_id, title, body, attachments_text)  # type: ignore[attr-defined]
        return
    conn.execute(
        "INSERT INTO search_doc (doc_id, title, body, attachments) VALUES (?, ?, ?, ?) ON CONFLICT (doc_id)"
        " DO UPDATE SET title = excluded.title, body = excluded.body, attachments = excluded.attachments",
        (version_id, title or "", body or "", attachments_text or ""),
    )


def _doc_filter(filters: SearchFilters, dialect: str) -> tuple[str, list[object]] | None:
    clauses: list[str] = []
    params: list[object] = []
    if filters.sources:
        clauses.append(f"s.name IN ({','.join('?' * len(filters.sources))})")
        params += filters.sources
    if filters.areas:
        # areas_json is our own compact JSON: each tag starts {"id":"<id>",
        contains = "instr(v.areas_json, ?) > 0" if dialect == "sqlite" else "strpos(v.areas_json, ?) > 0"
        clauses.append("(" + " OR ".join(contains for _ in filters.areas) + ")")
        params += [f'{{"id":"{area}",' for area in filters.areas]
    if filters.since:
        clauses.append("v.date >= ?")
        params.append(filters.since)
    if filters.until:
        clauses.append("v.date < ?")
        params.append(filters.until)
    if filters.kinds:
        clauses.append(
            f"v.id IN (SELECT version_id FROM changes WHERE kind IN ({','.join('?' * len(filters.kinds))}))"
        )
        params += filters.kinds
    if not clauses:
        return None
    sql = (
        "SELECT v.id FROM versions v JOIN announcements a ON a.id = v.announcement_id"
        " JOIN sources s ON s.id = a.source_id WHERE " + " AND ".join(clauses)
    )
    return sql, params


def search_versions(
    db: Db,
    query: str,
    *,
    fields: Sequence[str] = search_index.FIELDS,
    limit: int = 20,
    filters: SearchFilters = SearchFilters(),
) -> list[SearchHit]:
    """Ranked hits, at most one per announcement (its best-ranked version)."""
    doc_filter = _doc_filter(filters, db.dialect)
    if db.dialect == "sqlite":
        conn = db.conn  # type: ignore[attr-defined]  # FTS5 is SQLite's own
        hits = search_index.search(conn, query, fields=fields, limit=limit * _OVERFETCH, doc_filter=doc_filter)
    else:
        from cnca_watch import search_pg

        hits = search_pg.search(cast("PostgresDb", db), query, fields=fields, limit=limit * _OVERFETCH, doc_filter=doc_filter)
    if not hits:
        return []
    rows: dict[int, tuple[Any, ...]] = {}
    ids = [h.doc_id for h in hits]
    for row in db.execute(
        "SELECT v.id, a.id, a.url, s.name, v.title, v.date, v.areas_json FROM versions v"
        " JOIN announcements a ON a.id = v.announcement_id JOIN sources s ON s.id = a.source_id"
        f" WHERE v.id IN ({','.join('?' * len(ids))})",
        ids,
    ):
        rows[row[0]] = row
    out: list[SearchHit] = []
    seen: set[int] = set()
    for hit in hits:
        row = rows.get(hit.doc_id)
        if row is None or row[1] in seen:
            continue
        seen.add(row[1])
        version_id, announcement_id, url, source, title, date, areas = row
        out.append(
            SearchHit(
                rank=len(out) + 1, score=round(hit.score, 4), announcement_id=announcement_id, version_id=version_id,
                url=url, source=source, title=title, date=date, areas=areas_from_json(areas),
                field=hit.field, snippet=hit.snippet, spans=hit.spans,
            )
        )
        if len(out) == limit:
            break
    return out


def search_notes(db: Db) -> list[str]:
    """Why searching this store is slower than it could be (PostgreSQL without a usable
    pg_trgm index), one line each; none for SQLite."""
    if db.dialect == "sqlite":
        return []
    from cnca_watch import search_pg

    return search_pg.index_notes(cast("PostgresDb", db))
