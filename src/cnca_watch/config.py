"""TOML in, typed ``Config`` out (and TOML out for ``init``).

Every validation error is one line that names the file, the key and the fix.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import platformdirs

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

APP_NAME = "cnca-watch"
CONFIG_ENV = "CNCA_WATCH_CONFIG"
STORE_ENV = "CNCA_WATCH_STORE"

_TOP_KEYS = {"store", "fetch", "sources", "email", "webhooks", "areas"}
_SOURCE_KEYS = {"name", "url", "items", "title", "link", "date", "body", "pages", "page_size", "details"}
_EMAIL_KEYS = {
    "host", "port", "security", "username", "password_env", "password", "from", "to", "subject", "timeout",
}
_SECURITY = ("starttls", "ssl", "none")


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_store_path() -> Path:
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
    store_path: Path | None = None,
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
    override = store_path or (Path(os.environ[STORE_ENV]) if os.environ.get(STORE_ENV) else None)
    if override is not None:
        config = replace(config, store_path=override)
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
    _no_unknown(store, {"path"}, where, "[store]")
    store_path = default_store_path()
    if "path" in store:
        store_path = Path(os.path.expanduser(_str(store, "path", where, "[store]")))

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

    email = _parse_email(data["email"], where) if "email" in data else None
    webhooks_raw = data.get("webhooks", [])
    if not isinstance(webhooks_raw, list):
        raise ConfigError(f"{where}: 'webhooks' must be a list of [[webhooks]] tables with a url")
    webhooks = tuple(_parse_webhook(raw, i, where) for i, raw in enumerate(webhooks_raw, 1))
    areas = _table(data, "areas", where)
    if areas:
        _check_area_overrides(areas, where)
    return Config(
        sources=sources,
        store_path=store_path,
        fetch=fetch,
        details=details,
        email=email,
        webhooks=webhooks,
        areas=areas,
        path=path,
    )


def _parse_fetch(table: Mapping[str, Any], where: str) -> tuple[FetchSettings, bool]:
    known = {f.name: f for f in fields(FetchSettings)}
    _no_unknown(table, set(known) | {"details"}, where, "[fetch]")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "details":
            continue
        default = getattr(FetchSettings(), key)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= (0 if key == "retries" else 1)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        else:
            ok = isinstance(value, str) and bool(value.strip())
        if not ok:
            raise ConfigError(
                f"{where}: [fetch] {key} = {_toml_value(value)} is not valid; use a {_kind(default)} like {_toml_value(default)}"
            )
        values[key] = float(value) if isinstance(default, float) else value
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
    return SourceConfig(name=name, url=url, selectors=selectors, pages=pages, page_size=page_size, details=details)


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
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}: [email] port = {port!r}; use a TCP port number such as 587")
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
        values["timeout"] = float(raw["timeout"])
    if "password" in raw:
        values["password"] = _str(raw, "password", where, "[email]")
    return EmailSettings(**values)


def _parse_webhook(raw: Any, index: int, where: str) -> WebhookSettings:
    ctx = f"[[webhooks]] #{index}"
    if not isinstance(raw, dict) or "url" not in raw:
        raise ConfigError(f"{where}: {ctx} needs a url")
    _no_unknown(raw, {"url", "timeout"}, where, ctx)
    url = _str(raw, "url", where, ctx)
    _check_url(url, where, f"{ctx} url")
    return WebhookSettings(url=url, timeout=float(raw.get("timeout", 30.0)))


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
        raise ConfigError(f"{where}: {ctx} {key} must be a non-empty string (got {value!r})")
    return value.strip()


def _positive_int(table: Mapping[str, Any], key: str, default: int, where: str, ctx: str) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise ConfigError(f"{where}: {ctx} {key} = {value!r}; use a whole number from 1 to 1000")
    return value


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
        parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535
    except ValueError as exc:
        raise ConfigError(f"{where}: {ctx} {url!r} is not a valid URL ({exc}); fix the host or port") from None
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.hostname:
        raise ConfigError(f"{where}: {ctx} {url!r} is not an http(s) URL; write it like https://www.cnca.gov.cn/zwxx/tz/index.html")


def _kind(default: Any) -> str:
    return {bool: "true/false", int: "whole number", float: "number", str: "string"}[type(default)]


def _toml_value(value: Any) -> str:
    """A value as it is written in TOML (``true``, not Python's ``True``)."""
    import tomli_w

    return tomli_w.dumps({"x": value}).split("=", 1)[1].strip()


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
