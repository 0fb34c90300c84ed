"""Full-text search on a PostgreSQL store: ``search_doc`` scanned by SQL, helped by pg_trgm.

The query is parsed once by ``search_query`` (the grammar SQLite's search uses too); this
module only emits PostgreSQL's SQL for it.  Read-only: a role with SELECT alone can search.

Why this shape:
* Matching is exact in SQL: ``LIKE '%term%'``, or ``ILIKE`` when the term has ASCII letters,
  on the store's ``COLLATE "C"`` text, which folds ASCII letters only, as SQLite's ``lower()``
  does; so no candidate needs confirming afterwards.
* pg_trgm's GIN index (``search_doc_trgm``, made by migration v8 where the extension can be
  created) serves LIKE/ILIKE for terms of 3+ characters.  A 1–2 character term has no trigram
  to look up: the planner then walks the newest documents backwards and stops after
  ``CANDIDATES`` matches.  Without the index (no extension, or no right to create it) the same
  SQL scans: correct, slower, and ``index_notes`` says so.
* pg_trgm reads only what the database's LC_CTYPE classes as letters: under plain ``C`` it
  skips Chinese altogether (its index then cannot narrow a Chinese query); any UTF-8 locale
  (``C.UTF-8``, ``en_US.UTF-8`` …) indexes it.
* Ranking is ``search_query.bm25_score``, SQLite's formula, fed from SQL: which field holds
  each term and the fields' lengths in characters for the newest ``CANDIDATES`` matches (one
  query); the document count exact; mean field lengths and each term's document frequency
  from the newest ``SAMPLE`` documents, scaled (exact on a store of up to ``SAMPLE``
  versions, where a query of 3-character terms scores exactly as on SQLite).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from cnca_watch.search_query import (
    CANDIDATES,
    FIELDS,
    Hit,
    Query,
    bm25_score,
    checked_fields,
    idf,
    parse_query,
    ranked,
    snippet_hit,
)

if TYPE_CHECKING:
    from cnca_watch.store.backend import PostgresDb

INDEX = "search_doc_trgm"
INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_doc"
    " USING gin (title gin_trgm_ops, body gin_trgm_ops, attachments gin_trgm_ops)"
)
# Each use of a stored (TOASTed, compressed) text decompresses it again: the newest ids are
# picked first, then each of their fields is decompressed once (``|| ''`` in a subquery the
# planner may not flatten, OFFSET 0) and the lengths and term tests read that copy.
_DETOASTED = (
    "SELECT t.doc_id, t.title || '' AS title, t.body || '' AS body, t.attachments || '' AS attachments"
    " FROM ({}) AS c JOIN search_doc AS t ON t.doc_id = c.doc_id OFFSET 0"
)
SAMPLE = 1_000  # newest documents that mean lengths and document frequencies are read from


def ensure_index(db: "PostgresDb") -> bool:
    """Create pg_trgm and the trigram index, if the server has the extension and this role may
    create it; False (and nothing changed) otherwise.  Runs in the caller's transaction."""
    try:
        with db.conn.transaction():  # a savepoint: a refusal must not undo the caller's migration
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            db.execute(INDEX_SQL)
    except db.errors:
        return False
    return True


def index_notes(db: "PostgresDb") -> list[str]:
    """What makes this store's search slower than it could be, one line each (empty: nothing)."""
    row = db.execute(
        "SELECT to_regclass(?) IS NOT NULL, d.datlocprovider = 'c' AND d.datctype IN ('C', 'POSIX')"
        " FROM pg_database d WHERE d.datname = current_database()",
        (INDEX,),
    ).fetchone()
    has_index, c_ctype = bool(row[0]), bool(row[1])
    if not has_index:
        return [
            f"note: search on {db.label} scans every document (no pg_trgm index: the server lacks the "
            "extension or this store's role could not create it) — correct, slower; the database owner can add it: "
            f"CREATE EXTENSION pg_trgm; {INDEX_SQL}"
        ]
    if c_ctype:
        return [
            f"note: search on {db.label}: the database's LC_CTYPE is C, so pg_trgm skips Chinese characters "
            "and Chinese queries scan every document — correct, slower; a database created with "
            "LC_CTYPE 'C.UTF-8' (store copy into it) indexes them"
        ]
    return []


def search(
    db: "PostgresDb",
    query: str | Query,
    *,
    fields: Sequence[str] = FIELDS,
    limit: int = 20,
    doc_filter: tuple[str, Sequence[object]] | None = None,
) -> list[Hit]:
    """Ranked hits for ``query`` in ``fields`` (``search_index.search``'s contract, on PostgreSQL).

    ``doc_filter``: an SQL subquery yielding the allowed doc ids, with its parameters, written
    by the caller (never by the user)."""
    parsed = parse_query(query) if isinstance(query, str) else query
    fields = checked_fields(fields, limit)
    match_sql, match_parameters = _match(parsed, fields)
    presence = [(term, field) for term in parsed.terms for field in fields]
    where, parameters = [match_sql], list(match_parameters)
    if doc_filter:
        where.append(f"d.doc_id IN ({doc_filter[0]})")
        parameters += list(doc_filter[1])
    holds = {term: _holds(term) for term in parsed.terms}
    newest = f"SELECT d.doc_id FROM search_doc AS d WHERE {' AND '.join(where)} ORDER BY d.doc_id DESC LIMIT ?"
    rows = db.execute(
        "SELECT s.doc_id, length(s.title), length(s.body), length(s.attachments)"
        + "".join(", " + holds[term][0].format(f"s.{field}") for term, field in presence)
        + f" FROM ({_DETOASTED.format(newest)}) AS s",
        [*(holds[term][1] for term, _ in presence), *parameters, CANDIDATES],
    ).fetchall()
    if not rows:
        return []
    documents, averages, frequencies = _statistics(db, parsed)
    idfs = {term: idf(documents, frequencies[term]) for term in parsed.terms}
    scores = {
        row[0]: bm25_score(
            [pair for pair, held in zip(presence, row[4:]) if held], dict(zip(FIELDS, row[1:4])), averages, idfs
        )
        for row in rows
    }
    found = ranked(scores)[:limit]
    texts = _texts(db, [doc_id for doc_id, _ in found])
    return [
        snippet_hit(doc_id, rank, score, texts.get(doc_id, {}), fields, parsed)
        for rank, (doc_id, score) in enumerate(found, start=1)
    ]


def _match(query: Query, fields: Sequence[str], alias: str = "d") -> tuple[str, list[object]]:
    """SQL over ``alias`` (search_doc) true exactly when the document answers ``query`` in ``fields``."""
    groups: list[str] = []
    parameters: list[object] = []
    for group in query.groups:
        terms = []
        for term in group:
            sql, parameter = _holds(term)
            terms.append("(" + " OR ".join(sql.format(f"{alias}.{field}") for field in fields) + ")")
            parameters += [parameter] * len(fields)
        groups.append("(" + " AND ".join(terms) + ")")
    return "(" + " OR ".join(groups) + ")", parameters


def _holds(term: str) -> tuple[str, str]:
    """(SQL with ``{}`` for the column, its parameter): true when the column holds ``term``.

    LIKE when the term has no ASCII letter to fold (it scans fastest), else ILIKE; both exact
    on the store's ``COLLATE "C"`` text, and both served by pg_trgm's index for 3+ characters."""
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    folds = any(char.isascii() and char.isalpha() for char in term)
    return ("{} ILIKE ?" if folds else "{} LIKE ?"), pattern


def _statistics(db: "PostgresDb", query: Query) -> tuple[int, dict[str, float], dict[str, int]]:
    """(documents, mean length per field, documents holding each term in any field).

    Counted over the newest ``SAMPLE`` documents and scaled to the whole store: a bounded
    read whatever the store's size or the term's frequency."""
    terms = list(query.terms)
    holds = [_holds(term) for term in terms]
    counts = [
        "count(*) FILTER (WHERE " + " OR ".join(sql.format(f"s.{field}") for field in FIELDS) + ")" for sql, _ in holds
    ]
    row = db.execute(
        # sums, not avg(): Python divides as SQLite's search does, so equal inputs score equal bits
        "SELECT (SELECT count(*) FROM search_doc), count(*), sum(length(s.title)), sum(length(s.body)),"
        f" sum(length(s.attachments)), {', '.join(counts)} FROM"
        f" ({_DETOASTED.format('SELECT doc_id FROM search_doc ORDER BY doc_id DESC LIMIT ?')}) AS s",
        [*(pattern for _, pattern in holds for _ in FIELDS), SAMPLE],
    ).fetchone()
    documents, sampled = int(row[0]), int(row[1])
    averages = {field: int(total or 0) / sampled if sampled else 0.0 for field, total in zip(FIELDS, row[2:5])}
    scale = documents / sampled if sampled else 0.0
    frequencies = {term: max(int(round(count * scale)), 1 if count else 0) for term, count in zip(terms, row[5:])}
    return documents, averages, frequencies


def _texts(db: "PostgresDb", doc_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    if not doc_ids:
        return {}
    rows = db.execute(
        f"SELECT doc_id, title, body, attachments FROM search_doc WHERE doc_id IN ({', '.join('?' * len(doc_ids))})",
        list(doc_ids),
    ).fetchall()
    return {doc_id: dict(zip(FIELDS, texts)) for doc_id, *texts in rows}
