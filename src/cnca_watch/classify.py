"""Tag an announcement with the six 2024 task areas, with evidence.

The vocabulary is data (``areas.toml`` in the package, merged with the user's ``[areas]``
config table); this module only normalises text, scans it once with a compiled pattern and
adds up weights.  See the comments at the top of ``areas.toml`` for the scoring model.
"""

from __future__ import annotations

import dataclasses

import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from cnca_watch.errors import ConfigError
from cnca_watch.models import AreaTag, Evidence

TITLE = "title"
BODY = "body"

_AREA_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_AREA_KEYS = ("enabled", "label_en", "label_zh", "zh", "en")
_MAX_WEIGHT = 100.0

# ---------------------------------------------------------------------------------------
# Normalisation


@lru_cache(maxsize=1)
def _traditional_table() -> tuple[dict[int, str], re.Pattern[str]]:
    raw = resources.files("cnca_watch").joinpath("areas_traditional.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    traditional = "".join(data["traditional"].split())
    simplified = "".join(data["simplified"].split())
    if len(traditional) != len(simplified):  # a broken package file, not a user error
        raise RuntimeError("areas_traditional.toml: the two character lists differ in length")
    table = {ord(t): s for t, s in zip(traditional, simplified)}
    # Simplified text is the norm: a cheap search decides whether translate() is needed.
    finder = re.compile("[" + re.escape(traditional) + "]")
    return table, finder


# Horizontal whitespace between two CJK characters is layout, not meaning ("认 证").
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[^\S\n]+(?=[{_CJK}])")


_NFKC_MATTERS = re.compile(
    "[\u3000\uff06\uff0b\uff0d-\uff0f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
    "\uf900-\ufaff\u2460-\u24ff\u3200-\u33ff\ufb00-\ufb06\u2000-\u200a\u00a0]+"
)


def _nfkc_run(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group())


# Some mirrors annotate every character with its pinyin: 關(guān)于 -> 關于
_PINYIN = re.compile(rf"(?<=[{_CJK}])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{{1,7}}[)）]")


def normalise(text: str) -> str:
    """Simplified characters, half-width forms, no spaces inside Chinese, no pinyin
    annotations, lower case."""
    if not text:
        return ""
    if "(" in text or "（" in text:
        text = _PINYIN.sub("", text)
    # NFKC over a whole body costs more than the whole scan, and the characters it changes
    # in ordinary Chinese text (，（）：) never occur in terms; so only the characters that
    # can affect a match are folded: full-width letters, digits and joiners, the
    # ideographic space, compatibility ideographs, circled or squared forms.
    if _NFKC_MATTERS.search(text):
        text = _NFKC_MATTERS.sub(_nfkc_run, text)
    table, finder = _traditional_table()
    if finder.search(text):
        text = text.translate(table)
    if " " in text or "\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text:
        text = _CJK_GAP.sub("", text)
    return text.lower()


def _is_ascii_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _trie_pattern(terms: Iterable[str]) -> str:
    """One regex for all terms, factored as a trie.

    A trie gives the longest term at each position (a greedy optional group tries the
    longer continuation first), and a pattern that starts with plain characters lets the
    regex engine skip quickly to positions where some term can begin: this is what makes
    thousands of 1-2 KB texts per second possible.  Word edges of English terms are
    checked after matching (a look-behind at the start would disable that skipping).
    """
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a term

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a term may end here: the longer continuation is optional
            body = (body if len(branches) == 1 and len(branches[0]) == 1 else f"(?:{body})") + "?"
        return body

    return build(trie) or "(?!)"


def _bounded_pattern(term: str) -> str:
    """The term with English word edges, literal first so the engine can search fast."""
    pattern = re.escape(term)
    if _is_ascii_word_char(term[0]):
        pattern += r"(?<![a-z0-9]" + re.escape(term) + ")"
    if _is_ascii_word_char(term[-1]):
        pattern += r"(?![a-z0-9])"
    return pattern


def _term_pattern(term: str) -> str:
    """Chinese matches anywhere; an English edge must be a word edge ("ccc" not in "acccd")."""
    pattern = re.escape(term)
    if _is_ascii_word_char(term[0]):
        pattern = r"(?<![a-z0-9])" + pattern
    if _is_ascii_word_char(term[-1]):
        pattern = pattern + r"(?![a-z0-9])"
    return pattern


# ---------------------------------------------------------------------------------------
# Vocabulary


class _CompiledOnUse(dict[str, "re.Pattern[str]"]):
    """term -> its compiled pattern, compiled the first time a text contains the term
    (compiling all of them up front was most of the cost of loading the vocabulary)."""

    def __init__(self, pattern_of: Callable[[str], str]) -> None:
        super().__init__()
        self._pattern_of = pattern_of

    def __missing__(self, term: str) -> re.Pattern[str]:
        compiled = self[term] = re.compile(self._pattern_of(term))
        return compiled


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    label_en: str
    label_zh: str
    terms: Mapping[str, float]  # normalised term -> weight
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Rule:
    anchors: tuple[str, ...]  # normalised
    context: tuple[str, ...]  # normalised ("with" in the TOML)
    area: str
    weight: float
    claims: bool = False


@dataclass(frozen=True, slots=True)
class ConceptPattern:
    """A regular expression for a concept no fixed term captures (``[[patterns]]``)."""

    name: str
    regex: str  # matched against normalised text (simplified, half-width, lower case)
    area: str
    weight: float


@dataclass(frozen=True, slots=True)
class Scoring:
    title_weight: float = 3.0
    body_weight: float = 1.0
    threshold: float = 3.0
    relative_threshold: float = 0.3
    max_areas: int = 3
    body_cap: float = 9.0
    # an area the title says nothing about needs this much from the body (long bodies touch
    # many subjects in passing)
    body_only_threshold: float = 3.0


@dataclass(frozen=True, slots=True)
class _TermInfo:
    display: str  # the spelling shown as evidence
    weights: tuple[tuple[str, float], ...]  # (area id, weight > 0), enabled areas only
    domain: int  # 2 strong, 1 weak, 0 none
    off_topic: bool
    implies: frozenset[str]  # other vocabulary terms inside this one (incl. itself)


@dataclass(frozen=True)
class Vocabulary:
    """A compiled vocabulary: build it with :func:`load_vocabulary`."""

    areas: tuple[Area, ...]
    rules: tuple[Rule, ...]
    scoring: Scoring
    min_body_hits: int
    ignore: tuple[str, ...]
    _terms: Mapping[str, _TermInfo] = field(repr=False)
    _pattern: re.Pattern[str] = field(repr=False)
    _ignore_pattern: re.Pattern[str] | None = field(repr=False)
    _ascii_edged: frozenset[str] = field(repr=False, default=frozenset())
    _bounded: Mapping[str, re.Pattern[str]] = field(repr=False, default_factory=dict)
    # rules whose area is enabled, with their anchor and context sets for quick tests
    _active_rules: tuple[tuple[Rule, frozenset[str], frozenset[str]], ...] = field(repr=False, default=())
    _rule_anchors: frozenset[str] = field(repr=False, default=frozenset())  # every active rule's anchors
    patterns: tuple[ConceptPattern, ...] = ()
    pattern_body_chars: int = 400  # patterns read only the start of a body (speed)
    _pattern_regex: re.Pattern[str] | None = field(repr=False, default=None)
    _enabled_ids: frozenset[str] = field(repr=False, default=frozenset())
    # the body is scanned without the faint terms (weight <= title_only_weight in every area,
    # and no domain or rule role): in a body they could never decide anything, and each
    # extra first character slows the scan of every body
    _body_pattern: re.Pattern[str] | None = field(repr=False, default=None)
    # in the domain, but about none of the six tasks (holiday and personnel notices …)
    no_area: tuple[str, ...] = ()

    def area(self, area_id: str) -> Area:
        for area in self.areas:
            if area.id == area_id:
                return area
        raise KeyError(area_id)

    @property
    def enabled_areas(self) -> tuple[Area, ...]:
        return tuple(a for a in self.areas if a.enabled)

    def scan(self, normalised: str, *, body: bool = False) -> dict[str, int]:
        """Vocabulary terms found (longest at each position), with their counts; a ``body``
        scan leaves out the faint title-only terms."""
        if self._ignore_pattern is not None:
            normalised = self._ignore_pattern.sub("|", normalised)
        pattern = self._body_pattern if body and self._body_pattern is not None else self._pattern
        counts = Counter(pattern.findall(normalised))  # the hot loop stays in C
        for term in self._ascii_edged.intersection(counts):
            # "ccc" inside "acccd" is not the word CCC: recount with word edges checked
            bounded = len(self._bounded[term].findall(normalised))
            if bounded:
                counts[term] = bounded
            else:
                del counts[term]
        return counts


@lru_cache(maxsize=1)
def _package_vocabulary() -> Mapping[str, Any]:
    raw = resources.files("cnca_watch").joinpath("areas.toml").read_text("utf-8")
    return tomllib.loads(raw)


@lru_cache(maxsize=1)
def area_display_labels() -> dict[str, tuple[str, str, str, str]]:
    """Per built-in area: (label_en, label_zh, short_en, short_zh), read from areas.toml
    without compiling the vocabulary (renderers need the names, not the matcher)."""
    return {
        area_id: (
            spec["label_en"],
            spec["label_zh"],
            spec.get("short_en", spec["label_en"]),
            spec.get("short_zh", spec["label_zh"]),
        )
        for area_id, spec in _package_vocabulary()["areas"].items()
    }


def _norm_term(term: str) -> str:
    return normalise(term.strip())


def _check_weight(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key}: a weight must be a number from 0 to {_MAX_WEIGHT:g}, got {value!r}")
    if not 0 <= value <= _MAX_WEIGHT:
        raise ConfigError(f"{key}: a weight must be from 0 to {_MAX_WEIGHT:g}, got {value!r}")
    return float(value)


def _check_terms(value: Any, key: str) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError(f'{key}: expected a table of term = weight, e.g. {key.rsplit(".", 1)[-1]} = {{ "认证贷" = 3 }}')
    terms: dict[str, float] = {}
    for term, weight in value.items():
        if not isinstance(term, str) or not term.strip():
            raise ConfigError(f"{key}: terms must be non-empty strings, got {term!r}")
        terms[term.strip()] = _check_weight(weight, f'{key}."{term}"')
    return terms


def _merge_areas(base: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Package areas plus the user's ``[areas]`` table, validated; raw (unnormalised) terms."""
    merged: dict[str, dict[str, Any]] = {}
    for area_id, spec in base.items():
        merged[area_id] = {
            "label_en": spec["label_en"],
            "label_zh": spec["label_zh"],
            "enabled": bool(spec.get("enabled", True)),
            "zh": dict(spec.get("zh", {})),
            "en": dict(spec.get("en", {})),
        }
    if overrides is None:
        return merged
    if not isinstance(overrides, Mapping):
        raise ConfigError("areas: expected a table of areas, e.g. [areas.regulation]")
    for area_id, spec in overrides.items():
        key = f"areas.{area_id}"
        if not isinstance(area_id, str) or not _AREA_ID.match(area_id):
            raise ConfigError(f"{key}: an area id uses lower-case letters, digits and '-', e.g. my-area")
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{key}: expected a table ([{key}]), got {type(spec).__name__}")
        unknown = sorted(set(spec) - set(_AREA_KEYS))
        if unknown:
            raise ConfigError(f"{key}.{unknown[0]}: unknown key (expected one of: {', '.join(_AREA_KEYS)})")
        is_new = area_id not in merged
        area = merged.setdefault(area_id, {"label_en": None, "label_zh": None, "enabled": True, "zh": {}, "en": {}})
        for label in ("label_en", "label_zh"):
            if label in spec:
                if not isinstance(spec[label], str) or not spec[label].strip():
                    raise ConfigError(f"{key}.{label}: expected a non-empty string")
                area[label] = spec[label].strip()
        if "enabled" in spec:
            if not isinstance(spec["enabled"], bool):
                raise ConfigError(f"{key}.enabled: expected true or false, got {spec['enabled']!r}")
            area["enabled"] = spec["enabled"]
        for lang in ("zh", "en"):
            if lang in spec:
                area[lang].update(_check_terms(spec[lang], f"{key}.{lang}"))
        if is_new:
            for label in ("label_en", "label_zh"):
                if area[label] is None:
                    raise ConfigError(f"{key}.{label}: a new area needs label_en and label_zh")
            if not any(w > 0 for w in (*area["zh"].values(), *area["en"].values())):
                raise ConfigError(f"{key}: a new area needs at least one term with a weight above 0 (zh or en)")
    return merged


def load_vocabulary(overrides: Mapping[str, Any] | None = None) -> Vocabulary:
    """The package vocabulary merged with a user's ``[areas]`` config table.

    Raises ``ConfigError`` naming the offending key for a bad override.
    """
    data = _package_vocabulary()
    merged = _merge_areas(data["areas"], overrides)
    scoring = Scoring(**{k: v for k, v in data.get("scoring", {}).items() if k != "pattern_body_chars"})
    domain = data["domain"]

    areas = tuple(
        Area(
            id=area_id,
            label_en=spec["label_en"],
            label_zh=spec["label_zh"],
            enabled=spec["enabled"],
            terms={_norm_term(t): w for lang in ("zh", "en") for t, w in spec[lang].items() if _norm_term(t)},
        )
        for area_id, spec in merged.items()
    )
    rules = tuple(
        Rule(
            anchors=tuple(_norm_term(t) for t in rule["anchor"]),
            context=tuple(_norm_term(t) for t in rule["with"]),
            area=rule["area"],
            weight=float(rule["weight"]),
            claims=bool(rule.get("claims", False)),
        )
        for rule in data.get("rules", [])
    )
    patterns = tuple(
        ConceptPattern(name=p["name"], regex=p["regex"], area=p["area"], weight=float(p["weight"]))
        for p in data.get("patterns", [])
    )
    compiled = _compile(
        patterns=patterns,
        pattern_body_chars=int(data.get("scoring", {}).get("pattern_body_chars", 400)),
        areas=areas,
        rules=rules,
        scoring=scoring,
        strong=[_norm_term(t) for t in domain["strong"]],
        weak=[_norm_term(t) for t in domain["weak"]],
        off_topic=[_norm_term(t) for t in domain["off_topic"]],
        boilerplate=[_norm_term(t) for t in data.get("boilerplate", {}).get("terms", [])],
        ignore=tuple(_norm_term(t) for t in domain.get("ignore", [])),
        min_body_hits=int(domain.get("min_body_hits", 3)),
        displays=_display_spellings(merged, data, rules),
    )
    no_area = tuple(_norm_term(t) for t in domain.get("no_area", []))
    return dataclasses.replace(compiled, no_area=no_area) if no_area else compiled


def _display_spellings(merged: Mapping[str, Mapping[str, Any]], data: Mapping[str, Any], rules: Iterable[Rule]) -> dict[str, str]:
    """Normalised term -> the spelling the vocabulary file uses (shown as evidence)."""
    shown: dict[str, str] = {}
    for spec in merged.values():
        for lang in ("zh", "en"):
            for term in spec[lang]:
                shown.setdefault(_norm_term(term), term.strip())
    for rule in data.get("rules", []):
        for term in (*rule["anchor"], *rule["with"]):
            shown.setdefault(_norm_term(term), term.strip())
    return shown


def _compile(
    *,
    title_only_weight: float = 0.5,
    patterns: tuple[ConceptPattern, ...] = (),
    pattern_body_chars: int = 400,
    areas: tuple[Area, ...],
    rules: tuple[Rule, ...],
    scoring: Scoring,
    strong: list[str],
    weak: list[str],
    off_topic: list[str],
    boilerplate: list[str],
    ignore: tuple[str, ...],
    min_body_hits: int,
    displays: Mapping[str, str],
) -> Vocabulary:
    weights: dict[str, dict[str, float]] = {}
    for area in areas:
        for term, weight in area.terms.items():
            per_area = weights.setdefault(term, {})
            if area.enabled and weight > 0:
                per_area[area.id] = weight
    for term in boilerplate:  # boilerplate never scores, even if an area lists it
        weights[term] = {}
    context_words = {t for rule in rules for t in (*rule.anchors, *rule.context)}
    every_term = set(weights) | set(strong) | set(weak) | set(off_topic) | context_words
    every_term.discard("")
    strong_set, weak_set, off_set = set(strong), set(weak), set(off_topic)

    # Which terms occur inside which: enumerate each term's substrings (terms are short)
    # rather than test every pair, and compile a term's pattern only when it is inside another.
    term_patterns: dict[str, re.Pattern[str]] = {}

    def occurs_in(other: str, term: str) -> bool:
        if other == term:
            return True  # the whole string: no edge to check
        found = term_patterns.get(other)
        if found is None:
            found = term_patterns[other] = re.compile(_term_pattern(other))
        return found.search(term) is not None

    infos: dict[str, _TermInfo] = {}
    for term in every_term:
        substrings = {term[i:j] for i in range(len(term)) for j in range(i + 1, len(term) + 1)}
        inside = frozenset(other for other in substrings & every_term if occurs_in(other, term))
        infos[term] = _TermInfo(
            display=displays.get(term, term),
            weights=tuple(weights.get(term, {}).items()),
            domain=2 if inside & strong_set else 1 if inside & weak_set else 0,
            off_topic=bool(inside & off_set),
            implies=inside,
        )
    pattern = re.compile(_trie_pattern(every_term))
    faint = {
        term
        for term, per_area in weights.items()
        if per_area and max(per_area.values()) <= title_only_weight
        and term not in strong_set | weak_set | off_set | context_words
    }
    ascii_edged = [t for t in every_term if _is_ascii_word_char(t[0]) or _is_ascii_word_char(t[-1])]
    ignore_pattern = re.compile("|".join(_term_pattern(t) for t in sorted(ignore, key=len, reverse=True))) if ignore else None
    return Vocabulary(
        areas=areas,
        rules=rules,
        scoring=scoring,
        min_body_hits=min_body_hits,
        ignore=ignore,
        _terms=infos,
        _pattern=pattern,
        _body_pattern=re.compile(_trie_pattern(every_term - faint)) if faint else None,
        _ignore_pattern=ignore_pattern,
        _ascii_edged=frozenset(ascii_edged),
        _bounded=_CompiledOnUse(_bounded_pattern),
        _active_rules=tuple(
            (rule, frozenset(rule.anchors), frozenset(rule.context))
            for rule in rules
            if any(a.id == rule.area and a.enabled for a in areas)
        ),
        _rule_anchors=frozenset(
            t for rule in rules if any(a.id == rule.area and a.enabled for a in areas) for t in rule.anchors
        ),
        patterns=patterns,
        pattern_body_chars=pattern_body_chars,
        # one alternation, a named group per pattern (m.lastgroup says which one matched)
        _pattern_regex=re.compile("|".join(f"(?P<p{i}>{p.regex})" for i, p in enumerate(patterns))) if patterns else None,
        _enabled_ids=frozenset(a.id for a in areas if a.enabled),
    )


# ---------------------------------------------------------------------------------------
# Classification


def _expand(hits: Mapping[str, int], terms: Mapping[str, _TermInfo]) -> set[str]:
    present: set[str] = set()
    for term in hits:
        present |= terms[term].implies
    return present


def _domain(title_hits: Mapping[str, int], body_hits: Mapping[str, int], vocabulary: Vocabulary) -> tuple[bool, str | None]:
    """(in the domain?, the off-topic term that kept it out, if one did)."""
    terms = vocabulary._terms
    title_domain = max((terms[t].domain for t in title_hits), default=0)
    if title_domain == 2:
        return True, None
    off = next((t for t in title_hits if terms[t].off_topic), None)
    if off is not None:
        return False, off
    if title_domain == 1:
        return True, None
    domain_mentions = sum(n for t, n in body_hits.items() if terms[t].domain)
    off_mentions = sum(n for t, n in body_hits.items() if terms[t].off_topic)
    if domain_mentions >= vocabulary.min_body_hits and domain_mentions > off_mentions:
        return True, None
    if off_mentions:
        return False, max((t for t in body_hits if terms[t].off_topic), key=lambda t: body_hits[t])
    return False, None


@dataclass(slots=True)
class Scored:
    """What the vocabulary makes of a text before thresholds: per-area points and evidence."""

    in_domain: bool
    off_topic: str | None  # display spelling of the off-topic term that kept it out
    title_points: dict[str, float]
    body_points: dict[str, float]
    evidence: dict[str, dict[tuple[str, str], None]]  # area -> ordered set of (term, where)

    def credit(self, area_id: str, amount: float, term: str, where: str) -> None:
        place = self.title_points if where == TITLE else self.body_points
        place[area_id] = place.get(area_id, 0.0) + amount
        self.evidence.setdefault(area_id, {})[(term, where)] = None

    def scores(self, body_cap: float) -> dict[str, float]:
        # A long body mentions a bit of everything: it adds at most body_cap to an area, so
        # a clear title keeps deciding the primary area.
        return {
            area_id: self.title_points.get(area_id, 0.0) + min(self.body_points.get(area_id, 0.0), body_cap)
            for area_id in self.evidence
        }


def score(title: str, body: str, vocabulary: Vocabulary, *, gate: bool = True) -> Scored:
    """The vocabulary's points for one text (terms, rules and patterns), not yet ranked.

    With ``gate`` (the default) a text outside the domain gets no points; without it the
    points are counted anyway (the learned domain model may still let the text in)."""
    terms = vocabulary._terms
    title_norm = normalise(title)
    body_norm = normalise(body) if body else ""
    title_hits = vocabulary.scan(title_norm)
    body_hits = vocabulary.scan(body_norm, body=True) if body_norm else {}
    in_domain, off = _domain(title_hits, body_hits, vocabulary)
    scored = Scored(in_domain, terms[off].display if off else None, {}, {}, {})
    if not in_domain and gate:
        return scored

    scoring = vocabulary.scoring
    credit = scored.credit
    in_title = _expand(title_hits, terms)
    anywhere = in_title | _expand(body_hits, terms) if body_hits else in_title
    # anchor -> the areas that may still count it, per place: a rule that fires on the
    # title decides for the whole text; one that fires only with body words decides the body
    claimed: dict[str, dict[str, set[str]]] = {TITLE: {}, BODY: {}}
    active = vocabulary._active_rules if not vocabulary._rule_anchors.isdisjoint(anywhere) else ()
    for rule, anchors, context in active:
        if anchors.isdisjoint(anywhere) or context.isdisjoint(anywhere):
            continue
        if not anchors.isdisjoint(in_title) and not context.isdisjoint(in_title):
            where, factor, present = TITLE, scoring.title_weight, in_title
        else:
            where, factor, present = BODY, scoring.body_weight, anywhere
        anchor = next(a for a in rule.anchors if a in present)
        word = next(c for c in rule.context if c in present)
        credit(rule.area, rule.weight * factor, f"{terms[anchor].display}+{terms[word].display}", where)
        if rule.claims:
            for candidate in anchors & anywhere:
                for place in (TITLE, BODY) if where == TITLE else (BODY,):
                    claimed[place].setdefault(candidate, set()).add(rule.area)

    for hits, where, factor in ((title_hits, TITLE, scoring.title_weight), (body_hits, BODY, scoring.body_weight)):
        for term in hits:
            info = terms[term]
            allowed = claimed[where].get(term)
            for area_id, weight in info.weights:
                if allowed is None or area_id in allowed:
                    credit(area_id, weight * factor, info.display, where)

    if vocabulary._pattern_regex is not None:
        _credit_patterns(scored, vocabulary, title_norm, body_norm[: vocabulary.pattern_body_chars])
    return scored


def _credit_patterns(scored: Scored, vocabulary: Vocabulary, title: str, body: str) -> None:
    """Concept patterns (``[[patterns]]``): each scores once per place, the matched text is
    the evidence."""
    regex = vocabulary._pattern_regex
    assert regex is not None
    factors = vocabulary.scoring
    for text, where, factor in ((title, TITLE, factors.title_weight), (body, BODY, factors.body_weight)):
        if not text:
            continue
        fired: set[int] = set()
        for match in regex.finditer(text):
            index = int(match.lastgroup[1:])  # type: ignore[index]
            if index in fired:
                continue
            fired.add(index)
            pattern = vocabulary.patterns[index]
            if pattern.area in vocabulary._enabled_ids:
                scored.credit(pattern.area, pattern.weight * factor, match.group(), where)


def rank(
    scored: Scored,
    vocabulary: Vocabulary,
    extra: Mapping[str, float] | None = None,
    more_evidence: Callable[[str], Iterable[tuple[str, str]]] | None = None,
) -> tuple[AreaTag, ...]:
    """Tags from points: at least ``threshold`` and ``relative_threshold`` of the best,
    highest first, at most ``max_areas``.  ``extra`` adds points from elsewhere, whose
    evidence ``more_evidence(area)`` gives only for the areas that are tagged (an area left
    without any evidence is not tagged)."""
    if not scored.evidence and not extra:
        return ()
    scoring = vocabulary.scoring
    scores = scored.scores(scoring.body_cap)
    if extra:
        for area_id, points in extra.items():
            scores[area_id] = scores.get(area_id, 0.0) + points
    enabled = [a for a in vocabulary.areas if a.enabled]
    order = {area.id: i for i, area in enumerate(enabled)}
    ranked = sorted((a for a in scores if a in order), key=lambda a: (-scores[a], order[a]))
    if not ranked:
        return ()
    floor = max(scoring.threshold, scoring.relative_threshold * scores[ranked[0]])
    body_floor = max(floor, scoring.body_only_threshold)
    tags: list[AreaTag] = []
    for area_id in ranked:
        if scores[area_id] < floor or len(tags) == scoring.max_areas:
            break
        if scores[area_id] < body_floor and area_id not in scored.title_points and not (extra and area_id in extra):
            continue
        area = enabled[order[area_id]]
        if extra and area_id in extra and more_evidence is not None:
            for item in more_evidence(area_id):
                scored.evidence.setdefault(area_id, {})[item] = None
        if not scored.evidence.get(area_id):
            continue
        # title evidence first, then body, each in the order found
        found = sorted(scored.evidence[area_id], key=lambda item: item[1] != TITLE)
        tags.append(
            AreaTag(area.id, area.label_en, area.label_zh, round(scores[area_id], 2), tuple(Evidence(t, w) for t, w in found))
        )
    return tuple(tags)


def classify(title: str, body: str, vocabulary: Vocabulary) -> tuple[AreaTag, ...]:
    """Areas for one announcement from the vocabulary alone, primary first; () when it is
    outside the domain.  :func:`classify_text` adds the learned model and a reason."""
    scored = score(title, body, vocabulary)
    if not scored.in_domain:
        return ()
    return rank(scored, vocabulary)


# ---------------------------------------------------------------------------------------
# The vocabulary and the learned model together, with a reason


REASON_TAGGED = "in the domain"
REASON_NO_SIGNAL = "in the domain, no task-area signal"
REASON_OUTSIDE = "outside the domain"
REASON_EMPTY = "empty text"
MODEL_EVIDENCE_PREFIX = "ngram:"  # evidence from the learned model reads "ngram:实施规则"


@dataclass(frozen=True, slots=True)
class Classification:
    """Areas for one text (primary first) and why: every in-domain text without an area and
    every text kept out says so in ``reason``."""

    tags: tuple[AreaTag, ...]
    reason: str
    in_domain: bool

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(tag.id for tag in self.tags)


@dataclass(frozen=True)
class Blend:
    """How the model's probabilities join the vocabulary's points (``[model]`` in areas.toml)."""

    enabled: bool = True
    # "fallback": a body is read only when the title alone gives no area (on the dev split
    # and in cross-validation a body read beside a clear title added more wrong secondary
    # areas than right ones); "add": title and body points are always added up
    body: str = "fallback"
    weight: float = 6.0  # points for an area the model is sure of (p = 1)
    add_threshold: float = 0.5  # the model adds an area's points from this probability (> 1: never)
    # per-area add thresholds (area id -> probability), chosen in cross-validation; an area
    # not listed uses add_threshold
    add_thresholds: Mapping[str, float] = field(default_factory=dict)
    # a secondary area (any after the primary) is kept only when the model gives it at least
    # this probability (0: keep every secondary the points allow)
    secondary_min: float = 0.0
    # ... and at least this fraction of the primary's probability (0: no such floor): new
    # labellers give a second area only when it is nearly as plain as the first
    secondary_relative: float = 0.0
    fill_threshold: float = 0.2  # an in-domain text with no area takes the model's best from here
    domain_in: float = 0.5  # no domain term: the model lets the text in from this probability (> 1: never)
    domain_out: float = 0.0  # the vocabulary let it in, the model is sure it is out: below this
    evidence: int = 3  # n-gram spans shown per area

    def threshold_for(self, area_id: str) -> float:
        return self.add_thresholds.get(area_id, self.add_threshold)

    @property
    def consults_model(self) -> bool:
        """Whether the model speaks on texts the vocabulary already tags."""
        adds = self.weight > 0 and (self.add_threshold <= 1.0 or any(t <= 1.0 for t in self.add_thresholds.values()))
        return adds or self.secondary_min > 0 or self.secondary_relative > 0 or self.domain_out > 0


@lru_cache(maxsize=1)
def package_blend() -> Blend:
    """The ``[model]`` settings of the package's areas.toml."""
    settings = dict(_package_vocabulary().get("model", {}))
    settings["add_thresholds"] = dict(settings.get("add_thresholds", {}))
    return Blend(**settings)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The package vocabulary without overrides, compiled once."""
    return load_vocabulary()


_USE_PACKAGED = object()


def classify_text(
    title: str,
    body: str = "",
    vocabulary: Vocabulary | None = None,
    *,
    model: Any = _USE_PACKAGED,
    blend: Blend | None = None,
) -> Classification:
    """Areas and a reason for one text: the vocabulary first, the learned model filling gaps.

    ``vocabulary`` defaults to the package's; ``model`` to the packaged n-gram model (read
    on first use; ``None`` = vocabulary only).  Every area carries evidence: vocabulary
    terms, rule pairs (``anchor+context``), pattern matches, or ``ngram:`` spans.
    """
    vocabulary = vocabulary or default_vocabulary()
    blend = blend or package_blend()
    if not title.strip() and not body.strip():
        return Classification((), REASON_EMPTY, False)
    if vocabulary.no_area:
        normalised_title = normalise(title)
        kept_out = next((term for term in vocabulary.no_area if term in normalised_title), None)
        if kept_out is not None and score(title, "", vocabulary).in_domain:
            return Classification((), f"{REASON_NO_SIGNAL}: {kept_out} (not one of the six tasks)", True)
    if body and title.strip() and blend.body == "fallback":
        # the title's own terms (and the model's votes on the title) decide; an off-topic
        # title stays out; only a title with no area lets the body (then a model fill) speak
        scored = score(title, "", vocabulary)
        if scored.in_domain:
            if not blend.consults_model:
                tags = rank(scored, vocabulary)
                if tags:
                    return Classification(tags, REASON_TAGGED, True)
            else:
                result = _classify(title, "", vocabulary, model, blend, fill=False, scored=scored)
                if result.tags:
                    return result
        elif scored.off_topic is not None:
            return Classification((), _outside(scored), False)
    return _classify(title, body, vocabulary, model, blend)


def _outside_no_term() -> str:
    return f"{REASON_OUTSIDE}: no certification, accreditation or testing term"


def _classify(
    title: str, body: str, vocabulary: Vocabulary, model: Any, blend: Blend, *, fill: bool = True, scored: Scored | None = None
) -> Classification:
    """``scored``: the vocabulary's points for this very title and body, when the caller has
    them already (scoring is most of the cost of a text)."""
    if model is _USE_PACKAGED:
        from cnca_watch.ngram import packaged_model

        model = packaged_model() if blend.enabled else None
    if scored is None:
        scored = score(title, body, vocabulary)
    if model is None:
        if not scored.in_domain:
            return Classification((), _outside(scored), False)
        tags = rank(scored, vocabulary)
        return Classification(tags, REASON_TAGGED if tags else REASON_NO_SIGNAL, True)

    from cnca_watch.ngram import DOMAIN_HEAD

    if not scored.in_domain and scored.off_topic is not None:
        # an off-topic subject (standards, metrology, food ...) keeps a text out whatever the
        # model says: no need to ask it
        return Classification((), _outside(scored), False)
    if scored.in_domain and blend.domain_out <= 0:
        # a text the vocabulary tags does not need the model when the model cannot change
        # its areas: it only fills gaps, or the one area tagged is the only one with points
        # (the model's vote, `weight` x p with p < 1 and weight <= threshold, cannot make a new area).
        # Most texts are of this kind: this keeps classification fast.
        tags = rank(scored, vocabulary)
        if tags and (not blend.consults_model or (len(tags) == 1 and len(scored.evidence) == 1 and blend.weight <= vocabulary.scoring.threshold)):
            return Classification(tags, REASON_TAGGED, True)
    elif not scored.in_domain and blend.domain_in > 1.0:
        return Classification((), _outside(scored), False)
    feats = model.featurise(title, body)
    probabilities = model.probabilities(feats)
    p_domain = probabilities.get(DOMAIN_HEAD)
    if p_domain is not None:
        if scored.in_domain and p_domain < blend.domain_out:
            return Classification((), f"{REASON_OUTSIDE}: the learned model reads another subject (p={p_domain:.2f})", False)
        if not scored.in_domain and p_domain >= blend.domain_in:
            # no domain term, but the model reads the field: count the vocabulary's points too
            scored = score(title, body, vocabulary, gate=False)
            scored.in_domain = True
    if not scored.in_domain:
        return Classification((), _outside(scored), False)

    enabled = vocabulary._enabled_ids
    extra = {
        area_id: blend.weight * p
        for area_id, p in probabilities.items()
        if blend.weight > 0 and area_id != DOMAIN_HEAD and area_id in enabled and p >= blend.threshold_for(area_id)
    }

    def spans(area_id: str) -> list[tuple[str, str]]:
        return [(MODEL_EVIDENCE_PREFIX + span, where) for span, where in model.evidence(feats, area_id, blend.evidence)]

    tags = rank(scored, vocabulary, extra, spans)
    if len(tags) > 1 and (blend.secondary_min > 0 or blend.secondary_relative > 0):
        # a secondary area the model finds unlikely is more often a stray word than a second
        # task (cross-validation: extra secondaries cost more precision than they bring)
        # (an area with as many points as the primary is not a secondary: only the order of
        # the areas put it second, so the model does not veto it)
        floor = max(blend.secondary_min, blend.secondary_relative * probabilities.get(tags[0].id, 1.0))
        tags = tags[:1] + tuple(t for t in tags[1:] if t.score >= tags[0].score or probabilities.get(t.id, 1.0) >= floor)
    if not tags and fill:
        tags = _fill(scored, vocabulary, model, feats, probabilities, blend)
    return Classification(tags, REASON_TAGGED if tags else REASON_NO_SIGNAL, True)


def _credit_model(scored: Scored, model: Any, feats: Any, area_id: str, blend: Blend) -> bool:
    """Add the n-gram spans behind ``area_id`` as evidence; False when there are none (the
    probability then comes from the bias alone, and an area without evidence is not given)."""
    spans = model.evidence(feats, area_id, blend.evidence)
    for span, where in spans:
        scored.evidence.setdefault(area_id, {})[(MODEL_EVIDENCE_PREFIX + span, where)] = None
    return bool(spans)


def _fill(scored: Scored, vocabulary: Vocabulary, model: Any, feats: Any, probabilities: Mapping[str, float], blend: Blend) -> tuple[AreaTag, ...]:
    """An in-domain text that reached no threshold takes the model's most likely area, when
    the model gives it at least ``fill_threshold`` (a weaker signal than adding an area)."""
    from cnca_watch.ngram import DOMAIN_HEAD

    candidates = [(p, a) for a, p in probabilities.items() if a != DOMAIN_HEAD]
    if not candidates:
        return ()
    p, area_id = max(candidates)
    # an area the analyst disabled is not replaced by the runner-up: the text stays without
    # an area (and says so) rather than taking one the model itself ranks lower
    if p < blend.fill_threshold or area_id not in vocabulary._enabled_ids:
        return ()
    area = vocabulary.area(area_id)
    if not _credit_model(scored, model, feats, area_id, blend):
        return ()
    points = scored.scores(vocabulary.scoring.body_cap).get(area_id, 0.0) + blend.weight * p
    found = sorted(scored.evidence[area_id], key=lambda item: item[1] != TITLE)
    return (AreaTag(area.id, area.label_en, area.label_zh, round(points, 2), tuple(Evidence(t, w) for t, w in found)),)


def _outside(scored: Scored) -> str:
    if scored.off_topic:
        return f"{REASON_OUTSIDE}: {scored.off_topic}"
    return _outside_no_term()
