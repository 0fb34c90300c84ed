"""What the commands that look at a store do, as functions a script can call.

Each takes the loaded ``Config`` and returns plain values (never prints): the CLI parses
flags, calls one of these and hands the result to ``render.render``.  ``check``,
``acknowledge`` and ``preview_source`` (which fetch) live in ``pipeline``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from cnca_watch.clock import parse_when, utc_now
from cnca_watch.errors import StoreError, UsageError

if TYPE_CHECKING:
    from cnca_watch.classify import Vocabulary
    from cnca_watch.evaluate import EvalSummary
    from cnca_watch.models import Change
    from cnca_watch.render.report import Report
    from cnca_watch.review import Review
    from cnca_watch.settings import Config, SourceConfig
    from cnca_watch.store import AnnouncementHistory, RetagResult, RunSummary, Store
    from cnca_watch.store.fields import FieldsFill
    from cnca_watch.upcoming import Upcoming


def open_existing_store(config: "Config", *, write: bool = False) -> "Store":
    """Open the store; a missing one is an error, not a new empty store.

    Read-only unless ``write``: looking at a store never writes to it, so a store on a
    read-only file system, or in a folder the user cannot write, can still be read."""
    from cnca_watch.store import Store

    if config.store_url is None and not config.store_path.exists():
        raise StoreError(
            f"no store at {config.store_path}; run `cnca-watch check` first, or point --store at your store"
        )
    return Store.open(config.store_target, read_only=not write)


def vocabulary_hash(overrides: Mapping[str, Any]) -> str:
    """Identifies the classifier a re-tagging used: the package's areas.toml and learned model,
    plus the config's overrides."""
    package = resources.files("cnca_watch")
    digest = hashlib.sha256(package.joinpath("areas.toml").read_bytes())
    digest.update(package.joinpath("classifier_model.json.gz").read_bytes())
    digest.update(json.dumps(overrides, sort_keys=True, ensure_ascii=False, default=str).encode())
    return digest.hexdigest()[:16]


def retag_store(config: "Config", vocabulary: "Vocabulary | None" = None) -> "RetagResult":
    """Re-classify the latest version of every stored announcement with the current
    classifier (the config's ``[areas]`` overrides applied); the old tags stay recorded."""
    from cnca_watch.classify import classify_text, load_vocabulary

    vocab = vocabulary if vocabulary is not None else load_vocabulary(config.areas)
    with open_existing_store(config, write=True) as store:  # re-tagging is recorded in the store
        return store.retag(
            lambda title, body: classify_text(title, body, vocab),
            at=utc_now(),
            vocabulary_hash=vocabulary_hash(config.areas),
        )


def run_history(config: "Config", limit: int = 20) -> "list[RunSummary]":
    """The last ``limit`` runs, newest first."""
    with open_existing_store(config) as store:
        return store.history(limit)


def find_announcement(config: "Config", key: str) -> "AnnouncementHistory":
    """One announcement with all its versions and changes, by URL or by change id."""
    from cnca_watch.urls import canonical_url

    key = key.strip()
    with open_existing_store(config) as store:
        url = store.url_of_change(int(key)) if key.isdigit() and len(key) < 19 else canonical_url(key, key)
        found = store.announcement(url) if url else None
    if found is None:
        raise UsageError(
            f"no announcement {key!r} in {config.store_label}; give its URL or a change id from `check --json`"
        )
    return found


def check_areas(config: "Config", areas: "tuple[str, ...] | list[str]") -> None:
    """Task area ids the config or the vocabulary knows, or a usage error listing them."""
    if not areas:
        return
    from cnca_watch.classify import area_display_labels

    known = sorted({*area_display_labels(), *config.areas})
    for area in areas:
        if area not in known:
            raise UsageError(f"no task area {area!r}; use one of: {', '.join(known)}")


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A ``report`` period as the user gave it (``7d``, ``2024-01-01``, ...); empty
    ``areas`` / ``sources`` mean all of them."""

    since: str = "7d"
    until: str | None = None
    areas: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    by_published: bool = False
    baseline: bool = False


def build_period_report(config: "Config", query: ReportQuery, *, today: str | None = None) -> "Report":
    """The digest of what was new or changed in a period, grouped by task area."""
    from cnca_watch.render.report import build_report

    since_ts = parse_when(query.since, option="--since")
    until_ts = parse_when(query.until, option="--until") if query.until else None
    if until_ts is not None and until_ts <= since_ts:
        raise UsageError(f"--until {query.until} is not after --since {query.since}; the period would be empty")
    check_areas(config, query.areas)
    by = "published" if query.by_published else "detected"
    if by == "published":
        since_ts, until_ts = since_ts[:10], until_ts[:10] if until_ts else None
    one_area = query.areas[0] if len(query.areas) == 1 else None
    one_source = query.sources[0] if len(query.sources) == 1 else None
    with open_existing_store(config) as store:
        names = store.source_names()
        for source in query.sources:
            if source not in names:
                raise UsageError(f"no source named {source!r} in the store; known: {', '.join(names) or 'none yet'}")
        changes = store.changes(
            since=since_ts, until=until_ts, by=by, area=one_area, source=one_source, baseline=query.baseline
        )
    if query.sources:
        changes = [c for c in changes if c.source in query.sources]
    if query.areas:
        changes = [c for c in changes if any(tag.id in query.areas for tag in c.areas)]
    from dataclasses import replace

    from cnca_watch.upcoming import COMING_UP_DAYS

    coming = upcoming_dates(
        config, days=COMING_UP_DAYS, sources=tuple(query.sources), areas=tuple(query.areas), start=today
    )
    return replace(build_report(changes, since=since_ts, until=until_ts, by=by), coming_up=coming)


def changes_since(config: "Config", since: str) -> "list[Change]":
    """Every stored change detected since ``since`` (``30d``, ``YYYY-MM-DD``), oldest first."""
    since_ts = parse_when(since, option="--since")
    with open_existing_store(config) as store:
        return store.changes(since=since_ts)


@dataclass(frozen=True, slots=True)
class Feed:
    """What ``cnca-watch feed`` publishes: the changes of a period and when it was made."""

    changes: "tuple[Change, ...]"
    updated: str  # UTC ISO timestamp


def feed(config: "Config", since: str) -> Feed:
    """The changes detected since ``since``, for the Atom feed (or its JSON twin)."""
    return Feed(changes=tuple(changes_since(config, since)), updated=utc_now())


def resolve_source(config: "Config", name_or_url: str) -> "SourceConfig":
    """A configured source by name, or an ad-hoc one for an http(s) list page URL."""
    from cnca_watch.settings import SourceConfig

    for source in config.sources:
        if source.name == name_or_url:
            return source
    if name_or_url.startswith(("http://", "https://")):
        return SourceConfig(name="test", url=name_or_url)
    raise UsageError(f"{name_or_url!r} is neither a configured source nor an http(s) URL")


def evaluate_file(config: "Config", path: Path) -> "EvalSummary":
    """Score the classifier (with the config's vocabulary overrides) on a labelled TSV: on
    titles alone, and on titles with bodies when the file has a body column."""
    from cnca_watch.classify import load_vocabulary
    from cnca_watch.evaluate import BUILTIN_AREAS, evaluate_modes, read_labelled

    vocabulary = load_vocabulary(config.areas)
    known = set(BUILTIN_AREAS) | {a.id for a in vocabulary.areas}
    return evaluate_modes(read_labelled(path, known), vocabulary)


def email_review(config: "Config", review: "Review") -> list[str]:
    """Send ``review`` to the ``[email]`` recipients; the addresses it went to."""
    from cnca_watch.notify import password_from_env, send_email
    from cnca_watch.render.email import compose_review_email

    settings = config.email
    if settings is None:
        raise UsageError("--email needs an [email] table (host, from, to) in the config; see config.example.toml")
    message = compose_review_email(review, settings)
    send_email(settings, message, password=settings.password or password_from_env(settings))
    return list(settings.to)


def build_store_review(
    config: "Config", *, year: int | None = None, since: str | None = None, until: str | None = None
) -> "Review":
    """The stored announcements of a year (or ``since``…``until``, inclusive days) by task area
    and publication month, with the year before when the store holds it."""
    from datetime import date

    from cnca_watch.render.common import area_order
    from cnca_watch.review import Period, ReviewItem, build_review

    if year is not None and (since or until):
        raise UsageError("--year and --since/--until both name the period; give one of them")
    def day(text: str, option: str) -> "date":
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise UsageError(f"{option} {text!r}: {exc}; write days as YYYY-MM-DD, e.g. 2024-01-01") from None

    try:
        if since or until:
            start = day(since, "--since") if since else date(day(until or "", "--until").year, 1, 1)
            end = day(until, "--until") if until else date(start.year, 12, 31)
            period = Period(start, end)
        else:
            period = Period.year(year if year is not None else int(utc_now()[:4]))
    except ValueError as exc:  # the period's own complaint (it ends before it starts, a year out of range)
        raise UsageError(str(exc)) from None
    with open_existing_store(config) as store:
        stored = store.stored_items()
    items = [
        ReviewItem(
            url=s.url, title=s.title, source=s.source, published=s.published, areas=s.areas,
            doc_type=s.doc_type, kind="backfilled" if s.backfilled else "checked",
        )
        for s in stored
    ]
    return build_review(items, period, area_order())


# -- announcement fields (issue 11) ----------------------------------------------------


def read_fields(title: str, body: str, published: str | None) -> dict[str, Any]:
    """The seven fields of a text as JSON (what the store keeps per version)."""
    from cnca_watch.fields import extract_fields

    return extract_fields(title, body, published).to_json()


def fill_stored_fields(config: "Config", *, every: bool = False) -> "FieldsFill":
    """``cnca-watch fields --stored``: read the fields of every stored version that has none
    (a store from before fields; ``every``: re-read all, e.g. after a better extractor)."""
    with open_existing_store(config, write=True) as store:
        return store.fill_fields(read_fields, every=every)


def upcoming_dates(
    config: "Config",
    *,
    days: int = 30,
    sources: "tuple[str, ...]" = (),
    areas: "tuple[str, ...]" = (),
    start: str | None = None,
) -> "Upcoming":
    """The effective dates, transition ends and comment deadlines from ``start`` (today in
    Beijing) to ``days`` later, soonest first, each with its announcement."""
    from cnca_watch.upcoming import Upcoming, beijing_today, deadlines_ahead

    check_areas(config, areas)
    first = start or beijing_today()
    with open_existing_store(config) as store:
        versions = store.dated_versions(sources)
    return Upcoming(start=first, days=days, deadlines=deadlines_ahead(versions, first, days, areas=areas), generated_at=utc_now())
