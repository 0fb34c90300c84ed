"""Polite, bounded HTTP fetching: one ``Fetcher`` per run.

Everything the sites do wrong ends here as a ``FetchError`` (or subclass) whose
message names the URL or host and says in plain words what went wrong; nothing
else escapes ``Fetcher.get``.

Politeness: a global connection limit, a small per-host limit, retries with
exponential backoff on transient failures, and Retry-After honoured (up to a cap).
Safety: redirects followed by hand (http/https only, loops detected), bodies
streamed and capped, anti-bot challenge pages recognised instead of parsed.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from datetime import timezone
from http import HTTPStatus
from types import TracebackType

import httpx

from .antibot import detect_challenge, might_be_challenge
from .decode import decode_body
from .errors import BlockedError, FetchError, GoneError, HTTPStatusError
from .models import Page, Validators
from .settings import FetchSettings
from .tls import verifying_context

__all__ = ["Fetcher", "detect_challenge", "parse_retry_after"]

JSON_ACCEPT = "application/json, text/javascript, */*; q=0.01"
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
GONE_STATUSES = frozenset({404, 410})

# Error pages are read only this far: enough to recognise a challenge page.
ERROR_BODY_BYTES = 256 * 1024


# --------------------------------------------------------------------------- helpers


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait according to a Retry-After value (seconds or HTTP date).

    None when absent or unreadable; never negative.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN check
    import email.utils  # only a server asking to wait needs the date parser

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def _human_bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            amount = count / size
            return f"{amount:g} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{count} bytes"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return {520: "Unknown Error", 521: "Web Server Is Down", 522: "Connection Timed Out"}.get(
            status, "Error"
        )


def _host_of(url: httpx.URL) -> str:
    return url.host or str(url)


def _host_port(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port is not None else (url.host or str(url))


def _server_of(url: httpx.URL) -> str:
    """The server a URL is answered by: host and port (another port is another server)."""
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{(url.host or str(url)).lower()}:{port}"


def _flat_headers(response: httpx.Response) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        key = name.lower()
        flat[key] = f"{flat[key]}, {value}" if key in flat else value
    return flat


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 16:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


_DNS_SIGNS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "getaddrinfo failed",
    "name resolution",
    "errno -2]",
    "errno -3]",
    "errno -5]",
    "errno 11001]",
)


def _tls_reason(exc: BaseException) -> str | None:
    for link in _exception_chain(exc):
        if isinstance(link, ssl.SSLCertVerificationError):
            detail = link.verify_message or link.reason or str(link)
            return f"certificate verify failed: {detail}"
        if isinstance(link, ssl.SSLError):
            return link.reason or str(link)
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text or "TLS" in text:
        return text
    return None


def _is_dns_failure(exc: BaseException) -> bool:
    for link in _exception_chain(exc):
        text = str(link).lower()
        if any(sign in text for sign in _DNS_SIGNS):
            return True
        if getattr(link, "errno", None) in (-2, -3, -5) and isinstance(link, OSError):
            return True
    return False


def _is_refused(exc: BaseException) -> bool:
    for link in _exception_chain(exc):
        if isinstance(link, ConnectionRefusedError):
            return True
        text = str(link).lower()
        if "connection refused" in text or "errno 111]" in text:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Answer:
    url: httpx.URL
    status: int
    headers: dict[str, str]
    content: bytes


class _Retryable(Exception):
    """A transient failure: worth another attempt after ``delay`` seconds.  ``silent``: the
    host did not answer at all (no connection, or no answer in time)."""

    def __init__(self, error: FetchError, retry_after: float | None = None, *, silent: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.silent = silent


# --------------------------------------------------------------------------- fetcher


class _HostTransports(httpx.AsyncBaseTransport):
    """One connection pool per origin, made at its first request.

    Each host keeps its own few connections open between its requests (our semaphores bound
    what is in flight), and a pool never scans the other hosts' connections: one shared pool
    over 30 hosts spent more time choosing a connection than sending on it.  The TLS context
    is taken at the first https request, so that a run over http pages never waits for the
    CA bundle (``tls.py``), and a redirect to https is verified all the same."""

    def __init__(self, verify_tls: bool) -> None:
        self._verify_tls = verify_tls
        self._context: ssl.SSLContext | bool | None = None
        self._plain: ssl.SSLContext | None = None  # what httpx wants for http pools: made once
        self._pools: dict[tuple[bytes, bytes, int | None], httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = httpx.AsyncHTTPTransport(
                verify=self._tls() if url.scheme == "https" else self._plain_context(),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=None, keepalive_expiry=5.0),
            )
        return await pool.handle_async_request(request)

    def _plain_context(self) -> ssl.SSLContext:
        """httpx builds a context for every pool, even one that never does TLS: build it once."""
        if self._plain is None:
            self._plain = httpx.create_ssl_context(verify=False)
        return self._plain

    def _tls(self) -> ssl.SSLContext | bool:
        if self._context is None:
            self._context = verifying_context() if self._verify_tls else False
        return self._context

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()
        self._pools.clear()


class Fetcher:
    """Async HTTP client for one run.  Use as ``async with Fetcher(settings) as f``."""

    def __init__(
        self, settings: FetchSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.request_count = 0
        self.requests_written = 0  # requests whose bytes are on the wire (see ``wait_written``)
        self._written = asyncio.Condition()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(max(1, settings.max_connections))
        self._per_host: dict[str, asyncio.Semaphore] = {}
        # A server (host and port) that did not answer as many attempts in a row as one
        # request may make is taken as down for the rest of the run: its requests not yet sent fail at once, so a
        # dead host holds the slots the other hosts could use for no longer than one request's
        # timeouts (and the run ends that much sooner).  Any answer resets the count.
        self._unanswered: dict[str, int] = {}
        self._silent_hosts: dict[str, str] = {}

    async def __aenter__(self) -> Fetcher:
        settings = self.settings
        self._client = httpx.AsyncClient(
            # a given transport brings its own TLS set-up: build none for it
            transport=self._transport or _HostTransports(settings.verify_tls),
            http2=False,
            follow_redirects=False,
            # used only for proxies from the environment (HTTPS_PROXY ...), as httpx builds them
            verify=settings.verify_tls,
            # trust_env stays on: users behind a proxy set HTTPS_PROXY / NO_PROXY as usual.
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=None,  # our own semaphores do the queueing
            ),
            headers={"User-Agent": settings.user_agent},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ public

    async def get(
        self,
        url: str,
        *,
        referer: str | None = None,
        accept_json: bool = False,
        params: dict[str, str] | None = None,
        validators: Validators | None = None,
        max_bytes: int | None = None,
        binary: bool = False,
    ) -> Page:
        """GET ``url``; see the module docstring for what can go wrong.

        ``max_bytes`` overrides ``settings.max_bytes`` for this request (attachment files have
        their own limit); ``binary`` answers are not decoded (``Page.text`` is '')."""
        if self._client is None:
            raise RuntimeError("Fetcher.get() called outside 'async with Fetcher(...)'")
        try:
            current = httpx.URL(url)
            if params:
                current = current.copy_merge_params(params)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FetchError(f"cannot fetch {url!r}: not a valid URL ({exc})", url=url) from exc
        if current.scheme not in ("http", "https") or not current.host:
            raise FetchError(f"cannot fetch {url!r}: only http and https URLs can be fetched", url=url)

        headers = self._request_headers(referer, accept_json, validators)
        visited: set[str] = set()
        for _hop in range(self.settings.max_redirects + 1):
            visited.add(str(current))
            answer = await self._get_with_retries(current, headers, max_bytes or self.settings.max_bytes)
            if answer.status in REDIRECT_STATUSES:
                current = self._redirect_target(answer, visited)
                continue
            return self._to_page(answer, binary=binary)
        raise FetchError(
            f"too many redirects (more than {self.settings.max_redirects}) starting at {url}",
            url=url,
        )

    # ------------------------------------------------------------------ internals

    def _request_headers(
        self, referer: str | None, accept_json: bool, validators: Validators | None
    ) -> dict[str, str]:
        headers = {
            "Accept": JSON_ACCEPT if accept_json else HTML_ACCEPT,
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
        }
        if accept_json:
            headers["X-Requested-With"] = "XMLHttpRequest"
        if referer:
            headers["Referer"] = referer
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        return headers

    def _redirect_target(self, answer: _Answer, visited: set[str]) -> httpx.URL:
        location = answer.headers["location"].strip()
        try:
            target = answer.url.join(location)
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError(
                f"refused redirect to invalid URL {location!r} from {answer.url}", url=str(answer.url)
            ) from exc
        if target.scheme not in ("http", "https"):
            raise FetchError(
                f"refused redirect to non-http URL {location} from {answer.url}", url=str(answer.url)
            )
        target = target.copy_with(fragment=None)
        if str(target) in visited:
            raise FetchError(
                f"redirect loop at {target} (reached again from {answer.url})", url=str(target)
            )
        return target

    def _host_semaphore(self, url: httpx.URL) -> asyncio.Semaphore:
        host = _host_of(url).lower()
        semaphore = self._per_host.get(host)
        if semaphore is None:
            semaphore = asyncio.Semaphore(max(1, self.settings.per_host))
            self._per_host[host] = semaphore
        return semaphore

    async def _get_with_retries(self, url: httpx.URL, headers: dict[str, str], max_bytes: int) -> _Answer:
        attempts = max(0, self.settings.retries) + 1
        server = _server_of(url)
        for attempt in range(attempts):
            try:
                return await self._attempt(url, headers, max_bytes)
            except _Retryable as transient:
                if transient.silent:
                    self._unanswered[server] = self._unanswered.get(server, 0) + 1
                    if self._unanswered[server] >= attempts:
                        self._silent_hosts.setdefault(server, str(transient.error))
                last_attempt = attempt == attempts - 1
                if transient.retry_after is not None and transient.retry_after > self.settings.max_retry_after:
                    raise self._with_note(
                        transient.error,
                        f"the server asked to retry after {_seconds(round(transient.retry_after, 1))}, "
                        f"longer than the {_seconds(self.settings.max_retry_after)} limit",
                    ) from None
                if last_attempt:
                    note = f"gave up after {attempts} attempts" if attempts > 1 else ""
                    raise self._with_note(transient.error, note) from None
                delay = (
                    transient.retry_after
                    if transient.retry_after is not None
                    else self.settings.backoff * (2**attempt)
                )
                # Sleep outside the semaphores: a waiting retry must not hold a slot.
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _with_note(error: FetchError, note: str) -> FetchError:
        if not note:
            return error
        message = f"{error}; {note}"
        if isinstance(error, HTTPStatusError):
            return type(error)(message, url=error.url, status=error.status)
        return type(error)(message, url=error.url)

    async def _attempt(self, url: httpx.URL, headers: dict[str, str], max_bytes: int) -> _Answer:
        assert self._client is not None
        async with self._host_semaphore(url):
            self._refuse_silent_host(url)
            async with self._global:
                return await self._send(url, headers, max_bytes)

    async def _trace(self, event: str, info: dict[str, object]) -> None:
        """httpcore's progress events: count a request once its headers (all of a GET) are sent."""
        if event == "http11.send_request_headers.complete":
            async with self._written:
                self.requests_written += 1
                self._written.notify_all()

    async def wait_written(self, count: int, timeout: float) -> None:
        """Until ``count`` requests are on the wire, or ``timeout`` seconds (a host that does not
        take the connection must not hold up what waits for the first requests to go out)."""

        async def enough() -> None:
            async with self._written:
                await self._written.wait_for(lambda: self.requests_written >= count)

        try:
            await asyncio.wait_for(enough(), timeout)
        except asyncio.TimeoutError:
            pass

    def _refuse_silent_host(self, url: httpx.URL) -> None:
        silent = self._silent_hosts.get(_server_of(url))
        if silent is not None:
            raise FetchError(f"{_host_port(url)} did not answer earlier in this run ({silent}); not asked again", url=str(url))

    async def _send(self, url: httpx.URL, headers: dict[str, str], max_bytes: int) -> _Answer:
        """One attempt, holding its slots: the request and its answer, read up to ``max_bytes``."""
        assert self._client is not None
        self.request_count += 1
        try:
            async with self._client.stream("GET", url, headers=headers, extensions={"trace": self._trace}) as response:
                status = response.status_code
                answer_headers = _flat_headers(response)
                limit = max_bytes if status < 400 else min(max_bytes, ERROR_BODY_BYTES)
                if status in REDIRECT_STATUSES or status == 304:
                    # read to its (empty or short) end all the same: a response left unread
                    # closes its connection, and the host's next request would open another
                    await self._read_capped(response, url, ERROR_BODY_BYTES, truncate_quietly=True, max_bytes=max_bytes)
                    content = b""
                else:
                    content = await self._read_capped(
                        response, url, limit, truncate_quietly=status >= 400, max_bytes=max_bytes
                    )
        except httpx.HTTPError as exc:
            raise self._network_error(exc, url) from exc
        except ssl.SSLError as exc:  # pragma: no cover - httpx normally wraps these
            raise FetchError(f"TLS error talking to {_host_of(url)}: {exc.reason or exc}", url=str(url)) from exc
        self._unanswered.pop(_server_of(url), None)  # it answered (whatever it said)
        return self._check_status(_Answer(url=url, status=status, headers=answer_headers, content=content))

    async def _read_capped(
        self, response: httpx.Response, url: httpx.URL, limit: int, *, truncate_quietly: bool, max_bytes: int
    ) -> bytes:
        """Read the body up to ``limit`` bytes; bigger bodies are an error (or cut, for error pages)."""
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit and not truncate_quietly:
            raise FetchError(self._too_big(url, max_bytes), url=str(url))
        body = bytearray()
        received_raw = 0
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    if truncate_quietly:
                        del body[limit:]
                        break
                    raise FetchError(self._too_big(url, max_bytes), url=str(url))
            received_raw = response.num_bytes_downloaded
        except httpx.RemoteProtocolError as exc:
            received_raw = response.num_bytes_downloaded
            if declared is not None and declared.isdigit():
                raise _Retryable(
                    FetchError(
                        f"connection to {_host_port(url)} closed before the whole answer from {url} "
                        f"arrived (got {received_raw} of {declared} bytes)",
                        url=str(url),
                    )
                ) from exc
            raise
        return bytes(body)

    def _too_big(self, url: httpx.URL, max_bytes: int) -> str:
        return f"answer from {url} exceeds {_human_bytes(max_bytes)}; refusing to read more"

    def _network_error(self, exc: httpx.HTTPError, url: httpx.URL) -> Exception:
        host = _host_of(url)
        where = str(url)
        if isinstance(exc, httpx.ConnectTimeout):
            return _Retryable(
                FetchError(
                    f"timed out connecting to {_host_port(url)} after "
                    f"{_seconds(self.settings.connect_timeout)} ({where})",
                    url=where,
                ),
                silent=True,
            )
        if isinstance(exc, httpx.ReadTimeout):
            return _Retryable(
                FetchError(
                    f"timed out reading the answer from {where} "
                    f"(no data for {_seconds(self.settings.read_timeout)})",
                    url=where,
                ),
                silent=True,
            )
        if isinstance(exc, httpx.WriteTimeout):
            return _Retryable(FetchError(f"timed out sending the request to {where}", url=where), silent=True)
        if isinstance(exc, httpx.TimeoutException):
            return _Retryable(FetchError(f"timed out talking to {host} ({where})", url=where), silent=True)
        if isinstance(exc, httpx.ConnectError):
            tls = _tls_reason(exc)
            if tls is not None:
                return FetchError(f"TLS error talking to {host}: {tls}", url=where)
            if _is_dns_failure(exc):
                return FetchError(f"cannot resolve host {host} ({where})", url=where)
            if _is_refused(exc):
                return _Retryable(
                    FetchError(f"connection refused by {_host_port(url)} ({where})", url=where), silent=True
                )
            return _Retryable(
                FetchError(f"cannot connect to {_host_port(url)} ({where}): {exc}", url=where), silent=True
            )
        if isinstance(exc, httpx.RemoteProtocolError):
            return _Retryable(
                FetchError(
                    f"connection to {_host_port(url)} broke off during the answer from {where}: {exc}",
                    url=where,
                )
            )
        if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.NetworkError)):
            tls = _tls_reason(exc)
            if tls is not None:
                return FetchError(f"TLS error talking to {host}: {tls}", url=where)
            return _Retryable(
                FetchError(f"network error talking to {_host_port(url)} ({where}): {exc}", url=where)
            )
        if isinstance(exc, httpx.DecodingError):
            return FetchError(f"could not decompress the answer from {where}: {exc}", url=where)
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return FetchError(f"cannot fetch {where}: {exc}", url=where)
        return FetchError(f"HTTP failure fetching {where}: {exc}", url=where)

    def _check_status(self, answer: _Answer) -> _Answer:
        """Raise for blocks and errors; transient ones as ``_Retryable``."""
        status, url = answer.status, str(answer.url)
        if status == 304:
            return answer
        if status in REDIRECT_STATUSES:
            if "location" not in answer.headers:
                raise HTTPStatusError(
                    f"HTTP {status} {_reason(status)} from {url} without a Location to follow",
                    url=url,
                    status=status,
                )
            return answer
        if status >= 400 or might_be_challenge(answer.content, answer.headers):
            text, _codec = decode_body(answer.content, answer.headers.get("content-type"))
            if detect_challenge(status, answer.headers, text) is not None:
                raise BlockedError(f"blocked by anti-bot challenge at {url} (HTTP {status})", url=url)
        if status < 400:
            return answer
        message = f"HTTP {status} {_reason(status)} from {url}"
        if status in GONE_STATUSES:
            raise GoneError(f"{message}: the page was removed or never existed", url=url, status=status)
        error = HTTPStatusError(message, url=url, status=status)
        if status in RETRY_STATUSES:
            raise _Retryable(error, parse_retry_after(answer.headers.get("retry-after")))
        raise error

    def _to_page(self, answer: _Answer, *, binary: bool = False) -> Page:
        if answer.status == 304 or binary:
            text, codec = "", "utf-8"
        else:
            text, codec = decode_body(answer.content, answer.headers.get("content-type"))
        return Page(
            url=str(answer.url),
            status=answer.status,
            headers=answer.headers,
            content=answer.content,
            text=text,
            encoding=codec,
            etag=answer.headers.get("etag"),
            last_modified=answer.headers.get("last-modified"),
        )
