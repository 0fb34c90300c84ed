"""One host that never answers, another that does, on real loopback servers: the good host's
requests are done before the bad host's first timeout, and once the bad host has not answered
through all the attempts of one request, its other requests are not sent at all."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from cnca_watch.errors import FetchError
from cnca_watch.fetch import Fetcher
from cnca_watch.settings import FetchSettings

try:
    from faultserver import FaultServer, ServerState, refused_port
except ImportError:  # tests/ turned into a package
    from tests.faultserver import FaultServer, ServerState, refused_port  # type: ignore[no-redef]

# /hold?seconds=30 is held until the test ends (the server's own bound is 5 s): read timeouts
SHORT = FetchSettings(connect_timeout=2.0, read_timeout=1.0, retries=1, backoff=0.01, per_host=1, max_connections=2)


async def _fetch_all(settings: FetchSettings, urls: list[str]) -> tuple[list[tuple[str, str]], int]:
    """Every url at once, the bad ones listed first; the order in which each finished."""
    events: list[tuple[str, str]] = []

    async def one(fetcher: Fetcher, url: str) -> None:
        try:
            await fetcher.get(url)
        except FetchError as exc:
            events.append((url, f"error: {exc}"))
        else:
            events.append((url, "ok"))

    async with Fetcher(settings) as fetcher:
        await asyncio.wait_for(asyncio.gather(*(one(fetcher, u) for u in urls)), 30)
        return events, fetcher.request_count


def test_a_hanging_host_does_not_hold_up_a_fast_one() -> None:
    state = ServerState()
    with FaultServer("127.0.0.1", state=state) as hanging, FaultServer("127.0.0.2", state=state) as fast:
        bad = [hanging.url(f"/hold?seconds=30&n={i}") for i in range(4)]
        good = [fast.url(f"/hold?seconds=0.02&n={i}") for i in range(6)]
        events, sent = asyncio.run(_fetch_all(SHORT, bad + good))
        bad_requests = state.count("/hold") - len(good)
    order = [url for url, _ in events]
    first_bad = min(order.index(url) for url in bad)
    assert all(order.index(url) < first_bad for url in good)  # all done before the first timeout
    assert {outcome for url, outcome in events if url in good} == {"ok"}
    # two attempts went unanswered (the first request's, then the second's, one at a time):
    # as many as one request may make, so the host is not asked again in this run
    outcomes = [outcome for url, outcome in events if url in bad]
    assert all("not asked again" in o and "timed out reading" in o for o in outcomes), outcomes
    assert bad_requests == SHORT.retries + 1 and sent == bad_requests + len(good)


def test_a_refusing_host_is_not_asked_again_in_the_run() -> None:
    port = refused_port("127.0.0.3")
    urls = [f"http://127.0.0.3:{port}/page{i}" for i in range(5)]
    events, sent = asyncio.run(_fetch_all(SHORT, urls))
    outcomes = [outcome for _, outcome in events]
    assert all("connection refused" in o for o in outcomes), outcomes
    assert sum("not asked again" in o for o in outcomes) >= len(urls) - 1
    assert sent == SHORT.retries + 1  # one request's worth of attempts, then none


def test_an_answer_between_timeouts_keeps_the_host_in_the_run() -> None:
    # one unanswered attempt, then an answer: the count starts again, nothing is refused
    with FaultServer("127.0.0.1") as server:
        urls = [server.url("/hold?seconds=30&n=0"), server.url("/hold?seconds=0.01&n=1"), server.url("/hold?seconds=0.01&n=2")]
        events, sent = asyncio.run(_fetch_all(replace(SHORT, retries=2), urls))
    outcomes = dict(events)
    assert outcomes[urls[1]] == outcomes[urls[2]] == "ok"
    assert "not asked again" not in outcomes[urls[0]] and "gave up after 3 attempts" in outcomes[urls[0]]
    assert sent == 3 + 2
