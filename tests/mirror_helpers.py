"""What the tests against the bundled mirror share: the day-2 story (written by hand
from demo/STORY.md), configs pointing at the mirror, and a child process environment."""

from __future__ import annotations

import os
from pathlib import Path

from cnca_watch.demo import demo_sources
from cnca_watch.models import RunResult
from cnca_watch.pipeline import acknowledge, check
from cnca_watch.settings import Config, FetchSettings

TZ = "/zwxx/tz/2024/art/2024/"
RZ = "/zw/zfxxgk/fdzdgknr/rzjgs/art/2024/"
DAY2_CHANGES = {
    ("new", "cnca-notices", TZ + "art_6e44a73904ff2b8ef682c6aebb1164ca.html",
     "关于开展2024年认证机构“双随机、一公开”监督抽查工作的通知", "2024-06-18"),
    ("new", "cnca-notices", TZ + "art_ef78bab1914978cfeeaf6dfa39fc2f6e.html",
     "关于进一步做好小微企业质量管理体系认证提升行动有关工作的通知", "2024-06-18"),
    ("changed", "cnca-notices", TZ + "art_3751c23bf913548b6c3cf01fa1fb1527.html",
     "关于印发《认证机构资质审批工作指南》的通知（更正）", "2024-05-20"),
    ("removed", "samr-certification", RZ + "art_23a52d099b6543fcc908a23cc3f3e89b.html",
     "市场监管总局办公厅关于进一步规范强制性产品认证目录外产品宣传用语的通知", "2024-05-27"),
    ("new", "province-notices", "/province/gg/2024/t20240618_4125907.html",
     "关于2024年第二季度检验检测机构资质认定监督抽查结果的通告", "2024-06-18"),
}


def make_config(base_url: str, store: Path | str, **fetch: object) -> Config:
    """``store``: a SQLite file, or a ``postgresql://`` URL (the ``store_url`` fixture)."""
    options: dict[str, object] = {"retries": 1, "backoff": 0.05, "read_timeout": 2.0, "connect_timeout": 2.0, **fetch}
    settings = FetchSettings(**options)  # type: ignore[arg-type]
    if isinstance(store, str):
        return Config(sources=demo_sources(base_url), store_path=Path("unused.db"), store_url=store, fetch=settings)
    return Config(sources=demo_sources(base_url), store_path=store, fetch=settings)


def summarise(result: RunResult, base_url: str) -> set[tuple[str, str, str, str, str | None]]:
    return {
        (c.kind.value, c.source, c.url.removeprefix(base_url), c.title, c.date) for c in result.changes
    }


def run_and_ack(config: Config) -> RunResult:
    result = check(config)
    acknowledge(config, result)
    return result


def write_config(path: Path, base_url: str, store: Path | str, extra: str = "") -> Path:
    where = f'url = "{store}"' if isinstance(store, str) else f'path = "{store}"'
    lines = ["[store]", where, "[fetch]", "retries = 0", "read_timeout = 5.0", ""]
    for s in demo_sources(base_url):
        lines += ["[[sources]]", f'name = "{s.name}"', f'url = "{s.url}"', f"page_size = {s.page_size}", ""]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith("CNCA_WATCH_") and k != "NO_COLOR"}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        NO_PROXY="127.0.0.1",
    )
    return env
