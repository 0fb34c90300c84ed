"""One ``check`` run: fetch -> extract -> classify -> diff -> store.  The library API.

Observation (network, parsing, classification, diffing) happens for all sources
concurrently; each source is written to the store in config order as soon as it and the
sources before it are observed, inside the single transaction that ``Store.run`` holds for
the whole run (it doubles as the run lock).
A run killed at any point therefore leaves the store as it was, or fully updated.
``check`` itself lives in ``check_run`` (the order a run starts in: list requests first).
"""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Sequence

import httpx

from cnca_watch import diff as diffing
from cnca_watch.capture import (
    RunCapture,
    SourceFiles,
    attachment_links,
    capture_source,
    links_to_fetch,
    replaced_file_diff,
    with_files,
)
from cnca_watch.clock import utc_now
from cnca_watch.errors import BlockedError, ExtractError, FetchError, GoneError
from cnca_watch.extract import (
    extract_detail,
    extract_list,
    find_jpaas_unit,
    is_announcement_page,
    parse_jpaas_payload,
    refuse_jpaas_api,
    whole_title,
)
from cnca_watch.extract import JpaasUnit
from cnca_watch.fetch import Fetcher
from cnca_watch.models import (
    Announcement,
    Attachment,
    Change,
    Detail,
    ChangeKind,
    ListedItem,
    Page,
    RunResult,
    Snapshot,
    SourceDiff,
    SourceResult,
    SourceStatus,
    Validators,
    attachment_files_text,
)
from cnca_watch.check_run import REPORT_CHANNEL, Progress, check, list_selectors_key
from cnca_watch.settings import Config, SourceConfig
from cnca_watch.store import RunWriter, SourceState, Store

__all__ = ["acknowledge", "check", "observe_all", "preview_source", "read_announcement"]

if TYPE_CHECKING:
    from cnca_watch.classify import Classification, Vocabulary
    from cnca_watch.fields import Fields

Tagger = Callable[[str, str], "Classification"]


@dataclass
class _Observation:
    """What one source yielded in this run, before anything is stored."""

    source: SourceConfig
    status: SourceStatus = SourceStatus.OK
    error: str | None = None
    items_seen: int = 0
    first_run: bool = False
    unchanged: bool = False  # every list request answered 304 Not Modified
    current: list[Announcement] = field(default_factory=list)
    diff: SourceDiff | None = None
    validators: dict[str, Validators] = field(default_factory=dict)
    requests: int = 0
    final_url: str | None = None  # the list page's URL after redirects
    tagged: set[str] = field(default_factory=set)  # announcements classified afresh in this run
    files: SourceFiles | None = None  # attachment files captured in this run


def acknowledge(config: Config, result: RunResult, channel: str = REPORT_CHANNEL) -> None:
    """Mark ``result``'s changes as delivered on ``channel`` (after they were shown/sent)."""
    ids = [c.id for c in result.changes if c.id is not None]
    if not ids:
        return
    with Store.open(config.store_target) as store:
        store.mark_delivered(channel, ids, utc_now())


async def observe_all(
    config: Config,
    sources: Sequence[SourceConfig],
    run: RunWriter,
    tagger: Tagger,
    fetcher: Fetcher,
    progress: Progress | None,
    accept_layout: frozenset[str] = frozenset(),
    prefetched: Mapping[str, tuple[Awaitable[Page], Validators]] | None = None,
    on_observed: Callable[[_Observation], Any] | None = None,
) -> list[Any]:
    """Observe ``sources`` concurrently; ``prefetched`` holds list pages already requested
    (by source name) with the validators they were sent with, which are awaited instead of
    being fetched again.

    ``on_observed`` (e.g. writing it to the run) is called for each source in config order,
    as soon as it and every source before it are observed: that work overlaps the answers
    still in flight.  Returns what it returned (the observations without it)."""
    capture = RunCapture(config.fetch)
    try:
        tasks = [
            asyncio.ensure_future(
                _observe_source(
                    source, fetcher, run, tagger, progress, source.name in accept_layout, capture,
                    (prefetched or {}).get(source.name),
                )
            )
            for source in sources
        ]
        done: list[Any] = []
        try:
            for task in tasks:
                observation = await task
                done.append(on_observed(observation) if on_observed is not None else observation)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return done
    finally:
        capture.close()


async def _observe_source(
    source: SourceConfig,
    fetcher: Fetcher,
    run: RunWriter,
    tagger: Tagger,
    progress: Progress | None,
    accept_layout: bool = False,
    capture: RunCapture | None = None,
    prefetched: tuple[Awaitable[Page], Validators] | None = None,
) -> _Observation:
    obs = _Observation(source=source)
    counted = _CountingFetcher(fetcher)
    try:
        listed = await _fetch_list(source, counted, run.validators, obs, prefetched)
        state = run.previous(source.name, [item.url for item in listed])
        # a source pointed at another page starts a new baseline there, not a day of news
        moved = state.known and state.url is not None and state.url != source.url
        obs.first_run = not state.known or moved
        if obs.unchanged:
            obs.items_seen = state.items_seen or 0
        else:
            await _observe_items(source, listed, state, counted, tagger, obs, accept_layout, moved)
        if capture is not None and source.details:
            await _capture_attachments(obs, state, counted, run, capture, tagger)
    except BlockedError as exc:
        obs.status, obs.error = SourceStatus.BLOCKED, str(exc)
    except (FetchError, ExtractError) as exc:
        obs.status, obs.error = SourceStatus.ERROR, str(exc)
    except Exception as exc:  # noqa: BLE001 - one source's surprise must not sink the others
        obs.status = SourceStatus.ERROR
        obs.error = f"unexpected {type(exc).__name__} at {source.url}: {exc} (please report this)"
        obs.diff, obs.current = None, []
    obs.requests = counted.sent
    if progress:
        progress(source.name, obs.status.value)
    return obs


async def _fetch_list(
    source: SourceConfig,
    fetcher: _CountingFetcher,
    validators_for: Callable[[str], Validators],
    obs: _Observation,
    prefetched: tuple[Awaitable[Page], Validators] | None = None,
) -> list[ListedItem]:
    """The list window of a source, newest first, each URL once (its first page
    ``prefetched`` when the run sent that request already)."""
    # Validators are only ever stored for static list pages (see below), so a 304
    # here means a static list that did not change.
    # A 304 means "extract what you extracted last time": only true while the selectors
    # that extracted it are the same, so they are part of the key the validators live under.
    configured = list_selectors_key(source)
    remembered = validators_for(source.url + configured)  # read under the run's lock
    if prefetched is not None:
        early_page, sent_with = prefetched
        column = await fetcher.adopt(early_page)
        if column.not_modified and sent_with != remembered:
            # Sent with validators read before the lock, and another run stored newer ones
            # since: this 304 says "as it was then", not "as stored now".  Ask again.
            column = await fetcher.get(source.url, validators=remembered)
    else:
        column = await fetcher.get(source.url, validators=remembered)
    obs.final_url = column.url
    if column.not_modified:
        obs.unchanged = True
        return []
    refuse_jpaas_api(column.url, column.text)
    unit = find_jpaas_unit(column.text, column.url)
    if unit is None:
        # A static list is its own page: worth revalidating.  A jpaas column page
        # never changes when its list does, so only the API answers are revalidated.
        _remember_validators(obs, source.url + configured, column)
        items = extract_list(column.text, column.url, source.selectors)
        if len(items) < 3 and is_announcement_page(column.text):
            # its attachment or "related" links would be watched as if they were announcements
            raise ExtractError(
                f"{column.url} is an announcement page, not a list: "
                "set the source's url to the list page of its column"
            )
        return _numbered(items)

    async def api_page(page_no: int, *, revalidate: bool) -> tuple[list[ListedItem] | None, int | None]:
        """One page of the list API: its items (None for 304 Not Modified) and the total."""
        key = _cache_key(unit.api_url, unit.page_params(page_no, source.page_size)) + configured
        answer, items, total = await fetch_api_page(
            source, fetcher, unit, page_no, column.url, validators_for(key) if revalidate else None
        )
        _remember_validators(obs, key, answer)
        return items, total

    window: list[list[ListedItem] | None] = []
    for page_no in range(1, source.pages + 1):
        page_items, total = await api_page(page_no, revalidate=True)
        window.append(page_items)
        if page_items is not None and (
            (total is not None and page_no * source.page_size >= total) or len(page_items) < source.page_size
        ):
            break
    if all(page is None for page in window):
        obs.unchanged = True
        return []
    # Some pages changed and some did not: a partial window would look like removals,
    # so the unchanged pages are read again in full.
    for index, page_items in enumerate(window):
        if page_items is None:
            window[index], _ = await api_page(index + 1, revalidate=False)
    return _numbered([item for page in window for item in page or ()])


async def fetch_api_page(
    source: SourceConfig,
    fetcher: "_CountingFetcher",
    unit: JpaasUnit,
    page_no: int,
    column_url: str,
    validators: Validators | None = None,
) -> tuple[Page, list[ListedItem] | None, int | None]:
    """One page of a jpaas list API: the answer, its items (None for 304) and the column's total."""
    answer = await fetcher.get(
        unit.api_url,
        params=unit.page_params(page_no, source.page_size),
        accept_json=True,
        referer=column_url,
        validators=validators,
    )
    if answer.not_modified:
        return answer, None, None
    payload = parse_jpaas_payload(answer.text)
    return answer, extract_list(payload.html, column_url, source.selectors), payload.total


def _numbered(items: Sequence[ListedItem]) -> list[ListedItem]:
    seen: set[str] = set()
    out: list[ListedItem] = []
    for item in items:
        if item.url in seen:
            continue
        seen.add(item.url)
        out.append(replace(item, position=len(out)))
    return out


async def _observe_items(
    source: SourceConfig,
    listed: list[ListedItem],
    state: SourceState,
    fetcher: _CountingFetcher,
    tagger: Tagger,
    obs: _Observation,
    accept_layout: bool = False,
    moved: bool = False,
) -> None:
    obs.items_seen = len(listed)
    if moved:
        state = replace(state, items_seen=None)  # the old page's size says nothing about this one
    reason = diffing.layout_change_reason(state.items_seen, len(listed))
    if reason is not None and listed:
        if accept_layout:
            reason = None
        else:
            reason += (
                f"; if the site really lists fewer now, accept it with "
                f"`cnca-watch check --accept-layout {shlex.quote(source.name)}`"
            )
    if reason is None and not listed:
        reason = "found no announcements on the page; check the URL or set [[sources]] items/title/date selectors"
    if reason is not None:
        obs.status, obs.error = SourceStatus.LAYOUT_CHANGED, reason
        return

    detail_errors: list[str] = []

    async def observe(item: ListedItem) -> Announcement | None:
        snap = state.snapshots.get(item.url)
        refetch = source.details and (
            snap is None or snap.removed or snap.list_title != item.title or snap.list_date != item.date
        )
        if not refetch:
            if snap is None:  # details switched off: the list row is all we know
                return _announce(item, "", (), None, tagger)
            title, date = whole_title(item.title, snap.title), item.date or snap.date
            return Announcement(
                url=item.url, title=title, date=date, body=snap.body,
                attachments=snap.attachments, areas=snap.areas, list_title=item.title,
                list_date=item.date, position=item.position, area_reason=snap.area_reason,
                # details off: a changed list row is changed text, read again
                fields=_read_fields(title, snap.body, date) if (title, date) != (snap.title, snap.date) else None,
            )
        try:
            announcement = await read_announcement(source, item, fetcher, tagger)
        except GoneError:
            return _from_snapshot(snap, item.position) if snap is not None else _announce(item, "", (), None, tagger)
        except (FetchError, ExtractError) as exc:
            detail_errors.append(f"{item.url}: {exc}")
            return None if snap is None else _from_snapshot(snap, item.position)
        obs.tagged.add(item.url)
        return announcement

    announced = await asyncio.gather(*(observe(item) for item in listed))
    current = [a for a in announced if a is not None]

    gone: set[str] = set()
    if source.details and not moved:
        async def probe(url: str) -> None:
            try:
                await fetcher.get(url, referer=source.url)
            except GoneError:
                gone.add(url)
            except (FetchError, ExtractError):
                pass  # cannot tell: not evidence of withdrawal

        await asyncio.gather(*(probe(url) for url in diffing.vanished(state.snapshots, current)))

    source_diff = diffing.diff_source(
        source.name, state.snapshots, current, gone=frozenset(gone), detected_at=utc_now()
    )
    if detail_errors or moved:
        # A partly observed window proves nothing about removals (they wait for a healthy
        # run), nor does a new page about the old one's rows; but what left the window did
        # leave it: its stale position must not make it look "inside the window" next time.
        if detail_errors:
            obs.status = SourceStatus.ERROR
            obs.error = f"{len(detail_errors)} detail page(s) failed, first: {detail_errors[0]}"
        kept = tuple(c for c in source_diff.changes if c.kind is not ChangeKind.REMOVED)
        withdrawn = {c.url for c in source_diff.changes if c.kind is ChangeKind.REMOVED}
        source_diff = SourceDiff(
            changes=kept,
            unlisted=source_diff.unlisted | withdrawn if moved else source_diff.unlisted,
            backfilled=source_diff.backfilled,
        )
    obs.current = current
    obs.diff = source_diff


async def read_announcement(
    source: SourceConfig, item: ListedItem, fetcher: "_CountingFetcher", tagger: Tagger
) -> Announcement:
    """A listed item with its detail page read (body, attachments, date) and classified.

    Raises ``GoneError`` for a listed item whose page is missing (a broken link on the list:
    callers keep what they know, the list row at least), ``FetchError``/``ExtractError`` else."""
    page = await fetcher.get(item.url, referer=source.url)
    detail = extract_detail(page.text, page.url, source.selectors)
    return _announce(item, detail.body, detail.attachments, detail.date, tagger, detail.title)


async def _capture_attachments(
    obs: _Observation,
    state: SourceState,
    fetcher: _CountingFetcher,
    run: RunWriter,
    capture: RunCapture,
    tagger: Tagger,
) -> None:
    """Capture the attachment files of this source's window; a replaced file is a change."""
    if obs.unchanged:
        candidates = [_from_snapshot(s) for s in state.snapshots.values() if s.listed and not s.removed]
    elif obs.diff is not None:
        candidates = obs.current
    else:
        return
    links = attachment_links(candidates)
    if not links:
        return
    changed = {c.url for c in obs.diff.changes if c.kind is not ChangeKind.REMOVED} if obs.diff else set()
    always = {a.url for a in candidates} if obs.first_run else changed
    try:
        known, failed = run.attachment_links(links)
        to_fetch = links_to_fetch(
            candidates, always, known, now=run.started_at, settings=capture.settings, failed=failed
        )
        files = await capture_source(candidates, to_fetch, known, fetcher, capture)
    except Exception as exc:  # noqa: BLE001 - attachments must never cost the announcements
        obs.files = SourceFiles(notes=[f"attachments not captured: unexpected {type(exc).__name__}: {exc}"])
        return
    obs.files = files
    if obs.unchanged and not files.replaced:
        return  # nothing to store but the validators
    updated: list[Announcement] = []
    for item in candidates:
        captured = with_files(item, files.by_url)
        fresh = any(f.url in files.replaced or f.url in files.first_seen for f in captured.files)
        text = attachment_files_text(captured.files)
        if text and (item.url in obs.tagged or fresh):
            # attachment text reads as body, after it: below the title's weight
            classified = tagger(captured.title, f"{captured.body}\n{text}")
            captured = replace(
                captured, areas=classified.tags, area_reason=classified.reason,
                # dates and deadlines are often only in the attachment
                fields=_read_fields(captured.title, f"{captured.body}\n{text}", captured.date),
            )
        updated.append(captured)
    by_url = {a.url: a for a in updated}
    changes = [
        replace(c, areas=by_url[c.url].areas, area_reason=by_url[c.url].area_reason, fields=by_url[c.url].fields or c.fields)
        if c.url in by_url and c.kind is not ChangeKind.REMOVED
        else c
        for c in (obs.diff.changes if obs.diff else ())
    ]
    detected_at = utc_now()
    for item in updated:
        replaced_files = [files.replaced[f.url] for f in item.files if f.url in files.replaced]
        if not replaced_files:
            continue
        text = "\n".join(replaced_file_diff(old, new, obs.source.sheet_key) for old, new in replaced_files)
        index = next((i for i, c in enumerate(changes) if c.url == item.url), None)
        if index is None:
            changes.append(
                Change(
                    kind=ChangeKind.CHANGED, source=obs.source.name, url=item.url, title=item.title, date=item.date,
                    fields_changed=("attachments",), diff=text, attachments=item.attachments, areas=item.areas,
                    detected_at=detected_at, area_reason=item.area_reason, fields=item.fields,
                )
            )
        elif changes[index].kind is ChangeKind.CHANGED:
            old = changes[index]
            fields = old.fields_changed if "attachments" in old.fields_changed else (*old.fields_changed, "attachments")
            changes[index] = replace(old, fields_changed=fields, diff="\n".join(t for t in (old.diff, text) if t))
    obs.current = updated
    obs.diff = SourceDiff(
        changes=tuple(changes),
        unlisted=obs.diff.unlisted if obs.diff else frozenset(),
        backfilled=obs.diff.backfilled if obs.diff else frozenset(),
    )


def _from_snapshot(snap: Snapshot, position: int | None = None) -> Announcement:
    """The stored version as an observation (at ``position``, else where it was stored); its
    list row stays the stored one, so a changed row is retried."""
    return Announcement(
        url=snap.url, title=snap.title, date=snap.date, body=snap.body, attachments=snap.attachments,
        areas=snap.areas, list_title=snap.list_title, list_date=snap.list_date,
        position=snap.position or 0 if position is None else position,
        area_reason=snap.area_reason,
    )


def _announce(
    item: ListedItem,
    body: str,
    attachments: tuple[Attachment, ...],
    detail_date: str | None,
    tagger: Tagger,
    detail_title: str | None = None,
) -> Announcement:
    title = whole_title(item.title, detail_title)
    date = item.date or detail_date
    classified = tagger(title, body)
    return Announcement(
        url=item.url,
        title=title,
        date=date,
        body=body,
        attachments=tuple(attachments),
        areas=classified.tags,
        fields=_read_fields(title, body, date),
        list_title=item.title,
        list_date=item.date,
        position=item.position,
        area_reason=classified.reason,
    )


def _read_fields(title: str, body: str, date: str | None) -> "Fields":
    from cnca_watch.fields import extract_fields  # new or changed text only: a steady run reads none

    return extract_fields(title, body, date)


def _lazy_tagger(overrides: Mapping[str, Any], vocabulary: "Vocabulary | None") -> Tagger:
    """Classify with ``vocabulary``, compiling the configured one only when first needed
    (a steady run classifies nothing: it neither imports the classifier nor compiles)."""
    loaded = vocabulary

    def tag(title: str, body: str) -> "Classification":
        from cnca_watch.classify import classify_text, load_vocabulary

        nonlocal loaded
        if loaded is None:
            loaded = load_vocabulary(overrides)
        return classify_text(title, body, loaded)

    return tag


def _record(run: RunWriter, obs: _Observation, *, keep_files: bool = True) -> SourceResult:
    changes = obs.diff.changes if obs.diff else ()
    result = SourceResult(
        name=obs.source.name,
        url=obs.source.url,
        status=obs.status,
        error=obs.error,
        items_seen=obs.items_seen,
        first_run=obs.first_run,
        new=sum(c.kind is ChangeKind.NEW for c in changes),
        changed=sum(c.kind is ChangeKind.CHANGED for c in changes),
        removed=sum(c.kind is ChangeKind.REMOVED for c in changes),
        requests=obs.requests,
        backfilled=len(obs.diff.backfilled) if obs.diff else 0,
        final_url=obs.final_url,
        attachment_notes=tuple(obs.files.notes) if obs.files else (),
    )
    run.record_source(result)
    if obs.files is not None:
        run.record_files(obs.files.new_files, obs.files.contents, keep_files=keep_files)
        for captured, validators in obs.files.remembered:
            run.remember_attachment(captured, validators)
        for url, name in obs.files.failed:
            run.remember_attachment_failure(url, name)
    if obs.diff is not None:
        run.record_observations(obs.source.name, obs.source.url, obs.current, obs.diff)
    if obs.status is SourceStatus.OK:
        for key, validators in obs.validators.items():
            run.set_validators(key, validators)
    return result


def _cache_key(url: str, params: dict[str, str]) -> str:
    return str(httpx.URL(url, params=sorted(params.items())))


def _remember_validators(obs: _Observation, key: str, page: Page) -> None:
    if page.etag or page.last_modified:
        obs.validators[key] = Validators(etag=page.etag, last_modified=page.last_modified)


class _CountingFetcher:
    """One source's view of the shared fetcher, counting the pages it asked for and their bytes."""

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self.sent = 0
        self.bytes = 0

    async def get(self, url: str, **kwargs) -> Page:  # type: ignore[no-untyped-def]
        self.sent += 1
        page = await self._fetcher.get(url, **kwargs)
        self.bytes += len(page.content)
        return page

    async def adopt(self, request: Awaitable[Page]) -> Page:
        """A request sent for this source before it was observed, counted as its own."""
        self.sent += 1
        page = await request
        self.bytes += len(page.content)
        return page


CountingFetcher = _CountingFetcher  # the name other orchestrators (backfill) use
record = _record
lazy_tagger = _lazy_tagger


@dataclass(frozen=True)
class SourcePreview:
    """What ``sources test`` shows: the list as extracted and the first detail page."""

    source: SourceConfig
    items: tuple[ListedItem, ...]
    detail_url: str | None
    detail: Detail | None
    detail_error: str | None
    requests: int


def preview_source(
    source: SourceConfig, config: Config, *, transport: httpx.AsyncBaseTransport | None = None
) -> SourcePreview:
    """Fetch and extract one source without touching the store.  Raises fetch/extract errors."""

    async def go() -> SourcePreview:
        async with Fetcher(config.fetch, transport=transport) as fetcher:
            counted = _CountingFetcher(fetcher)
            items = await _fetch_list(source, counted, lambda _url: Validators(), _Observation(source=source))
            detail = error = None
            first = items[0].url if items else None
            if first and source.details:
                try:
                    page = await counted.get(first, referer=source.url)
                    detail = extract_detail(page.text, page.url, source.selectors)
                except (FetchError, ExtractError) as exc:
                    error = str(exc)
            return SourcePreview(source, tuple(items), first, detail, error, counted.sent)

    return asyncio.run(go())
