"""Shared fixtures: every test runs with its own config/data dirs, never the user's."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in ("CNCA_WATCH_CONFIG", "CNCA_WATCH_STORE", "NO_COLOR", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mirror() -> Iterator["MirrorServer"]:  # noqa: F821
    """The bundled CNCA/SAMR mirror on 127.0.0.1, starting at day 1."""
    from cnca_watch.demo.server import MirrorServer

    with MirrorServer(day=1) as server:
        yield server


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "snapshots.db"
