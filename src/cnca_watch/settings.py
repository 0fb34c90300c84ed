"""Typed configuration values (no I/O here: ``config.py`` loads and validates them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from cnca_watch.routing import RoutingTable

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 cnca-watch/0.1"
)


@dataclass(frozen=True, slots=True)
class Selectors:
    """Optional CSS selectors for pages the automatic detection gets wrong."""

    items: str | None = None  # one element per announcement row
    title: str | None = None  # inside a row; default: the row's article link
    link: str | None = None  # inside a row; default: the row's article link
    date: str | None = None  # inside a row; default: the first date-looking text
    body: str | None = None  # on the detail page

    @property
    def empty(self) -> bool:
        return not any((self.items, self.title, self.link, self.date, self.body))


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    url: str
    selectors: Selectors = field(default_factory=Selectors)
    pages: int = 1  # list pages (jpaas pages) to read per run
    page_size: int = 20  # jpaas page size
    details: bool = True  # fetch detail pages (body, attachments)
    page_url: str | None = None  # backfill: later list pages, "{n}" = 1 for the second (e.g. "index_{n}.html")
    # spreadsheet row diffs: the column that names a row; the first of these a sheet has wins
    # (empty: detected per sheet)
    sheet_key: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchSettings:
    max_connections: int = 16  # across all hosts; politeness is per_host's job
    per_host: int = 2  # polite for government sites
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 2  # extra attempts after the first
    backoff: float = 1.0  # seconds, doubled each retry
    max_retry_after: float = 60.0  # never wait longer than this for Retry-After
    max_bytes: int = 10 * 1024 * 1024  # a larger body is an error
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    verify_tls: bool = True
    backfill_pause: float = 1.0  # seconds between two list pages of a backfill (0 in tests)
    # attachment files (PDF, DOCX, XLSX, …) of new and changed announcements
    attachments: bool = True
    max_attachment_bytes: int = 30 * 1024 * 1024  # a larger file is noted, not read
    attachment_budget_bytes: int = 200 * 1024 * 1024  # per run, across all files
    recheck_attachments_days: int = 30  # files of announcements this recent are revalidated (conditional GET)
    # ... at most once per this many hours per link (0: every run); new/changed announcements always
    recheck_attachments_every_hours: int = 12
    attachment_time_limit: float = 20.0  # seconds one file's text extraction may take


@dataclass(frozen=True, slots=True)
class EmailSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # "starttls" | "ssl" | "none"
    username: str | None = None
    password_env: str | None = None
    password: str | None = field(default=None, repr=False)  # discouraged: prefer password_env
    sender: str = "cnca-watch@localhost"  # the "from" key
    to: tuple[str, ...] = ()
    subject: str = "cnca-watch: {summary} — {date}"
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str
    timeout: float = 30.0
    name: str | None = None  # what [[routes]] webhooks = [...] call it
    format: str = "json"  # "json" | "wecom" | "dingtalk" | "feishu" | "slack" | "teams"
    secret_env: str | None = None  # variable holding the DingTalk/Feishu signing secret
    default: bool = True  # receives the changes no route matched

    @property
    def label(self) -> str:
        """How messages name it: its name, else its URL without query (tokens live there)."""
        if self.name:
            return self.name
        from cnca_watch.notify import redact_url

        return redact_url(self.url)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    failing_runs: int = 3  # consecutive failed runs of a source before one alert; 0 = never


@dataclass(frozen=True, slots=True)
class Config:
    sources: tuple[SourceConfig, ...]
    store_path: Path
    fetch: FetchSettings = field(default_factory=FetchSettings)
    details: bool = True  # global default for SourceConfig.details
    email: EmailSettings | None = None
    webhooks: tuple[WebhookSettings, ...] = ()
    areas: Mapping[str, Any] = field(default_factory=dict)  # [areas] overrides, raw TOML
    language: str = "zh"  # [output] language: "en" adds an English gloss under every title
    glossary: Mapping[str, Any] = field(default_factory=dict)  # [glossary] overrides, raw TOML
    path: Path | None = None  # the file it came from, for messages
    routing: RoutingTable = field(default_factory=RoutingTable)  # [[routes]] and [routing]
    alerts: AlertSettings = field(default_factory=AlertSettings)
    keep_files: bool = True  # [store] keep_files: keep attachment files, not only their text
    store_url: str | None = None  # a postgresql:// store; then store_path is unused

    @property
    def store_target(self) -> Path | str:
        """What ``Store.open`` takes: the PostgreSQL URL if one is set, else the SQLite file."""
        return self.store_url if self.store_url is not None else self.store_path

    @property
    def store_label(self) -> str:
        """Where the store is, for messages: a PostgreSQL URL loses its password."""
        if self.store_url is None:
            return str(self.store_path)
        from cnca_watch.store_url import redact

        return redact(self.store_url)
