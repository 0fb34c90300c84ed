"""The bundled local mirror of the CNCA / SAMR / provincial page families (``cnca-watch demo``).

The story the mirror tells over its two days is written down in STORY.md next to this file.
"""

from __future__ import annotations

from cnca_watch.settings import SourceConfig

# (name, path on the mirror, page size the demo reads); page sizes are the windows in STORY.md.
_DEMO_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("cnca-notices", "/zwxx/tz/index.html", 10),
    ("cnca-announcements", "/zwxx/gg/index.html", 10),
    ("samr-certification", "/zw/zfxxgk/fdzdgknr/rzjgs/", 10),
    ("province-notices", "/province/gg/index.html", 20),
)


def demo_sources(base_url: str) -> tuple[SourceConfig, ...]:
    """The four demo columns as sources on a mirror at ``base_url`` (e.g. ``srv.base_url``)."""
    base = base_url.rstrip("/")
    return tuple(
        SourceConfig(name=name, url=f"{base}{path}", pages=1, page_size=page_size)
        for name, path, page_size in _DEMO_COLUMNS
    )


def __getattr__(name: str) -> object:
    # Lazy so that importing the settings-only helper does not start pulling in http.server.
    if name in {"MirrorServer", "Mirror"}:
        from cnca_watch.demo import server

        return getattr(server, name)
    raise AttributeError(name)


__all__ = ["demo_sources", "MirrorServer"]
