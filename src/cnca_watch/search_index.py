"""Full-text search over announcement titles, bodies and attachment text (SQLite FTS5, trigram).

Pure SQL helpers over a ``sqlite3.Connection``; no store import and no commit: the caller's
transaction covers every write, so a killed run leaves index and data consistent.

Why this shape:
* Chinese has no spaces, so the ``trigram`` tokenizer: every query term is a literal,
  case-insensitive substring.
* ``detail='column'``: the index records which column holds a trigram but not where, which
  keeps it at 1.2–1.4× the text instead of ~2.3× with positions (bench/bench_search.py).  The
  price: FTS5 runs no phrases, so a term of 4+ characters is asked as the AND of its
  trigrams (a superset) and every candidate is confirmed with ``instr`` on its text.
* Trigrams cannot hold a 1–2 character term (认证, 3C).  Each column is indexed with two
  trailing spaces, so every character of the text starts a trigram; a short term becomes
  "every trigram that starts with it", read from the term dictionary (``fts5vocab``) —
  exact, not a guess.
* Ranking is BM25 with the title weighted above body and attachments, computed from the
  text for the newest ``CANDIDATES`` matches: FTS5's bm25() would need positions, and
  without them re-tokenizes every matching row (seconds on a common word).
* External content (``search_doc``, shown to FTS5 through a padding view) keeps only the index
  in FTS5's own tables; snippets are cut from ``search_doc`` by character position.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Sequence

# the query language, ranking and snippets are shared with PostgreSQL's search (search_pg)
from cnca_watch.search_query import (
    CANDIDATES,
    FIELDS,
    Hit,
    Query,
    SearchQueryError,
    ascii_lower,
    bm25_score,
    checked_fields,
    idf,
    parse_query,
    ranked,
    snippet_hit,
)

__all__ = [
    "FIELDS", "Hit", "Query", "SearchQueryError", "SearchUnavailable", "ensure_schema", "index_document",
    "optimize_index", "parse_query", "rebuild_index", "remove_document", "search",
]

_PAD = "  "  # two trailing spaces: every character then starts a trigram
_MAX_EXPANSION = 20_000  # distinct trigrams one short term may expand to (a 1-char term can be thousands)

PLAIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_doc (
    doc_id      INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    attachments TEXT NOT NULL
);
"""
# the documents' text (the only table a PostgreSQL store has), then SQLite's FTS5 index over it
SCHEMA = PLAIN_SCHEMA + f"""
CREATE VIEW IF NOT EXISTS search_doc_padded AS
    SELECT doc_id, title || '{_PAD}' AS title, body || '{_PAD}' AS body, attachments || '{_PAD}' AS attachments
    FROM search_doc;
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    title, body, attachments,
    content='search_doc_padded', content_rowid='doc_id', tokenize='trigram', detail='column'
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_vocab USING fts5vocab(search_fts, 'row');
"""


class SearchUnavailable(RuntimeError):
    """This Python's SQLite lacks FTS5 or its trigram tokenizer."""


def check_available(conn: sqlite3.Connection) -> None:
    """Raise ``SearchUnavailable`` (one line) when FTS5 with the trigram tokenizer is missing."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.search_probe USING fts5(x, tokenize='trigram')")
        conn.execute("DROP TABLE temp.search_probe")
    except sqlite3.OperationalError as exc:
        raise SearchUnavailable(
            f"search needs SQLite 3.34+ built with FTS5 (this Python has SQLite {sqlite3.sqlite_version}: {exc}); "
            "use a Python whose sqlite3 is newer"
        ) from None


def ensure_schema(conn: sqlite3.Connection) -> None:
    check_available(conn)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def index_document(conn: sqlite3.Connection, doc_id: int, title: str, body: str, attachments_text: str) -> None:
    """Index (or re-index) one document.  Runs in the caller's transaction."""
    new = (title or "", body or "", attachments_text or "")
    old = conn.execute("SELECT title, body, attachments FROM search_doc WHERE doc_id = ?", (doc_id,)).fetchone()
    if old is not None:
        if tuple(old) == new:
            return
        _fts_delete(conn, doc_id, old)
        conn.execute("UPDATE search_doc SET title = ?, body = ?, attachments = ? WHERE doc_id = ?", (*new, doc_id))
    else:
        conn.execute("INSERT INTO search_doc (doc_id, title, body, attachments) VALUES (?, ?, ?, ?)", (doc_id, *new))
    conn.execute(
        "INSERT INTO search_fts (rowid, title, body, attachments) VALUES (?, ?, ?, ?)",
        (doc_id, *(value + _PAD for value in new)),
    )


def remove_document(conn: sqlite3.Connection, doc_id: int) -> bool:
    """Drop one document from the index; False when it was not indexed."""
    old = conn.execute("SELECT title, body, attachments FROM search_doc WHERE doc_id = ?", (doc_id,)).fetchone()
    if old is None:
        return False
    _fts_delete(conn, doc_id, old)
    conn.execute("DELETE FROM search_doc WHERE doc_id = ?", (doc_id,))
    return True


def _fts_delete(conn: sqlite3.Connection, doc_id: int, old: Sequence[str]) -> None:
    # External content: FTS5 must be told the exact values it indexed to remove their tokens.
    conn.execute(
        "INSERT INTO search_fts (search_fts, rowid, title, body, attachments) VALUES ('delete', ?, ?, ?, ?)",
        (doc_id, *(value + _PAD for value in old)),
    )


def rebuild_index(conn: sqlite3.Connection) -> None:
    """Re-derive the FTS index from ``search_doc`` (repair, or after a bulk load)."""
    conn.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")


def optimize_index(conn: sqlite3.Connection) -> None:
    """Merge the index's segments into one: smaller and faster after a large upgrade load."""
    conn.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")


# ---------------------------------------------------------------------------- queries

def search(
    conn: sqlite3.Connection,
    query: str | Query,
    *,
    fields: Sequence[str] = FIELDS,
    limit: int = 20,
    doc_filter: tuple[str, Sequence[object]] | None = None,
) -> list[Hit]:
    """Ranked hits for ``query`` in ``fields``.

    ``doc_filter`` narrows the documents: an SQL subquery yielding the allowed doc ids, with its
    parameters, written by the caller (never by the user), e.g.
    ``("SELECT id FROM versions WHERE day >= ?", [since])`` for ``--since``.
    """
    parsed = parse_query(query) if isinstance(query, str) else query
    fields = checked_fields(fields, limit)
    expression = _fts_expression(conn, parsed)
    if expression is None:
        return []
    try:
        found = _ranked(conn, parsed, expression, fields, limit, doc_filter)
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax" in str(exc):
            raise SearchQueryError(f"search query {parsed.terms!r} could not be run ({exc}); simplify it") from None
        raise
    texts = _texts(conn, [doc_id for doc_id, _ in found])
    return [
        snippet_hit(doc_id, rank, score, texts.get(doc_id, {}), fields, parsed)
        for rank, (doc_id, score) in enumerate(found, start=1)
    ]


def _ranked(
    conn: sqlite3.Connection,
    query: Query,
    expression: str,
    fields: tuple[str, ...],
    limit: int,
    doc_filter: tuple[str, Sequence[object]] | None,
) -> list[tuple[int, float]]:
    """BM25 (``search_query.bm25_score``: title weighted, term presence per field) over the
    newest ``CANDIDATES`` matches.

    FTS5's own bm25() needs token positions, which detail='column' does not keep: it would
    re-tokenize every matching document (seconds on a common word).  Here every input comes
    from the index itself: which field holds each term (column-filtered queries over the
    candidates' rowid range), field lengths (FTS5's docsize table), document frequencies
    (the term dictionary).  Only the best-scored candidates are then confirmed on their text.
    """
    totals = _totals(conn)
    if totals is None:
        return []
    documents, averages = totals
    where: list[str] = ["search_fts MATCH ?"]
    parameters: list[object] = [_in_fields(expression, fields)]
    if doc_filter:
        where.append(f"rowid IN ({doc_filter[0]})")
        parameters += list(doc_filter[1])
    candidates = [row[0] for row in conn.execute(
        f"SELECT rowid FROM search_fts WHERE {' AND '.join(where)} ORDER BY rowid DESC LIMIT ?", (*parameters, CANDIDATES)
    )]  # fmt: skip
    if not candidates:
        return []
    low, high = candidates[-1], candidates[0]
    sizes = _field_lengths(conn, candidates)
    present: dict[int, list[tuple[str, str]]] = {doc_id: [] for doc_id in candidates}
    idfs: dict[str, float] = {}
    for term in query.terms:
        term_expression = _term_expression(conn, term)
        if term_expression is None:
            continue
        idfs[term] = idf(documents, _document_frequency(conn, term, documents))
        for field in fields:
            for (doc_id,) in conn.execute(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH ? AND rowid BETWEEN ? AND ?",
                (_in_fields(term_expression, (field,)), low, high),
            ):
                if doc_id in present:
                    present[doc_id].append((term, field))
    ordered = ranked({
        doc_id: bm25_score(pairs, sizes.get(doc_id), averages, idfs) for doc_id, pairs in present.items()
    })  # fmt: skip
    if all(len(term) <= 3 for term in query.terms):
        return ordered[:limit]  # trigram and prefix matches are exact: nothing to confirm
    return _confirmed(conn, query, fields, ordered, limit)


def _texts(conn: sqlite3.Connection, doc_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """The documents' text per field (snippets are cut from it)."""
    return {
        doc_id: dict(zip(FIELDS, row))
        for doc_id, *row in conn.execute(
            "SELECT doc_id, title, body, attachments FROM search_doc WHERE doc_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(doc_ids)),),
        )
    }


def _confirmed(
    conn: sqlite3.Connection, query: Query, fields: tuple[str, ...], ordered: list[tuple[int, float]], limit: int
) -> list[tuple[int, float]]:
    """The first ``limit`` candidates whose text really holds the query (trigram AND is a superset)."""
    confirmation, confirm_parameters = _confirmation(query, fields)
    kept: list[tuple[int, float]] = []
    batch = max(limit * 2, 40)
    for start in range(0, len(ordered), batch):
        chunk = ordered[start : start + batch]
        ids = json.dumps([doc_id for doc_id, _ in chunk])
        good = {row[0] for row in conn.execute(
            f"SELECT d.doc_id FROM search_doc AS d WHERE d.doc_id IN (SELECT value FROM json_each(?)) AND ({confirmation})",
            (ids, *confirm_parameters),
        )}  # fmt: skip
        kept += [item for item in chunk if item[0] in good]
        if len(kept) >= limit:
            break
    return kept[:limit]


def _field_lengths(conn: sqlite3.Connection, doc_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Tokens per column of each document, from FTS5's docsize table (no text is read)."""
    lengths = {}
    for doc_id, blob in conn.execute(
        "SELECT id, sz FROM search_fts_docsize WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(doc_ids)),)
    ):
        values, value = [], 0
        for byte in blob:  # SQLite varints; sizes never need the 9-byte form
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                values.append(value)
                value = 0
        lengths[doc_id] = dict(zip(FIELDS, values))
    return lengths


def _document_frequency(conn: sqlite3.Connection, term: str, documents: int) -> int:
    """Documents holding ``term``, estimated from the trigram dictionary (exact for 3 characters)."""
    term = term.lower()  # the dictionary holds case-folded trigrams, as ``_expand`` reads them
    if len(term) >= 3:
        counts = [
            row[0] if (row := conn.execute("SELECT doc FROM search_vocab WHERE term = ?", (trigram,)).fetchone()) else 0
            for trigram in _trigrams(term)
        ]
        return min(counts)
    total = conn.execute(
        "SELECT coalesce(sum(doc), 0) FROM search_vocab WHERE term >= ? AND term < ?", (term, term + "\U0010ffff")
    ).fetchone()[0]
    return min(int(total), documents)


def _totals(conn: sqlite3.Connection) -> tuple[int, dict[str, float]] | None:
    """Documents indexed and mean tokens per field, from FTS5's own 'averages' record."""
    row = conn.execute("SELECT block FROM search_fts_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return None
    values: list[int] = []
    offset = 0
    while offset < len(row[0]) and len(values) < 1 + len(FIELDS):
        value, offset = _varint(row[0], offset)
        values.append(value)
    documents = values[0]
    if documents == 0:
        return None
    return documents, {field: total / documents for field, total in zip(FIELDS, values[1:])}


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """SQLite's varint: big-endian 7-bit groups, the 9th byte whole."""
    value = 0
    for index in range(9):
        byte = data[offset + index]
        if index == 8:
            return (value << 8) | byte, offset + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, offset + index + 1
    raise AssertionError("unreachable")


def _in_fields(expression: str, fields: Sequence[str]) -> str:
    return expression if tuple(fields) == FIELDS else "{" + " ".join(fields) + "} : (" + expression + ")"


def _fts_expression(conn: sqlite3.Connection, query: Query) -> str | None:
    """The FTS5 MATCH text; None when no group can match (a needed short term occurs nowhere)."""
    groups = []
    for group in query.groups:
        parts = [_term_expression(conn, term) for term in group]
        if all(part is not None for part in parts):
            groups.append("(" + " AND ".join(f"({part})" for part in parts) + ")")
    return " OR ".join(groups) if groups else None


def _term_expression(conn: sqlite3.Connection, term: str) -> str | None:
    """One term as FTS5 text: its trigrams ANDed, or (1–2 characters) every trigram it starts."""
    if len(term) >= 3:
        return " AND ".join(_phrase(t) for t in _trigrams(term))
    expansion = _expand(conn, term)
    return " OR ".join(_phrase(t) for t in expansion) if expansion else None


def _expand(conn: sqlite3.Connection, term: str) -> list[str]:
    """Every indexed trigram that begins with the 1–2 character ``term`` (the tokenizer folds case)."""
    prefix = term.lower()
    rows = conn.execute(
        "SELECT term FROM search_vocab WHERE term >= ? AND term < ? LIMIT ?",
        (prefix, prefix + "\U0010ffff", _MAX_EXPANSION + 1),
    ).fetchall()
    if len(rows) > _MAX_EXPANSION:
        raise SearchQueryError(f"search term {term!r} is too short to search alone here; add a longer word")
    return [t for (t,) in rows]


def _trigrams(term: str) -> list[str]:
    return list(dict.fromkeys(term[i : i + 3] for i in range(len(term) - 2)))


def _confirmation(query: Query, fields: Sequence[str]) -> tuple[str, list[object]]:
    """SQL over ``d`` (search_doc) true exactly when the document matches ``query`` in ``fields``."""
    groups: list[str] = []
    parameters: list[object] = []
    for group in query.groups:
        terms = []
        for term in group:
            terms.append("(" + " OR ".join(f"instr(lower(d.{field}), ?) > 0" for field in fields) + ")")
            parameters += [ascii_lower(term)] * len(fields)
        groups.append("(" + " AND ".join(terms) + ")")
    return " OR ".join(groups), parameters


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'
