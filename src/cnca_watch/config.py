"""TOML in, typed ``Config`` out (and TOML out for ``init``).

Every validation error is one line that names the file, the key and the fix.
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
import unicodedata
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import quote, urljoin, urlsplit


from cnca_watch.errors import ConfigError
from cnca_watch.settings import (
    Config,
    EmailSettings,
    FetchSettings,
    Selectors,
    SourceConfig,
    WebhookSettings,
)
from cnca_watch.sources import BUILTIN_SOURCES
from cnca_watch.store_url import store_location

APP_NAME = "cnca-watch"
CONFIG_ENV = "CNCA_WATCH_CONFIG"
STORE_ENV = "CNCA_WATCH_STORE"

_TOP_KEYS = {"store", "fetch", "sources", "email", "webhooks", "areas", "routes", "routing", "alerts", "output", "glossary"}
_WEBHOOK_KEYS = {"url", "timeout", "name", "format", "secret_env", "default"}
_SOURCE_KEYS = {"name", "url", "items", "title", "link", "date", "body", "pages", "page_size", "details", "page_url", "sheet_key"}
_EMAIL_KEYS = {
    "host", "port", "security", "username", "password_env", "password", "from", "to", "subject", "timeout",
}
_SECURITY = ("starttls", "ssl", "none")
# Longer than an hour is never meant for a daily check, and sockets refuse timeouts near 1e300.
MAX_SECONDS = 3600.0
_FETCH_ZERO_OK = {"backfill_pause"}  # float keys where 0 is allowed
_FETCH_MIN = {"retries": 0, "recheck_attachments_days": 0, "recheck_attachments_every_hours": 0}  # the smallest whole number each [fetch] key allows; 1 when not listed


def default_config_path() -> Path:
    import platformdirs  # only where no path was given

    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_store_path() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME) / "snapshots.db"


def resolve_config_path(explicit: Path | None) -> Path | None:
    """--config, then $CNCA_WATCH_CONFIG, then the user's config file if it exists."""
    if explicit is not None:
        return explicit
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    default = default_config_path()
    return default if default.is_file() else None



def load_config(
    path: Path | None = None,
    *,
    store_path: Path | str | None = None,
    warn: Callable[[str], None] | None = None,
) -> Config:
    """Load the config the CLI would use; ``store_path`` (e.g. --store) wins over the file."""
    resolved = resolve_config_path(path)
    if resolved is None:
        config = Config(sources=BUILTIN_SOURCES, store_path=default_store_path())
    else:
        config = parse_config(_read_toml(resolved), resolved)
        if warn is not None:
            _warn_if_secret_exposed(resolved, config, warn)
    override = store_path or os.environ.get(STORE_ENV) or None
    if override is not None:
        file, url = store_location(override)
        config = replace(config, store_path=file or config.store_path, store_url=url)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; create it with `cnca-watch init {path}`") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file; give the path of a .toml file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        # utf-8-sig: Windows editors save a byte-order mark that TOML itself does not allow.
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}); fix the syntax at that line") from None


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML document into a ``Config``."""
    where = str(path) if path else "config"
    _no_unknown(data, _TOP_KEYS, where, "top level")

    store = _table(data, "store", where)
    _no_unknown(store, {"path", "url", "keep_files"}, where, "[store]")
    store_path = default_store_path()
    store_url: str | None = None
    if "path" in store and "url" in store:
        raise ConfigError(f"{where}: [store] has both path and url; keep one")
    if "path" in store:
        store_path = Path(os.path.expanduser(_str(store, "path", where, "[store]")))
    if "url" in store:
        text = _str(store, "url", where, "[store]")
        if not text.startswith(("postgresql://", "postgres://", "sqlite://")):
            raise ConfigError(
                f"{where}: [store] url must start with postgresql:// or sqlite:///, not {text.split(':', 1)[0]!r}"
            )
        file, store_url = store_location(text)
        store_path = file or store_path
    keep_files = store.get("keep_files", True)
    if not isinstance(keep_files, bool):
        raise ConfigError(f"{where}: [store] keep_files must be true or false (false keeps only the files' text)")

    fetch_table = _table(data, "fetch", where)
    fetch, details = _parse_fetch(fetch_table, where)

    sources_raw = data.get("sources")
    if sources_raw is None:
        sources = BUILTIN_SOURCES
    else:
        if not isinstance(sources_raw, list) or not sources_raw:
            raise ConfigError(f"{where}: 'sources' must be a list of [[sources]] tables, each with name and url")
        sources = tuple(_parse_source(raw, i, where, details) for i, raw in enumerate(sources_raw, 1))
        names = [s.name for s in sources]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"{where}: [[sources]] name {duplicates[0]!r} is used twice; give each source its own name")
        _no_duplicate_urls(sources, where)

    email = _parse_email(data["email"], where) if "email" in data else None
    webhooks_raw = data.get("webhooks", [])
    if not isinstance(webhooks_raw, list):
        raise ConfigError(f"{where}: 'webhooks' must be a list of [[webhooks]] tables with a url")
    webhooks = tuple(_parse_webhook(raw, i, where) for i, raw in enumerate(webhooks_raw, 1))
    areas = _table(data, "areas", where)
    if areas:
        _check_area_overrides(areas, where)
    from cnca_watch.config_routes import parse_alerts, parse_routing

    routing, webhooks = parse_routing(data, where, sources=sources, webhooks=webhooks, email=email, areas=areas)
    alerts = parse_alerts(_table(data, "alerts", where), where)
    output = _table(data, "output", where)
    _no_unknown(output, {"language"}, where, "[output]")
    language = output.get("language", "zh")
    if language not in LANGUAGES:
        raise ConfigError(f'{where}: [output] language = {_toml_value(language)}; use "en" (English gloss under each title) or "zh"')
    glossary = _table(data, "glossary", where)
    if glossary:
        _check_glossary(glossary, where)
    return Config(
        sources=sources,
        store_path=store_path,
        store_url=store_url,
        fetch=fetch,
        details=details,
        email=email,
        webhooks=webhooks,
        areas=areas,
        language=language,
        glossary=glossary,
        path=path,
        routing=routing,
        alerts=alerts,
        keep_files=keep_files,
    )


LANGUAGES = ("zh", "en")


def _check_glossary(glossary: Mapping[str, Any], where: str) -> None:
    from cnca_watch.gloss import load_glossary

    try:
        load_glossary(glossary)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _parse_fetch(table: Mapping[str, Any], where: str) -> tuple[FetchSettings, bool]:
    known = {f.name: f for f in fields(FetchSettings)}
    _no_unknown(table, set(known) | {"details"}, where, "[fetch]")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "details":
            continue
        default = getattr(FetchSettings(), key)
        parsed: Any = value
        example = _toml_value(default)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= _FETCH_MIN.get(key, 1)
        elif isinstance(default, float):
            parsed = _finite_number(value)
            lowest_ok = 0.0 if key in _FETCH_ZERO_OK else None  # a pause may be none at all
            ok = parsed is not None and (parsed > 0 or parsed == lowest_ok) and parsed <= MAX_SECONDS
        elif key == "user_agent":
            parsed = value.strip() if isinstance(value, str) else value
            ok = isinstance(parsed, str) and _is_header_text(parsed)
            example = '"Mozilla/5.0 (compatible; cnca-watch/0.1)"'
        else:
            ok = isinstance(value, str) and bool(value.strip())
        if not ok:
            raise ConfigError(
                f"{where}: [fetch] {key} = {_toml_value(value)} is not valid; use a {_kind(key, default)} like {example}"
            )
        values[key] = parsed
    details = table.get("details", True)
    if not isinstance(details, bool):
        raise ConfigError(f"{where}: [fetch] details must be true or false")
    return FetchSettings(**values), details


def _parse_source(raw: Any, index: int, where: str, details_default: bool) -> SourceConfig:
    ctx = f"[[sources]] #{index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: {ctx} must be a table with name and url")
    _no_unknown(raw, _SOURCE_KEYS, where, ctx)
    for key in ("name", "url"):
        if key not in raw:
            raise ConfigError(f"{where}: {ctx} has no '{key}'; every source needs a name and a url")
    name = _str(raw, "name", where, ctx)
    url = _str(raw, "url", where, ctx)
    _check_url(url, where, f"{ctx} ({name}) url")
    selectors = Selectors(**{k: _str(raw, k, where, ctx) for k in ("items", "title", "link", "date", "body") if k in raw})
    for key in ("items", "title", "link", "date", "body"):
        if key in raw:
            _check_selector(getattr(selectors, key), where, f"{ctx} ({name}) {key}")
    pages = _positive_int(raw, "pages", 1, where, ctx)
    page_size = _positive_int(raw, "page_size", 20, where, ctx)
    details = raw.get("details", details_default)
    if not isinstance(details, bool):
        raise ConfigError(f"{where}: {ctx} details must be true or false")
    page_url = _page_url(raw, url, where, f"{ctx} ({name})")
    return SourceConfig(
        name=name, url=url, selectors=selectors, pages=pages, page_size=page_size, details=details, page_url=page_url,
        sheet_key=_sheet_key(raw, where, f"{ctx} ({name})"),
    )


def _sheet_key(raw: dict[str, Any], where: str, ctx: str) -> tuple[str, ...]:
    """A column name, or a list of them (the first one a sheet has is its key)."""
    if "sheet_key" not in raw:
        return ()
    value = raw["sheet_key"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(
            f'{where}: {ctx} sheet_key = {_toml_value(value)} is not valid; give a column name such as "证书编号" '
            'or a list of them such as ["证书编号", "机构名称"]'
        )
    return tuple(dict.fromkeys(" ".join(n.split()) for n in names))


def _page_url(raw: dict[str, Any], url: str, where: str, ctx: str) -> str | None:
    """A backfill page pattern: one "{n}", and an http(s) URL once resolved against the list URL."""
    if "page_url" not in raw:
        return None
    pattern = _str(raw, "page_url", where, ctx)
    if pattern.count("{n}") != 1 or pattern.replace("{n}", "").count("{") or pattern.replace("{n}", "").count("}"):
        raise ConfigError(
            f'{where}: {ctx} page_url {pattern!r} needs exactly one "{{n}}" (the page number) and no other braces; '
            'write it like "index_{n}.html"'
        )
    _check_url(urljoin(url, pattern.replace("{n}", "1")), where, f"{ctx} page_url")
    return pattern


def _parse_email(raw: Any, where: str) -> EmailSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [email] must be a table")
    _no_unknown(raw, _EMAIL_KEYS, where, "[email]")
    if "host" not in raw:
        raise ConfigError(f"{where}: [email] has no 'host'; set the SMTP server, e.g. host = \"smtp.example.org\"")
    security = raw.get("security", "starttls")
    if security not in _SECURITY:
        raise ConfigError(f"{where}: [email] security = {security!r}; use one of {', '.join(_SECURITY)}")
    port = raw.get("port", 465 if security == "ssl" else 587 if security == "starttls" else 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"{where}: [email] port = {_toml_value(port)}; use a TCP port number from 1 to 65535 such as 587")
    to = raw.get("to", [])
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(t, str) and "@" in t for t in to):
        raise ConfigError(f"{where}: [email] to must list at least one address, e.g. to = [\"analyst@example.org\"]")
    values: dict[str, Any] = {"host": _str(raw, "host", where, "[email]"), "port": port, "security": security, "to": tuple(to)}
    for key, attr in (("username", "username"), ("password_env", "password_env"), ("from", "sender"), ("subject", "subject")):
        if key in raw:
            values[attr] = _str(raw, key, where, "[email]")
    if "timeout" in raw:
        values["timeout"] = _seconds(raw, "timeout", where, "[email]")
    if "password" in raw:
        values["password"] = _str(raw, "password", where, "[email]")
    return EmailSettings(**values)


def _parse_webhook(raw: Any, index: int, where: str) -> WebhookSettings:
    ctx = f"[[webhooks]] #{index}"
    if not isinstance(raw, dict) or "url" not in raw:
        raise ConfigError(f"{where}: {ctx} needs a url")
    _no_unknown(raw, _WEBHOOK_KEYS, where, ctx)
    url = _str(raw, "url", where, ctx)
    _check_url(url, where, f"{ctx} url")
    timeout = _seconds(raw, "timeout", where, ctx) if "timeout" in raw else 30.0
    from cnca_watch.config_routes import webhook_extras

    return WebhookSettings(url=url, timeout=timeout, **webhook_extras(raw, where, ctx))


def _check_area_overrides(areas: Mapping[str, Any], where: str) -> None:
    from cnca_watch.classify import load_vocabulary

    try:
        load_vocabulary(areas)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _warn_if_secret_exposed(path: Path, config: Config, warn: Callable[[str], None]) -> None:
    if config.email is None or not config.email.password:
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(
            f"warning: {path} holds an SMTP password and is readable by others; "
            f"run `chmod 600 {path}` or use password_env instead"
        )


# -- small validators ---------------------------------------------------------


def _no_unknown(table: Mapping[str, Any], allowed: set[str], where: str, ctx: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r} in {ctx}; allowed keys: {', '.join(sorted(allowed))}")


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: '{key}' must be a [{key}] table")
    return value


def _str(table: Mapping[str, Any], key: str, where: str, ctx: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {ctx} {key} must be a non-empty string (got {_toml_value(value)})")
    return value.strip()


def _positive_int(table: Mapping[str, Any], key: str, default: int, where: str, ctx: str) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise ConfigError(f"{where}: {ctx} {key} = {_toml_value(value)}; use a whole number from 1 to 1000")
    return value


def _finite_number(value: Any) -> float | None:
    """``value`` as a float; None for true/false, non-numbers, inf, nan and ints too big for a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _seconds(table: Mapping[str, Any], key: str, where: str, ctx: str) -> float:
    value = table[key]
    seconds = _finite_number(value)
    if seconds is None or not 0 < seconds <= MAX_SECONDS:
        raise ConfigError(
            f"{where}: {ctx} {key} = {_toml_value(value)}; use a number of seconds above 0 and at most "
            f"{MAX_SECONDS:g} such as 30"
        )
    return seconds


def _is_header_text(value: str) -> bool:
    """Non-empty printable ASCII: what an HTTP header value can carry unchanged."""
    return bool(value) and all(" " <= char <= "~" for char in value)


def _check_selector(selector: str, where: str, ctx: str) -> None:
    from selectolax.lexbor import LexborHTMLParser

    try:
        LexborHTMLParser("<p></p>").css(selector)
    except Exception:  # selectolax raises plain exceptions for bad syntax
        raise ConfigError(
            f"{where}: {ctx} = {selector!r} is not a valid CSS selector; write e.g. \"ul.news-list > li\""
        ) from None


def _check_url(url: str, where: str, ctx: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port outside 0-65535
    except ValueError as exc:
        raise ConfigError(f"{where}: {ctx} {url!r} is not a valid URL ({exc}); fix the host or port") from None
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.hostname:
        raise ConfigError(f"{where}: {ctx} {url!r} is not an http(s) URL; write it like https://www.cnca.gov.cn/zwxx/tz/index.html")
    # On the text as written: urlsplit silently drops tabs and line breaks.
    if any(unicodedata.category(char) == "Cc" for char in url):
        raise ConfigError(
            f"{where}: {ctx} {url!r} is not a valid URL (it contains a line break or other control character); "
            "remove it"
        )
    if any(char.isspace() or not char.isprintable() for char in url):
        fixed = "".join(quote(char, safe="") if char.isspace() or not char.isprintable() else char for char in url)
        if " " in url:
            what, how = "a space", "percent-encode the space as %20"
        else:
            what = "a non-ASCII space" if any(char.isspace() for char in url) else "an invisible character"
            how = "percent-encode it"
        raise ConfigError(f"{where}: {ctx} {url!r} is not a valid URL (it contains {what}); {how}: url = {_toml_value(fixed)}")
    if port == 0:
        raise ConfigError(
            f"{where}: {ctx} {url!r} is not a valid URL (port 0); use a port between 1 and 65535, or leave the port out"
        )


def _no_duplicate_urls(sources: tuple[SourceConfig, ...], where: str) -> None:
    from cnca_watch.urls import canonical_url

    first: dict[str, str] = {}
    for source in sources:
        # "HTTP://Host:80/a/#top" is the same page as "http://host/a/"
        same = canonical_url(source.url, source.url) or source.url
        if same in first:
            raise ConfigError(
                f"{where}: [[sources]] {first[same]!r} and {source.name!r} have the same url {source.url!r}; "
                "keep one of them, or every announcement is reported twice"
            )
        first[same] = source.name


def _kind(key: str, default: Any) -> str:
    if isinstance(default, bool):
        return "true/false"
    if isinstance(default, int):
        return f"whole number of {_FETCH_MIN.get(key, 1)} or more"
    if isinstance(default, float):
        lowest = "of 0 or more" if key in _FETCH_ZERO_OK else "above 0"
        return f"number {lowest} and at most {MAX_SECONDS:g}"
    if key == "user_agent":
        return "string of printable ASCII characters on one line"
    return "string"


def _toml_value(value: Any) -> str:
    """A value as it is written in TOML (``true``, not Python's ``True``), on one line."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        if any(isinstance(item, dict) for item in value):
            return "an array of tables"
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    import tomli_w

    written = tomli_w.dumps({"x": value}).split("=", 1)[1].strip()
    return written.replace("\t", "\\t")  # tomli_w leaves tabs in strings as they are


# -- writing ------------------------------------------------------------------


def starter_config_toml() -> str:
    """The file ``cnca-watch init`` writes: the built-in sources, no secrets."""
    import tomli_w

    document: dict[str, Any] = {
        "store": {"path": str(default_store_path())},
        "sources": [{"name": s.name, "url": s.url} for s in BUILTIN_SOURCES],
    }
    header = (
        "# cnca-watch configuration. Every key is documented in config.example.toml.\n"
        "# Add a source with a name and a url; check it first with `cnca-watch sources test URL`.\n\n"
    )
    return header + tomli_w.dumps(document)
