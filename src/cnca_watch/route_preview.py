"""``cnca-watch routes test`` and ``sources health``: what routes would do with stored changes,
and how each source is doing — both read from the store, nothing sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnca_watch.health import SourceHealth
    from cnca_watch.models import Change
    from cnca_watch.settings import Config


@dataclass(frozen=True, slots=True)
class RoutedRow:
    change: "Change"
    routes: tuple[str, ...]  # names of the routes it matched, config order
    targets: tuple[str, ...]  # "email:<address>" / "webhook:<name>"; empty when dropped
    fate: str  # "routed" | "default" | "dropped"


@dataclass(frozen=True, slots=True)
class RoutesPreview:
    since: str  # UTC ISO start of the period
    unmatched: str  # "default" | "drop"
    routes: tuple[tuple[str, int, tuple[str, ...]], ...]  # (name, changes, targets)
    default_targets: tuple[str, ...]
    rows: tuple[RoutedRow, ...]

    def count(self, fate: str) -> int:
        return sum(1 for row in self.rows if row.fate == fate)


def target_labels(config: "Config", email: tuple[str, ...], webhooks: tuple[str, ...]) -> tuple[str, ...]:
    return (*(f"email:{a}" for a in email), *(f"webhook:{n}" for n in webhooks))


def default_targets(config: "Config") -> tuple[str, ...]:
    labels = [f"email:{a}" for a in config.email.to] if config.email is not None else []
    labels += [f"webhook:{w.label}" for w in config.webhooks if w.default]
    return tuple(labels)


def preview_routes(config: "Config", since: str, *, baseline: bool = False) -> RoutesPreview:
    """Which routes the changes stored since ``since`` would go to (nothing is sent)."""
    from cnca_watch.clock import parse_when
    from cnca_watch.operations import open_existing_store
    from cnca_watch.routing import route, routed_change

    since_ts = parse_when(since, option="--since")
    with open_existing_store(config) as store:
        changes = store.changes(since=since_ts, baseline=baseline)
        bodies = store.change_bodies(c.id for c in changes if c.id is not None)
    table = config.routing
    defaults = default_targets(config)
    rows = []
    for change in changes:
        targets = route(table, routed_change(change, bodies.get(change.id or 0, "")))
        if targets.routes:
            rows.append(RoutedRow(change, targets.routes, target_labels(config, targets.email, targets.webhooks), "routed"))
        elif targets.default:
            rows.append(RoutedRow(change, (), defaults, "default"))
        else:
            rows.append(RoutedRow(change, (), (), "dropped"))
    routes = tuple(
        (r.name, sum(1 for row in rows if r.name in row.routes), target_labels(config, r.email, r.webhooks))
        for r in table.routes
    )
    return RoutesPreview(since_ts, table.unmatched, routes, defaults, tuple(rows))


def sources_health(config: "Config", *, today: date | None = None) -> "list[SourceHealth]":
    """The health of every configured source (and of stored ones no longer configured)."""
    from cnca_watch.health import judge
    from cnca_watch.operations import open_existing_store

    with open_existing_store(config) as store:
        records = {r.name: r for r in store.source_records()}
    day = today or date.today()
    found = []
    for source in config.sources:
        record = records.get(source.name)
        if record is None:
            found.append(judge(source.name, source.url, (), (), today=day))
        else:
            # the configured URL is the one to judge: the stored one may be an older spelling
            final_url = record.final_url if record.url == source.url else None
            found.append(judge(source.name, source.url, record.outcomes, record.published, today=day, final_url=final_url))
    return found
