"""Which changes go to whom: ``[[routes]]`` matched against a change's meaning.

Pure: a change's facts and the configured routes in, the targets out.  A change goes to
every route it matches; one that matches none goes to the default channels (or nowhere
with ``unmatched = "drop"``).  Targets are outbox channels, so a target reached by two
routes still gets the change once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

KINDS = ("new", "changed", "removed")


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """What a change must have (every given criterion) and must not have (any ``not_*``)."""

    areas: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    doc_types: frozenset[str] = frozenset()
    terms: tuple[re.Pattern[str], ...] = ()
    has_deadline: bool | None = None
    not_areas: frozenset[str] = frozenset()
    not_sources: frozenset[str] = frozenset()
    not_kinds: frozenset[str] = frozenset()
    not_doc_types: frozenset[str] = frozenset()
    not_terms: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    match: RouteMatch
    email: tuple[str, ...] = ()  # addresses
    webhooks: tuple[str, ...] = ()  # webhook names


@dataclass(frozen=True, slots=True)
class RoutedChange:
    """The facts of a change that routes can look at."""

    kind: str
    source: str
    areas: tuple[str, ...]
    doc_type: str | None = None
    has_deadline: bool = False
    text: str = ""  # title, body and attachment text, for ``terms``


@dataclass(frozen=True, slots=True)
class Targets:
    routes: tuple[str, ...]  # names of the routes matched, in config order
    email: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    default: bool = False  # matched no route: goes to the default [email]/[[webhooks]]


@dataclass(frozen=True, slots=True)
class RoutingTable:
    routes: tuple[Route, ...] = ()
    unmatched: str = "default"  # "default" | "drop"


def compile_terms(terms: Iterable[str], where: str) -> tuple[re.Pattern[str], ...]:
    """Words or regular expressions, case-insensitive; a bad one names itself and the fix."""
    patterns = []
    for term in terms:
        try:
            patterns.append(re.compile(term, re.IGNORECASE))
        except re.error as error:
            raise ValueError(f"{where}: {term!r} is not a valid regular expression ({error}); escape special characters with \\") from None
    return tuple(patterns)


def matches(route: Route, change: RoutedChange) -> bool:
    m = route.match
    areas = set(change.areas)
    if m.areas and not (areas & m.areas):
        return False
    if m.sources and change.source not in m.sources:
        return False
    if m.kinds and change.kind not in m.kinds:
        return False
    if m.doc_types and change.doc_type not in m.doc_types:
        return False
    if m.terms and not any(p.search(change.text) for p in m.terms):
        return False
    if m.has_deadline is not None and change.has_deadline != m.has_deadline:
        return False
    if areas & m.not_areas or change.source in m.not_sources or change.kind in m.not_kinds:
        return False
    if change.doc_type is not None and change.doc_type in m.not_doc_types:
        return False
    return not any(p.search(change.text) for p in m.not_terms)


def route(table: RoutingTable, change: RoutedChange) -> Targets:
    """Every route ``change`` matches, and the union of their targets (deduplicated, ordered)."""
    hit = [r for r in table.routes if matches(r, change)]
    if not hit:
        return Targets(routes=(), default=table.unmatched != "drop")
    return Targets(
        routes=tuple(r.name for r in hit),
        email=_unique(a for r in hit for a in r.email),
        webhooks=_unique(w for r in hit for w in r.webhooks),
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def route_names(table: RoutingTable, changes: Sequence[RoutedChange]) -> dict[str, int]:
    """How many of ``changes`` each route (and "(default)" / "(dropped)") would receive."""
    counts: dict[str, int] = {r.name: 0 for r in table.routes}
    counts["(default)"] = 0
    counts["(dropped)"] = 0
    for change in changes:
        targets = route(table, change)
        for name in targets.routes:
            counts[name] += 1
        if not targets.routes:
            counts["(default)" if targets.default else "(dropped)"] += 1
    return counts


def routed_change(change: Any, body: str = "") -> RoutedChange:
    """The routing facts of a stored or fresh ``models.Change``.

    Document type and deadlines come from the change's ``fields`` (issue 11's extraction)
    when it has them, so routes on ``doc_types``/``has_deadline`` work before and after
    that lands: without fields a change has no doc type and no deadline.
    """
    fields = getattr(change, "fields", None)
    doc_type = _fact(change, fields, "doc_type")
    deadlines = _fact(change, fields, "deadlines") or _fact(change, fields, "deadline")
    attachments = " ".join(getattr(a, "name", "") for a in getattr(change, "attachments", ()))
    return RoutedChange(
        kind=str(getattr(change.kind, "value", change.kind)),
        source=change.source,
        areas=tuple(a.id for a in change.areas),
        doc_type=str(doc_type) if doc_type else None,
        has_deadline=bool(deadlines),
        text="\n".join(t for t in (change.title, body, attachments) if t),
    )


def _fact(change: Any, fields: Any, name: str) -> Any:
    if fields is not None:
        value = fields.get(name) if isinstance(fields, dict) else getattr(fields, name, None)
        if value:
            return value
    return getattr(change, name, None)
