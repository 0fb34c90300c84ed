"""The config's ``[[routes]]``, ``[routing]``, ``[alerts]`` and the chat keys of ``[[webhooks]]``.

Kept apart from ``config.py`` so the routing vocabulary grows in one place.  Every error is
one line naming the file, the table, the key and the fix (``ConfigError``, exit 2).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from importlib import resources
from typing import Any, Mapping, Sequence

from cnca_watch.errors import ConfigError
from cnca_watch.routing import KINDS, Route, RouteMatch, RoutingTable, compile_terms
from cnca_watch.settings import AlertSettings, EmailSettings, SourceConfig, WebhookSettings

_ROUTE_MATCH_KEYS = ("areas", "sources", "kinds", "doc_types", "terms")
_ROUTE_KEYS = {
    "name", "email", "webhooks", "has_deadline",
    *_ROUTE_MATCH_KEYS, *(f"not_{k}" for k in _ROUTE_MATCH_KEYS),
}
_UNMATCHED = ("default", "drop")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def webhook_extras(raw: Mapping[str, Any], where: str, ctx: str) -> dict[str, Any]:
    """``name``, ``format``, ``secret_env`` and ``default`` of one ``[[webhooks]]`` table."""
    from cnca_watch.channels import FORMATS, SIGNED_FORMATS

    extras: dict[str, Any] = {}
    if "name" in raw:
        extras["name"] = _text(raw, "name", where, ctx)
    fmt = raw.get("format", "json")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}: {ctx} format = {fmt!r}; use one of {', '.join(FORMATS)}")
    extras["format"] = fmt
    if "secret_env" in raw:
        variable = _text(raw, "secret_env", where, ctx)
        if fmt not in SIGNED_FORMATS:
            raise ConfigError(
                f"{where}: {ctx} secret_env is for signed robots ({', '.join(sorted(SIGNED_FORMATS))}); "
                f"remove it for format {fmt!r}"
            )
        if not _ENV_NAME.match(variable):
            raise ConfigError(
                f"{where}: {ctx} secret_env = {variable!r} is not an environment variable name; "
                "write the variable's name (e.g. \"DINGTALK_SECRET\"), never the secret itself"
            )
        extras["secret_env"] = variable
    if "default" in raw:
        if not isinstance(raw["default"], bool):
            raise ConfigError(f"{where}: {ctx} default must be true or false")
        extras["default"] = raw["default"]
    return extras


def parse_routing(
    data: Mapping[str, Any],
    where: str,
    *,
    sources: Sequence[SourceConfig],
    webhooks: tuple[WebhookSettings, ...],
    email: EmailSettings | None,
    areas: Mapping[str, Any],
) -> tuple[RoutingTable, tuple[WebhookSettings, ...]]:
    """The routing table, and the webhooks with ``default`` settled.

    A webhook that some route names and that does not say ``default = true`` receives only
    its routes' changes; every other webhook is a default target, as before routes existed.
    """
    names = [w.name for w in webhooks if w.name]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{where}: [[webhooks]] name {twice[0]!r} is used twice; give each webhook its own name")
    routing = data.get("routing", {})
    if not isinstance(routing, dict):
        raise ConfigError(f"{where}: 'routing' must be a [routing] table")
    unknown = sorted(set(routing) - {"unmatched"})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} in [routing]; allowed keys: unmatched")
    unmatched = routing.get("unmatched", "default")
    if unmatched not in _UNMATCHED:
        raise ConfigError(
            f"{where}: [routing] unmatched = {unmatched!r}; use \"default\" (changes no route matches go to "
            "[email] and the default [[webhooks]]) or \"drop\""
        )
    raw_routes = data.get("routes", [])
    if not isinstance(raw_routes, list) or not all(isinstance(r, dict) for r in raw_routes):
        raise ConfigError(f"{where}: 'routes' must be a list of [[routes]] tables, each with a name and targets")
    context = _Context(
        where=where,
        sources=tuple(s.name for s in sources),
        webhooks=tuple(names),
        # the vocabulary file is 40 KB of TOML: read only when there are routes to check
        areas=_area_ids(areas) if raw_routes else frozenset(),
        email=email is not None,
    )
    routes = tuple(_parse_route(raw, i, context) for i, raw in enumerate(raw_routes, 1))
    route_names = [r.name for r in routes]
    twice = sorted({n for n in route_names if route_names.count(n) > 1})
    if twice:
        raise ConfigError(f"{where}: [[routes]] name {twice[0]!r} is used twice; give each route its own name")
    routed = {name for r in routes for name in r.webhooks}
    settled = tuple(
        hook if hook.default is False or hook.name not in routed or _says_default(data, i)
        else replace(hook, default=False)
        for i, hook in enumerate(webhooks)
    )
    return RoutingTable(routes=routes, unmatched=unmatched), settled


def parse_alerts(table: Mapping[str, Any], where: str) -> AlertSettings:
    unknown = sorted(set(table) - {"failing_runs"})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} in [alerts]; allowed keys: failing_runs")
    value = table.get("failing_runs", 3)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
        raise ConfigError(
            f"{where}: [alerts] failing_runs = {value!r}; use a whole number of runs such as 3 (0 turns alerts off)"
        )
    return AlertSettings(failing_runs=value)


# -- helpers ------------------------------------------------------------------------------


class _Context:
    def __init__(self, *, where: str, sources: tuple[str, ...], webhooks: tuple[str, ...], areas: frozenset[str], email: bool) -> None:
        self.where = where
        self.sources = sources
        self.webhooks = webhooks
        self.areas = areas
        self.email = email


def _says_default(data: Mapping[str, Any], index: int) -> bool:
    raw = data.get("webhooks", [])[index]
    return isinstance(raw, dict) and raw.get("default") is True


def _parse_route(raw: Mapping[str, Any], index: int, c: _Context) -> Route:
    where = c.where
    ctx = f"[[routes]] #{index}"
    for key in raw:
        if key not in _ROUTE_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} in {ctx}; allowed keys: {', '.join(sorted(_ROUTE_KEYS))}")
    if "name" not in raw:
        raise ConfigError(f"{where}: {ctx} has no 'name'; name each route, e.g. name = \"ccc-team\"")
    name = _text(raw, "name", where, ctx)
    ctx = f"[[routes]] {name!r}"
    lists = {key: _strings(raw, key, where, ctx) for key in raw if key not in ("name", "has_deadline")}
    for key in ("areas", "not_areas"):
        for area in lists.get(key, ()):
            if area not in c.areas:
                raise ConfigError(
                    f"{where}: {ctx} {key} has unknown area id {area!r}; use one of {', '.join(sorted(c.areas))}"
                )
    for key in ("sources", "not_sources"):
        for source in lists.get(key, ()):
            if source not in c.sources:
                raise ConfigError(
                    f"{where}: {ctx} {key} names no configured source {source!r}; configured: {', '.join(c.sources)}"
                )
    for key in ("kinds", "not_kinds"):
        for kind in lists.get(key, ()):
            if kind not in KINDS:
                raise ConfigError(f"{where}: {ctx} {key} has {kind!r}; use any of {', '.join(KINDS)}")
    for hook in lists.get("webhooks", ()):
        if hook not in c.webhooks:
            known = ", ".join(c.webhooks) or "none has a name"
            raise ConfigError(
                f"{where}: {ctx} webhooks names no [[webhooks]] {hook!r} (named webhooks: {known}); "
                f"add name = {hook!r} to that [[webhooks]] table"
            )
    for address in lists.get("email", ()):
        if "@" not in address:
            raise ConfigError(f"{where}: {ctx} email {address!r} is not an address; write e.g. email = [\"lab@example.org\"]")
    if lists.get("email") and not c.email:
        raise ConfigError(f"{where}: {ctx} sends email but there is no [email] table; add one with the SMTP host and from")
    if not lists.get("email") and not lists.get("webhooks"):
        raise ConfigError(f"{where}: {ctx} has no target; add email = [\"…\"] and/or webhooks = [\"<webhook name>\"]")
    has_deadline = raw.get("has_deadline")
    if has_deadline is not None and not isinstance(has_deadline, bool):
        raise ConfigError(f"{where}: {ctx} has_deadline must be true or false")
    try:
        terms = compile_terms(lists.get("terms", ()), f"{where}: {ctx} terms")
        not_terms = compile_terms(lists.get("not_terms", ()), f"{where}: {ctx} not_terms")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    match = RouteMatch(
        **{key: frozenset(lists.get(key, ())) for key in ("areas", "sources", "kinds", "doc_types")},
        **{f"not_{key}": frozenset(lists.get(f"not_{key}", ())) for key in ("areas", "sources", "kinds", "doc_types")},
        terms=terms,
        not_terms=not_terms,
        has_deadline=has_deadline,
    )
    return Route(name=name, match=match, email=tuple(lists.get("email", ())), webhooks=tuple(lists.get("webhooks", ())))


def _area_ids(overrides: Mapping[str, Any]) -> frozenset[str]:
    """The area ids routes may name: the package vocabulary's, plus any the [areas] table adds."""
    data = tomllib.loads(resources.files("cnca_watch").joinpath("areas.toml").read_text(encoding="utf-8"))
    return frozenset(data.get("areas", {})) | {k for k, v in overrides.items() if isinstance(v, dict)}


def _text(table: Mapping[str, Any], key: str, where: str, ctx: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {ctx} {key} must be a non-empty string")
    return value.strip()


def _strings(table: Mapping[str, Any], key: str, where: str, ctx: str) -> tuple[str, ...]:
    value = table[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: {ctx} {key} must be a list of non-empty strings, e.g. {key} = [\"…\"]")
    return tuple(v.strip() for v in value)
