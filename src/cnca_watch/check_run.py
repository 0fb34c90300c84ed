"""The order a ``check`` run does its work in: the list pages go out first.

A steady run spends most of its start-up importing and opening what it needs only once the
answers are back (the store, the extractors, the differ).  So, on a SQLite store, the run
reads the remembered validators straight from the file (one query, ``sqlite3`` only), sends
every list request, and only then — on a helper thread, while the first answers are in
flight — imports the pipeline and opens the store's run (its transaction and lock).  Each
source's observation waits for that before it reads the stored state, so the store still
sees one run, in one transaction, as before.

When the validators cannot be read that way (a PostgreSQL store, an older or foreign file,
a locked one) the run opens the store first and fetches after, as it always did.

Validators read outside the run's transaction may be older than the store's by the time the
run holds it (another monitor finished in between).  The diff is always against the state read
inside the run, and a 304 to validators that differ from the ones read there is asked again
with those (``pipeline._fetch_list``): a page back at its earlier content is a change.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from cnca_watch.tls import start_loading

if TYPE_CHECKING:
    import httpx

    from cnca_watch.classify import Vocabulary
    from cnca_watch.clock import Clock
    from cnca_watch.fetch import Fetcher
    from cnca_watch.models import Page, RunResult, Validators
    from cnca_watch.settings import Config, SourceConfig
    from cnca_watch.store import RunWriter

REPORT_CHANNEL = "report"
Progress = Callable[[str, str], None]  # (source name, what happened)


def check(
    config: Config,
    *,
    channels: Sequence[str] = (REPORT_CHANNEL,),
    transport: httpx.AsyncBaseTransport | None = None,
    vocabulary: Vocabulary | None = None,
    lock_timeout: float = 30.0,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    accept_layout: Sequence[str] = (),
    clock: Clock | None = None,
) -> RunResult:
    """Check every configured source (or the ``only`` names) and store the outcome.

    ``accept_layout`` names sources whose list may be far shorter than last time without
    being held back as ``layout_changed`` (the site really lists fewer now).  ``clock`` gives
    the run's start and finish times (what the attachment throttle measures from; default
    the real UTC time).

    ``RunResult.changes`` holds everything not yet acknowledged on the report
    channel: this run's changes plus those of earlier runs whose output never got
    out (killed, broken pipe).  Call ``acknowledge`` once they were shown.
    """
    sources = [s for s in config.sources if only is None or s.name in only]
    if config.fetch.verify_tls and transport is None and any(s.url.startswith("https:") for s in sources):
        start_loading()  # the CA bundle loads while the modules below are imported (http needs none)
    early = read_validators_early(config.store_target)

    def now() -> str:
        if clock is not None:
            return clock()
        from cnca_watch.clock import utc_now  # not before the first request

        return utc_now()

    channels = tuple(dict.fromkeys((REPORT_CHANNEL, *channels)))
    opened: dict[str, Any] = {}
    with contextlib.ExitStack() as store_stack, contextlib.ExitStack() as run_stack:

        def open_run() -> RunWriter:
            """Import the pipeline and open the store and its run (transaction, lock)."""
            import cnca_watch.pipeline  # noqa: F401 - loaded here: on the helper thread, while answers arrive
            from cnca_watch.store import Store

            router = None
            if config.routing.routes:
                from cnca_watch.delivery import change_router

                router = change_router(config, channels)
            store = store_stack.enter_context(Store.open(config.store_target, lock_timeout=lock_timeout))
            started_at = now()
            run = run_stack.enter_context(store.run(started_at=started_at, channels=channels, router=router))
            opened.update(store=store, started_at=started_at)
            return run

        run, recorded = asyncio.run(
            _observe(config, sources, open_run, early, vocabulary, transport, progress, frozenset(accept_layout))
        )
        store, started_at = opened["store"], opened["started_at"]
        results = tuple(recorded)
        from cnca_watch.models import RunResult, SourceStatus

        finished_at = now()
        failed = any(r.status is not SourceStatus.OK for r in results)
        run.finish(finished_at, "partial" if failed else "ok")
        run_id = run.id
        run_stack.close()  # the run's transaction commits here
        pending = store.pending(REPORT_CHANNEL)
    return RunResult(id=run_id, started_at=started_at, finished_at=finished_at, sources=results, changes=pending)


async def _observe(
    config: Config,
    sources: Sequence[SourceConfig],
    open_run: Callable[[], RunWriter],
    early: dict[str, Validators] | None,
    vocabulary: Vocabulary | None,
    transport: httpx.AsyncBaseTransport | None,
    progress: Progress | None,
    accept_layout: frozenset[str],
) -> tuple[RunWriter, list[Any]]:
    from cnca_watch.fetch import Fetcher

    async with Fetcher(config.fetch, transport=transport) as fetcher:
        prefetched: dict[str, tuple[asyncio.Task[Page], Validators]] = {}
        if early is None:
            run = open_run()  # the store first, then the network: nothing is in flight yet
        else:
            prefetched = {source.name: _send_list_request(fetcher, source, early) for source in sources}
            # The helper thread's imports would take the GIL from the loop sending these: it
            # starts once the first round of requests is on the wire (or after a moment).
            # (A transport of the caller's own reports nothing of the wire: nothing to wait for.)
            if transport is None:
                first_round = min(len(sources), config.fetch.max_connections, config.fetch.per_host * _hosts(sources))
                await fetcher.wait_written(first_round, timeout=FIRST_ROUND_WAIT)
            try:
                run = await asyncio.to_thread(open_run)
            except BaseException:
                await _drop([task for task, _ in prefetched.values()])
                raise
        from cnca_watch import pipeline

        tagger = pipeline.lazy_tagger(config.areas, vocabulary)
        recorded = await pipeline.observe_all(
            config, sources, run, tagger, fetcher, progress, accept_layout, prefetched,
            # each source is written as soon as it and those before it are in
            on_observed=lambda obs: pipeline.record(run, obs, keep_files=config.keep_files),
        )
        return run, recorded


FIRST_ROUND_WAIT = 0.25  # seconds: the most the run waits for its first requests to go out


def _hosts(sources: Sequence[SourceConfig]) -> int:
    from urllib.parse import urlsplit

    return len({(urlsplit(s.url).hostname or s.url) for s in sources})


def _send_list_request(
    fetcher: Fetcher, source: SourceConfig, early: dict[str, Validators]
) -> tuple[asyncio.Task[Page], Validators]:
    """The source's list request, sent now, and the validators it was sent with (the run
    compares them with the ones it reads under its lock)."""
    from cnca_watch.models import Validators

    validators = early.get(source.url + list_selectors_key(source), Validators())
    return asyncio.ensure_future(fetcher.get(source.url, validators=validators)), validators


async def _drop(tasks: Any) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def list_selectors_key(source: SourceConfig) -> str:
    """'' for automatic detection, else a fragment naming the list selectors' digest: a 304
    means "what was extracted last time", true only while the same selectors extract it, so
    they are part of the key a list page's validators live under."""
    selectors = source.selectors
    if not (selectors.items or selectors.title or selectors.link or selectors.date):
        return ""
    import hashlib

    spelled = "\0".join(s or "" for s in (selectors.items, selectors.title, selectors.link, selectors.date))
    return "#selectors=" + hashlib.sha256(spelled.encode("utf-8")).hexdigest()[:16]


def read_validators_early(target: Path | str) -> dict[str, Validators] | None:
    """Every remembered validator of a SQLite store, read without opening the store (no
    migration, no lock: read-only, in one query); ``{}`` when there is no store yet.
    None when they cannot be read that way — the run then opens the store first."""
    if not isinstance(target, Path):
        return None  # PostgreSQL (or a sqlite:/// URL): the store's own way
    import sqlite3

    from cnca_watch.models import Validators

    try:
        if not target.exists():
            return {}
        if not target.is_file():
            return None
        from urllib.parse import quote

        uri = "file:" + quote(str(target.absolute()), safe="/") + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)
        try:
            rows = conn.execute("SELECT url, etag, last_modified FROM http_cache").fetchall()
        finally:
            conn.close()
    except (sqlite3.Error, OSError):
        return None
    return {url: Validators(etag, last_modified) for url, etag, last_modified in rows}
