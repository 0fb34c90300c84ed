"""Config loading: defaults, every key, and one-line errors naming file, key and fix."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from cnca_watch.config import load_config, parse_config, starter_config_toml
from cnca_watch.errors import ConfigError
from cnca_watch.sources import BUILTIN_SOURCES


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_file_watches_the_six_builtin_columns_and_stores_in_user_data_dir() -> None:
    config = load_config(None)
    assert [s.name for s in config.sources] == [
        "cnca-announcements", "cnca-notices", "cnca-sector-news", "cnca-supervision-news",
        "samr-certification", "samr-accreditation-testing",
    ]
    assert config.sources[1].url == "https://www.cnca.gov.cn/zwxx/tz/index.html"
    assert config.sources[4].url == "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/"
    assert config.store_path == Path(os.environ["XDG_DATA_HOME"]) / "cnca-watch" / "snapshots.db"


def test_minimal_source_needs_only_name_and_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "n"\nurl = "https://www.cnca.gov.cn/zwxx/tz/index.html"\n')
    config = load_config(path)
    assert len(config.sources) == 1
    assert config.sources[0].pages == 1 and config.sources[0].details is True
    assert config.path == path


def test_env_variable_names_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[store]\npath = "/tmp/x.db"\n')
    monkeypatch.setenv("CNCA_WATCH_CONFIG", str(path))
    assert load_config(None).store_path == Path("/tmp/x.db")


def test_store_override_wins(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\npath = "/tmp/x.db"\n')
    assert load_config(path, store_path=tmp_path / "y.db").store_path == tmp_path / "y.db"


def test_example_config_parses_with_every_documented_key() -> None:
    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    config = parse_config(tomllib.loads(example.read_text("utf-8")), example)
    assert len(config.sources) == 6
    assert config.fetch.per_host == 2


def test_details_off_globally_and_per_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[fetch]\ndetails = false\n[[sources]]\nname = "a"\nurl = "http://127.0.0.1/a"\n'
        '[[sources]]\nname = "b"\nurl = "http://127.0.0.1/b"\ndetails = true\n',
    )
    a, b = load_config(path).sources
    assert a.details is False and b.details is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[sources]]\nname = 'a'\n", "[[sources]] #1 has no 'url'"),
        ("[[sources]]\nname = 'a'\nurl = 'ftp://x/y'\n", "is not an http(s) URL"),
        ("[[sources]]\nname = 'a'\nurl = 'http://x/'\nbogus = 1\n", "unknown key 'bogus' in [[sources]] #1"),
        ("[fetch]\nper_host = 0\n", "[fetch] per_host = 0 is not valid"),
        ("[fetch]\nread_timeout = 'slow'\n", "[fetch] read_timeout"),
        ("[email]\nhost = 'h'\nsecurity = 'tls'\nto = ['a@b']\n", "security = 'tls'; use one of starttls, ssl, none"),
        ("[email]\nhost = 'h'\n", "[email] to must list at least one address"),
        ("colour = 1\n", "unknown key 'colour' in top level"),
        ("[fetch]\nretry = 2\n", "unknown key 'retry' in [fetch]; allowed keys: "),
        ("[email]\nhost = 'h'\nto = ['a@b']\nport_number = 25\n", "unknown key 'port_number' in [email]; allowed keys: "),
        ("[[webhooks]]\nurl = 'http://127.0.0.1/hook'\nsecret = 'x'\n", "unknown key 'secret' in [[webhooks]] #1; allowed keys: default, format, name, secret_env, timeout, url"),
        ("[[sources]]\nname='a'\nurl='http://x/'\n[[sources]]\nname='a'\nurl='http://y/'\n", "name 'a' is used twice"),
        ("[[sources]]\nname='a'\nurl='http://x/'\npages = 0\n", "pages = 0; use a whole number from 1 to 1000"),
        ("this is = = not toml", "invalid TOML"),
        ("[[sources]]\nname='a'\nurl='http://127.0.0.1:99999/x'\n", "is not a valid URL"),
        ("[[sources]]\nname='a'\nurl='http://[::1'\n", "is not a valid URL"),
        ("[fetch]\nverify_tls = 'false'\n", "use a true/false like true"),
        ("[[sources]]\nname='a'\nurl='http://x/'\nitems = 'li[['\n", "items = 'li[[' is not a valid CSS selector"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_config_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found; create it with `cnca-watch init"):
        load_config(tmp_path / "nope.toml")


def test_password_in_world_readable_config_draws_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "[email]\nhost = 'h'\nto = ['a@b.c']\npassword = 's3cret'\n")
    path.chmod(0o644)
    warnings: list[str] = []
    load_config(path, warn=warnings.append)
    assert len(warnings) == 1 and "chmod 600" in warnings[0] and "s3cret" not in warnings[0]
    path.chmod(0o600)
    warnings.clear()
    load_config(path, warn=warnings.append)
    assert warnings == []


def test_starter_config_round_trips_and_holds_no_secret() -> None:
    text = starter_config_toml()
    config = parse_config(tomllib.loads(text))
    assert [s.url for s in config.sources] == [s.url for s in BUILTIN_SOURCES]
    assert "password" not in text


def test_area_overrides_are_validated_at_load_naming_the_file(tmp_path: Path) -> None:
    good = write(tmp_path, '[areas.going-global.zh]\n"澜湄合作" = 3\n[areas.benefit]\nenabled = false\n')
    assert load_config(good).areas["benefit"] == {"enabled": False}
    bad = write(tmp_path, '[areas.regulation.zh]\n"飞行检查" = "high"\n')
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    assert str(bad) in str(info.value) and "飞行检查" in str(info.value)


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + '[[sources]]\nname = "a"\nurl = "http://127.0.0.1/x"\n'.encode())
    assert [s.name for s in load_config(path).sources] == ["a"]


def test_a_directory_as_config_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a config file"):
        load_config(tmp_path)
