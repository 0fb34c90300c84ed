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


# ---------------------------------------------------------------- both store backends

_databases = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator["PostgresServer"]:  # noqa: F821
    """One real PostgreSQL server for the session, on 127.0.0.1, in a temporary data dir."""
    from pg_server import PostgresServer

    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: "PostgresServer") -> str:  # noqa: F821
    """A database already at the current store schema: each test's copy of it is cheap."""
    from cnca_watch.store import Store

    url = postgres_server.create_database("cnca_template")
    Store.open(url).close()
    return "cnca_template"


@pytest.fixture
def postgres_url(postgres_server: "PostgresServer") -> str:  # noqa: F821
    """A fresh, empty database of its own (no schema yet)."""
    return postgres_server.create_database(f"empty_{next(_databases)}")


@pytest.fixture
def pg_store(postgres_server: "PostgresServer", postgres_template: str) -> str:  # noqa: F821
    """A ``postgresql://`` URL of a store database of the test's own, copied from the
    migrated template (CREATE DATABASE … TEMPLATE: a few milliseconds)."""
    name = f"test_{next(_databases)}"
    with postgres_server.admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}" STRATEGY FILE_COPY')
    return str(postgres_server.url(name))


@pytest.fixture(scope="session")
def search_templates(postgres_server: "PostgresServer") -> dict[str, tuple[str, str]]:  # noqa: F821
    """Store databases for the search tests: with pg_trgm's index, and without (see search_engines)."""
    from search_engines import make_templates

    return make_templates(postgres_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """The store of a test run on both backends: a SQLite file (a Path), or a
    ``postgresql://`` URL (``pg_store``)."""
    if request.param == "sqlite":
        return tmp_path / "store" / "snapshots.db"
    return str(request.getfixturevalue("pg_store"))
