"""``backfill``: walk each source's list back through its older pages and record what it holds.

Lists are read page by page — jpaas API pages (``paramJson`` ``pageNo``), static numbered pages
(the TRS ``createPageHTML(n, k, "index", "html")`` pager → ``index_1.html`` …, or the source's
``page_url`` pattern) — until the ``since`` date, the ``pages`` depth or the list's end.  Every
item the store does not hold yet is read and classified exactly as ``check`` reads it
(``pipeline.read_announcement``) and recorded as history (``store/backfill.py``): never news.

Politeness: the fetcher's global and per-host limits as for ``check``, plus ``[fetch]
backfill_pause`` seconds between two list pages of a source; ``max_requests`` bounds the
whole run.  Each list page is one transaction with its cursor, so a run stopped anywhere keeps
the pages it finished and the next ``backfill`` continues from the source's cursor.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence
from urllib.parse import urljoin

import httpx

from cnca_watch.clock import utc_now
from cnca_watch.errors import BlockedError, ExtractError, FetchError, GoneError, UsageError
from cnca_watch.extract import extract_list, find_jpaas_unit, refuse_jpaas_api
from cnca_watch.fetch import Fetcher
from cnca_watch.models import Announcement, ListedItem, Page
from cnca_watch.pipeline import CountingFetcher, Tagger, _announce, _numbered, fetch_api_page, lazy_tagger, read_announcement
from cnca_watch.settings import Config, SourceConfig
from cnca_watch.store import Store
from cnca_watch.store.backfill import BackfillSession, Cursor
from cnca_watch.tls import start_loading

if TYPE_CHECKING:
    from cnca_watch.classify import Vocabulary

# A list deeper than this is not walked in one run (a bound on every loop; rerun to go on).
MAX_PAGES_PER_RUN = 10_000
_TRS_PAGER = re.compile(
    r"""createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["']([\w.-]+)["']\s*,\s*["'](\w+)["']\s*\)"""
)


@dataclass(frozen=True, slots=True)
class PageDone:
    """Progress: one list page of ``source`` recorded."""

    source: str
    page: int  # its number (1 = the list's first page)
    pages: int | None  # how many this run expects to read for the source, when known
    items: int  # items recorded for the source so far in this run
    done: bool = False  # the source's walk is over


Progress = Callable[[PageDone], None]


@dataclass(frozen=True, slots=True)
class SourceBackfill:
    """How one source's walk went."""

    name: str
    status: str  # "ok" | "stopped" (max requests) | "error"
    stopped_by: str  # "since", "pages", "end", "done-before", "max-requests", "no-pager", "error"
    pages: int  # list pages read and recorded in this run
    items: int  # announcements recorded (new to the store)
    known: int  # listed items the store already held (skipped)
    detail_pages: int
    requests: int
    bytes: int
    seconds: float
    next_page: int | None  # where the next backfill starts
    oldest_date: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BackfillResult:
    started_at: str
    finished_at: str
    seconds: float
    since: str | None
    max_pages: int | None
    max_requests: int | None
    sources: tuple[SourceBackfill, ...]

    @property
    def pages(self) -> int:
        return sum(s.pages for s in self.sources)

    @property
    def items(self) -> int:
        return sum(s.items for s in self.sources)

    @property
    def detail_pages(self) -> int:
        return sum(s.detail_pages for s in self.sources)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.sources)

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.sources)


@dataclass(frozen=True, slots=True)
class Pager:
    """A static list's numbered pages as the TRS pager call names them (0-based on the site)."""

    count: int
    name: str
    extension: str

    def url(self, list_url: str, page: int) -> str | None:
        if page > self.count:
            return None
        return list_url if page == 1 else urljoin(list_url, f"{self.name}_{page - 1}.{self.extension}")


def find_pager(html: str) -> Pager | None:
    """The ``createPageHTML(pages, current, name, ext)`` call a TRS list page ends with (pure)."""
    found = _TRS_PAGER.search(html)
    if found is None or int(found.group(1)) < 1:
        return None
    return Pager(int(found.group(1)), found.group(3), found.group(4))


def static_page_url(source: SourceConfig, list_url: str, pager: Pager | None, page: int) -> str | None:
    """Page ``page`` (1 = the list itself) of a static list, None past its end or without a way to
    number pages (pure).  A configured ``page_url`` wins over the detected pager."""
    if page == 1:
        return list_url
    if source.page_url is not None:
        return urljoin(source.url, source.page_url.replace("{n}", str(page - 1)))
    return pager.url(list_url, page) if pager else None


class BudgetExhausted(Exception):
    """``max_requests`` is spent."""


@dataclass
class _Budget:
    remaining: int | None

    def take(self) -> None:
        if self.remaining is not None:
            if self.remaining <= 0:
                raise BudgetExhausted
            self.remaining -= 1


class _BudgetedFetcher(CountingFetcher):
    def __init__(self, fetcher: Fetcher, budget: _Budget) -> None:
        super().__init__(fetcher)
        self._budget = budget

    async def get(self, url: str, **kwargs) -> Page:  # type: ignore[no-untyped-def]
        self._budget.take()
        return await super().get(url, **kwargs)


@dataclass
class _Walk:
    """One source's counters while it is walked."""

    source: SourceConfig
    started: float = field(default_factory=time.monotonic)
    pages: int = 0
    items: int = 0
    known: int = 0
    detail_pages: int = 0
    next_page: int | None = None
    oldest_date: str | None = None


def backfill(
    config: Config,
    *,
    since: str | None = None,
    max_pages: int | None = None,
    only: Sequence[str] | None = None,
    max_requests: int | None = None,
    progress: Progress | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    vocabulary: "Vocabulary | None" = None,
    lock_timeout: float = 300.0,
) -> BackfillResult:
    """Walk the configured sources' lists back to ``since`` (YYYY-MM-DD) or ``max_pages`` deep."""
    if max_pages is not None and max_pages < 1:
        raise UsageError(f"--pages {max_pages}: give 1 or more")
    if max_requests is not None and max_requests < 1:
        raise UsageError(f"--max-requests {max_requests}: give 1 or more")
    known_names = [s.name for s in config.sources]
    for name in only or ():
        if name not in known_names:
            raise UsageError(f"no source named {name!r}; configured: {', '.join(known_names) or 'none'}")
    sources = [s for s in config.sources if not only or s.name in only]
    if config.fetch.verify_tls and transport is None:
        start_loading()
    tagger = lazy_tagger(config.areas, vocabulary)
    budget = _Budget(max_requests)
    started_at, clock = utc_now(), time.monotonic()
    with Store.open(config.store_target, lock_timeout=lock_timeout) as store:
        session = store.backfill(started_at=started_at)

        async def walk_all() -> list[SourceBackfill]:
            async with Fetcher(config.fetch, transport=transport) as fetcher:
                return list(
                    await asyncio.gather(
                        *(
                            _walk_source(source, _BudgetedFetcher(fetcher, budget), session, tagger, config, since, max_pages, progress)
                            for source in sources
                        )
                    )
                )

        results = asyncio.run(walk_all())
        finished_at = utc_now()
        session.finish(finished_at, "ok" if all(r.status == "ok" for r in results) else "partial")
    return BackfillResult(
        started_at=started_at, finished_at=finished_at, seconds=round(time.monotonic() - clock, 3), since=since,
        max_pages=max_pages, max_requests=max_requests, sources=tuple(results),
    )


async def _walk_source(
    source: SourceConfig,
    fetcher: _BudgetedFetcher,
    session: BackfillSession,
    tagger: Tagger,
    config: Config,
    since: str | None,
    max_pages: int | None,
    progress: Progress | None,
) -> SourceBackfill:
    walk = _Walk(source)
    status, stopped_by, error = "ok", "end", None
    try:
        stopped_by = await _walk(walk, fetcher, session, tagger, config, since, max_pages, progress)
    except BudgetExhausted:
        status, stopped_by = "stopped", "max-requests"
    except (BlockedError, FetchError, ExtractError) as exc:
        status, stopped_by, error = "error", "error", str(exc)
    if progress:
        progress(PageDone(source.name, walk.next_page or 0, None, walk.items, done=True))
    return SourceBackfill(
        name=source.name, status=status, stopped_by=stopped_by, pages=walk.pages, items=walk.items,
        known=walk.known, detail_pages=walk.detail_pages, requests=fetcher.sent, bytes=fetcher.bytes,
        seconds=round(time.monotonic() - walk.started, 3), next_page=walk.next_page,
        oldest_date=walk.oldest_date, error=error,
    )


async def _walk(
    walk: _Walk,
    fetcher: _BudgetedFetcher,
    session: BackfillSession,
    tagger: Tagger,
    config: Config,
    since: str | None,
    max_pages: int | None,
    progress: Progress | None,
) -> str:
    """Walk one source from its cursor; why it stopped."""
    source = walk.source
    cursor = session.cursor(source.name)
    if cursor is not None:
        walk.next_page, walk.oldest_date = cursor.next_page, cursor.oldest_date
        if cursor.exhausted or (since and cursor.oldest_date and cursor.oldest_date < since):
            return "done-before"
    page_no = cursor.next_page if cursor else 1
    if max_pages is not None and page_no > max_pages:
        return "pages"
    column = await fetcher.get(source.url)
    refuse_jpaas_api(column.url, column.text)
    unit = find_jpaas_unit(column.text, column.url)
    pager = None if unit else find_pager(column.text)
    expected: int | None = pager.count if pager else None
    for _ in range(MAX_PAGES_PER_RUN):
        if max_pages is not None and page_no > max_pages:
            return "pages"
        if unit is not None:
            _, found, total = await fetch_api_page(source, fetcher, unit, page_no, column.url)
            items = found or []
            if total is not None:
                expected = -(-total // source.page_size)
            last = not items or len(items) < source.page_size or (total is not None and page_no * source.page_size >= total)
        else:
            url = static_page_url(source, column.url, pager, page_no)
            if url is None:
                return "end" if pager or page_no > 1 else "no-pager"
            try:
                page = column if page_no == 1 else await fetcher.get(url, referer=source.url)
            except GoneError:
                if source.page_url is None:
                    raise
                items, last = [], True  # a page_url pattern runs out with a 404
            else:
                items = extract_list(page.text, page.url, source.selectors)
                last = not items or (pager is not None and page_no >= pager.count)
                if not last and pager is None and source.page_url is None:
                    last = True  # no way to number the next page: say so below
        numbered = unit is not None or pager is not None or source.page_url is not None
        # the end of an unnumbered list is not the end of the archive: a page_url set later goes on
        reached = await _record_page(walk, page_no, _numbered(items), last and numbered, fetcher, session, tagger, since)
        if progress:
            depth = min(expected, max_pages) if expected and max_pages else (expected or max_pages)
            progress(PageDone(source.name, page_no, depth, walk.items))
        if reached:
            return "since"
        if last:
            return "end" if numbered or not items else "no-pager"
        page_no += 1
        await asyncio.sleep(config.fetch.backfill_pause)  # politeness between list pages
    return "pages"


async def _record_page(
    walk: _Walk,
    page_no: int,
    items: list[ListedItem],
    last: bool,
    fetcher: _BudgetedFetcher,
    session: BackfillSession,
    tagger: Tagger,
    since: str | None,
) -> bool:
    """Read the page's unknown items and record them with the cursor in one transaction;
    whether the page reached back past ``since``."""
    source = walk.source
    held = session.known(source.name, [i.url for i in items])
    fresh = [i for i in items if i.url not in held and not (since and i.date and i.date < since)]
    walk.known += len(items) - len([i for i in items if i.url not in held])

    async def read(item: ListedItem) -> Announcement:
        if not source.details:
            return _announce(item, "", (), None, tagger)
        walk.detail_pages += 1
        try:
            return await read_announcement(source, item, fetcher, tagger)
        except GoneError:  # a broken link on the list: the row is all there is, as in check
            return _announce(item, "", (), None, tagger)

    read_items = await asyncio.gather(*(read(i) for i in fresh))
    recordable = [a for a in read_items if not (since and a.date and a.date[:10] < since)]
    dates = [d[:10] for d in (*(i.date for i in items), *(a.date for a in read_items)) if d]
    oldest = min([*dates, *([walk.oldest_date] if walk.oldest_date else [])], default=None)
    reached = bool(since and oldest and oldest < since)
    # Reaching ``since`` on this page: the next, earlier-dated backfill starts on it again (its
    # older rows were left out); a page fully read moves the cursor past it.
    cursor = Cursor(next_page=page_no if reached else page_no + 1, oldest_date=oldest, exhausted=last and not reached)
    with session.page() as writer:
        walk.items += writer.record(source.name, source.url, recordable)
        writer.move_cursor(source.name, source.url, cursor, utc_now())
    walk.pages += 1
    walk.next_page, walk.oldest_date = cursor.next_page, oldest
    return reached
