"""The built-in columns watched when no config file names any (data, not logic)."""

from __future__ import annotations

from cnca_watch.settings import SourceConfig

BUILTIN_SOURCES: tuple[SourceConfig, ...] = (
    SourceConfig(name="cnca-announcements", url="https://www.cnca.gov.cn/zwxx/gg/index.html"),
    SourceConfig(name="cnca-notices", url="https://www.cnca.gov.cn/zwxx/tz/index.html"),
    SourceConfig(name="cnca-sector-news", url="https://www.cnca.gov.cn/xwjj/xydt/index.html"),
    SourceConfig(name="cnca-supervision-news", url="https://www.cnca.gov.cn/xwjj/jgdt/index.html"),
    SourceConfig(name="samr-certification", url="https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/"),
    SourceConfig(name="samr-accreditation-testing", url="https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rkjcs/"),
)
