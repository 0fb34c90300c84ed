"""Search's query language, scoring and snippets: pure functions both stores share.

A query is parsed once, here, into a small tree (``Query``: an OR of AND-groups of literal
terms); each store turns that tree into its own SQL (``search_index`` for SQLite's FTS5,
``search_pg`` for PostgreSQL).  Ranking (``bm25_score``) and snippets (``snippet_hit``) are
computed here from what each store's SQL returned, so the two cannot drift apart.

Matching is by substring, case-folded for ASCII letters only: SQLite's ``lower()`` folds
ASCII only, and so does PostgreSQL's under the store's ``COLLATE "C"`` text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

FIELDS = ("title", "body", "attachments")
WEIGHTS = {"title": 8.0, "body": 1.0, "attachments": 0.6}
K1, B = 1.2, 0.75
CANDIDATES = 2_000  # newest matching documents that are scored
SNIPPET_BEFORE, SNIPPET_AFTER = 30, 90
MAX_TERMS = 16


class SearchQueryError(ValueError):
    """A malformed search query; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: OR of AND-groups of literal terms (each a substring to find)."""

    groups: tuple[tuple[str, ...], ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(term for group in self.groups for term in group))


@dataclass(frozen=True, slots=True)
class Hit:
    doc_id: int
    rank: int  # 1-based position in the answer
    score: float  # BM25, title weighted: higher is better
    field: str  # where the snippet comes from: title, body or attachments
    snippet: str  # plain text, whitespace flattened
    spans: tuple[tuple[int, int], ...]  # [start, end) of each match inside ``snippet``

    def marked(self, before: str = "[", after: str = "]") -> str:
        """The snippet with each match wrapped (renderers pass their own, escaped, markers)."""
        parts, last = [], 0
        for start, end in self.spans:
            parts += [self.snippet[last:start], before, self.snippet[start:end], after]
            last = end
        return "".join(parts) + self.snippet[last:]


# ---------------------------------------------------------------------------- parsing

_TOKEN = re.compile(r'"([^"]*)"|“([^”]*)”|(\S+)')


def parse_query(text: str) -> Query:
    """``认证 机构`` (both), ``认证 OR 3C`` (either), ``"quoted phrase"``; AND binds tighter than OR."""
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        raise SearchQueryError(f"search query {text!r} has an unclosed quote; close the phrase with a matching quote")
    groups: list[list[str]] = [[]]
    previous_was_operator = True  # at the start, an operator has nothing on its left
    for match in _TOKEN.finditer(text):
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        word = match.group(3)
        if word in ("AND", "OR"):
            if previous_was_operator:
                raise SearchQueryError(f"search query {text!r}: {word} needs a term on each side")
            if word == "OR":
                groups.append([])
            previous_was_operator = True
            continue
        term = " ".join((quoted if quoted is not None else word).split())
        if not term:
            raise SearchQueryError(f"search query {text!r} has an empty phrase; put words between the quotes")
        groups[-1].append(term)
        previous_was_operator = False
    if not any(groups):
        raise SearchQueryError("the search query is empty; give a word or phrase to look for")
    if previous_was_operator:
        raise SearchQueryError(f"search query {text!r} ends with an operator; add a term after it")
    query = Query(tuple(tuple(dict.fromkeys(group)) for group in groups))
    if len(query.terms) > MAX_TERMS:
        raise SearchQueryError(f"search query has {len(query.terms)} terms; use at most {MAX_TERMS}")
    return query


def checked_fields(fields: Sequence[str], limit: int) -> tuple[str, ...]:
    """``fields`` in canonical order; one line naming the problem when they or ``limit`` are bad."""
    unknown = [f for f in fields if f not in FIELDS]
    if unknown or not fields:
        raise SearchQueryError(f"search fields {unknown or '(none)'} unknown; choose from {', '.join(FIELDS)}")
    if limit < 1:
        raise SearchQueryError("search limit must be at least 1")
    return tuple(f for f in FIELDS if f in fields)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    # both databases fold ASCII only (see the module docstring): Python must fold the same way
    return text.translate(_ASCII_LOWER)


def needles(query: Query) -> list[str]:
    """The terms as matched (ASCII-folded), longest first so a long match is not split by a shorter one."""
    return sorted({ascii_lower(term) for term in query.terms}, key=len, reverse=True)


# ---------------------------------------------------------------------------- ranking


def idf(documents: int, df: int) -> float:
    """BM25's inverse document frequency (never negative)."""
    df = min(max(df, 0), documents)
    return math.log((documents - df + 0.5) / (df + 0.5) + 1)


def saturation(size: int, average: float) -> float:
    """BM25's (k1 + 1) / (tf + k1 × (1 − b + b × length / average)) with tf = 1: a term counts
    once per field (neither store records how often), shorter fields count more."""
    return (K1 + 1) / (1 + K1 * (1 - B + B * size / max(average, 1.0)))


def bm25_score(
    present: Iterable[tuple[str, str]],
    sizes: Mapping[str, int] | None,
    averages: Mapping[str, float],
    idfs: Mapping[str, float],
) -> float:
    """Σ over each (term, field) the document holds: idf(term) × weight(field) × saturation.

    ``sizes``: the document's length per field in characters (None: unknown, taken as average)."""
    total = 0.0
    for term, field in present:
        fit = saturation(sizes[field], averages[field]) if sizes is not None else (K1 + 1) / (1 + K1)
        total += idfs.get(term, 0.0) * WEIGHTS[field] * fit
    return total


def ranked(scores: Mapping[int, float]) -> list[tuple[int, float]]:
    """Best score first; on a tie the newer document (higher id) first."""
    return sorted(scores.items(), key=lambda item: (-item[1], -item[0]))


# ---------------------------------------------------------------------------- snippets


def snippet_hit(
    doc_id: int, rank: int, score: float, texts: Mapping[str, str], fields: Sequence[str], query: Query
) -> Hit:
    """The hit with its snippet: from the first field (in ``fields`` order) holding a term, a
    window starting ``SNIPPET_BEFORE`` characters before the earliest match; each match marked."""
    wanted = needles(query)
    for field in fields:
        text = texts.get(field, "")
        lowered = ascii_lower(text)
        found = [at for needle in wanted if (at := lowered.find(needle)) >= 0]
        if found:
            start = max(0, min(found) - SNIPPET_BEFORE)
            window = text[start : start + SNIPPET_BEFORE + SNIPPET_AFTER]
            prefix = "…" if start > 0 else ""
            suffix = "…" if start + len(window) < len(text) else ""
            return _marked_hit(doc_id, rank, score, field, prefix + window + suffix, wanted)
    # SQLite FTS5 folds Unicode case, so it can match what ASCII folding does not locate.
    return _marked_hit(doc_id, rank, score, "title", texts.get("title", "")[:SNIPPET_AFTER], wanted)


def _marked_hit(doc_id: int, rank: int, score: float, field: str, text: str, wanted: Iterable[str]) -> Hit:
    flat = re.sub(r"\s", " ", text)  # one character for one: spans stay valid
    lowered = ascii_lower(flat)
    spans: list[tuple[int, int]] = []
    for needle in wanted:  # longest first, so a long match is not split by a shorter one
        start = lowered.find(needle)
        while start >= 0:
            end = start + len(needle)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = lowered.find(needle, end)
    return Hit(doc_id, rank, score, field, flat, tuple(sorted(spans)))
