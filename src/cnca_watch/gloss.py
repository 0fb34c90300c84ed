"""An English gloss under a Chinese title, from what is known for sure.

``english_gloss(title, fields, published)`` joins, with `` · ``: the issuers (glossary names,
"Zhejiang AMR" for a provincial bureau), the document type (with the comment deadline for a
call for comments), the number, the dates, and the glossary terms found in the title —
longest match first, no overlaps, in title order, each English term once.  Nothing else:
no machine translation, no invented sentence.  A body the glossary does not know stays out
rather than guessed.

The glossary (``glossary.toml`` in the package) is data; a config ``[glossary]`` table adds,
changes or (with ``""``) drops terms: see :func:`load_glossary`.  A term of your own wins
over a built-in one wherever they meet: on the same span, and inside a longer built-in term
("试点" = "trial" is shown for 便利化试点 even though the package knows 便利化试点 as a whole) —
your terms are matched first, the built-in ones only in the text between them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from cnca_watch.errors import ConfigError
from cnca_watch.fields import Fields, prepare

SEPARATOR = " · "
MAX_TITLE_TERMS = 6  # a gloss is a line, not a word list
_SKIPPED_SECTIONS = frozenset({"doc_kinds"})  # these words decide doc_type already

DOC_TYPE_EN = {
    "announcement": "announcement",
    "notice": "notice",
    "call-for-comments": "call for comments",
    "interpretation": "interpretation",
    "rules": "rules",
    "list": "list",
    "correction": "correction",
    "news": "",  # says nothing a reader would miss
}


def _key(term: str) -> str:
    return re.sub(r"\s+", "", prepare(term, join_cjk=False)).lower()


@dataclass(frozen=True)
class Glossary:
    """Normalised Chinese term → English, compiled for longest-match scanning."""

    terms: Mapping[str, str]
    title_terms: frozenset[str]  # the terms looked for in titles (not the doc-kind words)
    _pattern: re.Pattern[str] = field(repr=False)  # the built-in title terms
    # the config's own terms: matched first, so a longer built-in term cannot hide them
    _user_pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.terms)

    def english(self, term: str) -> str | None:
        return self.terms.get(_key(term))

    def find(self, text: str) -> list[tuple[str, str]]:
        """(term, English) for the terms in ``text``, in text order: the config's own terms
        first (longest at each position, no overlaps), then the built-in ones in the gaps
        between them (likewise)."""
        normalised = re.sub(r"\s+", "", prepare(text, join_cjk=False)).lower()
        spans: list[tuple[int, int, str]] = []
        gaps = [(0, len(normalised))]
        if self._user_pattern is not None:
            spans = self._matches(self._user_pattern, normalised, 0, len(normalised))
            edges = [0] + [edge for start, end, _ in spans for edge in (start, end)] + [len(normalised)]
            gaps = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2) if edges[i] < edges[i + 1]]
        for start, end in gaps:
            spans.extend(self._matches(self._pattern, normalised, start, end))
        return [(term, self.terms[term]) for _, _, term in sorted(spans)]

    @staticmethod
    def _matches(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[tuple[int, int, str]]:
        found = []
        for match in pattern.finditer(text, start, end):
            term = match.group()
            if term.isascii() and not _word_edges(text, match.start(), match.end()):
                continue
            found.append((match.start(), match.end(), term))
        return found


def _word_edges(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


@lru_cache(maxsize=1)
def _package_sections() -> Mapping[str, Mapping[str, str]]:
    raw = resources.files("cnca_watch").joinpath("glossary.toml").read_text("utf-8")
    return tomllib.loads(raw)


def load_glossary(overrides: Mapping[str, Any] | None = None) -> Glossary:
    """The package glossary with a config ``[glossary]`` table merged over it.

    ``{"术语": "term"}`` adds or changes a term, ``{"术语": ""}`` drops it.  Raises
    ``ConfigError`` naming the key for anything else.
    """
    terms: dict[str, str] = {}
    skipped: set[str] = set()
    for section, entries in _package_sections().items():
        for zh, en in entries.items():
            terms[_key(zh)] = en
            if section in _SKIPPED_SECTIONS:
                skipped.add(_key(zh))
    if overrides is not None:
        if not isinstance(overrides, Mapping):
            raise ConfigError('glossary: expected a table of "中文" = "English", e.g. [glossary] "试点" = "pilot"')
        for zh, en in overrides.items():
            if not isinstance(zh, str) or not _key(zh):
                raise ConfigError(f"glossary: terms must be non-empty strings, got {zh!r}")
            if not isinstance(en, str):
                raise ConfigError(f'glossary."{zh}": expected an English string (or "" to drop the term), got {en!r}')
            if en.strip():
                terms[_key(zh)] = en.strip()
                skipped.discard(_key(zh))
            else:
                terms.pop(_key(zh), None)
    title_terms = frozenset(t for t in terms if t not in skipped)
    own = {_key(zh) for zh, en in (overrides or {}).items() if en.strip()} & title_terms
    return Glossary(
        terms=terms,
        title_terms=title_terms,
        _pattern=_longest_first(title_terms - own),
        _user_pattern=_longest_first(own) if own else None,
    )


def _longest_first(terms: frozenset[str] | set[str]) -> re.Pattern[str]:
    # At one position the regex takes the first alternative that matches.
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    return re.compile(alternatives or "(?!)")


@lru_cache(maxsize=1)
def package_glossary() -> Glossary:
    return load_glossary()


# ---------------------------------------------------------------------------------------


_LOCAL_BUREAU = re.compile(r"^(?P<place>.+?(?:省|市|自治区))(?:市场监管局|市场监督管理局)(?P<office>办公室|办公厅)?$")
_YEAR_SERIAL = re.compile(r"(\d{4})年第(\d+)号")
_ORDER = re.compile(r"令(?:\d{4}年)?第(\d+)号$")


def issuer_english(issuer: str, glossary: Glossary) -> str | None:
    """The English name of an issuing body, or None when the glossary cannot say."""
    known = glossary.english(issuer)
    if known:
        return known
    local = _LOCAL_BUREAU.match(issuer)
    if local:
        place = glossary.english(local["place"])
        if place:
            return f"{place} AMR" + (" Office" if local["office"] else "")
    return None


def number_english(number: str) -> str:
    order = _ORDER.search(number)
    if order:
        return f"Order No. {order[1]}"
    serial = _YEAR_SERIAL.search(number)
    if serial:
        return f"No. {serial[2]} of {serial[1]}"
    return f"No. {number}"  # 国认监〔2019〕6号: an identifier, shown as written


def english_gloss(title: str, fields: Fields, published: str | None = None, *, glossary: Glossary | None = None) -> str:
    """One line of English under the Chinese title, e.g.
    ``SAMR · call for comments (until 2026-10-17) · CCC · facilitation pilot``."""
    glossary = glossary or package_glossary()
    parts: list[str] = []
    for issuer in fields.issuers:
        name = issuer_english(issuer, glossary)
        if name:
            parts.append(name)
    kind = DOC_TYPE_EN.get(fields.doc_type, "")
    if kind and fields.doc_type == "call-for-comments" and fields.comment_deadline:
        kind = f"{kind} (until {fields.comment_deadline})"
    if kind:
        parts.append(kind)
    if fields.doc_number:
        parts.append(number_english(fields.doc_number))
    if fields.effective_date:
        on_publication = published is not None and fields.effective_date == published
        parts.append(f"in force {fields.effective_date}" + (" (on publication)" if on_publication else ""))
    if fields.transition_end:
        parts.append(f"transition until {fields.transition_end}")
    if fields.comment_deadline and fields.doc_type != "call-for-comments":
        parts.append(f"comments until {fields.comment_deadline}")
    # The issuer prefix ("浙江省市场监督管理局关于…") is already said above.
    subject = prepare(title, join_cjk=False)
    if fields.issuers and "关于" in subject:
        subject = subject.split("关于", 1)[1]
    shown = set(parts)
    terms = 0
    for _, english in glossary.find(subject):
        if english in shown or terms >= MAX_TITLE_TERMS:
            continue
        parts.append(english)
        shown.add(english)
        terms += 1
    return SEPARATOR.join(parts)
